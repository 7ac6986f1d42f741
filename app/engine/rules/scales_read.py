"""Reading a scale's document: its base and its thresholds.

Guarantees: a scale's ``thresholds`` is a non-empty list of ``{from, <value>}`` whose
``from`` are whole numbers in the base's unit, strictly increasing, the first 0, so every
base value >= 0 falls in exactly one slice; a rate scale's base is a money base and its
rates are also given over their least common denominator (integers for the hot path).
Every problem is reported to the ``Reader`` with its path, and nothing is returned then.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from math import lcm
from typing import Any

from app.engine.rules.bases import read_base, read_base_value
from app.engine.rules.reader import Reader


def read_thresholds(
    reader: Reader, doc: Mapping[str, Any], path: str, value_key: str
) -> list[tuple[int, Any]] | None:
    """``[{from, <value_key>}]``: from strictly increasing, the first 0; values read by key."""
    items = reader.sequence(doc.get("thresholds"), f"{path}.thresholds", min_items=1)
    if items is None:
        return None
    before = len(reader.problems)
    result: list[tuple[int, Any]] = []
    previous: int | None = None
    for index, where, entry in reader.entries(items, f"{path}.thresholds", ("from", value_key)):
        start = read_base_value(reader, entry, "from", where)
        if value_key == "rate":
            value: Any = reader.rate(entry, "rate", where)
        else:
            value = reader.cents(entry, value_key, where)
        if start is not None:
            if index == 0 and start != 0:
                reader.add(f"{where}.from", f"the first threshold must be 0, not {start}")
            elif previous is not None and start <= previous:
                reader.add(
                    f"{where}.from",
                    f"thresholds must be strictly increasing: {start} is not above {previous}",
                )
            previous = start
        result.append((start or 0, value))
    return result if len(reader.problems) == before else None


def read_scale(
    reader: Reader, doc: Mapping[str, Any], path: str, value_key: str, *, money_only: bool
) -> tuple[str, tuple[int, ...], tuple[Any, ...]] | None:
    """What every scale reads: its fields, its base, its thresholds as (starts, values)."""
    reader.only_keys(doc, ("kind", "base", "thresholds"), path)
    base = read_base(reader, doc, path, money_only=money_only)
    items = read_thresholds(reader, doc, path, value_key)
    if base is None or items is None:
        return None
    return base, tuple(start for start, _ in items), tuple(value for _, value in items)


def read_rate_scale(
    reader: Reader, doc: Mapping[str, Any], path: str
) -> tuple[str, tuple[int, ...], tuple[Fraction, ...], tuple[int, ...], int] | None:
    """A scale of rates on a money base: (base, starts, rates, numerators, denominator), the
    rates put over their least common denominator so evaluation stays in integers."""
    read = read_scale(reader, doc, path, "rate", money_only=True)
    if read is None:
        return None
    base, starts, rates = read
    denominator = lcm(*(rate.denominator for rate in rates))
    numerators = tuple(rate.numerator * (denominator // rate.denominator) for rate in rates)
    return base, starts, rates, numerators, denominator
