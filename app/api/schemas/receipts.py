"""Tax receipts (Cerfa 11580): the fund's receipt settings, donors, a year's issue, the list."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, StrictInt

from app.api.schemas.days import Day
from app.api.schemas.fields import cents, described, ident

TEXT = "text"
RATE = "decimal string, 0 < rate <= 1"
DATE_UNIT = "date, ISO 8601 YYYY-MM-DD"


def _text(description: str, example: str) -> str:
    result: str = described(description, example, TEXT, min_length=1, max_length=400)
    return result


class SettingsBody(BaseModel):
    """What every receipt prints about the organisation, and the reduction it states."""

    model_config = ConfigDict(extra="forbid")

    name: str = _text("Organisme bénéficiaire: name.", "CALIEN")
    address: str = _text("Its postal address.", "12 rue de la République, 62750 Loos-en-Gohelle")
    siren_rna: str = _text("Its SIREN or RNA number.", "W622012345")
    object: str = _text("Its object.", "L'accès de tous à une alimentation choisie")
    quality: str = _text("Its quality.", "Association loi 1901 d'intérêt général")
    signatory: str = _text("Who signs, and as what.", "Anne Martin, trésorière")
    place: str = _text("Where receipts are made (« Fait à »).", "Loos-en-Gohelle")
    reduction_rate: str = described("Income-tax reduction rate.", "0.66", RATE)
    ceiling_rate: str = described("Ceiling, as a share of taxable income.", "0.20", RATE)


class DonorBody(BaseModel):
    """A donor's identity as receipts print it (personal data, erasable)."""

    model_config = ConfigDict(extra="forbid")

    name: str = described("Name as printed.", "Jeanne Martin", TEXT, min_length=1, max_length=200)
    address: str = _text("Postal address as printed.", "3 rue des Fleurs, 62750 Loos")
    mode: Literal["cheque", "virement", "especes"] = described(
        "How the donor pays.", "cheque", "text: cheque | virement | especes"
    )
    household_id: str | None = described(
        "The member's household, when the donor is one (the member may then download the receipt).",
        "hh_0042",
        "identifier",
        default=None,
        pattern=r"^[A-Za-z0-9_.\-]{1,100}$",
    )


class DonorOut(DonorBody):
    donor_id: str = ident("The donor (as its gifts are recorded).", "don_martin")


class IssueBody(BaseModel):
    """Issue a year's receipts not issued yet."""

    model_config = ConfigDict(extra="forbid")

    year: StrictInt = described("The year of the gifts.", 2026, "year", ge=2000, le=9999)
    issued_on: Day | None = described(
        "Issue day (default: today, UTC); after the year.", "2027-01-15", DATE_UNIT, default=None
    )


class ReceiptOut(BaseModel):
    """One receipt, without personal data."""

    receipt_id: str = described("Year and number.", "2026-000001", "text YEAR-NNNNNN")
    year: int = described("Year of the gifts.", 2026, "year")
    number: int = described("Number in the year, from 1, without gaps.", 1, "count")
    donor_id: str = ident("The donor.", "don_martin")
    amount_cents: int = cents("Amount receipted.", 15000)
    paid_on: list[str] = described("Days of the gifts.", ["2026-11-03"], DATE_UNIT)
    issued_on: str = described("Issue day.", "2027-01-15", DATE_UNIT)
    printable: bool = described("False once the donor was erased.", True, "true or false")
    basis: str = described(
        "What is receipted: gifts, or a member household's contributions paid above the credit"
        " it received (in funds whose rules say so; the donor is then the household).",
        "gift",
        "text: gift | over_contribution",
        default="gift",
    )


class IssueOut(BaseModel):
    issued: list[ReceiptOut] = described("Receipts issued now, by number.", [], "list")
    without_identity: list[str] = described(
        "Donors who gave that year without an identity kept (no receipt).", [], "list of ids"
    )
