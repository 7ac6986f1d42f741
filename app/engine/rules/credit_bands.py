"""Amounts by age band, for the credit kinds that pay persons by age.

Guarantees: a band list has distinct ``min_age`` values and one band starting at 0, so every
age has exactly one amount; it is compiled at parse time into a table indexed by age, so the
hot path is one tuple read per person; explanations group persons by band, oldest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.engine.explain import Step, register_messages, step
from app.engine.rules.reader import Reader

MAX_AGE = 130

register_messages(
    {
        "credit.band.open": {
            "fr": "{count} personne(s) de {min_age} ans ou plus, à {amount_cents} chacune : "
            "{subtotal_cents}.",
            "en": "{count} person(s) aged {min_age} or more, at {amount_cents} each: "
            "{subtotal_cents}.",
        },
        "credit.band.range": {
            "fr": "{count} personne(s) de {min_age} à {max_age} ans, à {amount_cents} chacune : "
            "{subtotal_cents}.",
            "en": "{count} person(s) aged {min_age} to {max_age}, at {amount_cents} each: "
            "{subtotal_cents}.",
        },
    }
)


@dataclass(frozen=True, slots=True)
class AgeBands:
    """Amounts by age band, compiled to ``table[age]`` (ages past the table use its end)."""

    path: str
    min_ages: tuple[int, ...]  # descending, last is 0
    amounts_cents: tuple[int, ...]  # same order as min_ages
    table: tuple[int, ...]  # amount for age 0..min_ages[0]

    def total(self, ages: Sequence[int]) -> int:
        table = self.table
        last = len(table) - 1
        total = 0
        for age in ages:
            total += table[age if age < last else last]
        return total

    def explain(self, ages: Sequence[int], trace: list[Step]) -> None:
        """One step per band that has persons, oldest band first."""
        for index, min_age in enumerate(self.min_ages):
            upper = self.min_ages[index - 1] if index > 0 else None
            count = sum(1 for a in ages if a >= min_age and (upper is None or a < upper))
            if count == 0:
                continue
            amount = self.amounts_cents[index]
            params: dict[str, Any] = {
                "count": count,
                "min_age": min_age,
                "amount_cents": amount,
                "subtotal_cents": amount * count,
            }
            if upper is None:
                trace.append(step(self.path, "credit.band.open", **params))
            else:
                trace.append(step(self.path, "credit.band.range", max_age=upper - 1, **params))


def read_bands(reader: Reader, value: Any, path: str) -> AgeBands | None:
    """``[{min_age, amount_cents}, ...]``: distinct ages, one band at 0; any order."""
    items = reader.sequence(value, path, min_items=1)
    if items is None:
        return None
    pairs: dict[int, int] = {}
    ok = True
    for index, item in enumerate(items):
        where = f"{path}[{index}]"
        band = reader.mapping(item, where)
        if band is None:
            ok = False
            continue
        reader.only_keys(band, ("min_age", "amount_cents"), where)
        min_age = reader.integer(band, "min_age", where, minimum=0, maximum=MAX_AGE)
        amount = reader.cents(band, "amount_cents", where)
        if min_age is None or amount is None:
            ok = False
        elif min_age in pairs:
            reader.add(f"{where}.min_age", f"two bands start at age {min_age}")
            ok = False
        else:
            pairs[min_age] = amount
    if ok and 0 not in pairs:
        reader.add(path, "one band must start at min_age 0 so every age has an amount")
        ok = False
    if not ok:
        return None
    min_ages = tuple(sorted(pairs, reverse=True))
    table = tuple(pairs[max(m for m in min_ages if m <= age)] for age in range(min_ages[0] + 1))
    return AgeBands(path, min_ages, tuple(pairs[m] for m in min_ages), table)
