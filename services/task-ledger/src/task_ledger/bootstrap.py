"""Composition root of the task ledger."""

from __future__ import annotations

MIGRATIONS = "task_ledger.adapters.migrations"
