"""Login throttling counters, revocable sessions and credential changes. Every process of the
ledger reads and writes these rows, so a lock-out or a revocation holds across all of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from task_ledger.adapters import tables as t
from task_ledger.adapters.repository.directory import user_from
from task_ledger.domain.model import User


async def locked_until(conn: AsyncConnection, keys: Sequence[str]) -> float:
    """The latest lock-out end among `keys` (0: none)."""
    found = await conn.scalar(
        select(func.max(t.login_throttle.c.locked_until)).where(t.login_throttle.c.key.in_(keys))
    )
    return float(found or 0.0)


async def count_failure(
    conn: AsyncConnection, key: str, limit: int, now: float, window: float, lockout: float
) -> None:
    """One more failure for `key`: a fixed window of `window` seconds; `limit` failures in
    it lock the key for `lockout` seconds. Atomic per row (concurrent processes add up)."""
    c = t.login_throttle.c
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    await conn.execute(
        dialect_insert(t.login_throttle)
        .values(key=key, failures=0, window_start=now, locked_until=0.0)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    stale = c.window_start < now - window
    await conn.execute(
        update(t.login_throttle)
        .where(c.key == key)
        .values(
            failures=case((stale, 1), else_=c.failures + 1),
            window_start=case((stale, now), else_=c.window_start),
        )
    )
    await conn.execute(
        update(t.login_throttle)
        .where(c.key == key, c.failures >= limit)
        .values(failures=0, window_start=now, locked_until=now + lockout)
    )


async def clear_failures(conn: AsyncConnection, key: str) -> None:
    c = t.login_throttle.c
    await conn.execute(update(t.login_throttle).where(c.key == key).values(failures=0))


async def prune_throttle(conn: AsyncConnection, now: float, window: float) -> None:
    c = t.login_throttle.c
    await conn.execute(
        delete(t.login_throttle).where(c.locked_until < now, c.window_start < now - window)
    )


async def reset_throttle(conn: AsyncConnection) -> None:
    await conn.execute(delete(t.login_throttle))


async def insert_session(
    conn: AsyncConnection, sid: str, user_id: str, kind: str, now: float, expires_at: float
) -> None:
    await conn.execute(
        t.auth_sessions.insert().values(
            id=sid, user_id=user_id, kind=kind, created_at=now, expires_at=expires_at, revoked=False
        )
    )


async def session_user(conn: AsyncConnection, sid: str, now: float) -> tuple[User, float] | None:
    """The user of a live (not revoked, not expired) session and when it expires, or None."""
    s = t.auth_sessions.c
    row = (
        await conn.execute(
            select(t.users, s.expires_at.label("session_expires_at"))
            .join(t.auth_sessions, and_(s.user_id == t.users.c.id, s.id == sid))
            .where(s.revoked.is_(False), s.expires_at > now)
        )
    ).first()
    return (user_from(row), float(row.session_expires_at)) if row else None


async def credential_epoch(conn: AsyncConnection) -> int:
    """The counter revocations move on (see `tables.CredentialEpochRow`)."""
    return int(await conn.scalar(select(t.credential_epoch.c.value)) or 0)


async def bump_credential_epoch(conn: AsyncConnection) -> None:
    c = t.credential_epoch.c
    await conn.execute(update(t.credential_epoch).values(value=c.value + 1))


async def revoke_session(conn: AsyncConnection, sid: str) -> None:
    await conn.execute(
        update(t.auth_sessions).where(t.auth_sessions.c.id == sid).values(revoked=True)
    )


async def revoke_user_sessions(conn: AsyncConnection, user_id: str) -> None:
    """Every session of a user ends."""
    s = t.auth_sessions.c
    await conn.execute(update(t.auth_sessions).where(s.user_id == user_id).values(revoked=True))


async def prune_sessions(conn: AsyncConnection, now: float) -> None:
    """Expired sessions can no longer be used: their rows go."""
    await conn.execute(delete(t.auth_sessions).where(t.auth_sessions.c.expires_at < now))


async def password_hash(conn: AsyncConnection, user_id: str) -> str | None:
    found = await conn.scalar(select(t.users.c.password_hash).where(t.users.c.id == user_id))
    return str(found) if found is not None else None


async def set_credentials(
    conn: AsyncConnection, user_id: str, password_hash: str | None, must_change: bool | None
) -> None:
    """A new password (or, with None, only a deactivation): the credential version moves on,
    which ends every token and page session issued before."""
    values: dict[str, Any] = {"credential_version": t.users.c.credential_version + 1}
    if password_hash is not None:
        values["password_hash"] = password_hash
    if must_change is not None:
        values["must_change_password"] = must_change
    await conn.execute(update(t.users).where(t.users.c.id == user_id).values(**values))
