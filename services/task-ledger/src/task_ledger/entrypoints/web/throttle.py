"""Login throttling: too many failures for one username or from one address lock it out
for a while. Counted in memory (one ledger process serves the pages)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from task_ledger.entrypoints.web.session import WebConfig


@dataclass
class LoginThrottle:
    config: WebConfig
    failures: dict[str, deque[float]] = field(default_factory=dict)
    locked_until: dict[str, float] = field(default_factory=dict)

    def _keys(self, username: str, address: str) -> list[tuple[str, int]]:
        cfg = self.config
        return [
            (f"user:{username.strip().lower()}", cfg.max_failures_per_user),
            (f"addr:{address}", cfg.max_failures_per_address),
        ]

    def retry_after(self, username: str, address: str) -> float:
        """Seconds until a login may be tried again (0: allowed now)."""
        now = self.config.now()
        wait = 0.0
        for key, _ in self._keys(username, address):
            until = self.locked_until.get(key)
            if until is not None:
                if until <= now:
                    del self.locked_until[key]
                else:
                    wait = max(wait, until - now)
        return wait

    def failed(self, username: str, address: str) -> None:
        cfg, now = self.config, self.config.now()
        for key, limit in self._keys(username, address):
            window = self.failures.setdefault(key, deque())
            window.append(now)
            while window and window[0] < now - cfg.failure_window:
                window.popleft()
            if len(window) >= limit:
                self.locked_until[key] = now + cfg.lockout
                window.clear()
        if len(self.failures) > 10_000:  # keep memory bounded under a spray of usernames
            stale = [
                k for k, w in self.failures.items() if not w or w[-1] < now - cfg.failure_window
            ]
            for k in stale:
                del self.failures[k]

    def succeeded(self, username: str) -> None:
        self.failures.pop(f"user:{username.strip().lower()}", None)

    def reset(self) -> None:
        self.failures.clear()
        self.locked_until.clear()
