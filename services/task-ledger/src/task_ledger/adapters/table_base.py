"""The ledger's SQLModel base (its own MetaData, so other services' models never mix in) and
the column helpers its table modules share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from duban_common.db import UtcDateTime


class LedgerBase(SQLModel, registry=registry()):
    pass


def json_field(**kw: Any) -> Any:
    return Field(default=None, sa_column=Column(JSON, **kw))


def ts_field(nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default=None,
        sa_column=Column(UtcDateTime(), nullable=nullable, index=index),
    )
