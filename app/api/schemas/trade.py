"""Merchants: approval, suspension, charges with the member's consent, refunds, sales,
settlements."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, StrictBool

from app.api.schemas.days import Day
from app.api.schemas.fields import StrictInt, cents, described, ident
from app.api.schemas.fields import period as month_field

DATE_UNIT = "date, ISO 8601 YYYY-MM-DD"
RATE_UNIT = "decimal string (fraction of the price paid from credit, 0 to 1)"
RATE_PATTERN = r"^(0(\.[0-9]{1,6})?|1(\.0{1,6})?)$"
SEQ = "journal sequence number"
MAX_CENTS = 10**9


class ApproveRequest(BaseModel):
    """The categories a merchant may sell against credit, and from when."""

    model_config = ConfigDict(extra="forbid")

    categories: dict[str, str] = described(
        "Per product category, the share of the price paid from the member's credit.",
        {"food": "1", "hygiene": "0.5"},
        RATE_UNIT,
        min_length=1,
        max_length=50,
    )
    valid_from: Day = described("First day of the approval.", "2027-01-01", DATE_UNIT)
    valid_until: Day | None = described(
        "Last day (null: open-ended).", None, DATE_UNIT, default=None
    )


class SuspendRequest(BaseModel):
    """Why and from when a merchant may no longer charge."""

    model_config = ConfigDict(extra="forbid")

    reason: str = described(
        "Why (kept in the journal).",
        "Contrôle qualité en cours",
        "text",
        min_length=1,
        max_length=500,
    )
    from_on: Day = described("First day of the suspension.", "2027-02-01", DATE_UNIT)


class MerchantRecorded(BaseModel):
    """A merchant command as journalled."""

    merchant_id: str = ident("The merchant.", "m_epicerie_nord")
    seq: int = described("Journal record.", 8, SEQ)
    suspended_from: str | None = described(
        "First day suspended; null when approved.", None, DATE_UNIT, default=None
    )


class ChargeRequest(BaseModel):
    """A purchase paid (in part) from a member's credit, authorised by the member's code."""

    model_config = ConfigDict(extra="forbid")

    purchase_id: str = ident(
        "Your id for the sale (unique among your own sales).", "sale_2027_000123"
    )
    household_id: str = ident("The member's household id (on the member's card).", "hh_0042")
    category: str = described(
        "Product category (one the merchant is approved for).",
        "food",
        "text",
        min_length=1,
        max_length=80,
    )
    amount_cents: StrictInt = cents("Price of the purchase.", 2350, gt=0, le=MAX_CENTS)
    on: Day | None = described(
        "Day of the sale (default: today, UTC).", "2027-01-15", DATE_UNIT, default=None
    )
    consent_code: str = described(
        "The code the member typed to authorise the charge.",
        "4821",
        "text, 4 to 64 characters",
        min_length=4,
        max_length=64,
    )
    split: StrictBool = described(
        "When the member's credit cannot pay what the category's rate allows, take what the"
        " member holds and let the member pay the rest (true), or refuse the charge with 409"
        " insufficient-credit (false).",
        True,
        "true or false",
        default=True,
    )


class ChargeOut(BaseModel):
    """What was taken from the member's credit, what the member pays the merchant (the
    member's own part: recorded with the sale for the fund's statistics, never fund money)
    and the credit left."""

    purchase_id: str = ident("The sale.", "sale_2027_000123")
    entry_id: str = described("The ledger entry.", "e57.1", "identifier")
    amount_cents: int = cents("Price of the purchase.", 2350)
    credit_cents: int = cents("Paid from the member's credit.", 2350)
    member_pays_cents: int = cents("Left for the member to pay the merchant.", 0)
    credit_left_cents: int = cents("The member's spendable credit after the charge.", 3650)
    seq: int = described("Journal record.", 57, SEQ)


class RefundRequest(BaseModel):
    """Credit given back for (part of) one of your sales."""

    model_config = ConfigDict(extra="forbid")

    refund_id: str = ident("Your id for the refund.", "refund_000007")
    purchase_id: str = ident("The sale refunded.", "sale_2027_000123")
    amount_cents: StrictInt = cents("Credit given back.", 500, gt=0, le=MAX_CENTS)
    on: Day | None = described(
        "Day of the refund (default: today, UTC).", "2027-01-16", DATE_UNIT, default=None
    )


class RefundOut(BaseModel):
    """The refund as booked."""

    refund_id: str = ident("The refund.", "refund_000007")
    purchase_id: str = ident("The sale.", "sale_2027_000123")
    entry_id: str = described("The ledger entry.", "e58.1", "identifier")
    amount_cents: int = cents("Credit given back.", 500)
    refundable_cents: int = cents("Still refundable on that sale.", 1850)
    member_due_cents: int = cents(
        "The member's own part of the sale the merchant gives back in cash with this refund"
        " (that share of what the member paid; all of it once all the credit part is refunded).",
        0,
    )
    seq: int = described("Journal record.", 58, SEQ)


class SaleOut(BaseModel):
    """One sale."""

    purchase_id: str = ident("The sale.", "sale_2027_000123")
    household_id: str = ident("The member's pseudonymous household id.", "hh_0042")
    category: str = described("Category.", "food", "text")
    period: str = month_field("Month of the sale.")
    amount_cents: int = cents("Price.", 2350)
    credit_cents: int = cents("Paid from credit.", 2350)
    refunded_cents: int = cents("Refunded so far.", 0)
    seq: int = described("Journal record.", 57, SEQ)


class SalesOut(BaseModel):
    """A merchant's sales, newest first, and what the fund owes it."""

    merchant_id: str = ident("The merchant.", "m_epicerie_nord")
    payable_cents: int = cents("What the fund owes the merchant now.", 125000)
    purchases: list[SaleOut] = described("Newest first.", [], "list of sales")


