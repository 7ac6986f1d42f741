"""Contributions owed and arrears: what a household owes month by month, and what the rule
document says happens to its credit while it has not paid.

Pure (standard library only). It guarantees:

- ``settle_oldest_first``: payments (every credit to the household's dues account) settle the
  oldest month first; per month ``paid_cents + outstanding_cents == owed_cents``, the parts
  sum exactly to what was paid, and what was paid beyond every month owed is ``ahead_cents``;
- ``unpaid_months``: the number of months before ``period`` with something outstanding: the
  fact the run passes in (``arrears_months``);
- ``ArrearsPolicy`` (the rule document's optional ``arrears`` section, default
  ``keep_crediting``): ``reduce`` withholds ``rate`` of the credit (rounded down to the
  cent: the household keeps the odd cent) once ``after_months`` months are unpaid;
  ``suspend`` withholds all of it from ``after_months``; a committee waiver (the household's
  ``arrears_waiver`` attribute, naming the decision) lifts either, and is cited;
- ``arrears_effect`` never raises a credit and never takes it below zero; its explanation
  step is in French and English (``app.engine.explain``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from app.engine.explain import Step, format_param, register_messages, step
from app.engine.period import Period
from app.engine.rules.reader import Reader

ARREARS_POLICIES = ("keep_crediting", "reduce", "suspend")
# The household attribute (``HouseholdFacts.attributes``) carrying a committee waiver: its
# value is the decision's reference (no personal data; the facts are committed, not journalled).
WAIVER_ATTRIBUTE = "arrears_waiver"

register_messages(
    {
        "arrears.reduce": {
            "fr": "Cotisations impayées depuis {months} mois (le barème réduit le crédit à "
            "partir de {after_months} mois) : {withheld_rate} du crédit de {entitlement_cents} est "
            "retenue, soit {withheld_cents} ; votre crédit est de {result_cents}.",
            "en": "Contributions unpaid for {months} months (the rules reduce the credit from "
            "{after_months} months): {withheld_rate} of the credit of {entitlement_cents} is withheld, "
            "{withheld_cents}; your credit is {result_cents}.",
        },
        "arrears.suspend": {
            "fr": "Cotisations impayées depuis {months} mois (le barème suspend le crédit à "
            "partir de {after_months} mois) : le crédit de {entitlement_cents} est suspendu.",
            "en": "Contributions unpaid for {months} months (the rules suspend the credit from "
            "{after_months} months): the credit of {entitlement_cents} is suspended.",
        },
        "arrears.waived": {
            "fr": "Cotisations impayées depuis {months} mois, mais le comité a levé la mesure "
            "(décision {decision}) : le crédit de {entitlement_cents} est versé en entier.",
            "en": "Contributions unpaid for {months} months, but the committee lifted the "
            "measure (decision {decision}): the credit of {entitlement_cents} is paid in full.",
        },
    }
)


@dataclass(frozen=True, slots=True)
class ArrearsPolicy:
    """What happens to a household's credit while its contributions are unpaid."""

    policy: str = "keep_crediting"
    after_months: int | None = None
    rate: Fraction | None = None

    def __post_init__(self) -> None:
        if self.policy not in ARREARS_POLICIES:
            raise ValueError(f"unknown arrears policy {self.policy!r}")
        if (self.policy == "keep_crediting") != (self.after_months is None):
            raise ValueError("after_months is given exactly when the policy is reduce or suspend")
        if self.after_months is not None and self.after_months < 1:
            raise ValueError("after_months must be at least 1")
        if (self.policy == "reduce") != (self.rate is not None):
            raise ValueError("rate is given exactly when the policy is reduce")
        if self.rate is not None and not 0 < self.rate <= 1:
            raise ValueError("rate must be above 0 and at most 1")

    def describe(self, lang: str = "fr") -> str:
        """The policy in words, for the rule document's readers."""
        fr = lang == "fr"
        if self.policy == "keep_crediting":
            return (
                "Impayés : le crédit continue d'être versé."
                if fr
                else "Arrears: the credit keeps being paid."
            )
        months = self.after_months
        waiver = (
            " Le comité peut lever la mesure pour un foyer (référence de sa décision)."
            if fr
            else " The committee may lift it for a household (reference of its decision)."
        )
        if self.policy == "suspend":
            return (
                f"Impayés : le crédit est suspendu à partir de {months} mois impayés." + waiver
                if fr
                else f"Arrears: the credit is suspended from {months} unpaid months." + waiver
            )
        percent = _percent(self.rate or Fraction(0), lang)
        return (
            f"Impayés : le crédit est réduit de {percent} à partir de {months} mois impayés."
            + waiver
            if fr
            else f"Arrears: the credit is reduced by {percent} from {months} unpaid months."
            + waiver
        )


