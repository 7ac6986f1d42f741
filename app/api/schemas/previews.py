"""Impact preview of a proposed rule set on sample households (request and report)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from app.api.schemas.fields import StrictInt, cents, described, period
from app.api.schemas.households import SAMPLE_LIMIT, HouseholdFactsIn
from app.api.schemas.rules import EXAMPLE_RULES, RULES_DOCUMENT_DESCRIPTION

STATUS_UNIT = "text: assessed | needs_data | not_eligible | rejected | none | missing"


class PreviewSampleRequest(BaseModel):
    """A proposed rule set, the rules in force (if any) and the households to compare on."""

    model_config = ConfigDict(extra="forbid")

    proposed_rules: dict[str, Any] = described(
        "The proposed rules. " + RULES_DOCUMENT_DESCRIPTION,
        EXAMPLE_RULES,
        "rule document (JSON object)",
    )
    current_rules: dict[str, Any] | None = described(
        "The rules in force to compare with; null when the fund has none yet (everyone's"
        " 'before' is then nothing owed and nothing received).",
        None,
        "rule document (JSON object) or null",
        default=None,
    )
    households: list[HouseholdFactsIn] = described(
        "The households to assess under both rule sets (ids must be distinct).",
        [
            {
                "household_id": "hh_0042",
                "income_cents": 145000,
                "persons": [{"birth_on": "1988-04-12"}],
            }
        ],
        "list of household facts",
        min_length=1,
        max_length=SAMPLE_LIMIT,
    )
    period: str | None = period(
        "Month to assess (default: the proposed rules' effective_from).", default=None
    )
    budget_cents: StrictInt | None = cents(
        "Monthly budget for credits; when given, credits are rationed to it and the"
        " rationing needed is reported.",
        4447500,
        default=None,
        ge=0,
    )


class SideOut(BaseModel):
    """One rule set's totals over the households."""

    rule_set_id: str = described("Rule family id.", "exemple", "identifier")
    version: int = described("Rule set version.", 1, "integer version number")
    content_hash: str = described("sha256 of the document.", "sha256:414836c5...", "text")
    households: int = described("Households assessed.", 193, "count of households")
    by_status: dict[str, int] = described(
        "Households per outcome.", {"assessed": 190, "needs_data": 3}, "count per status"
    )
    contributions_cents: int = cents("Sum of contributions owed.", 965000)
    entitlements_cents: int = cents("Sum of credits before rationing.", 4447500)
    credits_cents: int = cents("Sum of credits granted (after rationing).", 4447500)
    funder_shares_cents: int = cents("Part of the credits paid by third-party funders.", 0)
    net_cost_cents: int = cents(
        "Credits − contributions − funders' shares: what the fund must cover.", 3482500
    )
    rationing_needed_cents: int | None = cents(
        "Entitlements above the budget (null without a budget).", 0
    )


class ChangeOut(BaseModel):
    """One household before and after; amounts are null on a side where it is not assessed."""

    household_id: str = described("Household id.", "hh_0042", "identifier")
    status_before: str = described("Outcome under the current rules.", "assessed", STATUS_UNIT)
    status_after: str = described("Outcome under the proposed rules.", "assessed", STATUS_UNIT)
    status_changed: bool = described("True when the outcome differs.", False, "boolean")
    contribution_before_cents: int | None = cents("Contribution before.", 2500)
    contribution_after_cents: int | None = cents("Contribution after.", 3000)
    contribution_delta_cents: int | None = cents("After − before.", 500)
    credit_before_cents: int | None = cents("Credit before.", 15000)
    credit_after_cents: int | None = cents("Credit after.", 15000)
    credit_delta_cents: int | None = cents("After − before.", 0)
    net_before_cents: int | None = cents("Credit − contribution before.", 12500)
    net_after_cents: int | None = cents("Credit − contribution after.", 12000)
    net_delta_cents: int | None = cents("Change of the net position (negative: loses).", -500)
    bucket: str = described(
        "Winners/losers bucket of the net change.",
        "loses_5_to_20",
        "text: loses_over_20 | loses_5_to_20 | loses_under_5 | unchanged | gains_under_5"
        " | gains_5_to_20 | gains_over_20 | not_comparable",
    )


class DecileOut(BaseModel):
    """Sums over one decile of income per consumption unit (or the needs_data group)."""

    group: str = described("Decile (D1..D10) or needs_data.", "D1", "text")
    households: int = described("Households in the group.", 20, "count of households")
    income_per_cu_min_cents: int | None = cents("Lowest income per consumption unit.", 41000)
    income_per_cu_max_cents: int | None = cents("Highest income per consumption unit.", 62000)
    contributions_before_cents: int = cents("Contributions before.", 20000)
    contributions_after_cents: int = cents("Contributions after.", 18000)
    credits_before_cents: int = cents("Credits before.", 300000)
    credits_after_cents: int = cents("Credits after.", 300000)
    comparable: int = described("Households assessed on both sides.", 20, "count of households")
    net_change_cents: int = cents("Sum of the comparable households' net changes.", 2000)


class PreviewReport(BaseModel):
    """What the proposed rules would change on these households."""

    period: str = period("Month assessed.")
    budget_cents: int | None = cents("Budget used, if any.", None)
    current: SideOut | None = described(
        "Totals under the current rules (null when there are none).", None, "object or null"
    )
    proposed: SideOut = described(
        "Totals under the proposed rules.", {"rule_set_id": "exemple"}, "object"
    )
    changes: list[ChangeOut] = described(
        "Each household's change, by ascending id.", [], "list of changes"
    )
    buckets: dict[str, int] = described(
        "Households per winners/losers bucket.",
        {"unchanged": 150, "loses_under_5": 43},
        "count per bucket",
    )
    deciles: list[DecileOut] = described(
        "Figures by decile of income per consumption unit.", [], "list of decile rows"
    )
