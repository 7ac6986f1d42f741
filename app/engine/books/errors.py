"""Errors of the books core. Each subclass is one kind of refusal the service maps to HTTP.

No HTTP codes here. Every error carries ``problems`` (path + message) like every engine error.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.engine.problems import EngineError, Problem


class BooksError(EngineError):
    """Base of every refusal of the books core."""


class InvalidCommand(BooksError):
    """The command's payload is malformed (wrong type, not integer cents, bad date...)."""


class NotFound(BooksError):
    """An unknown household, merchant, purchase or entry is referenced."""


class Conflict(BooksError):
    """The command contradicts the current state (month closed, already credited...)."""


class MonthNotOpen(Conflict):
    """The month is closed or sealed: it takes no entry (corrections go into a later month)."""


class MonthNotClosed(Conflict):
    """A month must be closed first: sealing an open month, or closing a month while an
    earlier month is still open (months close in order)."""


class MerchantUnavailable(Conflict):
    """The merchant is suspended, or the day is outside its approval dates."""


class AlreadyAdopted(Conflict):
    """This rule-set version (same content hash) is already adopted."""


class InsufficientCredit(BooksError):
    """Spending (or taking back) credit would overdraw a member's credit."""

    def __init__(
        self, problems: Sequence[Problem], available_cents: int, requested_cents: int
    ) -> None:
        super().__init__(problems)
        self.available_cents = available_cents
        self.requested_cents = requested_cents


class UnbalancedEntry(BooksError):
    """An entry the core built does not balance: a defect of the core, never of the input."""


def problem(path: str, message: str) -> tuple[Problem, ...]:
    """A one-problem tuple, the usual argument of a refusal."""
    return (Problem(path, message),)
