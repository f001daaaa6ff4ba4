"""Checking the hash-chained audit trail (`duban audit verify`)."""

from __future__ import annotations

from duban_common.db import make_engine
from task_ledger.adapters.audit import ChainReport, verify_chain


async def verify_audit_trail(database_url: str) -> ChainReport:
    """Walk the whole chain of the ledger at `database_url`; names the first broken record."""
    engine = make_engine(database_url)
    try:
        return await verify_chain(engine)
    finally:
        await engine.dispose()
