"""Working days in mainland China: the calendar lives in `duban_common.calendar` because the
ledger counts days late with it too (one calendar for every deadline)."""

from __future__ import annotations

from duban_common.calendar import CalendarError, WorkingCalendar

__all__ = ["CalendarError", "WorkingCalendar"]
