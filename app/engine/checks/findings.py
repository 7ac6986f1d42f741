"""Findings of the property checks: what they say (French and English) and their evidence.

A ``Finding`` is a value: a severity, a stable code, a message per language and the
evidence (incomes and amounts, integer cents) that shows it. The builders here turn probe
results into findings; ``app.engine.checks`` decides which to build.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from app.engine.checks.probe import Composition
from app.engine.facts import HouseholdFacts
from app.engine.fund import assess_fund
from app.engine.money import format_cents, round_ratio
from app.engine.period import Period
from app.engine.ruleset import RuleSet

Evidence = tuple[tuple[str, int | str], ...]
Curve = list[tuple[int, int]]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True, slots=True)
class Finding:
    """One property of the rule set a committee should know about, with its evidence."""

    severity: Severity
    code: str
    message_fr: str
    message_en: str
    evidence: Evidence = ()

    def message(self, lang: str = "fr") -> str:
        return self.message_fr if lang == "fr" else self.message_en

    def as_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": {"fr": self.message_fr, "en": self.message_en},
            "evidence": dict(self.evidence),
        }


def _eur(cents: int, lang: str) -> str:
    return f"{format_cents(cents, ',')} €" if lang == "fr" else f"€{format_cents(cents, '.')}"


def _percent(bp: int, lang: str) -> str:
    text = f"{bp // 100}.{bp % 100:02d}"
    return f"{text.replace('.', ',')} %" if lang == "fr" else f"{text}%"


def not_assessed(shape: Composition) -> Finding:
    return Finding(
        Severity.INFO,
        "probe.not_assessed",
        f"Composition « {shape.french} » : aucun revenu sondé ne donne de participation "
        "(foyer non éligible ou donnée manquante) ; elle n'est pas vérifiée.",
        f'Composition "{shape.label}": no probed income gives a contribution (not eligible '
        "or missing data); it is not checked.",
        (("composition", shape.label),),
    )


def decreasing(shape: Composition, curve: Curve) -> list[Finding]:
    drops = [(a, b) for a, b in itertools.pairwise(curve) if b[1] < a[1]]
    if not drops:
        return []
    (i1, c1), (i2, c2) = drops[0]
    return [
        Finding(
            Severity.ERROR,
            "contribution.decreasing",
            f"Composition « {shape.french} » : avec {_eur(i2, 'fr')} de ressources, la "
            f"participation ({_eur(c2, 'fr')}) est plus basse qu'avec {_eur(i1, 'fr')} "
            f"({_eur(c1, 'fr')}) ; {len(drops)} baisse(s) en tout.",
            f'Composition "{shape.label}": with {_eur(i2, "en")} of resources the '
            f"contribution ({_eur(c2, 'en')}) is lower than with {_eur(i1, 'en')} "
            f"({_eur(c1, 'en')}); {len(drops)} decrease(s) in all.",
            (
                ("composition", shape.label),
                ("income_before_cents", i1),
                ("income_after_cents", i2),
                ("contribution_before_cents", c1),
                ("contribution_after_cents", c2),
                ("decreases", len(drops)),
            ),
        )
    ]


Point = tuple[int, int]


def jump(
    shape: Composition, low: Point, high: Point, declared: Sequence[tuple[Fraction, str]]
) -> Finding:
    size = high[1] - low[1]
    where = [path for income, path in declared if low[0] - 1 <= income <= high[0] + 1]
    evidence: Evidence = (
        ("composition", shape.label),
        ("income_below_cents", low[0]),
        ("income_above_cents", high[0]),
        ("contribution_below_cents", low[1]),
        ("contribution_above_cents", high[1]),
        ("jump_cents", size),
    )
    fr = (
        f"Composition « {shape.french} » : entre {_eur(low[0], 'fr')} et {_eur(high[0], 'fr')} "
        f"de ressources, la participation saute de {_eur(size, 'fr')} "
        f"({_eur(low[1], 'fr')} -> {_eur(high[1], 'fr')})"
    )
    en = (
        f'Composition "{shape.label}": between {_eur(low[0], "en")} and {_eur(high[0], "en")} '
        f"of resources the contribution jumps by {_eur(size, 'en')} "
        f"({_eur(low[1], 'en')} -> {_eur(high[1], 'en')})"
    )
    if where:
        return Finding(
            Severity.INFO,
            "contribution.jump",
            f"{fr}, au seuil déclaré {where[0]}.",
            f"{en}, at the declared threshold {where[0]}.",
            (*evidence, ("threshold", where[0])),
        )
    return Finding(
        Severity.WARNING,
        "contribution.jump",
        f"{fr}, hors de tout seuil déclaré.",
        f"{en}, away from any declared threshold.",
        evidence,
    )


def marginal(
    shape: Composition, steep: Sequence[tuple[Point, Point]], bound: Fraction
) -> list[Finding]:
    if not steep:
        return []
    low, high = max(
        steep, key=lambda pair: Fraction(pair[1][1] - pair[0][1], pair[1][0] - pair[0][0])
    )
    rate_bp = round_ratio((high[1] - low[1]) * 10000, high[0] - low[0])
    bound_bp = round_ratio(bound.numerator * 10000, bound.denominator)
    return [
        Finding(
            Severity.ERROR,
            "contribution.marginal_rate",
            f"Composition « {shape.french} » : entre {_eur(low[0], 'fr')} et "
            f"{_eur(high[0], 'fr')} de ressources, la participation augmente de "
            f"{_percent(rate_bp, 'fr')} des ressources en plus (limite {_percent(bound_bp, 'fr')}).",
            f'Composition "{shape.label}": between {_eur(low[0], "en")} and '
            f"{_eur(high[0], 'en')} of resources the contribution rises by "
            f"{_percent(rate_bp, 'en')} of the extra resources (limit {_percent(bound_bp, 'en')}).",
            (
                ("composition", shape.label),
                ("income_from_cents", low[0]),
                ("income_to_cents", high[0]),
                ("contribution_from_cents", low[1]),
                ("contribution_to_cents", high[1]),
                ("marginal_rate_bp", rate_bp),
                ("max_marginal_rate_bp", bound_bp),
                ("intervals", len(steep)),
            ),
        )
    ]


def _span(first: int, last: int, lang: str) -> str:
    if lang == "fr":
        if first == last:
            return f"à {_eur(first, 'fr')} de ressources"
        return f"de {_eur(first, 'fr')} à {_eur(last, 'fr')} de ressources"
    if first == last:
        return f"at {_eur(first, 'en')} of resources"
    return f"from {_eur(first, 'en')} to {_eur(last, 'en')} of resources"


def share(shape: Composition, curve: Curve, share: Fraction) -> list[Finding]:
    over = [(i, c) for i, c in curve if c * share.denominator > share.numerator * i]
    if not over:
        return []
    share_bp = round_ratio(share.numerator * 10000, share.denominator)
    (first, owed), last = over[0], over[-1][0]
    return [
        Finding(
            Severity.ERROR,
            "contribution.share_of_resources",
            f"Composition « {shape.french} » : la participation dépasse "
            f"{_percent(share_bp, 'fr')} des ressources {_span(first, last, 'fr')} "
            f"(par exemple {_eur(owed, 'fr')} pour {_eur(first, 'fr')}).",
            f'Composition "{shape.label}": the contribution is above '
            f"{_percent(share_bp, 'en')} of resources {_span(first, last, 'en')} "
            f"(e.g. {_eur(owed, 'en')} for {_eur(first, 'en')}).",
            (
                ("composition", shape.label),
                ("income_from_cents", first),
                ("income_to_cents", last),
                ("contribution_cents", owed),
                ("max_share_bp", share_bp),
                ("probes", len(over)),
            ),
        )
    ]


def budget(
    rules: RuleSet, households: Sequence[HouseholdFacts], period: Period, budget: int | None
) -> list[Finding]:
    month = assess_fund(rules, households, period, explain=False)
    totals = month.totals
    net = totals.credits_cents - totals.contributions_cents - totals.funder_shares_cents
    evidence: Evidence = (
        ("households", totals.households),
        *((f"status_{key}", count) for key, count in sorted(totals.by_status.items())),
        ("contributions_cents", totals.contributions_cents),
        ("credits_cents", totals.credits_cents),
        ("funder_shares_cents", totals.funder_shares_cents),
        ("net_cost_cents", net),
    )
    findings = [
        Finding(
            Severity.INFO,
            "budget.projection",
            f"Projection pour {period} sur {totals.households} foyers : participations "
            f"{_eur(totals.contributions_cents, 'fr')}, crédits {_eur(totals.credits_cents, 'fr')}, "
            f"part des financeurs {_eur(totals.funder_shares_cents, 'fr')}, coût net "
            f"{_eur(net, 'fr')}.",
            f"Projection for {period} over {totals.households} households: contributions "
            f"{_eur(totals.contributions_cents, 'en')}, credits {_eur(totals.credits_cents, 'en')}, "
            f"funders' share {_eur(totals.funder_shares_cents, 'en')}, net cost {_eur(net, 'en')}.",
            evidence,
        )
    ]
    left_out = totals.households - totals.by_status.get("assessed", 0)
    if left_out:
        findings.append(
            Finding(
                Severity.WARNING,
                "budget.incomplete",
                f"{left_out} foyer(s) sur {totals.households} ne sont pas comptés (données "
                "manquantes, non éligibles ou choix refusé) : la projection les omet.",
                f"{left_out} household(s) of {totals.households} are not counted (missing "
                "data, not eligible or choice refused): the projection leaves them out.",
                (("households", totals.households), ("not_counted", left_out)),
            )
        )
    if budget is not None and totals.credits_cents > budget:
        short = totals.credits_cents - budget
        findings.append(
            Finding(
                Severity.WARNING,
                "budget.short",
                f"Les crédits ({_eur(totals.credits_cents, 'fr')}) dépassent le budget "
                f"({_eur(budget, 'fr')}) de {_eur(short, 'fr')} : il faudra rationner.",
                f"Credits ({_eur(totals.credits_cents, 'en')}) exceed the budget "
                f"({_eur(budget, 'en')}) by {_eur(short, 'en')}: rationing will be needed.",
                (
                    ("budget_cents", budget),
                    ("credits_cents", totals.credits_cents),
                    ("short_cents", short),
                ),
            )
        )
    return findings
