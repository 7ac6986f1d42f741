"""Shared by both benchmarks: the synthetic households and the realistic rule set.

Standard library only, so the OpenFisca environment can import it too. One seed gives one
dataset; both engines read the same one (``write_dataset`` / ``read_dataset``), so their
results can be compared household by household.

The randomness lives here, in the bench, never in the engine.
"""

from __future__ import annotations

import random
from array import array
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

PERIOD_TEXT = "2026-11"
REFERENCE_DAY = date(2026, 11, 1)  # ages are taken on the first day of the month

# Household sizes 1..6 (roughly the French distribution, larger households overweighted).
SIZE_WEIGHTS = (35, 30, 15, 12, 5, 3)

# The realistic rule set of issue 2, in the project's rule format.
RULES: dict[str, Any] = {
    "format": "caisse.rules/1",
    "id": "bench",
    "version": 1,
    "name": "Benchmark: linear average rate on income per CU, 150 € + 75 € / 45 €",
    "effective_from": "2026-01",
    "decision": "Benchmark rule set (issue 2)",
    "contribution": {
        "rounding": {"unit_cents": 1, "mode": "half_up"},
        "formula": {
            "kind": "clamp",
            "floor_cents": 100,
            "cap_cents": 15000,
            "of": {
                "kind": "linear_average_rate_scale",
                "base": "income_per_cu",
                "thresholds": [
                    {"from": 0, "rate": "0.01"},
                    {"from": 100000, "rate": "0.03"},
                    {"from": 250000, "rate": "0.05"},
                ],
            },
        },
    },
    "credit": {
        "rounding": {"unit_cents": 1, "mode": "half_up"},
        "formula": {
            "kind": "base_plus_extra",
            "base_cents": 15000,
            "extra_person_bands": [
                {"min_age": 14, "amount_cents": 7500},
                {"min_age": 0, "amount_cents": 4500},
            ],
        },
    },
    "rationing": {"method": "proportional"},
}

# Thresholds of the scale, for the OpenFisca encoding (euros, per consumption unit).
SCALE_THRESHOLDS_EUROS = (0.0, 1000.0, 2500.0)
SCALE_RATES = (0.01, 0.03, 0.05)


@dataclass(frozen=True)
class Dataset:
    """Columns: one row per household; persons flattened with their household's index,
    grouped by household in household order (as ``generate`` writes them)."""

    incomes_cents: array  # type: ignore[type-arg]
    person_household: array  # type: ignore[type-arg]
    person_birth_ordinal: array  # type: ignore[type-arg]

    @property
    def size(self) -> int:
        return len(self.incomes_cents)

    def head(self, count: int) -> Dataset:
        """The first ``count`` households and their persons."""
        persons = sum(1 for owner in self.person_household if owner < count)
        return Dataset(
            self.incomes_cents[:count],
            self.person_household[:persons],
            self.person_birth_ordinal[:persons],
        )

    def births_by_household(self) -> list[list[int]]:
        births: list[list[int]] = [[] for _ in range(self.size)]
        for household, birth in zip(self.person_household, self.person_birth_ordinal, strict=True):
            births[household].append(birth)
        return births


HOUSEHOLD_ID = "h%08d"


def household_id(index: int) -> str:
    return HOUSEHOLD_ID % index


def generate(size: int, seed: int) -> Dataset:
    """``size`` households of 1-6 persons with monthly incomes (cents) and birth dates."""
    rng = random.Random(seed)
    incomes = array("q")
    person_household = array("q")
    births = array("q")
    reference = REFERENCE_DAY.toordinal()
    sizes = rng.choices(range(1, 7), weights=SIZE_WEIGHTS, k=size)
    for index, persons in enumerate(sizes):
        # Log-normal-ish monthly income per household, 0 to ~12 000 €, some zero incomes.
        income = 0 if rng.random() < 0.03 else int(rng.lognormvariate(11.9, 0.6))
        incomes.append(min(income, 1_200_000))
        for rank in range(persons):
            if rank == 0 or (rank == 1 and rng.random() < 0.6):
                age_days = rng.randint(18 * 365, 90 * 365)
            else:
                age_days = rng.randint(0, 25 * 365)
            person_household.append(index)
            births.append(reference - age_days)
    return Dataset(incomes, person_household, births)


def write_dataset(dataset: Dataset, folder: Path) -> None:
    """Raw little-endian int64 columns, readable with ``numpy.fromfile``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("incomes_cents", "person_household", "person_birth_ordinal"):
        with (folder / f"{name}.i64").open("wb") as handle:
            getattr(dataset, name).tofile(handle)


def read_dataset(folder: Path) -> Dataset:
    columns = []
    for name in ("incomes_cents", "person_household", "person_birth_ordinal"):
        column = array("q")
        data = (folder / f"{name}.i64").read_bytes()
        column.frombytes(data)
        columns.append(column)
    return Dataset(*columns)
