"""Months and ages. A ``Period`` is one calendar month; the engine never reads a clock."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """One calendar month, e.g. ``Period(2026, 11)``; text form ``"2026-11"``."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1..12, got {self.month}")
        if not 1900 <= self.year <= 9999:
            raise ValueError(f"year must be 1900..9999, got {self.year}")

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``"YYYY-MM"``; raises ValueError naming the expected form."""
        match = _PERIOD_RE.match(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f'expected a month as "YYYY-MM", got {text!r}')
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def days(self) -> int:
        """Number of days in the month (28..31)."""
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, self.days)

    def day(self, day_of_month: int | str) -> date:
        """The given day of this month; ``"last"`` or a day past the end means the last day."""
        if isinstance(day_of_month, str):
            if day_of_month != "last":
                raise ValueError(f'expected a day number or "last", got {day_of_month!r}')
            return self.last_day
        return date(self.year, self.month, min(day_of_month, self.days))

    def shift(self, months: int) -> Period:
        """The month ``months`` later (negative: earlier)."""
        index = self.year * 12 + (self.month - 1) + months
        return Period(index // 12, index % 12 + 1)

    def index(self) -> int:
        """A month counter: consecutive months differ by one."""
        return self.year * 12 + (self.month - 1)


def age_on(birth_on: date, day: date) -> int:
    """Age in whole years on ``day`` (a person born on 29 Feb ages on 1 March in common years)."""
    years = day.year - birth_on.year
    if (day.month, day.day) < (birth_on.month, birth_on.day):
        years -= 1
    return years