def _percent(rate: Fraction, lang: str) -> str:
    return format_param("withheld_rate", rate, lang)


def parse_arrears(reader: Reader, value: Any, path: str) -> ArrearsPolicy:
    """``{policy: keep_crediting | reduce (rate, after_months) | suspend (after_months)}``;
    ``rate`` is a decimal string, the share of the credit withheld (``"0.5"``)."""
    doc = reader.section(value, path)
    if doc is None:
        return ArrearsPolicy()
    policy = reader.text(doc, "policy", path, choices=ARREARS_POLICIES)
    if policy == "keep_crediting":
        reader.only_keys(doc, ("policy",), path)
        return ArrearsPolicy()
    if policy == "suspend":
        reader.only_keys(doc, ("policy", "after_months"), path)
        months = reader.integer(doc, "after_months", path, minimum=1)
        return ArrearsPolicy("suspend", months) if months is not None else ArrearsPolicy()
    if policy == "reduce":
        reader.only_keys(doc, ("policy", "after_months", "rate"), path)
        months = reader.integer(doc, "after_months", path, minimum=1)
        rate = reader.rate(doc, "rate", path)
        if rate is not None and rate == 0:
            reader.add(f"{path}.rate" if path else "rate", "expected a rate above 0 (up to 1)")
            rate = None
        if months is not None and rate is not None:
            return ArrearsPolicy("reduce", months, rate)
    return ArrearsPolicy()


@dataclass(frozen=True, slots=True)
class MonthOwed:
    """One month's contribution and how much of it payments settled."""

    period: str
    owed_cents: int
    paid_cents: int

    @property
    def outstanding_cents(self) -> int:
        return self.owed_cents - self.paid_cents


def settle_oldest_first(
    owed: Sequence[tuple[str, int]], settled_cents: int
) -> tuple[tuple[MonthOwed, ...], int]:
    """Months owed (``(period, cents)``, any order) settled oldest first by ``settled_cents``;
    returns the months in order and what was paid beyond them (``ahead_cents``)."""
    left = max(0, settled_cents)
    months: list[MonthOwed] = []
    for period, cents in sorted(owed):
        part = min(cents, left)
        left -= part
        months.append(MonthOwed(period, cents, part))
    return tuple(months), left


def unpaid_months(months: Sequence[MonthOwed], before: Period) -> int:
    """Months before ``before`` still (partly) unpaid: the run's ``arrears_months`` fact."""
    limit = str(before)
    return sum(1 for month in months if month.period < limit and month.outstanding_cents > 0)


@dataclass(frozen=True, slots=True)
class ArrearsEffect:
    """The credit after the arrears policy, and the explanation step (``None``: no effect)."""

    credit_cents: int
    withheld_cents: int
    item: Step | None


def arrears_effect(
    policy: ArrearsPolicy, credit_cents: int, months: int, waiver: str | None
) -> ArrearsEffect:
    """Apply ``policy`` to a household ``months`` months in arrears (see the module docstring)."""
    if policy.after_months is None or months < policy.after_months or credit_cents <= 0:
        return ArrearsEffect(credit_cents, 0, None)
    common: dict[str, Any] = {
        "months": months,
        "after_months": policy.after_months,
        "entitlement_cents": credit_cents,
    }
    if waiver:
        item = step("arrears", "arrears.waived", decision=waiver, **common)
        return ArrearsEffect(credit_cents, 0, item)
    if policy.policy == "suspend":
        return ArrearsEffect(0, credit_cents, step("arrears", "arrears.suspend", **common))
    rate = policy.rate or Fraction(0)
    withheld = credit_cents * rate.numerator // rate.denominator
    left = credit_cents - withheld
    item = step(
        "arrears",
        "arrears.reduce",
        withheld_rate=rate,
        withheld_cents=withheld,
        result_cents=left,
        **common,
    )
    return ArrearsEffect(left, withheld, item)
