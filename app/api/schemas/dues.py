"""What a household owes, month by month (contributions and payments, from the books)."""

from __future__ import annotations

from pydantic import BaseModel

from app.api.schemas.fields import cents, described, ident, period


class MonthOwedOut(BaseModel):
    """One month's contribution and how much of it payments settled (oldest month first)."""

    period: str = period("The month the contribution was called for.")
    owed_cents: int = cents("Contribution called for the month.", 3625)
    paid_cents: int = cents("Settled by payments (the oldest month is settled first).", 3625)
    outstanding_cents: int = cents("Still owed for the month.", 0)


class ArrearsPolicyOut(BaseModel):
    """What the rules in force do to the credit while contributions are unpaid."""

    policy: str = described(
        "The policy.", "keep_crediting", "text: keep_crediting | reduce | suspend"
    )
    after_months: int | None = described(
        "Unpaid months from which it applies (null: keep crediting).", None, "count of months"
    )
    rate: str | None = described(
        "Share of the credit withheld (reduce), null otherwise.", None, "decimal text, 0-1"
    )
    text_fr: str = described("The policy in French.", "Impayés : ...", "text")
    text_en: str = described("The policy in English.", "Arrears: ...", "text")


class DuesOut(BaseModel):
    """What the household owes, month by month."""

    household_id: str = ident("The household.", "hh_0042")
    period: str = period("The month it is read for (months before it count as arrears).")
    months: list[MonthOwedOut] = described("Each month owed, oldest first.", [], "list")
    outstanding_cents: int = cents("Owed in all.", 0)
    ahead_cents: int = cents("Paid beyond every month owed.", 0)
    arrears_months: int = described(
        "Months before ``period`` still (partly) unpaid.", 0, "count of months"
    )
    policy: ArrearsPolicyOut = described("The arrears policy in force.", {}, "object")
