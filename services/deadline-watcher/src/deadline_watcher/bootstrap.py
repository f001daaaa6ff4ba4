"""Composition root of the deadline watcher."""

from __future__ import annotations

MIGRATIONS = "deadline_watcher.adapters.migrations"
