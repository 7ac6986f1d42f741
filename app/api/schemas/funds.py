"""Money in: contribution payments and funding (subsidies, donations, top-ups); the fund's
position."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from app.api.schemas.days import Day
from app.api.schemas.fields import StrictInt, cents, described, ident

DATE_UNIT = "date, ISO 8601 YYYY-MM-DD"
SEQ = "journal sequence number"


class PaymentRequest(BaseModel):
    """A member's contribution received."""

    model_config = ConfigDict(extra="forbid")

    household_id: str = ident("The household paying.", "hh_0042")
    amount_cents: StrictInt = cents("Amount received.", 3625, gt=0, le=10**9)
    method: Literal["cash", "transfer", "direct_debit"] = described(
        "How it was paid (cash goes to the till, the others to the bank).",
        "transfer",
        "text: cash | transfer | direct_debit",
    )
    reference: str = described(
        "Receipt or bank reference.", "VIR-2027-0042", "text", min_length=1, max_length=200
    )
    received_on: Day = described("Day received (its month must be open).", "2027-01-05", DATE_UNIT)


class PaymentOut(BaseModel):
    """The payment as booked."""

    entry_id: str = described("The ledger entry.", "e60.1", "identifier")
    household_id: str = ident("The household.", "hh_0042")
    amount_cents: int = cents("Amount received.", 3625)
    due_cents: int = cents("Still due after it (negative: paid in advance).", 0)
    seq: int = described("Journal record.", 60, SEQ)


class FundingRequest(BaseModel):
    """Money from a third party: a subsidy, a donation or a top-up of members' credit."""

    model_config = ConfigDict(extra="forbid")

    funder_id: str = ident("The funder (city, foundation, donor...).", "ville_de_lyon")
    kind: Literal["subsidy", "donation", "top_up"] = described(
        "subsidy: public grant; donation: gift; top_up: a funder paying part of members'"
        " credits (booked to the funder, settled by this payment).",
        "subsidy",
        "text: subsidy | donation | top_up",
    )
    amount_cents: StrictInt = cents("Amount.", 500000, gt=0, le=10**11)
    reference: str = described(
        "Decision or bank reference.", "DEL-2027-03", "text", min_length=1, max_length=200
    )
    received_on: Day = described(
        "Day received or awarded (its month must be open).", "2027-01-10", DATE_UNIT
    )
    dedicated: bool = described(
        "Earmarked for food credit only (not for a top-up).", False, "boolean", default=False
    )
    status: Literal["received", "awarded"] = described(
        "received: money in the bank; awarded: a subsidy granted, not yet paid.",
        "received",
        "text: received | awarded",
        default="received",
    )


class FundingOut(BaseModel):
    """The funding as booked."""

    entry_id: str = described("The ledger entry.", "e61.1", "identifier")
    funder_id: str = ident("The funder.", "ville_de_lyon")
    amount_cents: int = cents("Amount.", 500000)
    seq: int = described("Journal record.", 61, SEQ)


class PositionOut(BaseModel):
    """Where the fund's money is, now."""

    bank_cents: int = cents("Bank account.", 1250000)
    cash_cents: int = cents("Till.", 12000)
    members_due_cents: int = cents("Contributions owed by members.", 36250)
    top_ups_receivable_cents: int = cents("Top-ups owed by funders.", 0)
    subsidies_receivable_cents: int = cents("Subsidies awarded, not yet paid.", 0)
    credit_in_circulation_cents: int = cents("Credit members can still spend.", 845000)
    merchants_payable_cents: int = cents("Owed to merchants.", 125000)
    dedicated_funds_cents: int = cents("Earmarked funds not yet used.", 0)
    expired_credit_cents: int = cents("Credit expired back to the fund, in total.", 3000)
    reserve_cents: int = cents("What the fund holds beyond what it owes.", 328250)
