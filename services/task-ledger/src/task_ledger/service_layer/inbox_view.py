"""The in-app inbox read a page at a time, by kind (docs/finding-work.md). Callers use it
through `service_layer.queries`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from task_ledger.adapters import repository as repo
from task_ledger.adapters import tables as t
from task_ledger.domain.model import User
from task_ledger.service_layer.uow import Ledger

# The kinds of inbox message, told by the tag the notifier's templates open the subject with.
INBOX_KINDS: dict[str, tuple[str, ...]] = {
    "remind": ("【督办提醒】", "【逾期提醒】"),
    "urge": ("【催办】",),
    "escalation": ("【蓝色督办】", "【橙色督办】", "【红色督办】"),
    "notice": ("【督办通知单】", "【督办回复】"),
    "report": ("【报送提醒】", "【未按时报送】"),
}
INBOX_KIND_LABELS = {
    "remind": "到期与逾期提醒",
    "urge": "催办",
    "escalation": "督办升级",
    "notice": "督办单",
    "report": "报送",
}


def inbox_where(user_id: str, unread_only: bool, kind: str | None) -> list[Any]:
    m = t.inbox_messages.c
    where = [m.user_id == user_id]
    if unread_only:
        where.append(m.read_at.is_(None))
    if kind is not None:
        where.append(or_(*(m.subject.startswith(tag) for tag in INBOX_KINDS[kind])))
    return where


async def count(conn: AsyncConnection, where: list[Any]) -> int:
    query = select(func.count()).select_from(t.inbox_messages).where(*where)
    return int((await conn.execute(query)).scalar_one())


async def unread_count(conn: AsyncConnection, user_id: str) -> int:
    return await count(conn, inbox_where(user_id, True, None))


async def inbox_page(
    ledger: Ledger,
    user: User,
    unread_only: bool = False,
    kind: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[Any], int, int]:
    """One page of `user`'s inbox, newest first (of one kind, see INBOX_KINDS), how many
    messages match and how many of all their messages are unread."""
    where = inbox_where(user.id, unread_only, kind)
    m = t.inbox_messages.c
    query = (
        select(t.inbox_messages)
        .where(*where)
        .order_by(m.at.desc(), m.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    async with ledger.reading() as conn:
        rows = list((await conn.execute(query)).all())
        total = await count(conn, where)
        unread = await unread_count(conn, user.id)
    return rows, total, unread


async def inbox_of(conn: AsyncConnection, user: User, unread_only: bool = False) -> list[Any]:
    return await repo.list_inbox(conn, user.id, unread_only)
