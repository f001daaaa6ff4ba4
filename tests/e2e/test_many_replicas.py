"""Many replicas: two ledger processes and two notifier processes, each pair on one PostgreSQL
database, as production runs several pods. Every rule that protects users holds across them:
a login lock-out is counted over both ledgers, a logout or a password change made through one
ledger ends the session on the other, and two notifiers together never send a robot more than
its 20 messages a minute.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from e2e.e2e_system import liaison_username
from sqlalchemy.engine import make_url

from duban_common.embedded_broker import _die_with_parent, free_port
from duban_common.kafka import make_broker, publish_envelope
from duban_common.settings import ServiceSettings
from duban_common.testing.plugin import PG_ADMIN_URL
from duban_common.testing.polling import eventually
from duban_contracts import Envelope
from duban_contracts import events as e
from duban_contracts.vocabulary import Channel, EscalationLevel, JurisdictionLevel, Role
from notifier.adapters.sinks import WebhookSink
from task_ledger.service_layer.directory import registry_departments

pytestmark = pytest.mark.e2e

ROBOT_LIMIT = 20
# The platforms' window is a minute; the test runs the same limiter on a shorter one.
ROBOT_WINDOW = 20


@pytest.fixture
def database() -> Iterator[str]:
    """A fresh PostgreSQL database, shared by the replicas of one service."""
    name = f"duban_replicas_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Replica:
    process: subprocess.Popen[bytes]
    url: str
    log: Path


@pytest.fixture
async def replicas(kafka_bootstrap: str, tmp_path: Path) -> AsyncIterator[Any]:
    """`start(module, database_url, **env)`: a service process, once it reports ready."""
    started: list[Replica] = []

    async def start(module: str, database_url: str, **env: str) -> Replica:
        port = free_port()
        log = tmp_path / f"{module}-{len(started)}.log"
        process = subprocess.Popen(  # noqa: ASYNC220 (returns at once; waiting is async)
            [sys.executable, "-m", module],
            env={
                **os.environ,
                "DUBAN_SERVICE_NAME": f"{module}-{len(started)}",
                "DUBAN_DATABASE_URL": database_url,
                "DUBAN_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
                "DUBAN_HTTP_HOST": "127.0.0.1",
                "DUBAN_HTTP_PORT": str(port),
                "DUBAN_ARGON2_TIME_COST": "1",
                "DUBAN_ARGON2_MEMORY_COST": "1024",
                "PYTHONUNBUFFERED": "1",
                **env,
            },
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        replica = Replica(process, f"http://127.0.0.1:{port}", log)
        started.append(replica)

        async def ready() -> bool:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                async with httpx.AsyncClient(timeout=2) as client:
                    return (await client.get(f"{replica.url}/health/ready")).status_code == 200
            except httpx.HTTPError:
                return False

        await eventually(ready, 120, f"{module} ready", 0.2)
        return replica

    yield start
    for replica in started:
        replica.process.terminate()
    for replica in started:
        try:
            replica.process.wait(20)
        except subprocess.TimeoutExpired:
            replica.process.kill()


async def _login(client: httpx.AsyncClient, url: str, username: str, password: str) -> Any:
    return await client.post(
        f"{url}/api/auth/login", json={"username": username, "password": password}
    )


async def test_two_ledgers_share_lockout_logout_and_password_changes(
    replicas: Any, database: str
) -> None:
    first = await replicas("task_ledger", database)
    second = await replicas("task_ledger", database)  # the first one migrated and seeded
    a, b = first.url, second.url
    liaisons = [liaison_username(a, d.id) for d in registry_departments()[:2]]
    async with httpx.AsyncClient(timeout=30) as c:
        # Lock-out: five wrong passwords, spread over both ledgers, lock the account on both.
        locked = liaisons[0]
        for i in range(5):
            answer = await _login(c, a if i % 2 else b, locked, f"wrong-{i}")
            assert answer.status_code == 401, answer.text
        for url in (a, b):
            refused = await _login(c, url, locked, "liaison-demo")
            assert refused.status_code == 429, refused.text
            assert int(refused.headers["Retry-After"]) > 0

        # Logout through one ledger ends the token on the other.
        token = (await _login(c, a, "supervisor", "supervisor-demo")).json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await c.get(f"{b}/api/me", headers=bearer)).status_code == 200  # cached on b
        assert (await c.post(f"{a}/api/auth/logout", headers=bearer)).status_code == 200

        async def refused_on(url: str, headers: dict[str, str]) -> bool:
            return (await c.get(f"{url}/api/me", headers=headers)).status_code == 401

        await eventually(lambda: refused_on(b, bearer), 10, "logout applies on the other ledger")

        # A password change through one ledger ends every earlier session on the other.
        user = liaisons[1]
        old = (await _login(c, b, user, "liaison-demo")).json()["access_token"]
        old_bearer = {"Authorization": f"Bearer {old}"}
        assert (await c.get(f"{b}/api/me", headers=old_bearer)).status_code == 200
        session = (await _login(c, a, user, "liaison-demo")).json()["access_token"]
        changed = await c.post(
            f"{a}/api/auth/password",
            headers={"Authorization": f"Bearer {session}"},
            json={"current_password": "liaison-demo", "new_password": "Duban#Replica-2026"},
        )
        assert changed.status_code == 200, changed.text
        await eventually(
            lambda: refused_on(b, old_bearer), 10, "the old token refused on the other ledger"
        )
        fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
        assert (await c.get(f"{b}/api/me", headers=fresh)).status_code == 200
        assert (await _login(c, b, user, "liaison-demo")).status_code == 401


class TimedRequests(list[Any]):
    """The sink's request list, remembering when each request arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def append(self, item: Any) -> None:
        self.times.append(time.monotonic())
        super().append(item)


