"""Engagement (hours of participation): conditions, contribution offsets, credit bonuses.

```yaml
engagement:
  credit_requires_minutes: 120                       # below -> credit 0, with the reason
  contribution_offset: {per_hour_cents: 500, cap_cents: 2000}
  credit_bonus: {per_hour_cents: 300, cap_cents: 1500}
```

Guarantees:
- hours are valued pro rata to the minute: ``per_hour_cents × minutes / 60`` rounded DOWN to
  the cent (a member is never credited a cent not earned), then capped at ``cap_cents``;
- the offset never brings the contribution below 0;
- below ``credit_requires_minutes`` the credit is 0 (and so is any funder's share of it),
  with the reason in the explanation; no bonus is added to a credit of 0;
- the hours are read only by the clauses that use them: a household without
  ``engagement_minutes`` gets ``NeedsData("engagement_minutes")`` (never a silent zero)
  when a clause reads them, and nothing is asked of it when the rules have no engagement
  section;
- every clause that exists shows in the explanation, even when it changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.engine.explain import Step, register_messages, step
from app.engine.resources import Context, NeedsData
from app.engine.rules.reader import Reader

register_messages(
    {
        "engagement.offset": {
            "fr": "Engagement : {engagement_minutes} à {per_hour_cents} de l'heure valent "
            "{earned_cents} (au plus {cap_cents}) ; {offset_cents} sont déduits de votre "
            "participation, qui passe à {result_cents}.",
            "en": "Engagement: {engagement_minutes} at {per_hour_cents} an hour are worth "
            "{earned_cents} (at most {cap_cents}); {offset_cents} is taken off your "
            "contribution, which becomes {result_cents}.",
        },
        "engagement.requirement.met": {
            "fr": "Le crédit demande au moins {required_minutes} de participation dans le mois ; "
            "vous en avez {engagement_minutes} : condition remplie.",
            "en": "The credit requires at least {required_minutes} of participation in the "
            "month; you have {engagement_minutes}: condition met.",
        },
        "engagement.requirement.unmet": {
            "fr": "Le crédit demande au moins {required_minutes} de participation dans le mois ; "
            "vous en avez {engagement_minutes} : pas de crédit ce mois-ci (0,00 €).",
            "en": "The credit requires at least {required_minutes} of participation in the "
            "month; you have {engagement_minutes}: no credit this month (€0.00).",
        },
        "engagement.bonus": {
            "fr": "Engagement : {engagement_minutes} à {per_hour_cents} de l'heure valent "
            "{earned_cents} (au plus {cap_cents}) ; {bonus_cents} sont ajoutés à votre crédit, "
            "qui passe à {result_cents}.",
            "en": "Engagement: {engagement_minutes} at {per_hour_cents} an hour are worth "
            "{earned_cents} (at most {cap_cents}); {bonus_cents} is added to your credit, "
            "which becomes {result_cents}.",
        },
    }
)


@dataclass(frozen=True, slots=True)
class HourlyValue:
    """A value per hour of participation, pro rata to the minute, capped."""

    path: str
    per_hour_cents: int
    cap_cents: int

    def earned_cents(self, minutes: int) -> int:
        """Rounded down to the cent: the member never gets a fraction of a cent not earned."""
        return self.per_hour_cents * minutes // 60

    def value_cents(self, minutes: int) -> int:
        earned = self.earned_cents(minutes)
        return earned if earned < self.cap_cents else self.cap_cents

    def step(self, code: str, minutes: int, result_cents: int, **applied: int) -> Step:
        """The step showing ``minutes`` valued at this rate (earned, cap), what of it was
        ``applied`` (one ``*_cents`` parameter) and the amount it leads to."""
        return step(
            self.path,
            code,
            engagement_minutes=minutes,
            per_hour_cents=self.per_hour_cents,
            earned_cents=self.earned_cents(minutes),
            cap_cents=self.cap_cents,
            result_cents=result_cents,
            **applied,
        )


def _minutes(ctx: Context) -> int:
    minutes = ctx.facts.engagement_minutes
    if minutes is None:
        raise NeedsData("engagement_minutes", "needs.engagement")
    return minutes


@dataclass(frozen=True, slots=True)
class Engagement:
    """The rule set's engagement clauses; each is optional, at least one is present."""

    path: str
    requires_minutes: int | None
    offset: HourlyValue | None
    bonus: HourlyValue | None

    def adjust_contribution(self, ctx: Context, amount_cents: int, trace: list[Step] | None) -> int:
        offset = self.offset
        if offset is None:  # no clause of the contribution reads the hours
            return amount_cents
        minutes = _minutes(ctx)
        value = offset.value_cents(minutes)
        applied = value if value < amount_cents else amount_cents
        result = amount_cents - applied
        if trace is not None:
            trace.append(offset.step("engagement.offset", minutes, result, offset_cents=applied))
        return result

    def adjust_credit(self, ctx: Context, amount_cents: int, trace: list[Step] | None) -> int:
        required = self.requires_minutes
        if required is None and self.bonus is None:  # no clause of the credit reads the hours
            return amount_cents
        minutes = _minutes(ctx)
        if required is not None:
            met = minutes >= required
            if trace is not None:
                code = "engagement.requirement.met" if met else "engagement.requirement.unmet"
                trace.append(
                    step(
                        f"{self.path}.credit_requires_minutes",
                        code,
                        required_minutes=required,
                        engagement_minutes=minutes,
                    )
                )
            if not met:
                # No credit, so no funder pays any share of it either.
                ctx.funder_share_cents = 0
                ctx.funder_id = None
                return 0
        bonus = self.bonus
        if bonus is None:
            return amount_cents
        value = bonus.value_cents(minutes)
        result = amount_cents + value
        if trace is not None:
            trace.append(bonus.step("engagement.bonus", minutes, result, bonus_cents=value))
        return result


def _hourly(
    reader: Reader, doc: Mapping[str, Any], key: str, path: str
) -> tuple[bool, HourlyValue | None]:
    if key not in doc:
        return True, None
    where = f"{path}.{key}"
    spec = reader.mapping(doc[key], where)
    if spec is None:
        return False, None
    reader.only_keys(spec, ("per_hour_cents", "cap_cents"), where)
    per_hour = reader.cents(spec, "per_hour_cents", where)
    cap = reader.cents(spec, "cap_cents", where)
    if per_hour is None or cap is None:
        return False, None
    return True, HourlyValue(where, per_hour, cap)


def parse_engagement(reader: Reader, value: Any, path: str) -> Engagement | None:
    doc = reader.mapping(value, path)
    if doc is None:
        return None
    clauses = ("credit_requires_minutes", "contribution_offset", "credit_bonus")
    reader.only_keys(doc, clauses, path)
    if not any(key in doc for key in clauses):
        reader.add(path, f"an engagement section needs at least one of {', '.join(clauses)}")
        return None
    requires = reader.integer(doc, "credit_requires_minutes", path, required=False, minimum=1)
    ok_requires = requires is not None or "credit_requires_minutes" not in doc
    ok_offset, offset = _hourly(reader, doc, "contribution_offset", path)
    ok_bonus, bonus = _hourly(reader, doc, "credit_bonus", path)
    if not (ok_requires and ok_offset and ok_bonus):
        return None
    return Engagement(path, requires, offset, bonus)
