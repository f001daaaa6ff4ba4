"""`python -m notifier` as `make run` starts it: no SMTP server, no robot URLs, Ctrl-C stops it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import httpx
import pytest
from notifier_testkit import department, escalation, person, uid

from duban_common.embedded_broker import free_port
from duban_common.kafka import make_broker, publish_envelope
from duban_common.settings import ServiceSettings
from duban_common.testing.polling import eventually
from duban_contracts import Envelope
from duban_contracts.vocabulary import Channel, EscalationLevel, Role

pytestmark = pytest.mark.integration


def start(env: dict[str, str], log_file: Path) -> subprocess.Popen[bytes]:
    with open(log_file, "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "notifier"], env=env, stdout=log, stderr=subprocess.STDOUT
        )


def knows(db: Path, user_id: str) -> bool:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        row = conn.execute("SELECT count(*) FROM users WHERE user_id = ?", (user_id,)).fetchone()
    return bool(row[0])


async def test_runs_with_development_channels_and_stops_cleanly(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    port = free_port()
    maildir = tmp_path / "mail"
    log_file = tmp_path / "notifier.log"
    env = {
        **os.environ,
        "DUBAN_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "DUBAN_DATABASE_URL": f"sqlite:///{tmp_path / 'notifier.db'}",
        "DUBAN_HTTP_PORT": str(port),
        "DUBAN_MAILDIR": str(maildir),
        "DUBAN_CONSUMER_GROUP": uid("notifier"),
        "DUBAN_QUIET_HOURS_START": "00:00",
        "DUBAN_QUIET_HOURS_END": "00:00",
        "DUBAN_LOG_JSON": "true",
        "DUBAN_DELIVERY_POLL_SECONDS": "0.1",
    }
    proc = start(env, log_file)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:

            async def ready() -> bool:
                try:
                    return (await http.get("/health/ready")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, timeout=60, what="/health/ready")
            assert (await http.get("/health/live")).json() == {"status": "ok"}

        dept, liaison, task = uid("d"), uid("u"), uid("t")
        producer = make_broker(ServiceSettings(kafka_bootstrap_servers=kafka_bootstrap))
        async with producer:
            await producer.start()
            for message in (
                department(dept),
                person(
                    liaison,
                    Role.LIAISON,
                    dept,
                    (Channel.EMAIL, Channel.WECOM),
                    email=f"{liaison}@example.org",
                ),
            ):
                await publish_envelope(producer, Envelope.wrap(message, producer="test"))
            # Directory first: records on different topics are not ordered.
            await eventually(lambda: knows(tmp_path / "notifier.db", liaison), what="the user")
            blue = escalation(task, (dept,), EscalationLevel.BLUE)
            await publish_envelope(producer, Envelope.wrap(blue, producer="test"))

        def to_liaison() -> list[Path]:
            # The topics are shared by the whole session: other tests' directory and
            # escalation events reach this notifier too, so look only at our liaison's mail.
            return [p for p in maildir.glob("*.eml") if liaison.encode() in p.read_bytes()]

        await eventually(lambda: bool(to_liaison()), timeout=60, what="a .eml file")
        (eml,) = to_liaison()
        mail = message_from_bytes(eml.read_bytes(), policy=policy.default)
        assert liaison in str(mail["To"]) and str(mail["Subject"]).startswith("【蓝色督办】")
        await eventually(
            lambda: b"robot_message_logged" in log_file.read_bytes(), what="logged robot message"
        )
    finally:
        proc.send_signal(signal.SIGINT)
        code = await asyncio.to_thread(proc.wait, 30)
    assert code == 0
    assert b"notifier_stopped" in log_file.read_bytes()
