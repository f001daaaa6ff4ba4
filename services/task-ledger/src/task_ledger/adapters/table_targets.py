"""Tables of targets and links (issues 23 and 24): indicators and their values, milestones
done, conflict decisions, plan and measure links. Exposed as Core tables by `tables`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Integer
from sqlmodel import Field

from task_ledger.adapters.table_base import LedgerBase
from task_ledger.adapters.table_base import json_field as _json
from task_ledger.adapters.table_base import ts_field as _ts


class IndicatorRow(LedgerBase, table=True):
    """A plan target tracked as a number on its task (docs/indicators.md)."""

    __tablename__ = "indicator"
    id: str = Field(primary_key=True, max_length=64)
    task_id: str = Field(max_length=64, index=True)
    measure_id: str = Field(max_length=64)
    position: int = 0
    name: str = Field(max_length=200)
    target: float
    unit: str = Field(max_length=20)
    due_on: date | None = None
    start_on: date | None = None
    baseline: float | None = None
    qualifier: str | None = Field(default=None, max_length=10)
    kind: str = Field(max_length=20)
    aggregation: str = Field(max_length=10)
    source_text: str = ""
    checkpoints: list[dict[str, Any]] | None = _json()
    dropped: bool = False
    updated_at: datetime | None = _ts()


class IndicatorValueRow(LedgerBase, table=True):
    """Each value reported for an indicator (the history); ``task_id`` is the reporting task,
    a child's for a decomposed task's share."""

    __tablename__ = "indicator_value"
    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    )
    indicator_id: str = Field(max_length=64, index=True)
    task_id: str = Field(max_length=64, index=True)
    report_id: str = Field(max_length=64)
    department_id: str = Field(max_length=64)
    value: float
    at: datetime | None = _ts()


class MilestoneDoneRow(LedgerBase, table=True):
    """A milestone (时间节点) of a task declared done by a progress report (its evidence)."""

    __tablename__ = "milestone_done"
    task_id: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=64)
    report_id: str = Field(max_length=64)
    at: datetime | None = _ts()


class IndicatorConflictDecisionRow(LedgerBase, table=True):
    """A person's choice on an indicator a plan states differently in two places (or from its
    superior plan), decided after import; `fingerprint` is the two statements decided on, so a
    later edit that makes them differ anew asks again."""

    __tablename__ = "indicator_conflict_decision"
    plan_id: str = Field(primary_key=True, max_length=64)
    conflict_id: str = Field(primary_key=True, max_length=64)
    fingerprint: str = Field(max_length=400)
    choice: str = Field(max_length=10)
    decided_by: str = Field(max_length=64)
    decided_at: datetime | None = _ts()


class PlanLinkRow(LedgerBase, table=True):
    """Plan cascade: the superior plan a plan implements (one at most), and who confirmed it."""

    __tablename__ = "plan_link"
    plan_id: str = Field(primary_key=True, max_length=64)
    superior_plan_id: str = Field(max_length=64, index=True)
    score: float | None = None
    reason: str | None = Field(default=None, max_length=500)
    confirmed_by: str = Field(max_length=64)
    confirmed_at: datetime | None = _ts()


class MeasureLinkRow(LedgerBase, table=True):
    """Plan cascade: a subordinate measure takes up a superior measure (many to many)."""

    __tablename__ = "measure_link"
    measure_id: str = Field(primary_key=True, max_length=64)
    superior_measure_id: str = Field(primary_key=True, max_length=64, index=True)
    plan_id: str = Field(max_length=64, index=True)
    superior_plan_id: str = Field(max_length=64, index=True)
    score: float | None = None
    reason: str | None = Field(default=None, max_length=1000)
    status: str = Field(max_length=20)  # proposed / confirmed / rejected
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = _ts(nullable=True)
