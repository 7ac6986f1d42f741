"""Probing a rule set's contribution as a function of income, for the property checks.

Everything here is deterministic: the income grid is fixed, the household compositions are
fixed (birth dates derived from the period), and the thresholds come from the rule document
itself, so the same rule set always gives the same probes.

- ``thresholds(rules)``: every threshold the document declares on a resource base (bracket
  bounds, scale thresholds, anchor points, resource bounds, eligibility cut-offs), with
  whether a jump there is *declared* (bracket bounds and amount-scale thresholds are steps
  by design; elsewhere a contribution should be continuous);
- ``income_at(...)``: the household income at which a base reaches a threshold (exact);
- ``minimum_contribution(...)``: what a household owes at a given income; for a free choice,
  the lowest amount it may choose (the member who pays the least).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from fractions import Fraction
from typing import Any

from app.engine.assess import Status, assess
from app.engine.facts import HouseholdFacts, Person
from app.engine.period import Period
from app.engine.resources import Context, NeedsData
from app.engine.rules.nodes import Rejected
from app.engine.ruleset import RuleSet

# Income grid: 0 to 8 000 € a month, every 50 €.
GRID_STEP_CENTS = 5000
GRID_TOP_CENTS = 800000

# Bases a threshold can be turned into an income for (``persons`` is a count, not money).
_MONEY_BASES = ("income", "quotient_familial", "income_per_cu", "income_per_person")
_SCALE_KINDS = ("marginal_rate_scale", "marginal_amount_scale", "linear_average_rate_scale")
# Kinds whose thresholds are steps by design: a jump there is documented.
_STEP_KINDS = ("brackets", "marginal_amount_scale")


@dataclass(frozen=True, slots=True)
class Threshold:
    """A value of a resource base named by the document at ``path``."""

    path: str
    base: str
    value: int
    declares_jump: bool


@dataclass(frozen=True, slots=True)
class Composition:
    """A household shape probed at many incomes: ages (oldest first) and attributes.

    ``label`` (English) names it in evidence; ``label_fr`` in French messages.
    """

    label: str
    ages: tuple[int, ...]
    attributes: tuple[tuple[str, str], ...] = ()
    label_fr: str | None = None

    @property
    def french(self) -> str:
        return self.label_fr or self.label

    def facts(self, period: Period, income_cents: int) -> HouseholdFacts:
        persons = tuple(Person(date(period.year - age, 1, 1)) for age in self.ages)
        return HouseholdFacts(
            household_id=f"probe:{self.label}",
            persons=persons,
            income_cents=income_cents,
            engagement_minutes=0,
            attributes=dict(self.attributes),
        )


DEFAULT_COMPOSITIONS = (
    Composition("1 adult", (40,), label_fr="1 adulte"),
    Composition("2 adults", (40, 38), label_fr="2 adultes"),
    Composition("1 adult + 1 child (8)", (35, 8), label_fr="1 adulte + 1 enfant (8 ans)"),
    Composition(
        "2 adults + 2 children (15, 8)",
        (42, 40, 15, 8),
        label_fr="2 adultes + 2 enfants (15 et 8 ans)",
    ),
    Composition(
        "2 adults + 3 children (15, 8, 3)",
        (42, 40, 15, 8, 3),
        label_fr="2 adultes + 3 enfants (15, 8 et 3 ans)",
    ),
)


def compositions_for(
    households: Sequence[HouseholdFacts], limit: int = 8
) -> tuple[Composition, ...]:
    """The default shapes, once more for each attribute set seen in ``households``.

    Eligibility filters often read attributes (``scheme: caf``): probing only bare
    households would find every one of them not eligible.
    """
    seen = sorted({tuple(sorted(h.attributes.items())) for h in households} - {()})
    shapes = list(DEFAULT_COMPOSITIONS)
    for attributes in seen[:limit]:
        tag = ", ".join(f"{key}={value}" for key, value in attributes)
        shapes += [
            Composition(f"{shape.label} [{tag}]", shape.ages, attributes, f"{shape.french} [{tag}]")
            for shape in DEFAULT_COMPOSITIONS
        ]
    return tuple(shapes)


def thresholds(rules: RuleSet) -> tuple[Threshold, ...]:
    """Every declared threshold on a money base, in document order."""
    found: list[Threshold] = []
    document = rules.document
    for section in ("eligibility", "contribution"):
        if section in document:
            found.extend(_walk(document[section], section))
    return tuple(found)


def _walk(value: Any, path: str) -> Iterator[Threshold]:
    if isinstance(value, Mapping):
        yield from _own(value, path)
        for key in sorted(value):
            yield from _walk(value[key], f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")


def _own(doc: Mapping[str, Any], path: str) -> Iterator[Threshold]:
    """The thresholds a single clause declares (not those of its sub-clauses)."""
    base = doc.get("base")
    if base not in _MONEY_BASES:
        return
    kind = doc.get("kind")
    points: list[tuple[str, Any]] = []
    if kind == "brackets":
        for index, bracket in enumerate(_items(doc.get("brackets"))):
            points += [(f"brackets[{index}].{key}", bracket.get(key)) for key in ("from", "to")]
    elif kind in _SCALE_KINDS:
        for index, item in enumerate(_items(doc.get("thresholds"))):
            points.append((f"thresholds[{index}].from", item.get("from")))
    elif kind == "linear":
        for key in ("from", "to"):
            anchor = doc.get(key)
            points.append(
                (f"{key}.base", anchor.get("base") if isinstance(anchor, Mapping) else None)
            )
    elif kind == "effort_rate":
        points += [(key, doc.get(key)) for key in ("resources_floor_cents", "resources_cap_cents")]
    elif kind == "means_tested":
        points.append(("threshold", doc.get("threshold")))
    elif kind is None:  # an eligibility condition on a base
        points += [(key, doc.get(key)) for key in ("at_most", "at_least")]
    for where, raw in points:
        if isinstance(raw, int) and not isinstance(raw, bool):
            yield Threshold(f"{path}.{where}", str(base), raw, kind in _STEP_KINDS)


def _items(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, (list, tuple)):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def income_at(
    rules: RuleSet, shape: Composition, period: Period, threshold: Threshold
) -> Fraction | None:
    """The household income (exact cents) at which ``threshold.base`` equals its value."""
    ctx = Context(shape.facts(period, 0), period, rules.definitions)
    value = Fraction(threshold.value)
    if threshold.base == "income":
        return value
    if threshold.base == "income_per_person":
        return value * len(shape.ages)
    if threshold.base == "income_per_cu":
        return value * ctx.consumption_units()
    if threshold.base == "quotient_familial":
        return value * ctx.family_parts()
    return None


def probe_incomes(
    rules: RuleSet, shape: Composition, period: Period, found: Sequence[Threshold]
) -> list[int]:
    """The grid, plus whole cents on both sides of every threshold, sorted, distinct."""
    points = set(range(0, GRID_TOP_CENTS + 1, GRID_STEP_CENTS))
    for threshold in found:
        income = income_at(rules, shape, period, threshold)
        if income is None:
            continue
        low = income.numerator // income.denominator
        points.update(p for p in (low - 1, low, low + 1, low + 2) if p >= 0)
    return sorted(points)


def minimum_contribution(
    rules: RuleSet, shape: Composition, period: Period, income_cents: int
) -> int | None:
    """What the household owes at ``income_cents`` (the lowest free choice, if any).

    ``None`` when the household is not assessed at that income (not eligible, or a fact the
    probe cannot provide is needed).
    """
    facts = replace(shape.facts(period, income_cents), chosen_contribution_cents=0)
    result = assess(rules, facts, period, explain=False)
    if result.status is Status.ASSESSED:
        return result.contribution_cents
    if result.status is not Status.REJECTED:
        return None
    lowest = _lowest_choice(rules, facts, period)
    if lowest is None:
        return None
    result = assess(rules, replace(facts, chosen_contribution_cents=lowest), period, explain=False)
    return result.contribution_cents if result.status is Status.ASSESSED else None


def _lowest_choice(rules: RuleSet, facts: HouseholdFacts, period: Period) -> int | None:
    """The free choice's lower bound, read from the clause that offers it."""
    ctx = Context(facts, period, rules.definitions)
    with contextlib.suppress(NeedsData, Rejected):
        rules.contribution.node.evaluate(ctx, None)
    lowest = getattr(ctx.choice, "min_cents", None)
    return lowest if isinstance(lowest, int) else None
