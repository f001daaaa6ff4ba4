"""Local receivers for tests and the benchmark: a robot webhook server and an SMTP sink.

They are real servers on 127.0.0.1 that the notifier reaches over TCP exactly as it reaches
WeCom, DingTalk or a mail relay; they only record what arrives. `aiosmtpd` is a development
dependency and is imported only when an SMTP sink is started.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import time
import urllib.parse
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from notifier.adapters.channels import dingtalk_signature


@dataclass
class RobotRequest:
    path: str
    query: dict[str, str]
    body: dict[str, Any]
    status: int
    signature_ok: bool | None  # None: no signing secret configured for this path


@dataclass
class WebhookSink:
    """An HTTP/1.1 server (keep-alive) answering like a group robot.

    `failures[path]` lists statuses to return first (then 200 with errcode 0);
    `always[path]` is returned forever; `dingtalk_secrets[path]` makes the sink check the
    DingTalk signature and answer errcode 310000 when it does not match.
    """

    host: str = "127.0.0.1"
    port: int = 0
    record: bool = True
    failures: dict[str, list[int]] = field(default_factory=dict)
    always: dict[str, int] = field(default_factory=dict)
    dingtalk_secrets: dict[str, str] = field(default_factory=dict)
    requests: list[RobotRequest] = field(default_factory=list)
    count: int = 0
    _server: asyncio.Server | None = None

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    async def start(self) -> WebhookSink:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def to(self, path: str) -> list[RobotRequest]:
        return [r for r in self.requests if r.path == path]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                _, target, _ = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip()
                    for k, v in (h.split(":", 1) for h in lines[1:] if ":" in h)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                status, answer = self._answer(target, body)
                payload = json.dumps(answer).encode()
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def _answer(self, target: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        parts = urllib.parse.urlsplit(target)
        path = parts.path
        query = dict(urllib.parse.parse_qsl(parts.query))
        self.count += 1
        status = self.always.get(path, 200)
        queued = self.failures.get(path)
        if queued:
            status = queued.pop(0)
        signature_ok = None
        secret = self.dingtalk_secrets.get(path)
        if secret is not None:
            signature_ok = _signature_ok(secret, query)
        if self.record:
            self.requests.append(
                RobotRequest(path, query, json.loads(raw or b"{}"), status, signature_ok)
            )
        if status != 200:
            return status, {"errcode": -1, "errmsg": "error"}
        if signature_ok is False:
            return 200, {"errcode": 310000, "errmsg": "sign not match"}
        return 200, {"errcode": 0, "errmsg": "ok"}


def _signature_ok(secret: str, query: dict[str, str]) -> bool:
    """DingTalk's check: a fresh timestamp (within an hour) and a matching HMAC-SHA256."""
    try:
        timestamp = int(query["timestamp"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() * 1000 - timestamp) > 3600_000:
        return False
    return hmac.compare_digest(dingtalk_signature(secret, timestamp), query.get("sign", ""))


class SmtpSink:
    """A real SMTP server (aiosmtpd) in its own thread that keeps every message it accepts."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, keep: bool = True) -> None:
        from aiosmtpd.controller import Controller

        from duban_common.embedded_broker import free_port

        self.messages: list[EmailMessage] = []
        self.refuse: set[str] = set()  # addresses answered with 550, as for an unknown mailbox
        self.count = 0
        self.keep = keep
        self.host = host
        self.port = port or free_port(host)
        self._controller = Controller(self, hostname=host, port=self.port)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        if self.keep:
            parsed = message_from_bytes(envelope.content, policy=policy.default)
            self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]
