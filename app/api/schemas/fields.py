"""Field builders that make every field state its meaning, an example and its unit.

The unit is written into the description (read by people) and into ``x-unit`` (read by
tools and by the test that checks every field of the OpenAPI schema has one).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, Strict

CENTS_UNIT = "integer cents, e.g. 1250 = 12,50 €"
PERIOD_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
IDENT_PATTERN = r"^[A-Za-z0-9_.:-]{1,80}$"

# Strict: a JSON float (12.0), a string ("12") or a boolean is refused for a whole number.
StrictInt = Annotated[int, Strict()]


def described(description: str, example: Any, unit: str, **constraints: Any) -> Any:
    """A pydantic ``Field`` whose description ends with its unit; ``example`` is shown."""
    return Field(
        description=f"{description} Unit: {unit}.",
        examples=[example],
        json_schema_extra={"x-unit": unit},
        **constraints,
    )


def cents(description: str, example: int | None, **constraints: Any) -> Any:
    """A money field: integer cents."""
    return described(description, example, CENTS_UNIT, **constraints)


def period(description: str, example: str = "2027-01", **constraints: Any) -> Any:
    """A month, ``YYYY-MM``."""
    return described(
        description, example, 'month, text "YYYY-MM"', pattern=PERIOD_PATTERN, **constraints
    )


def ident(description: str, example: str, **constraints: Any) -> Any:
    """A pseudonymous identifier (letters, digits, ``_ . : -``; at most 80)."""
    return described(
        description,
        example,
        "identifier (text, at most 80 characters)",
        pattern=IDENT_PATTERN,
        **constraints,
    )
