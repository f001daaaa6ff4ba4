"""Delivery channels: WeCom and DingTalk robots, the in-app inbox (e-mail: `mail.py`).

A sender raises `DeliveryError` with a reason people can read; `permanent` says whether
retrying can help (a refused address, a robot rejecting its token) or not.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import time
import urllib.parse
from collections.abc import Callable
from typing import Any, Protocol

from duban_common.logging import get_logger
from duban_contracts.vocabulary import Channel
from notifier.adapters.render import Rendered
from notifier.adapters.webhook_client import WebhookClient, WebhookError
from notifier.domain.model import Recipient

log = get_logger(__name__)

# Robot error codes that mean "slow down", worth retrying (DingTalk 130101, WeCom 45009).
ROBOT_THROTTLED = {130101, 45009}


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
    """The in-app inbox: the NotificationSent event is the delivery. It carries the message's
    Markdown (`Rendered.body`); the ledger renders and sanitises it when it shows it."""

    channel = Channel.INBOX

    async def send(self, person: Recipient, message: Rendered, notification_id: str) -> None:
        return None

    async def close(self) -> None:
        return None


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
        """A markdown message in this robot's dialect (see `Rendered.robot_markdown`)."""
        text = message.robot_markdown(self.channel)
        if self.channel is Channel.WECOM:
            return {"msgtype": "markdown", "markdown": {"content": text}}
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
