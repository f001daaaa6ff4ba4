"""Delivery channels: SMTP e-mail (or a maildir), WeCom and DingTalk robots, the in-app inbox.

A sender raises `DeliveryError` with a reason people can read; `permanent` says whether
retrying can help (a refused address, a robot rejecting its token) or not.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import json
import os
import time
import urllib.parse
from collections.abc import Callable
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path
from typing import Any, Protocol

import aiosmtplib

from duban_common.logging import get_logger
from duban_contracts.vocabulary import Channel
from notifier.adapters.render import Rendered
from notifier.adapters.webhook_client import WebhookClient, WebhookError
from notifier.domain.model import Recipient

log = get_logger(__name__)

# Robot error codes that mean "slow down", worth retrying (DingTalk 130101, WeCom 45009).
ROBOT_THROTTLED = {130101, 45009}
# WeCom refuses markdown content over 4096 bytes.
WECOM_MAX_BYTES = 4096


class DeliveryError(Exception):
    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Sender(Protocol):
    channel: Channel

    async def send(self, person: Recipient, message: Rendered, notification_id: str) -> None: ...

    async def close(self) -> None: ...


class InboxSender:
    """The in-app inbox: the NotificationSent event (with body and link) is the delivery."""

    channel = Channel.INBOX

    async def send(self, person: Recipient, message: Rendered, notification_id: str) -> None:
        return None

    async def close(self) -> None:
        return None


# --- e-mail --------------------------------------------------------------------------------


def from_header(sender: str) -> tuple[str, str]:
    """The encoded From header and the bare envelope sender of a configured sender."""
    name, address = parseaddr(sender)
    if not address:
        raise ValueError(f"发件人地址无效：{sender!r}")
    return formataddr((name, address), charset="utf-8"), address


def build_email(sender: str, person: Recipient, message: Rendered, notification_id: str) -> bytes:
    """A plain-text UTF-8 message, written directly: the `email` package's generator cost
    more CPU than the whole SMTP exchange. `sender` is an encoded From header (see
    `from_header`). The Message-ID is the notification's, so a resent copy (after a crash
    mid-send) can be recognised as the same message.
    """
    if not person.email:
        raise DeliveryError(f"{person.display_name}没有登记电子邮箱", permanent=True)
    body = base64.encodebytes(f"{message.body}\n\n{message.link}\n".encode()).decode("ascii")
    head = (
        f"From: {sender}\n"
        f"To: {_address(person.display_name, person.email)}\n"
        f"Subject: {encoded_words(message.subject)}\n"
        f"Date: {formatdate(localtime=False)}\n"
        f"Message-ID: <{notification_id}@duban>\n"
        f"X-Duban-Notification-Id: {notification_id}\n"
        "MIME-Version: 1.0\n"
        'Content-Type: text/plain; charset="utf-8"\n'
        "Content-Transfer-Encoding: base64\n\n"
    )
    return (head + body).encode("ascii")


def encoded_words(text: str) -> str:
    """RFC 2047 UTF-8 base64 encoded-words of at most 75 characters, one per folded line
    (never splitting a character); plain ASCII without line breaks is left as it is."""
    if text.isascii() and "\n" not in text and "\r" not in text:
        return text
    words: list[bytes] = []
    chunk = b""
    for char in text:
        encoded = char.encode()
        if len(chunk) + len(encoded) > 39:  # 39 bytes -> 52 base64 characters
            words.append(chunk)
            chunk = b""
        chunk += encoded
    words.append(chunk)
    return "\n ".join(f"=?utf-8?b?{base64.b64encode(w).decode('ascii')}?=" for w in words)


def _address(name: str, address: str) -> str:
    if name.isascii():
        return formataddr((name, address))
    return f"{encoded_words(name)} <{address}>"


class MaildirSender:
    """Development e-mail: each message becomes a .eml file (no SMTP server in `make run`)."""

    channel = Channel.EMAIL

    def __init__(self, directory: str, sender: str) -> None:
        self.directory = Path(directory)
        self.sender, _ = from_header(sender)

    async def send(self, person: Recipient, message: Rendered, notification_id: str) -> None:
        mail = build_email(self.sender, person, message, notification_id)
        await asyncio.to_thread(self._write, notification_id, mail)

    def _write(self, notification_id: str, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / f"{notification_id}.eml"
        tmp = final.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, final)  # readers never see half a message

    async def close(self) -> None:
        return None


class SmtpSender:
    """SMTP through a small pool of kept-open connections (one message at a time on each)."""

    channel = Channel.EMAIL

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        use_tls: bool = False,
        start_tls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        pool_size: int = 4,
    ) -> None:
        self.sender, self.envelope_sender = from_header(sender)
        self._options: dict[str, Any] = {
            "hostname": host,
            "port": port,
            "use_tls": use_tls,
            "start_tls": start_tls,
            "username": username,
            "password": password,
            "timeout": timeout,
        }
        self._pool: asyncio.Queue[aiosmtplib.SMTP] = asyncio.Queue()
        for _ in range(pool_size):
            self._pool.put_nowait(aiosmtplib.SMTP(**self._options))

    async def send(self, person: Recipient, message: Rendered, notification_id: str) -> None:
        mail = build_email(self.sender, person, message, notification_id)
        client = await self._pool.get()
        try:
            if not client.is_connected:
                await client.connect()
            await client.sendmail(self.envelope_sender, [person.email or ""], mail)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"邮件服务器拒收：{exc}", permanent=True) from exc
        except aiosmtplib.SMTPResponseException as exc:
            await _reset(client)
            raise DeliveryError(
                f"邮件服务器返回 {exc.code}：{exc.message}", permanent=500 <= exc.code < 600
            ) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            await _reset(client)
            raise DeliveryError(f"无法连接邮件服务器：{type(exc).__name__}: {exc}") from exc
        finally:
            self._pool.put_nowait(client)

    async def close(self) -> None:
        while not self._pool.empty():
            await _reset(self._pool.get_nowait())


async def _reset(client: aiosmtplib.SMTP) -> None:
    if client.is_connected:
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()


# --- group robots ----------------------------------------------------------------------------


def dingtalk_signature(secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签: base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}"))."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@functools.lru_cache(maxsize=4096)  # a few robots, each posted to over and over
def split_secret(url: str) -> tuple[str, str | None]:
    """A robot URL may carry its signing secret as `secret=`; it is never sent."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    secret = next((v for k, v in query if k == "secret"), None)
    kept = urllib.parse.urlencode([(k, v) for k, v in query if k != "secret"])
    return urllib.parse.urlunsplit(parts._replace(query=kept)), secret


