"""Logins, sessions and password changes, one policy for the pages and the API.

- Throttling: failed logins counted per account and per client address in the database
  (`login_throttle`), so every process and every restart sees the same lock-outs.
- Sessions: each login (a bearer token or a page session) is a row that logout revokes; tokens
  and cookies also carry the user's credential version, which a password change, reset or
  deactivation moves on, ending every earlier session everywhere.
- Verified sessions are kept in the process (`VerifiedSessions`) instead of reading the session
  row on every request; every revocation also moves the credential epoch on, which each
  process reads once per `token_cache_seconds`, so a revocation holds everywhere within it.
- argon2 runs off the event loop with a bounded concurrency (`passwords.Hashing`), and an
  unknown username costs one hash too (no enumeration by timing).
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from task_ledger.adapters import repository as repo
from task_ledger.adapters.repository import auth as auth_repo
from task_ledger.domain.errors import DomainError
from task_ledger.domain.model import User
from task_ledger.service_layer.passwords import MAX_PASSWORD_CHARS, Hashing, check_policy
from task_ledger.service_layer.uow import Ledger

SESSION_ENDED = "登录已失效（已退出或已过期），请重新登录"
USER_GONE = "账号不存在或已停用"
PASSWORD_CHANGED = "密码已修改，请重新登录"
# One failed (successful) login in this many prunes the counters (sessions) that no longer
# matter.
PRUNE_ONE_IN = 50
SESSION_CACHE_SIZE = 4096


class LoginRefused(Exception):
    """A refused login: `retry_after` > 0 when locked out (429)."""

    def __init__(self, message: str, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class LoginSession:
    user: User
    session_id: str
    expires_at: float


class VerifiedSessions:
    """Sessions this process has checked against the database: session id -> (user, session
    expiry). Trusted while the credential epoch is unchanged; the epoch is read at most once
    per `ttl` seconds (one query per process, however many users), and the cache is emptied
    when it moved or when this process changed a user (`Ledger.users_version`)."""

    def __init__(self, ledger: Ledger, clock: Callable[[], float] = time.monotonic) -> None:
        self.ledger = ledger
        self.ttl = ledger.settings.token_cache_seconds
        self.clock = clock
        self.entries: dict[str, tuple[User, float]] = {}
        self.epoch: int | None = None
        self.users_version = ledger.users_version
        self.checked_at = float("-inf")

    async def get(self, session_id: str, now: float) -> User | None:
        if self.ttl <= 0:
            return None
        await self._check_epoch()
        found = self.entries.get(session_id)
        if found is None or found[1] <= now:
            return None
        return found[0]

    def put(self, session_id: str, user: User, expires_at: float) -> None:
        if self.ttl <= 0:
            return
        if len(self.entries) >= SESSION_CACHE_SIZE:
            self.entries.clear()
        self.entries[session_id] = (user, expires_at)

    async def _check_epoch(self) -> None:
        if self.users_version != self.ledger.users_version:
            self.entries.clear()
            self.users_version = self.ledger.users_version
        if self.clock() - self.checked_at < self.ttl:
            return
        self.checked_at = self.clock()  # before the read: concurrent requests do not repeat it
        async with self.ledger.reading() as conn:
            epoch = await auth_repo.credential_epoch(conn)
        if epoch != self.epoch:
            self.entries.clear()
            self.epoch = epoch


def throttle_keys(username: str, address: str) -> tuple[str, str]:
    return f"user:{username.strip().lower()[:150]}", f"addr:{address[:150]}"


class Authenticator:
    """One per app (process): the hashing pool and the throttle policy from the settings."""

    def __init__(self, ledger: Ledger, now: Callable[[], float] = time.time) -> None:
        self.ledger = ledger
        self.settings = ledger.settings
        self.hashing = Hashing(ledger.settings)
        self.now = now
        self.verified = VerifiedSessions(ledger)

    async def retry_after(self, username: str, address: str) -> float:
        """Seconds until a login may be tried again (0: allowed now)."""
        async with self.ledger.reading() as conn:
            until = await auth_repo.locked_until(conn, throttle_keys(username, address))
        return max(0.0, until - self.now())

    async def failed(self, username: str, address: str) -> None:
        s, now = self.settings, self.now()
        user_key, addr_key = throttle_keys(username, address)
        window, lockout = s.login_failure_window_seconds, s.login_lockout_seconds
        async with self.ledger.transaction() as tx:
            await auth_repo.count_failure(
                tx.conn, user_key, s.login_max_failures_per_user, now, window, lockout
            )
            await auth_repo.count_failure(
                tx.conn, addr_key, s.login_max_failures_per_address, now, window, lockout
            )
            if random.randrange(PRUNE_ONE_IN) == 0:
                await auth_repo.prune_throttle(tx.conn, now, window)

    async def reset_throttle(self) -> None:
        async with self.ledger.transaction() as tx:
            await auth_repo.reset_throttle(tx.conn)

    async def login(self, username: str, password: str, address: str, kind: str) -> LoginSession:
        """Check a login and open a session of `kind` ("api" or "page")."""
        wait = await self.retry_after(username, address)
        if wait > 0:
            raise LoginRefused("登录失败次数过多，请稍后再试", wait)
        password = password if len(password) <= MAX_PASSWORD_CHARS else ""
        async with self.ledger.reading() as conn:
            found = await repo.get_user_credentials(conn, username) if username else None
        ok = await self.hashing.verify(found[1] if found else None, password)
        if not (found and ok and found[0].active):
            await self.failed(username, address)
            raise LoginRefused("用户名或密码错误")
        user = found[0]
        async with self.ledger.transaction() as tx:
            await auth_repo.clear_failures(tx.conn, throttle_keys(username, address)[0])
            session = await self._open(tx.conn, user, kind)
            if random.randrange(PRUNE_ONE_IN) == 0:
                await auth_repo.prune_sessions(tx.conn, self.now())
        return session

    async def _open(self, conn: AsyncConnection, user: User, kind: str) -> LoginSession:
        now = self.now()
        sid = secrets.token_urlsafe(24)
        expires = now + self.settings.token_lifetime_seconds
        await auth_repo.insert_session(conn, sid, user.id, kind, now, expires)
        return LoginSession(user, sid, expires)

    async def session_user(self, session_id: str, user_id: str, version: int) -> User | None:
        """The user of a live session whose credential version is still current."""
        user, _ = await self.check_session(session_id, user_id, version)
        return user

    async def check_session(
        self, session_id: str, user_id: str, version: int
    ) -> tuple[User | None, str]:
        """The session's user, or None and why (in Chinese)."""
        now = self.now()
        user = await self.verified.get(session_id, now)
        if user is None:
            async with self.ledger.reading() as conn:
                found = await auth_repo.session_user(conn, session_id, now)
            if found is not None:
                user, expires_at = found
                self.verified.put(session_id, user, expires_at)
        if user is None or user.id != user_id:
            return None, SESSION_ENDED
        if not user.active:
            return None, USER_GONE
        if user.credential_version != version:
            return None, PASSWORD_CHANGED
        return user, ""

    async def logout(self, session_id: str) -> None:
        async with self.ledger.transaction() as tx:
            await auth_repo.revoke_session(tx.conn, session_id)
            tx.users_changed = True  # the credential epoch moves: every process forgets it

    async def change_password(
        self, user: User, current: str, new: str, kind: str, address: str
    ) -> LoginSession:
        """The user's own change: every earlier session ends, a fresh one of `kind` opens.
        A wrong current password counts as a failed login (no guessing through this door)."""
        wait = await self.retry_after(user.username, address)
        if wait > 0:
            raise LoginRefused("登录失败次数过多，请稍后再试", wait)
        async with self.ledger.reading() as conn:
            stored = await auth_repo.password_hash(conn, user.id)
        if not await self.hashing.verify(stored, current[:MAX_PASSWORD_CHARS]):
            await self.failed(user.username, address)
            raise DomainError("当前密码不正确")
        if new == current:
            raise DomainError("新密码不能与当前密码相同")
        check_policy(self.settings, user.username, new)
        new_hash = await self.hashing.hash(new)
        async with self.ledger.transaction() as tx:
            await auth_repo.set_credentials(tx.conn, user.id, new_hash, False)
            await auth_repo.revoke_user_sessions(tx.conn, user.id)
            tx.users_changed = True
            tx.audit(user.id, "user.password", "user", user.id, None, {})
            fresh = await repo.get_user(tx.conn, user.id) or user
            session = await self._open(tx.conn, fresh, kind)
        return session
