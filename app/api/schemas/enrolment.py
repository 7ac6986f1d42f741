"""Households as the office records them: enrolment, facts from a month, erasure, profile."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from app.api.schemas.fields import cents, described, ident, period
from app.api.schemas.households import FactsIn

DATE_UNIT = "date, ISO 8601 YYYY-MM-DD"


class IdentityIn(BaseModel):
    """Who holds the account: personal data, kept apart from the books and erasable."""

    model_config = ConfigDict(extra="forbid")

    full_name: str = described(
        "Name of the account holder.", "Awa Diallo", "text", min_length=1, max_length=200
    )
    email: str | None = described(
        "E-mail address.", "awa@example.org", "text", default=None, max_length=200
    )
    phone: str | None = described(
        "Phone number.", "+33 6 12 34 56 78", "text", default=None, max_length=40
    )
    address: str | None = described(
        "Postal address.", "12 rue des Lilas, 69003 Lyon", "text", default=None, max_length=500
    )


class EnrolRequest(BaseModel):
    """A new household: pseudonymous id, identity, facts and the member's consent code."""

    model_config = ConfigDict(extra="forbid")

    household_id: str = ident("Pseudonymous id chosen by the office.", "hh_0042")
    from_period: str = period("First month of membership.")
    identity: IdentityIn = described(
        "The account holder (erasable).", {"full_name": "Awa Diallo"}, "object"
    )
    facts: FactsIn = described(
        "Facts in force from `from_period`.", {"income_cents": 145000}, "object"
    )
    consent_code: str = described(
        "The code the member gives a merchant to authorise a charge (stored hashed).",
        "4821",
        "text, 4 to 64 characters",
        min_length=4,
        max_length=64,
    )


class ConsentCodeRequest(BaseModel):
    """A new till consent code for the household, set by the office (a member who forgot
    theirs, or a code seen by someone else)."""

    model_config = ConfigDict(extra="forbid")

    consent_code: str = described(
        "The new code (stored hashed); the household's run of wrong codes is forgotten.",
        "5093",
        "text, 4 to 12 digits",
        pattern=r"^[0-9]{4,12}$",
    )


class FactsChangeRequest(BaseModel):
    """New facts in force from a month (earlier months keep theirs)."""

    model_config = ConfigDict(extra="forbid")

    from_period: str = period("First month the new facts apply.", "2027-03")
    facts: FactsIn = described("The new facts.", {"income_cents": 120000}, "object")


class HouseholdRecorded(BaseModel):
    """A household command as journalled."""

    household_id: str = ident("The household.", "hh_0042")
    seq: int = described("Journal record of the command.", 7, "journal sequence number")
    from_period: str | None = period(
        "Month the facts apply from (null for an erasure).", default=None
    )
    erased: bool = described("True once personal data are erased.", False, "boolean", default=False)


class HouseholdListItem(BaseModel):
    """One household as the office lists it."""

    household_id: str = ident("The household.", "hh_0042")
    from_period: str = period("First month of membership.")
    erased: bool = described("True once personal data are erased.", False, "boolean")
    full_name: str | None = described("Account holder; null once erased.", "Awa Diallo", "text")
    last_seq: int = described("Last journal record touching it.", 7, "journal sequence number")


class HouseholdList(BaseModel):
    """A page of households by id; ask the next page with `after` = `next_after`."""

    households: list[HouseholdListItem] = described("This page.", [], "list of households")
    next_after: str | None = described(
        "Pass as `after` for the next page; null on the last page.", "hh_0042", "identifier"
    )


class IdentityOut(BaseModel):
    """The account holder as stored."""

    full_name: str = described("Name.", "Awa Diallo", "text")
    email: str | None = described("E-mail.", "awa@example.org", "text")
    phone: str | None = described("Phone.", "+33 6 12 34 56 78", "text")
    address: str | None = described("Postal address.", "12 rue des Lilas", "text")


class PersonOut(BaseModel):
    """One person."""

    birth_on: str | None = described("Birth date; null when unknown.", "1988-04-12", DATE_UNIT)


class FactsOut(BaseModel):
    """Facts as recorded from a month on."""

    from_period: str = period("First month they apply.")
    seq: int = described("Journal record that recorded them.", 7, "journal sequence number")
    income_cents: int | None = cents("Declared net monthly resources.", 145000)
    chosen_contribution_cents: int | None = cents("Chosen contribution.", None)
    persons: list[PersonOut] = described(
        "Persons.", [{"birth_on": "1988-04-12"}], "list of persons"
    )
    engagement_minutes: int | None = described("Participation.", None, "whole minutes")
    attributes: dict[str, str] = described("Labels.", {"scheme": "caf"}, "map of text labels")
    active_from: str | None = described("Membership start.", None, DATE_UNIT)
    active_until: str | None = described("Membership end.", None, DATE_UNIT)
    priority_tier: int | None = described("Rationing tier.", None, "integer tier")


class Profile(BaseModel):
    """The member's own household: identity and the facts in force this month."""

    household_id: str = ident("The household.", "hh_0042")
    member_since: str = period("First month of membership.")
    erased: bool = described("True once personal data are erased.", False, "boolean")
    identity: IdentityOut | None = described(
        "Account holder; null once erased.", {"full_name": "Awa Diallo"}, "object or null"
    )
    facts: FactsOut | None = described(
        "Facts in force for the month; null if none yet.",
        {"income_cents": 145000},
        "object or null",
    )