async def test_two_notifiers_never_exceed_a_robots_limit(
    replicas: Any, database: str, kafka_bootstrap: str
) -> None:
    sink = await WebhookSink().start()
    sink.requests = TimedRequests()
    group = f"notifier-{uuid.uuid4().hex[:8]}"  # the session broker is shared with other tests
    try:
        for _ in range(2):
            await replicas(
                "notifier",
                database,
                DUBAN_CONSUMER_GROUP=group,
                DUBAN_ROBOT_LIMIT_WINDOW_SECONDS=str(ROBOT_WINDOW),
            )
        dept, liaison = f"dep-{uuid.uuid4().hex[:8]}", f"user-{uuid.uuid4().hex[:8]}"
        events: list[Any] = [
            e.DepartmentUpserted(
                department_id=dept,
                name="省人力资源社会保障厅",
                jurisdiction="广东省",
                level=JurisdictionLevel.PROVINCE,
            ),
            e.UserUpserted(
                user_id=liaison,
                display_name="联络员",
                role=Role.LIAISON,
                department_id=dept,
                channels=(Channel.WECOM,),
                wecom_webhook=sink.url("/wecom/shared"),
            ),
        ]
        broker = make_broker(ServiceSettings(kafka_bootstrap_servers=kafka_bootstrap))
        async with broker:
            for event in events:
                await publish_envelope(broker, Envelope.wrap(event, producer="replica-test"))
            await asyncio.sleep(2)  # the directory is in before the escalations come
            total = ROBOT_LIMIT + 5
            for i in range(total):  # each its own task: spread over both notifiers' partitions
                task = f"t-{uuid.uuid4().hex[:8]}-{i}"
                escalation = e.EscalationRaised(
                    task_id=task,
                    task_title="开展劳务品牌调查摸底",
                    plan_id="plan-1",
                    level=EscalationLevel.BLUE,
                    due_on=date(2026, 3, 6),
                    working_days_late=10,
                    department_ids=(dept,),
                    reason="逾期10个工作日未报送整改措施",
                    scheduled_for=datetime.now().astimezone(),
                    dedupe_key=f"{task}:escalation:blue",
                )
                await publish_envelope(broker, Envelope.wrap(escalation, producer="replica-test"))
        # All arrive, the last five delayed to the next window (none dropped) ...
        await eventually(lambda: len(sink.to("/wecom/shared")) >= total, 150, "every message")
        await asyncio.sleep(1)
        assert len(sink.to("/wecom/shared")) == total
        # ... and no 16 seconds ever saw more than the limit (16, not 20: a slot is taken a
        # moment before its message goes out).
        times = sink.requests.times  # type: ignore[attr-defined]
        busiest = max(sum(t <= u < t + ROBOT_WINDOW - 4 for u in times) for t in times)
        assert busiest <= ROBOT_LIMIT, busiest
    finally:
        await sink.stop()
