"""The real ledger and notifier against an embedded broker that is down at their start and
restarted (losing everything it held) while the notifier is down.

Before: the ledger could not start without the broker (exit 3), and of 5 reminders already on
the broker when it restarted with the notifier down, 0 were delivered. Now both services start
and serve while the broker is away (not ready until it is back), and the ledger's relay
republishes what the lost broker held, so every reminder reaches the liaison's inbox, once.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from e2e.e2e_system import liaison_username

from duban.first_start import LedgerClient, import_plans
from duban.launcher import SERVICES
from duban_common.embedded_broker import EmbeddedBroker, _die_with_parent, free_port
from duban_common.testing.polling import wait_until

pytestmark = pytest.mark.e2e

SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_9108b65ab0af5f8f.txt"
REMINDERS = 5


@dataclass
class Rig:
    data: Path
    broker_port: int = field(default_factory=free_port)
    broker: EmbeddedBroker | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start_broker(self) -> None:
        self.broker = EmbeddedBroker(port=self.broker_port, log_file=self.data / "broker.log")
        self.broker.start()

    def stop_broker(self) -> None:
        assert self.broker is not None
        self.broker.stop()
        self.broker = None

    def start(self, name: str) -> None:
        spec = next(s for s in SERVICES if s.name == name)
        self.ports.setdefault(name, free_port())
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", spec.module],
            env={
                **os.environ,
                "DUBAN_SERVICE_NAME": name,
                "DUBAN_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{self.broker_port}",
                "DUBAN_DATABASE_URL": f"sqlite:///{self.data / spec.database}",
                "DUBAN_HTTP_HOST": "127.0.0.1",
                "DUBAN_HTTP_PORT": str(self.ports[name]),
                "DUBAN_MAILDIR": str(self.data / "mail"),
                "DUBAN_UPLOAD_DIR": str(self.data / "uploads"),
                "DUBAN_WRITE_LIMITS": "{}",
                "DUBAN_ARGON2_TIME_COST": "1",
                "DUBAN_ARGON2_MEMORY_COST": "1024",
                "PYTHONUNBUFFERED": "1",
            },
            stdout=(self.data / f"{name}.log").open("ab"),
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )

    def stop(self, name: str) -> None:
        process = self.processes.pop(name)
        process.terminate()
        process.wait(30)

    def health(self, name: str, probe: str) -> int:
        assert self.processes[name].poll() is None, (self.data / f"{name}.log").read_text()[-3000:]
        try:
            with urllib.request.urlopen(f"{self.url(name)}/health/{probe}", timeout=3) as r:
                return int(r.status)
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            return 0

    def ready(self, name: str) -> bool:
        return self.health(name, "ready") == 200


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    found = Rig(tmp_path)
    yield found
    for name in list(found.processes):
        found.processes[name].kill()
    if found.broker is not None:
        found.broker.stop()


def _published_everything(rig: Rig) -> bool:
    """Peek (read-only) into the ledger's outbox: nothing left to publish."""
    uri = f"file:{rig.data / 'ledger.db'}?mode=ro"
    with sqlite3.connect(uri, uri=True) as db:
        row = db.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()
    return int(row[0]) == 0


def test_services_start_without_the_broker_and_a_restart_loses_nothing(rig: Rig) -> None:
    # The broker is down: both services start, answer, and say they are not ready.
    for name in ("task-ledger", "notifier"):
        rig.start(name)
    for name in ("task-ledger", "notifier"):
        wait_until(lambda n=name: rig.health(n, "live") == 200, 120, f"{name} alive", 0.3)
        assert rig.health(name, "ready") == 503
    rig.start_broker()
    for name in ("task-ledger", "notifier"):
        wait_until(lambda n=name: rig.ready(n), 120, f"{name} ready once the broker is up", 0.3)

    sup = LedgerClient(rig.url("task-ledger"))
    sup.login("supervisor", "supervisor-demo")
    import_plans(sup, [SEED])
    tasks = sup.request("GET", "/api/tasks?page_size=200")["items"][:REMINDERS]
    for task in tasks:
        sup.request("POST", f"/api/tasks/{task['id']}/dispatch")

    # The notifier goes down; the reminders are published to the broker, which then restarts.
    rig.stop("notifier")
    for task in tasks:
        sup.request("POST", f"/api/tasks/{task['id']}/reminders", {"message": "请加快推进"})
    wait_until(lambda: _published_everything(rig), 60, "the ledger published the reminders")
    rig.stop_broker()
    rig.start_broker()
    rig.start("notifier")
    wait_until(lambda: rig.ready("notifier"), 120, "the notifier ready again", 0.3)

    # Every reminder reaches its lead liaison's inbox, once.
    for task in tasks:
        lead = LedgerClient(rig.url("task-ledger"))
        lead.login(
            liaison_username(rig.url("task-ledger"), task["lead_department_ids"][0]),
            "liaison-demo",
        )

        def reminded(task_id: str = task["id"], client: LedgerClient = lead) -> list[object]:
            inbox = client.request("GET", "/api/me/inbox")
            # Only the 催办 sent while the broker was lost (dispatch notices arrive too).
            return [
                m for m in inbox if task_id in m["task_ids"] and m["subject"].startswith("【催办】")
            ]

        found = wait_until(reminded, 120, f"the reminder of {task['id']} in the inbox", 0.5)
        assert len(found) == 1, found
