"""A household's facts for one month, as a request gives them (mapped to engine facts)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from app.api.schemas.days import JsonDate
from app.api.schemas.fields import StrictInt, cents, described, ident


class PersonIn(BaseModel):
    """One person of the household (the account holder included)."""

    model_config = ConfigDict(extra="forbid")

    birth_on: JsonDate | None = described(
        "Birth date; null when unknown (rules that need the age then say so).",
        "1988-04-12",
        "date, ISO 8601 YYYY-MM-DD",
    )


class FactsIn(BaseModel):
    """What the rules may read about a household (null = not known, never zero: a rule that
    needs a missing fact reports "needs data"). Enrolment and changes of facts record these
    from a month on; previews and checks take them per household."""

    model_config = ConfigDict(extra="forbid")

    persons: list[PersonIn] = described(
        "Every person, oldest first or in any order; empty when the composition is unknown.",
        [{"birth_on": "1988-04-12"}, {"birth_on": "2016-09-01"}],
        "list of persons",
        default_factory=list,
        max_length=30,
    )
    income_cents: StrictInt | None = cents(
        "Declared net monthly resources of the household; null when unknown.",
        145000,
        default=None,
        ge=0,
        le=10**11,
    )
    chosen_contribution_cents: StrictInt | None = cents(
        "The member's own choice of contribution, for free-choice rules; null if none.",
        2500,
        default=None,
        ge=0,
        le=10**11,
    )
    engagement_minutes: StrictInt | None = described(
        "Participation in the fund's life this month; null when not recorded.",
        120,
        "whole minutes",
        default=None,
        ge=0,
        le=44640,
    )
    attributes: dict[str, str] = described(
        "Free labels read by eligibility filters, e.g. the benefit scheme.",
        {"scheme": "caf"},
        "map of text labels",
        default_factory=dict,
        max_length=20,
    )
    active_from: JsonDate | None = described(
        "Membership start, for proration by days; null = member all month.",
        "2027-01-10",
        "date, ISO 8601 YYYY-MM-DD",
        default=None,
    )
    active_until: JsonDate | None = described(
        "Membership end (inclusive); null = still a member.",
        None,
        "date, ISO 8601 YYYY-MM-DD",
        default=None,
    )
    priority_tier: StrictInt | None = described(
        "Rationing tier when the fund rations by tiers (0 = most protected); null if none.",
        0,
        "integer tier",
        default=None,
        ge=0,
        le=100,
    )


class HouseholdFactsIn(FactsIn):
    """Everything the rules may read about one named household for one month."""

    household_id: str = ident("Pseudonymous id of the household.", "hh_0042")


SAMPLE_LIMIT = 5000  # households per request: enough for a fund, bounded for the server
