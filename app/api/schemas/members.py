"""A member's own books: balance and lots, history, monthly statements, data export."""

from __future__ import annotations

from pydantic import BaseModel

from app.api.schemas.enrolment import FactsOut, IdentityOut
from app.api.schemas.fields import cents, described, ident
from app.api.schemas.fields import period as month_field

SEQ = "journal sequence number"


class LotOut(BaseModel):
    """Credit granted for one month (or given back by a refund), spent oldest first."""

    lot_id: str = described("The lot (the entry that opened it).", "e42.1", "identifier")
    period: str = month_field("Month the credit was granted.")
    remaining_cents: int = cents("Credit left in the lot.", 9000)
    expires_after: str | None = month_field(
        "Last month the lot can be spent (it expires at the end of it); null = never.", "2027-03"
    )


class BalanceOut(BaseModel):
    """What the member can spend and what it owes."""

    household_id: str = ident("The household.", "hh_0042")
    credit_cents: int = cents(
        "Food credit held (the credit account's balance), including lots past their last"
        " month that a month's close has not expired yet.",
        15000,
    )
    spendable_cents: int | None = cents(
        "What the till accepts today (the fund's local date): the lots granted by this month"
        " and not past their last month (the books' own rule), at most credit_cents. Always"
        " given by the balance read; null in the data export (a record of the books, not of"
        " a day).",
        12000,
        default=None,
    )
    due_cents: int = cents("Contribution still to pay (negative: paid in advance).", 3625)
    lots: list[LotOut] = described(
        "Open lots, oldest first, with their expiry.", [], "list of lots"
    )


class HistoryLine(BaseModel):
    """One movement on the member's accounts."""

    entry_id: str = described("The ledger entry.", "e42.1", "identifier")
    seq: int = described("Journal record.", 42, SEQ)
    period: str = month_field("Month of the entry.")
    kind: str = described(
        "What happened.",
        "credit",
        "text: contribution | credit | payment | purchase | refund | expiry | reversal",
    )
    memo: str = described("Short description, as the books keep it.", "credit 2027-01", "text")
    label: str | None = described(
        "The movement in words, in the caller's language (Accept-Language, French by"
        " default); absent from the data export, which keeps the books' memo.",
        "crédit alimentaire de 2027-01",
        "text",
        default=None,
    )
    account_label: str | None = described(
        "The account's name in the caller's language; absent from the data export.",
        "crédit alimentaire",
        "text",
        default=None,
    )
    account: str = described(
        "411:<id> = contribution due (positive: owed more), 419:<id> = credit (negative:"
        " credit received, positive: credit spent).",
        "419:hh_0042",
        "account code",
    )
    amount_cents: int = cents("Signed amount on that account (debit > 0).", -15000)


class HistoryOut(BaseModel):
    """Movements, newest first."""

    household_id: str = ident("The household.", "hh_0042")
    lines: list[HistoryLine] = described("Newest first.", [], "list of movements")


class StatementOut(BaseModel):
    """What the household owed and received for a month, explained."""

    household_id: str = ident("The household.", "hh_0042")
    period: str = month_field("The month.")
    seq: int = described("Journal record of the month's run for it.", 42, SEQ)
    contribution_cents: int | None = cents("Contribution owed for the month.", 3625)
    credit_cents: int | None = cents("Credit received for the month.", 15000)
    funder_share_cents: int = cents("Part of the credit paid by a funder.", 0)
    rationed: bool = described("True when the fund cut credits to its budget.", False, "boolean")
    lang: str = described("Language of the explanation.", "fr", "text: fr | en")
    explanation: str | None = described(
        "How the contribution and the credit were computed, in plain words; null once the"
        " member's data are erased.",
        "Votre participation est de 2,5 % de vos ressources : 1 450,00 € × 2,5 % = 36,25 €.",
        "text",
    )


class StatementBoth(BaseModel):
    """A statement with its explanation in both languages (export)."""

    period: str = month_field("The month.")
    seq: int = described("Journal record of the month's run for it.", 42, SEQ)
    contribution_cents: int | None = cents("Contribution owed.", 3625)
    credit_cents: int | None = cents("Credit received.", 15000)
    funder_share_cents: int = cents("Part paid by a funder.", 0)
    rationed: bool = described("True when credits were rationed.", False, "boolean")
    explanation: dict[str, str] | None = described(
        "The explanation per language.", {"fr": "…", "en": "…"}, "text per language"
    )


class MemberExport(BaseModel):
    """Everything the fund holds about the household (right of access)."""

    format: str = described("Export format.", "caisse.member-export/1", "text")
    household_id: str = ident("The household.", "hh_0042")
    member_since: str = month_field("First month of membership.")
    erased: bool = described("True once personal data are erased.", False, "boolean")
    identity: IdentityOut | None = described("Account holder.", None, "object or null")
    facts: list[FactsOut] = described(
        "Every set of facts recorded, oldest first.", [], "list of facts"
    )
    balance: BalanceOut = described("Balance and lots now.", {"credit_cents": 0}, "object")
    history: list[HistoryLine] = described("Every movement, newest first.", [], "list of movements")
    statements: list[StatementBoth] = described(
        "Every monthly statement.", [], "list of statements"
    )