def robot_id(url: str) -> str:
    """The rate-limit key of a robot: its URL without the secret."""
    return split_secret(url)[0]


class RobotSender:
    """WeCom or DingTalk group robot (markdown). Without a URL the message is only logged."""

    channel: Channel

    def __init__(
        self,
        channel: Channel,
        client: WebhookClient,
        *,
        default_secret: str | None = None,
        wall_clock_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        if channel not in (Channel.WECOM, Channel.DINGTALK):
            raise ValueError(f"not a robot channel: {channel}")
        self.channel = channel
        self.client = client
        self.default_secret = default_secret
        # Signatures use wall time even under a simulated clock: DingTalk checks it.
        self.wall_clock_ms = wall_clock_ms

    def payload(self, message: Rendered) -> dict[str, Any]:
        text = f"{message.body}"
        if self.channel is Channel.WECOM:
            content = text.encode()[:WECOM_MAX_BYTES].decode(errors="ignore")
            return {"msgtype": "markdown", "markdown": {"content": content}}
        return {"msgtype": "markdown", "markdown": {"title": message.subject, "text": text}}

    def target(self, url: str) -> str:
        base, secret = split_secret(url)
        secret = secret or (self.default_secret if self.channel is Channel.DINGTALK else None)
        if self.channel is not Channel.DINGTALK or not secret:
            return base
        timestamp = self.wall_clock_ms()
        sign = dingtalk_signature(secret, timestamp)
        separator = "&" if urllib.parse.urlsplit(base).query else "?"
        return f"{base}{separator}{urllib.parse.urlencode({'timestamp': timestamp, 'sign': sign})}"

    async def send(self, person: Recipient, message: Rendered, notification_id: str) -> None:
        url = person.address(self.channel)
        if not url:
            log.info(
                "robot_message_logged",
                channel=self.channel.value,
                recipient=person.user_id,
                subject=message.subject,
                body=message.body,
            )
            return
        try:
            status, raw = await self.client.post_json(self.target(url), self.payload(message))
        except WebhookError as exc:
            raise DeliveryError(f"{self.channel.label}机器人无法访问：{exc}") from exc
        if status >= 400:
            permanent = 400 <= status < 500 and status != 429
            raise DeliveryError(
                f"{self.channel.label}机器人返回 HTTP {status}", permanent=permanent
            )
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = {}
        code = int(answer.get("errcode", 0)) if isinstance(answer, dict) else 0
        if code:
            raise DeliveryError(
                f"{self.channel.label}机器人拒收：{code} {answer.get('errmsg', '')}",
                permanent=code not in ROBOT_THROTTLED,
            )

    async def close(self) -> None:
        return None
