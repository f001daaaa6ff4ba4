"""Domain errors. Their message is Chinese because people read it."""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the change; `str(error)` says why, in Chinese."""


class InvalidTransition(DomainError):
    pass


class PendingRequest(InvalidTransition):
    """Another request of the task awaits a decision and must be settled first (HTTP 409)."""


class NotAllowed(DomainError):
    """The user may see the object but not perform this action on it."""


class NotFound(DomainError):
    pass


class UnknownPlan(LookupError):
    """No plan, or more than one, answers to what was asked for (a monthly report's plan)."""


class RateLimited(DomainError):
    """Too many writes of one kind by one user in the current window."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
