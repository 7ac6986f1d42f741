"""Credit kinds that adjust another credit formula: means-tested taper, proration by days.

Guarantees:
- ``means_tested``: amount − taper_rate × max(0, base − threshold), never below
  ``floor_cents`` (default 0), so the credit is never negative and non-increasing in the base;
- ``prorated``: the inner amount × active days / days in the month, exactly (no rounding
  here: the credit section rounds once). Membership dates are inclusive; a missing
  ``active_from`` / ``active_until`` means "from before" / "until after" the month. A
  household not active on any day of the month gets 0 with an explicit step, and its inner
  formula is not evaluated (it may lack facts it no longer needs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from functools import lru_cache
from typing import Any

from app.engine.exact import Q
from app.engine.explain import Step, register_messages, step
from app.engine.period import Period
from app.engine.resources import Context
from app.engine.rules.bases import BASE_WORDS, MONEY_BASES
from app.engine.rules.combinators import q_cents
from app.engine.rules.nodes import CREDIT_KINDS, Kinds, Node, parse_node
from app.engine.rules.reader import Reader

register_messages(
    {
        "credit.means_tested.below": {
            "fr": "Base retenue ({base_fr}) : {base_cents}, pas au-dessus du seuil de "
            "{threshold_cents} : pas de réduction.",
            "en": "Base used ({base_en}): {base_cents}, not above the threshold of "
            "{threshold_cents}: no reduction.",
        },
        "credit.means_tested.taper": {
            "fr": "Base retenue ({base_fr}) : {base_cents}, soit {excess_cents} au-dessus du "
            "seuil de {threshold_cents} ; le crédit baisse de {taper_rate} de ce dépassement "
            "({reduction_cents}) : {result_cents}.",
            "en": "Base used ({base_en}): {base_cents}, {excess_cents} above the threshold of "
            "{threshold_cents}; the credit goes down by {taper_rate} of the excess "
            "({reduction_cents}): {result_cents}.",
        },
        "credit.means_tested.floor": {
            "fr": "Le crédit ne descend pas sous le plancher de {floor_cents}.",
            "en": "The credit does not go below the floor of {floor_cents}.",
        },
        "credit.prorated.whole_month": {
            "fr": "Membre actif tout le mois : crédit entier.",
            "en": "Member for the whole month: full credit.",
        },
        "credit.prorated": {
            "fr": "Membre actif {active_days} jour(s) sur {month_days} ce mois-ci (du {first_on} "
            "au {last_on}) : {amount_cents} × {active_days}/{month_days} = {result_cents}.",
            "en": "Member for {active_days} of the {month_days} days of this month ({first_on} "
            "to {last_on}): {amount_cents} × {active_days}/{month_days} = {result_cents}.",
        },
        "credit.prorated.not_yet": {
            "fr": "L'adhésion commence le {active_from}, après ce mois : pas de crédit ce mois-ci "
            "(0,00 €).",
            "en": "Membership starts on {active_from}, after this month: no credit this month "
            "(€0.00).",
        },
        "credit.prorated.ended": {
            "fr": "L'adhésion a pris fin le {active_until}, avant ce mois : pas de crédit ce "
            "mois-ci (0,00 €).",
            "en": "Membership ended on {active_until}, before this month: no credit this month "
            "(€0.00).",
        },
    }
)


@dataclass(frozen=True, slots=True)
class MeansTested:
    path: str
    amount: Node
    base: str
    threshold: int
    taper: Q
    floor_cents: int

    def evaluate(self, ctx: Context, trace: list[Step] | None) -> Q:
        a_num, a_den = self.amount.evaluate(ctx, trace)
        b_num, b_den = ctx.base(self.base)
        excess_num = b_num - self.threshold * b_den
        if excess_num <= 0:
            result: Q = (a_num, a_den)
            reduction: Q = (0, 1)
        else:
            r_num, r_den = self.taper
            reduction = (r_num * excess_num, r_den * b_den)
            result = (a_num * reduction[1] - reduction[0] * a_den, a_den * reduction[1])
        floored = result[0] < self.floor_cents * result[1]
        if floored:
            result = (self.floor_cents, 1)
        if trace is not None:
            self._explain(trace, (b_num, b_den), (excess_num, b_den), reduction, result, floored)
        return result

    def _explain(
        self, trace: list[Step], base: Q, excess: Q, reduction: Q, result: Q, floored: bool
    ) -> None:
        words = BASE_WORDS[self.base]
        common: dict[str, Any] = {
            "base_fr": words[0],
            "base_en": words[1],
            "base_cents": q_cents(base),
            "threshold_cents": self.threshold,
        }
        if excess[0] <= 0:
            trace.append(step(self.path, "credit.means_tested.below", **common))
        else:
            trace.append(
                step(
                    self.path,
                    "credit.means_tested.taper",
                    excess_cents=q_cents(excess),
                    taper_rate=Fraction(*self.taper),
                    reduction_cents=q_cents(reduction),
                    result_cents=q_cents(result) if not floored else self.floor_cents,
                    **common,
                )
            )
        if floored:
            trace.append(step(self.path, "credit.means_tested.floor", floor_cents=self.floor_cents))


@lru_cache(maxsize=64)
def _month_bounds(period: Period) -> tuple[date, date]:
    """First and last day of a month; cached because every household of a run asks."""
    return period.first_day, period.last_day


@dataclass(frozen=True, slots=True)
class Prorated:
    path: str
    of: Node

    def evaluate(self, ctx: Context, trace: list[Step] | None) -> Q:
        facts = ctx.facts
        if facts.active_from is None and facts.active_until is None:
            return self._whole(ctx, trace)
        first_day, last_day = _month_bounds(ctx.period)
        if facts.active_from is not None and facts.active_from > last_day:
            if trace is not None:
                trace.append(
                    step(self.path, "credit.prorated.not_yet", active_from=str(facts.active_from))
                )
            return (0, 1)
        if facts.active_until is not None and facts.active_until < first_day:
            if trace is not None:
                trace.append(
                    step(self.path, "credit.prorated.ended", active_until=str(facts.active_until))
                )
            return (0, 1)
        start = max(first_day, facts.active_from or first_day)
        end = min(last_day, facts.active_until or last_day)
        active_days = (end - start).days + 1
        if active_days == last_day.day:
            return self._whole(ctx, trace)
        num, den = self.of.evaluate(ctx, trace)
        prorated: Q = (num * active_days, den * last_day.day)
        if trace is not None:
            trace.append(
                step(
                    self.path,
                    "credit.prorated",
                    active_days=active_days,
                    month_days=last_day.day,
                    first_on=str(start),
                    last_on=str(end),
                    amount_cents=q_cents((num, den)),
                    result_cents=q_cents(prorated),
                )
            )
        return prorated

    def _whole(self, ctx: Context, trace: list[Step] | None) -> Q:
        value = self.of.evaluate(ctx, trace)
        if trace is not None:
            trace.append(step(self.path, "credit.prorated.whole_month"))
        return value


def _parse_means_tested(
    reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds
) -> Node | None:
    reader.only_keys(
        doc, ("kind", "amount", "base", "threshold", "taper_rate", "floor_cents"), path
    )
    amount = None
    if "amount" not in doc:
        reader.add(f"{path}.amount", "this field is required (a credit formula)")
    else:
        amount = parse_node(reader, doc["amount"], f"{path}.amount", kinds)
    base = reader.text(doc, "base", path, choices=MONEY_BASES)
    threshold = reader.integer(doc, "threshold", path, minimum=0)
    taper = reader.rate(doc, "taper_rate", path)
    floor = reader.cents(doc, "floor_cents", path, required=False, default=0)
    if amount is None or base is None or threshold is None or taper is None or floor is None:
        return None
    return MeansTested(path, amount, base, threshold, (taper.numerator, taper.denominator), floor)


def _parse_prorated(reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds) -> Node | None:
    reader.only_keys(doc, ("kind", "of"), path)
    if "of" not in doc:
        reader.add(f"{path}.of", "this field is required (the credit formula to prorate)")
        return None
    of = parse_node(reader, doc["of"], f"{path}.of", kinds)
    return Prorated(path, of) if of is not None else None


CREDIT_KINDS["means_tested"] = _parse_means_tested
CREDIT_KINDS["prorated"] = _parse_prorated
