"""Days in request bodies: ``JsonDate`` is a date written as text (``"2027-01-31"``), the only
way JSON writes one; ``Day`` is such a date the books can place in a month (the engine's
months run 1900..9999)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

FIRST_DAY = date(1900, 1, 1)


def _written_as_text(value: object) -> object:
    # pydantic would read a number as seconds since 1970 (0 is 1970-01-01): a client that
    # sent a number meant something else, so it is refused like any other non-date.
    if value is None or isinstance(value, str | date):
        return value
    raise PydanticCustomError("date_type", "Input should be a valid date")


JsonDate = Annotated[date, BeforeValidator(_written_as_text)]


def _bookable(value: date) -> date:
    if value < FIRST_DAY:
        raise ValueError(f"expected a day from {FIRST_DAY.isoformat()} on")
    return value


Day = Annotated[JsonDate, AfterValidator(_bookable)]
