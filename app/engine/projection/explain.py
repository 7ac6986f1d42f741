"""A projected month in plain words (French first, English), with its assumptions.

The sentence states every figure of the month and the assumptions behind them, so a reader
can redo the sum: reserve at the start (with the month's subsidy) + contributions + funders'
shares − credits granted + credit expired = reserve at the end.
"""

from __future__ import annotations

from fractions import Fraction

from app.engine.money import format_cents
from app.engine.projection.simulate import ProjectedMonth, Projection

_TEXT = {
    "fr": (
        "{period} : {households} foyers ({arrivals} arrivées, {departures} départs), "
        "revenus × {factor}, dépense de {spend} du crédit disponible. Réserve au début "
        "{start} € (dont subvention {subsidy} €) + participations {contrib} € + parts des "
        "financeurs {shares} € − crédits accordés {credits} € (droits {entitled} €, budget "
        "{budget} €{cut}) + crédit expiré {expired} € = réserve à la fin {end} €."
    ),
    "en": (
        "{period}: {households} households ({arrivals} arrivals, {departures} departures), "
        "incomes × {factor}, {spend} of the spendable credit spent. Reserve at the start "
        "€{start} (subsidy €{subsidy} included) + contributions €{contrib} + funders' shares "
        "€{shares} − credits granted €{credits} (entitlements €{entitled}, budget "
        "€{budget}{cut}) + credit expired €{expired} = reserve at the end €{end}."
    ),
}
_CUT = {
    "fr": " : rationnement, {served} des droits servis, {shortfall} € manquent",
    "en": ": rationed, {served} of the entitlements served, €{shortfall} short",
}


def share_percent(rate: Fraction, sep: str = ",") -> str:
    """An exact share as a percentage with two decimals, rounded down (never flattering)."""
    hundredths = rate.numerator * 10_000 // rate.denominator
    return f"{format_cents(hundredths, sep)} %"


def explain_month(month: ProjectedMonth, lang: str = "fr") -> str:
    sep = "," if lang == "fr" else "."
    cut = ""
    if month.rationed:
        cut = _CUT[lang].format(
            served=share_percent(month.served, sep),
            shortfall=format_cents(month.shortfall_cents, sep),
        )
    return _TEXT[lang].format(
        period=month.period,
        households=month.households,
        arrivals=month.arrivals,
        departures=month.departures,
        factor=_factor(month.income_factor, sep),
        spend=share_percent(month.spend_rate, sep),
        start=format_cents(month.reserve_start_cents, sep),
        subsidy=format_cents(month.subsidy_cents, sep),
        contrib=format_cents(month.contributions_cents, sep),
        shares=format_cents(month.funder_shares_cents, sep),
        credits=format_cents(month.credits_cents, sep),
        entitled=format_cents(month.entitlements_cents, sep),
        budget=format_cents(month.budget_cents, sep),
        cut=cut,
        expired=format_cents(month.expired_cents, sep),
        end=format_cents(month.reserve_end_cents, sep),
    )


def _factor(value: Fraction, sep: str) -> str:
    """The income factor to six decimals, rounded down (exact value in the JSON)."""
    millionths = value.numerator * 1_000_000 // value.denominator
    whole, part = divmod(millionths, 1_000_000)
    return f"{whole}{sep}{part:06d}"


def summary(projection: Projection, lang: str = "fr") -> str:
    """When rationing would start, how deep, and the subsidy that would avoid it."""
    sep = "," if lang == "fr" else "."
    first, deepest = projection.first_rationed, projection.deepest
    if first is None or deepest is None:
        return (
            "Aucun rationnement sur la période projetée."
            if lang == "fr"
            else "No rationing over the months projected."
        )
    need = format_cents(projection.subsidy_to_avoid_cents, sep)
    served = share_percent(deepest.served, sep)
    if lang == "fr":
        return (
            f"Le rationnement commencerait en {first.period} ; au plus profond ({deepest.period}) "
            f"{served} des droits seraient servis. Une subvention de {need} € reçue avant "
            f"{projection.start} l'éviterait."
        )
    return (
        f"Rationing would start in {first.period}; at its deepest ({deepest.period}) {served} of "
        f"the entitlements would be served. A subsidy of €{need} received before "
        f"{projection.start} would avoid it."
    )
