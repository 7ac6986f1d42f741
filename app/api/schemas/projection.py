"""The sustainability projection: assumptions in, the months ahead out (aggregates only)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from app.api.schemas.fields import StrictInt, cents, described, period
from app.api.schemas.months import RuleSetRefOut
from app.api.schemas.rules import EXAMPLE_RULES, RULES_DOCUMENT_DESCRIPTION

RATE_UNIT = 'exact rate, decimal text such as "0.01"'
FRACTION_UNIT = 'exact fraction, text "numerator/denominator"'
COUNT = "number of households"
TEXTS = "object of texts by language (fr, en)"


class AssumptionsIn(BaseModel):
    """What the projection assumes, month by month."""

    model_config = ConfigDict(extra="forbid")

    months: StrictInt = described("How many months ahead.", 12, "months", ge=1, le=60, default=12)
    arrivals_per_month: StrictInt = described(
        "Households joining before each month's run (clones of existing profiles, in id order).",
        0,
        COUNT,
        ge=0,
        le=100_000,
        default=0,
    )
    departures_per_month: StrictInt = described(
        "Households leaving before each month's run (smallest ids first).", 0, COUNT, ge=0,
        le=100_000, default=0,
    )  # fmt: skip
    income_drift: str = described(
        "Monthly change of every income, compounded (0.01 = +1 % a month).", "0", RATE_UNIT,
        max_length=40, default="0",
    )  # fmt: skip
    spend_rate: str = described(
        "Share of the spendable credit each household spends a month, 0 to 1.", "0.9",
        RATE_UNIT, max_length=40, default="1",
    )  # fmt: skip
    subsidies: dict[str, StrictInt] = described(
        "Subsidies received before the run of the given months, in cents.",
        {"2027-03": 500000},
        "object: month YYYY-MM -> cents",
        default_factory=dict,
    )


class ProjectionRequest(BaseModel):
    """A projection: the rules in force (or a draft), and optionally a second draft."""

    model_config = ConfigDict(extra="forbid")

    assumptions: AssumptionsIn = described("The stated assumptions.", {"months": 12}, "object")
    start: str | None = period(
        "First month projected (default: the next month to run).", default=None
    )
    rules: dict[str, Any] | None = described(
        "A draft to project instead of the rules in force. " + RULES_DOCUMENT_DESCRIPTION,
        EXAMPLE_RULES,
        "rule document (JSON object)",
        default=None,
    )
    compare: dict[str, Any] | None = described(
        "A second rule document, projected side by side with the same assumptions.",
        None,
        "rule document (JSON object)",
        default=None,
    )


class ProjectedMonthOut(BaseModel):
    """One month ahead: the reserve's movement and the assumptions behind it."""

    period: str = period("The month.")
    rule_set: RuleSetRefOut = described("The rules of the month.", {"rule_set_id": "x"}, "object")
    households: int = described("Members this month.", 120, COUNT)
    assessed: int | None = described(
        "Households assessed (others need data or are not eligible); null for a researcher "
        "when the households left out are fewer than the small-cell threshold.", 118, COUNT)  # fmt: skip
    arrivals: int = described("Households joining this month.", 0, COUNT)
    departures: int = described("Households leaving this month.", 0, COUNT)
    income_factor: str = described("Incomes are the start's times this.", "1/1", FRACTION_UNIT)
    subsidy_cents: int = cents("Subsidy assumed this month.", 0)
    reserve_start_cents: int = cents("Free reserve before the run, subsidy included.", 500000)
    contribution_cents: int = cents("Contributions of the month.", 96500)
    funder_share_cents: int = cents("Funders' shares of the credits.", 0)
    entitlement_cents: int = cents("Credits before rationing.", 444750)
    budget_cents: int = cents("What the month can grant (reserve + contributions + shares).",
                              596500)  # fmt: skip
    credit_cents: int = cents("Credits granted.", 444750)
    rationed: bool = described("True when the credits are cut to the budget.", False, "boolean")
    shortfall_cents: int = cents("Entitlements not granted.", 0)
    served: str = described("Credits granted over entitlements.", "1/1", FRACTION_UNIT)
    reserve_after_run_cents: int = cents("Free reserve after the run.", 151750)
    spent_cents: int = cents("Credit spent at merchants (as assumed).", 400000)
    expired_cents: int = cents("Credit expired at the month's end (back to the reserve).", 0)
    reserve_end_cents: int = cents("Free reserve at the month's end.", 151750)
    credit_outstanding_cents: int = cents("Members' credit still held.", 44750)
    explanation: dict[str, str] = described("The month in words.", {"fr": "..."}, TEXTS)


class DeepestOut(BaseModel):
    """The month where the smallest share of the entitlements is served."""

    period: str = period("The month.")
    served: str = described("Credits granted over entitlements.", "31/90", FRACTION_UNIT)


class SubsidyOut(BaseModel):
    """A subsidy that, received before the month's run, avoids rationing until then."""

    period: str = period("The month.")
    subsidy_cents: int = cents("The extra subsidy needed by then.", 29500)


class ProjectionOut(BaseModel):
    """A projection under one rule set."""

    start: str = period("First month projected.")
    reserve_cents: int = cents("Free reserve at the start (from the books).", 500000)
    assumptions: dict[str, Any] = described("The assumptions, as exact values.", {}, "object")
    rationing_starts: str | None = period("First month rationed (null: none).")
    deepest: DeepestOut | None = described("The deepest rationing (null: none).", None, "object")
    subsidy_to_avoid_cents: int = cents("The least subsidy, before the first month, that"
                                        " avoids rationing in every month.", 29500)  # fmt: skip
    subsidy_schedule: list[SubsidyOut] = described(
        "The same need, month by month, just in time.", [], "list of objects"
    )
    summary: dict[str, str] = described("When rationing starts, how deep, what avoids it.",
                                        {"fr": "..."}, TEXTS)  # fmt: skip
    months: list[ProjectedMonthOut] = described("Each month ahead.", [], "list of objects")


class ProjectionsOut(BaseModel):
    """The projection and, when asked, the comparison under a second rule set."""

    projection: ProjectionOut = described("Under the rules in force or the draft.", {}, "object")
    compare: ProjectionOut | None = described("Under the second document (or null).", None,
                                              "object")  # fmt: skip