class SettlementLine(BaseModel):
    """One payment of the fund to the merchant."""

    entry_id: str = described("The ledger entry.", "e90.1", "identifier")
    seq: int = described("Journal record.", 90, SEQ)
    period: str = month_field("Month of the payment.")
    memo: str = described("Batch and bank reference.", "batch b_2027_01 VIR-0042", "text")
    amount_cents: int = cents("Amount paid to the merchant.", 125000)


class SettlementsOut(BaseModel):
    """Payments received from the fund, newest first."""

    merchant_id: str = ident("The merchant.", "m_epicerie_nord")
    settlements: list[SettlementLine] = described("Newest first.", [], "list of payments")


class SettleItem(BaseModel):
    """One merchant paid in the batch."""

    model_config = ConfigDict(extra="forbid")

    merchant_id: str = ident("The merchant.", "m_epicerie_nord")
    amount_cents: StrictInt = cents(
        "Amount paid (at most what it is owed).", 125000, gt=0, le=10**11
    )


class SettleRequest(BaseModel):
    """A bank transfer batch paying merchants."""

    model_config = ConfigDict(extra="forbid")

    batch_id: str = ident("Id of the batch.", "b_2027_01")
    reference: str = described("Bank reference.", "VIR-0042", "text", min_length=1, max_length=200)
    on: Day = described("Day of the transfer.", "2027-01-31", DATE_UNIT)
    merchants: list[SettleItem] = described(
        "Merchants paid.",
        [{"merchant_id": "m_epicerie_nord", "amount_cents": 125000}],
        "list of payments",
        min_length=1,
        max_length=1000,
    )


class SettleOut(BaseModel):
    """The settlement as booked."""

    entry_id: str = described("The ledger entry.", "e90.1", "identifier")
    batch_id: str = ident("The batch.", "b_2027_01")
    total_cents: int = cents("Total paid.", 125000)
    seq: int = described("Journal record.", 90, SEQ)


PaymentMethod = Literal["cash", "transfer", "direct_debit"]
