"""`duban run`: the whole system on one machine, as separate processes.

Starts the embedded broker (or uses an external Kafka), then the three services with their
SQLite stores under one data directory, waits until each answers its readiness probe, imports
the seed plans on the first start, and stops everything cleanly on Ctrl-C. Every child is
started with PR_SET_PDEATHSIG, so even a `kill -9` of the launcher leaves no orphans.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from duban_common.embedded_broker import EmbeddedBroker, _die_with_parent, free_port


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    port: int
    database: str  # file name under the data directory


SERVICES = (
    ServiceSpec("task-ledger", "task_ledger", 8000, "ledger.db"),
    ServiceSpec("deadline-watcher", "deadline_watcher", 8001, "watcher.db"),
    ServiceSpec("notifier", "notifier", 8002, "notifier.db"),
)


class LaunchError(RuntimeError):
    pass


@dataclass
class SystemLauncher:
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    broker_port: int = 9092
    kafka_bootstrap: str | None = None  # external Kafka: no embedded broker
    ports: dict[str, int] = field(default_factory=dict)  # service name -> port override
    extra_env: dict[str, str] = field(default_factory=dict)
    quiet: bool = False
    _broker: EmbeddedBroker | None = field(default=None, init=False)
    _procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict, init=False)

    @property
    def bootstrap_servers(self) -> str:
        if self.kafka_bootstrap:
            return self.kafka_bootstrap
        assert self._broker is not None
        return self._broker.bootstrap_servers

    def port(self, spec: ServiceSpec) -> int:
        return self.ports.get(spec.name, spec.port)

    def url(self, service: str) -> str:
        spec = next(s for s in SERVICES if s.name == service)
        return f"http://{self.host}:{self.port(spec)}"

    @property
    def clock_file(self) -> Path:
        return self.data_dir / "clock.json"

    def start(self) -> SystemLauncher:
        self.data_dir = self.data_dir.resolve()
        (self.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        try:
            if not self.kafka_bootstrap:
                port = self.broker_port
                with contextlib.suppress(OSError):
                    _probe = __import__("socket").create_connection((self.host, port), 0.2)
                    _probe.close()
                    port = free_port(self.host)  # 9092 is taken: use any free port
                self._broker = EmbeddedBroker(
                    host=self.host, port=port, log_file=self.data_dir / "logs" / "broker.log"
                ).start()
            for spec in SERVICES:
                self._spawn(spec)
            for spec in SERVICES:
                self._wait_ready(spec)
        except BaseException:
            self.stop()
            raise
        return self

    def _env(self, spec: ServiceSpec) -> dict[str, str]:
        env = {
            **os.environ,
            "DUBAN_SERVICE_NAME": spec.name,
            "DUBAN_KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "DUBAN_DATABASE_URL": f"sqlite:///{self.data_dir / spec.database}",
            "DUBAN_HTTP_HOST": self.host,
            "DUBAN_HTTP_PORT": str(self.port(spec)),
            "DUBAN_PUBLIC_BASE_URL": self.url("task-ledger"),
            "DUBAN_MAILDIR": str(self.data_dir / "mail"),
            "DUBAN_UPLOAD_DIR": str(self.data_dir / "uploads"),
            "PYTHONUNBUFFERED": "1",
        }
        if self.clock_file.exists():
            env["DUBAN_CLOCK_FILE"] = str(self.clock_file)
            # A demo plays months in minutes through a handful of users: per-user write
            # limits (real time) would stop it.
            env["DUBAN_WRITE_LIMITS"] = "{}"
        env.update(self.extra_env)
        return env

    def _spawn(self, spec: ServiceSpec) -> None:
        log = open(self.data_dir / "logs" / f"{spec.name}.log", "ab")  # noqa: SIM115
        self._procs[spec.name] = subprocess.Popen(
            [sys.executable, "-m", spec.module],
            env=self._env(spec),
            cwd=self.data_dir.parent,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        log.close()

    def _wait_ready(self, spec: ServiceSpec, timeout: float = 180) -> None:
        url = f"{self.url(spec.name)}/health/ready"
        deadline = time.monotonic() + timeout
        proc = self._procs[spec.name]
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise LaunchError(
                    f"{spec.name} 启动失败（退出码 {proc.returncode}），"
                    f"见 {self.data_dir / 'logs' / (spec.name + '.log')}"
                )
            try:
                with urllib.request.urlopen(url, timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise LaunchError(f"{spec.name} 在 {timeout:.0f} 秒内未就绪（{url}）")

    def check_alive(self) -> str | None:
        """Name of a service that exited on its own, if any."""
        for name, proc in self._procs.items():
            if proc.poll() is not None:
                return name
        return None

    def stop(self, timeout: float = 15) -> None:
        procs = list(self._procs.items())[::-1]
        for _, proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for _, proc in procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._procs.clear()
        if self._broker is not None:
            self._broker.stop()
            self._broker = None

    def __enter__(self) -> SystemLauncher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
