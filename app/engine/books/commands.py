"""Commands and payload validation.

A ``Command`` is ``(kind, payload)``; the payload is canonical JSON. ``Fields`` reads a
payload field by field, collecting EVERY problem with its path (``households[2].credit_cents``)
and raising one ``InvalidCommand`` at ``done()``; unknown fields are refused too, so nothing
unchecked ever enters the journal. Money must be ``int`` cents (``bool`` and ``float`` are
refused), dates ``"YYYY-MM-DD"``, months ``"YYYY-MM"``, ids ``[A-Za-z0-9_.-]{1,100}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from app.engine.books.errors import InvalidCommand
from app.engine.period import Period
from app.engine.problems import Problem, join_path

KINDS = (
    "enrol_household",
    "change_facts",
    "adopt_rule_set",
    "run_month",
    "record_payment",
    "record_funding",
    "approve_merchant",
    "suspend_merchant",
    "purchase",
    "refund",
    "settle_merchants",
    "expire_credit",
    "reverse_entry",
    "close_month",
    "seal_month",
    "erase_member",
    "issue_tax_receipt",
)

_ID_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NO_DATE = date(1900, 1, 1)
_NO_PERIOD = Period(1900, 1)


@dataclass(frozen=True, slots=True)
class Command:
    """One command of the fund: ``kind`` (one of ``KINDS``) and its canonical JSON payload."""

    kind: str
    payload: Mapping[str, Any]


@lru_cache(maxsize=4096)
def period_of(text: str) -> Period:
    """``Period.parse``, exact form only (no padding), with a cache: replay parses the same
    few months millions of times."""
    period = Period.parse(text)
    if str(period) != text:
        raise ValueError(f'expected a month as "YYYY-MM", got {text!r}')
    return period


@lru_cache(maxsize=4096)
def period_of_date(day: date) -> Period:
    return Period(day.year, day.month)


@lru_cache(maxsize=65536)
def _date_of(text: str) -> date:
    return date.fromisoformat(text)


# The plain case of a hot payload (every field present and valid: nearly every purchase and
# payment replayed) is read by its handler in one expression with these; anything else is
# read again by ``Fields``, which names every problem. Each accepts exactly what the
# ``Fields`` method of the same rule accepts (tests/engine/test_books_commands.py).

# Ids that matched ``_ID_RE``: a household or merchant id recurs in thousands of commands,
# and a set lookup costs a fraction of the match. Bounded: cleared when full.
_IDS: set[str] = set()
# Day texts already read, with their month: a month of purchases has some thirty days.
_DAYS: dict[str, tuple[date, Period, str]] = {}
_CACHE_LIMIT = 65536


def are_ids(*values: Any) -> bool:
    """``Fields.ident`` accepts every one of ``values``."""
    for value in values:
        if type(value) is not str:
            return False
        if value in _IDS:  # only texts that matched are ever added
            continue
        if not _ID_RE.match(value):
            return False
        if len(_IDS) >= _CACHE_LIMIT:
            _IDS.clear()
        _IDS.add(value)
    return True


def day_or_none(value: Any) -> tuple[date, Period] | None:
    """The date ``Fields.day`` reads from ``value`` and its month, ``None`` where it refuses
    it."""
    read = _DAYS.get(value) if type(value) is str else None  # ``_day``'s cache
    if read is None and type(value) is str:
        read = _day(value)
    return None if read is None else (read[0], read[1])


def day_in_month(day: Any, month: Any) -> tuple[date, Period] | None:
    """The date and the month ``Fields.day`` and ``Fields.period`` read from ``day`` and
    ``month``, when both accept them and the day is in that month; ``None`` otherwise."""
    read = _DAYS.get(day) if type(day) is str else None  # ``_day``'s cache, without a call
    if read is None and type(day) is str:
        read = _day(day)
    if read is None or read[2] != month:
        return None
    return read[0], read[1]


def _day(text: str) -> tuple[date, Period, str] | None:
    """``(date, its month, the month's text)`` for a day text ``Fields.day`` accepts."""
    read = _DAYS.get(text)
    if read is None and _DATE_RE.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None
        month = f"{day.year:04d}-{day.month:02d}"
        if len(_DAYS) >= _CACHE_LIMIT:
            _DAYS.clear()
        read = _DAYS[text] = (day, period_of(month), month)
    return read


class Fields:
    """Reads one payload (or one nested object of it); problems are shared with the parent."""

    __slots__ = ("base", "data", "problems", "seen")

    def __init__(self, data: Any, base: str = "", problems: list[Problem] | None = None) -> None:
        self.problems: list[Problem] = [] if problems is None else problems
        self.base = base
        self.seen: set[str] = set()
        # type() first: an ABC isinstance check costs a microsecond per payload on replay.
        if type(data) is dict or isinstance(data, Mapping):
            self.data: Mapping[str, Any] = data
        else:
            self.data = {}
            self.problems.append(Problem(base or "payload", "expected an object"))

    def _get(self, key: str) -> Any:
        self.seen.add(key)
        if key not in self.data:
            self._bad(key, "is required")
            return None
        return self.data[key]

    def _bad(self, key: str, message: str) -> None:
        self.problems.append(Problem(join_path(self.base, key), message))

    def present(self, key: str) -> bool:
        return key in self.data

    def text(self, key: str, choices: Sequence[str] | None = None) -> str:
        value = self._get(key)
        if value is None and key not in self.data:
            return ""
        if not isinstance(value, str) or not value:
            self._bad(key, f"expected a non-empty string, got {value!r}")
            return ""
        if choices is not None and value not in choices:
            self._bad(key, f"expected one of {', '.join(choices)}, got {value!r}")
        return value

    def optional_text(self, key: str) -> str | None:
        if self.data.get(key, 0) is None:
            self.seen.add(key)
            return None
        return self.text(key)

    def ident(self, key: str) -> str:
        value = self.text(key)
        if value and not _ID_RE.match(value):
            self._bad(key, f"expected an id of letters, digits, '_', '.', '-', got {value!r}")
        return value

    def optional_ident(self, key: str) -> str | None:
        if self.data.get(key, 0) is None:
            self.seen.add(key)
            return None
        return self.ident(key)

    def integer(self, key: str, minimum: int = 0) -> int:
        value = self._get(key)
        if value is None and key not in self.data:
            return 0
        if type(value) is not int:
            self._bad(key, f"expected a whole number, got {value!r}")
            return 0
        if value < minimum:
            self._bad(key, f"must be at least {minimum}, got {value}")
        return value

    def cents(self, key: str, minimum: int = 1) -> int:
        """Integer cents (``bool``/``float``/strings refused), at least ``minimum``."""
        value = self._get(key)
        if value is None and key not in self.data:
            return 0
        if type(value) is not int:
            self._bad(key, f"expected integer cents, got {value!r}")
            return 0
        if value < minimum:
            self._bad(key, f"must be at least {minimum} cents, got {value}")
        return value

    def optional_cents(self, key: str, minimum: int = 0) -> int | None:
        if self.data.get(key, 0) is None:
            self.seen.add(key)
            return None
        return self.cents(key, minimum)

    def boolean(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            if key in self.data:
                self._bad(key, f"expected true or false, got {value!r}")
            return False
        return value

    def day(self, key: str) -> date:
        value = self._get(key)
        if value is None and key not in self.data:
            return _NO_DATE
        if isinstance(value, str) and _DATE_RE.match(value):
            try:
                return _date_of(value)
            except ValueError:
                pass
        self._bad(key, f'expected a date "YYYY-MM-DD", got {value!r}')
        return _NO_DATE

    def optional_day(self, key: str) -> date | None:
        if self.data.get(key, 0) is None:
            self.seen.add(key)
            return None
        return self.day(key)

    def period(self, key: str) -> Period:
        value = self._get(key)
        if value is None and key not in self.data:
            return _NO_PERIOD
        if isinstance(value, str):
            try:
                return period_of(value)
            except ValueError:
                pass
        self._bad(key, f'expected a month "YYYY-MM", got {value!r}')
        return _NO_PERIOD

    def objects(self, key: str) -> list[Fields]:
        """A list of objects, each read by its own ``Fields`` with the indexed path."""
        value = self._get(key)
        if value is None and key not in self.data:
            return []
        if not isinstance(value, list):
            self._bad(key, f"expected a list, got {type(value).__name__}")
            return []
        path = join_path(self.base, key)
        return [Fields(item, join_path(path, i), self.problems) for i, item in enumerate(value)]

    def strings(self, key: str) -> list[str]:
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            if key in self.data:
                self._bad(key, "expected a list of non-empty strings")
            return []
        return value

    def raw(self, key: str) -> Any:
        return self._get(key)

    def check_unknown(self) -> None:
        for key in self.data:
            if key not in self.seen:
                self._bad(key, "is not a field of this command")

    def done(self) -> None:
        """Refuse unknown fields, then raise ``InvalidCommand`` if anything was wrong."""
        # Fast path: with no problem, every key read was present, so equal counts mean
        # every present key was read.
        if self.problems or len(self.seen) != len(self.data):
            self.check_unknown()
        if self.problems:
            raise InvalidCommand(self.problems)

    def require(self, ok: bool, key: str, message: str) -> None:
        if not ok:
            self._bad(key, message)
