"""Append-only, hash-chained audit trail.

Each record's hash covers its content and the previous record's hash, so editing or deleting
any record breaks the chain from there on; `verify_chain` names the first broken record.
Writers are serialized (a PostgreSQL advisory lock; SQLite has one writer) so the chain
never forks.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from duban_common.db import execute_rows
from task_ledger.adapters.tables import audit_log

GENESIS = "0" * 64
AUDIT_LOCK_KEY = 0x6C656467  # "ledg"
_LAST = select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
_LOCK = text("SELECT pg_advisory_xact_lock(:k)")


def plain(value: Any) -> Any:
    """JSON-safe copy (dates and enums as strings), exactly as the JSON column stores it."""
    return None if value is None else json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _utc_text(at: datetime) -> str:
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def record_hash(record: dict[str, Any], prev_hash: str) -> str:
    content = {
        "seq": int(record["seq"]),
        "at": _utc_text(record["at"]),
        "actor_id": record["actor_id"],
        "action": record["action"],
        "entity": record["entity"],
        "entity_id": record["entity_id"],
        "before": record["before"],
        "after": record["after"],
        "prev_hash": prev_hash,
    }
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    actor_id: str | None
    action: str
    entity: str
    entity_id: str
    before: Any = None
    after: Any = None


async def append_audit(conn: AsyncConnection, entries: list[AuditEntry], at: datetime) -> None:
    if not entries:
        return
    if conn.dialect.name == "postgresql":
        await conn.execute(_LOCK, {"k": AUDIT_LOCK_KEY})
    last = (await conn.execute(_LAST)).first()
    seq, prev = (int(last.seq), str(last.hash)) if last else (0, GENESIS)
    rows = []
    for entry in entries:
        seq += 1
        row = {
            "seq": seq,
            "at": at,
            "actor_id": entry.actor_id,
            "action": entry.action,
            "entity": entry.entity,
            "entity_id": entry.entity_id,
            "before": plain(entry.before),
            "after": plain(entry.after),
        }
        row["prev_hash"] = prev
        row["hash"] = prev = record_hash(row, prev)
        rows.append(row)
    await execute_rows(conn, insert(audit_log), rows)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None


async def verify_chain(engine: AsyncEngine, batch: int = 5000) -> ChainReport:
    """Walk the whole trail in order; report the first record whose link or hash is wrong."""
    prev, expected_seq, checked = GENESIS, 1, 0
    async with engine.connect() as conn:
        after = 0
        while True:
            rows = (
                (
                    await conn.execute(
                        select(audit_log)
                        .where(audit_log.c.seq > after)
                        .order_by(audit_log.c.seq)
                        .limit(batch)
                    )
                )
                .mappings()
                .all()
            )
            if not rows:
                return ChainReport(True, checked)
            for row in rows:
                seq = int(row["seq"])
                if seq != expected_seq:
                    return ChainReport(
                        False, checked, expected_seq, f"第 {expected_seq} 条记录缺失"
                    )
                if row["prev_hash"] != prev:
                    return ChainReport(
                        False, checked, seq, f"第 {seq} 条记录与前一条记录的链接不符"
                    )
                if record_hash(dict(row), prev) != row["hash"]:
                    return ChainReport(False, checked, seq, f"第 {seq} 条记录的内容被改动")
                prev, expected_seq, checked, after = row["hash"], seq + 1, checked + 1, seq
