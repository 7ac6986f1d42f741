"""The benchmark rule, encoded with OpenFisca, timed over the same households as caisse.

Runs in its own environment (``bench/.venv-openfisca``, with ``openfisca-core``; never a
dependency of the project). ``bench/engine.py`` writes the dataset (one seed) and calls:

    bench/.venv-openfisca/bin/python -m bench.openfisca_engine --data DIR --period 2026-11

It prints one JSON line: households per CPU second (from the int64 columns: the birth dates'
conversion and building the simulation included) and writes each
household's contribution in cents (OpenFisca's float32 result, rounded half-up to the cent
as a member would be billed) to ``DIR/openfisca_contribution_cents.i64`` for comparison.

The rule is the one of ``bench.common.RULES``: contribution = income per consumption unit
(OECD-modified: oldest person 1, others 0.5 from age 14, 0.3 below) × a linear average rate
(1 % at 0, 3 % at 1 000 €, 5 % from 2 500 €), clamped to 1-150 €; credit 150 € for the oldest
person + 75 € per other person aged 14 or more + 45 € per other child under 14.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import date
from importlib.metadata import version
from pathlib import Path

import numpy
from openfisca_core.entities import build_entity
from openfisca_core.periods import ETERNITY, MONTH
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.taxscales import LinearAverageRateTaxScale
from openfisca_core.variables import Variable

from bench.common import SCALE_RATES, SCALE_THRESHOLDS_EUROS, read_dataset

Household = build_entity(
    key="household",
    plural="households",
    label="Household",
    roles=[{"key": "member", "plural": "members", "label": "Member"}],
)
Person = build_entity(key="person", plural="persons", label="Person", is_person=True)

SCALE = LinearAverageRateTaxScale()
for _threshold, _rate in zip(SCALE_THRESHOLDS_EUROS, SCALE_RATES, strict=True):
    SCALE.add_bracket(_threshold, _rate)
# OpenFisca's linear average rate is zero past its last threshold: a far bracket at the
# last rate keeps the rate flat beyond 2 500 €, as in caisse.
SCALE.add_bracket(1e9, SCALE_RATES[-1])


class birth_date(Variable):  # noqa: N801 (OpenFisca names variables in snake case)
    value_type = date
    entity = Person
    definition_period = ETERNITY
    label = "Birth date"


class age(Variable):  # noqa: N801
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Age on the first day of the month"

    def formula(person, period):  # type: ignore[no-untyped-def]  # noqa: N805
        born = person("birth_date", period)
        start = period.start
        years = born.astype("datetime64[Y]").astype(int) + 1970
        months = born.astype("datetime64[M]").astype(int) % 12 + 1
        days = (born - born.astype("datetime64[M]")).astype(int) + 1
        later = (months > start.month) | ((months == start.month) & (days > start.day))
        return numpy.maximum(0, start.year - years - later)


class income(Variable):  # noqa: N801
    value_type = float
    entity = Household
    definition_period = MONTH
    label = "Declared monthly income (euros)"


class consumption_units(Variable):  # noqa: N801
    value_type = float
    entity = Household
    definition_period = MONTH

    def formula(household, period):  # type: ignore[no-untyped-def]  # noqa: N805
        ages = household.members("age", period)
        weights = numpy.where(ages >= 14, 0.5, 0.3)
        oldest = household.max(ages)
        return 1 + household.sum(weights) - numpy.where(oldest >= 14, 0.5, 0.3)


class contribution(Variable):  # noqa: N801
    value_type = float
    entity = Household
    definition_period = MONTH

    def formula(household, period):  # type: ignore[no-untyped-def]  # noqa: N805
        per_unit = household("income", period) / household("consumption_units", period)
        return numpy.clip(SCALE.calc(per_unit), 1, 150)


class credit(Variable):  # noqa: N801
    value_type = float
    entity = Household
    definition_period = MONTH

    def formula(household, period):  # type: ignore[no-untyped-def]  # noqa: N805
        ages = household.members("age", period)
        extra = household.sum(numpy.where(ages >= 14, 75, 45))
        oldest = household.max(ages)
        return 150 + extra - numpy.where(oldest >= 14, 75, 45)


def tax_benefit_system() -> TaxBenefitSystem:
    system = TaxBenefitSystem([Household, Person])
    for variable in (birth_date, age, income, consumption_units, contribution, credit):
        system.add_variable(variable)
    return system


def run(folder: Path, period: str) -> dict[str, object]:
    data = read_dataset(folder)
    incomes = numpy.frombuffer(data.incomes_cents, dtype=numpy.int64)
    person_household = numpy.frombuffer(data.person_household, dtype=numpy.int64)
    births = numpy.frombuffer(data.person_birth_ordinal, dtype=numpy.int64)
    epoch = date(1970, 1, 1).toordinal()
    system = tax_benefit_system()
    # From the int64 columns on, as caisse's rate counts building its facts from them.
    started, wall = time.process_time(), time.perf_counter()
    birth_dates = (births - epoch).astype("datetime64[D]")
    builder = SimulationBuilder()
    builder.create_entities(system)
    builder.declare_person_entity("person", numpy.arange(len(births)))
    households = builder.declare_entity("household", numpy.arange(len(incomes)))
    builder.join_with_persons(households, person_household, ["member"] * len(births))
    simulation = builder.build(system)
    simulation.set_input("birth_date", ETERNITY, birth_dates)
    simulation.set_input("income", period, incomes / 100)
    contributions = simulation.calculate("contribution", period)
    credits = simulation.calculate("credit", period)
    elapsed = time.process_time() - started
    wall_seconds = time.perf_counter() - wall
    # Billing in cents, half-up, from OpenFisca's float32 result.
    cents = numpy.floor(
        contributions.astype(numpy.float32) * numpy.float32(100) + numpy.float32(0.5)
    )
    cents.astype(numpy.int64).tofile(folder / "openfisca_contribution_cents.i64")
    (numpy.rint(credits * 100).astype(numpy.int64)).tofile(folder / "openfisca_credit_cents.i64")
    return {
        "households": len(incomes),
        "seconds": elapsed,
        "wall_seconds": wall_seconds,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "households_per_second": len(incomes) / elapsed,
        "dtype": str(contributions.dtype),
        "openfisca_core": version("openfisca-core"),
        "numpy": numpy.__version__,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--period", default="2026-11")
    args = parser.parse_args(argv)
    json.dump(run(args.data, args.period), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
