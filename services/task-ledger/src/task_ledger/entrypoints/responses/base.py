"""What every response model shares: built from domain objects by attribute, datetimes
always with their zone."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict


def aware(at: datetime | None) -> datetime | None:
    """SQLite hands back naive UTC datetimes; the API always says which zone it means."""
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


class Out(BaseModel):
    # Built from domain dataclasses and rows by attribute.
    model_config = ConfigDict(from_attributes=True)
