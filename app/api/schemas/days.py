"""A calendar day the books can place in a month (the engine's months run 1900..9999)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator

FIRST_DAY = date(1900, 1, 1)


def _bookable(value: date) -> date:
    if value < FIRST_DAY:
        raise ValueError(f"expected a day from {FIRST_DAY.isoformat()} on")
    return value


Day = Annotated[date, AfterValidator(_bookable)]
