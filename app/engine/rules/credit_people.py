"""Credit kinds that count the household's persons: per person, base + extra, by age, per CU.

Guarantees:
- amounts are exact (``Q``) and never negative (every amount in the document is >= 0);
- ``max_persons`` caps how many persons count; the oldest are counted first, so the first
  (oldest) person always counts and a cap never favours younger members over older ones;
- age bands (``credit_bands``) are compiled at parse time into a table indexed by age;
  ages are the ``Context``'s (cached per household), taken on ``age_reference_day``;
- the credit never decreases when a person joins, except with BOTH age bands and
  ``max_persons``: counting the oldest first, an older newcomer can push a better-paid
  younger person out of the count (tested and documented for the committee).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.engine.exact import Q
from app.engine.explain import Step, register_messages, step
from app.engine.resources import Context
from app.engine.rules.combinators import q_cents
from app.engine.rules.credit_bands import AgeBands, read_bands
from app.engine.rules.nodes import CREDIT_KINDS, Kinds, Node
from app.engine.rules.reader import Reader

register_messages(
    {
        "credit.per_person": {
            "fr": "{amount_cents} par personne pour {counted} personne(s) : {result_cents}.",
            "en": "{amount_cents} per person for {counted} person(s): {result_cents}.",
        },
        "credit.persons_capped": {
            "fr": "Le foyer compte {persons} personnes ; au plus {max_persons} sont comptées, "
            "les plus âgées d'abord.",
            "en": "The household has {persons} persons; at most {max_persons} are counted, "
            "oldest first.",
        },
        "credit.base_plus_extra": {
            "fr": "{base_cents} pour la première personne, plus {per_extra_person_cents} pour "
            "chacune des {extra_persons} autre(s) personne(s) : {result_cents}.",
            "en": "{base_cents} for the first person, plus {per_extra_person_cents} for each "
            "of the {extra_persons} other person(s): {result_cents}.",
        },
        "credit.first_person": {
            "fr": "{base_cents} pour la première personne (la plus âgée).",
            "en": "{base_cents} for the first person (the oldest).",
        },
        "credit.total": {
            "fr": "Total du crédit : {result_cents}.",
            "en": "Total credit: {result_cents}.",
        },
        "credit.per_consumption_unit": {
            "fr": "{amount_cents} par unité de consommation × {units} unité(s) : {result_cents}.",
            "en": "{amount_cents} per consumption unit × {units} unit(s): {result_cents}.",
        },
    }
)


def _counted(count: int, max_persons: int | None) -> int:
    return count if max_persons is None or count <= max_persons else max_persons


def _capped_step(path: str, persons: int, max_persons: int | None, trace: list[Step]) -> None:
    if max_persons is not None and persons > max_persons:
        trace.append(step(path, "credit.persons_capped", persons=persons, max_persons=max_persons))


@dataclass(frozen=True, slots=True)
class PerPerson:
    path: str
    amount_cents: int
    max_persons: int | None

    def evaluate(self, ctx: Context, trace: list[Step] | None) -> Q:
        persons = ctx.persons()
        counted = _counted(persons, self.max_persons)
        total = self.amount_cents * counted
        if trace is not None:
            _capped_step(self.path, persons, self.max_persons, trace)
            trace.append(
                step(
                    self.path,
                    "credit.per_person",
                    amount_cents=self.amount_cents,
                    counted=counted,
                    result_cents=total,
                )
            )
        return (total, 1)


@dataclass(frozen=True, slots=True)
class BasePlusExtra:
    """The first (oldest) person gets ``base_cents``; each other counted person a flat or
    age-banded amount."""

    path: str
    base_cents: int
    per_extra_person_cents: int | None
    bands: AgeBands | None
    max_persons: int | None

    def evaluate(self, ctx: Context, trace: list[Step] | None) -> Q:
        if self.bands is None:
            return self._flat(ctx, trace)
        ages = ctx.ages()
        counted = ages[: self.max_persons] if self.max_persons is not None else ages
        total = self.base_cents + self.bands.total(counted[1:])
        if trace is not None:
            _capped_step(self.path, len(ages), self.max_persons, trace)
            trace.append(step(self.path, "credit.first_person", base_cents=self.base_cents))
            self.bands.explain(counted[1:], trace)
            trace.append(step(self.path, "credit.total", result_cents=total))
        return (total, 1)

    def _flat(self, ctx: Context, trace: list[Step] | None) -> Q:
        persons = ctx.persons()
        extra = _counted(persons, self.max_persons) - 1
        per_extra = self.per_extra_person_cents or 0
        total = self.base_cents + per_extra * extra
        if trace is not None:
            _capped_step(self.path, persons, self.max_persons, trace)
            trace.append(
                step(
                    self.path,
                    "credit.base_plus_extra",
                    base_cents=self.base_cents,
                    per_extra_person_cents=per_extra,
                    extra_persons=extra,
                    result_cents=total,
                )
            )
        return (total, 1)


@dataclass(frozen=True, slots=True)
class AgeWeighted:
    path: str
    bands: AgeBands
    max_persons: int | None

    def evaluate(self, ctx: Context, trace: list[Step] | None) -> Q:
        ages = ctx.ages()
        counted = ages[: self.max_persons] if self.max_persons is not None else ages
        total = self.bands.total(counted)
        if trace is not None:
            _capped_step(self.path, len(ages), self.max_persons, trace)
            self.bands.explain(counted, trace)
            trace.append(step(self.path, "credit.total", result_cents=total))
        return (total, 1)


@dataclass(frozen=True, slots=True)
class PerConsumptionUnit:
    path: str
    amount_cents: int

    def evaluate(self, ctx: Context, trace: list[Step] | None) -> Q:
        units = ctx.consumption_units()
        value: Q = (self.amount_cents * units.numerator, units.denominator)
        if trace is not None:
            trace.append(
                step(
                    self.path,
                    "credit.per_consumption_unit",
                    amount_cents=self.amount_cents,
                    units=units,
                    result_cents=q_cents(value),
                )
            )
        return value


def read_max_persons(reader: Reader, doc: Mapping[str, Any], path: str) -> tuple[bool, int | None]:
    if "max_persons" not in doc:
        return True, None
    value = reader.integer(doc, "max_persons", path, minimum=1)
    return value is not None, value


def _parse_per_person(
    reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds
) -> Node | None:
    reader.only_keys(doc, ("kind", "amount_cents", "max_persons"), path)
    amount = reader.cents(doc, "amount_cents", path)
    ok, max_persons = read_max_persons(reader, doc, path)
    if amount is None or not ok:
        return None
    return PerPerson(path, amount, max_persons)


def _parse_base_plus_extra(
    reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds
) -> Node | None:
    reader.only_keys(
        doc,
        ("kind", "base_cents", "per_extra_person_cents", "extra_person_bands", "max_persons"),
        path,
    )
    base = reader.cents(doc, "base_cents", path)
    ok, max_persons = read_max_persons(reader, doc, path)
    flat = "per_extra_person_cents" in doc
    banded = "extra_person_bands" in doc
    if flat == banded:
        reader.add(
            f"{path}.per_extra_person_cents",
            "give either per_extra_person_cents or extra_person_bands (exactly one)",
        )
        return None
    per_extra = reader.cents(doc, "per_extra_person_cents", path) if flat else None
    bands = (
        read_bands(reader, doc["extra_person_bands"], f"{path}.extra_person_bands")
        if banded
        else None
    )
    if base is None or not ok or (per_extra is None and bands is None):
        return None
    return BasePlusExtra(path, base, per_extra, bands, max_persons)


def _parse_age_weighted(
    reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds
) -> Node | None:
    reader.only_keys(doc, ("kind", "bands", "max_persons"), path)
    if "bands" not in doc:
        reader.add(f"{path}.bands", "this field is required")
        return None
    bands = read_bands(reader, doc["bands"], f"{path}.bands")
    ok, max_persons = read_max_persons(reader, doc, path)
    if bands is None or not ok:
        return None
    return AgeWeighted(path, bands, max_persons)


def _parse_per_consumption_unit(
    reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds
) -> Node | None:
    reader.only_keys(doc, ("kind", "amount_cents"), path)
    amount = reader.cents(doc, "amount_cents", path)
    return PerConsumptionUnit(path, amount) if amount is not None else None


CREDIT_KINDS["per_person"] = _parse_per_person
CREDIT_KINDS["base_plus_extra"] = _parse_base_plus_extra
CREDIT_KINDS["age_weighted"] = _parse_age_weighted
CREDIT_KINDS["per_consumption_unit"] = _parse_per_consumption_unit
