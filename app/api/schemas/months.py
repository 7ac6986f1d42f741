"""A month of the fund: preview, run, status and totals, close, seal, checkpoint."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from app.api.schemas.days import JsonDate
from app.api.schemas.fields import CENTS_UNIT, cents, described, ident, period
from app.api.schemas.problems import FieldProblem
from app.api.schemas.rule_book import HASH_EXAMPLE, HASH_UNIT

SEQ = "journal sequence number"
STATUS_UNIT = "text: assessed | needs_data | not_eligible | rejected"


class RuleSetRefOut(BaseModel):
    """Which adopted rules the month uses."""

    rule_set_id: str = described("Rule family id.", "exemple", "identifier")
    version: int = described("Version.", 1, "integer version number")
    content_hash: str = described("sha256 of the document.", HASH_EXAMPLE, HASH_UNIT)
    decision: str = described("The committee decision.", "Délibération 2026-14", "text")
    effective_from: str = period("First month the rules apply.")


class MonthSummary(BaseModel):
    """What the month books (or would book) in total."""

    period: str = period("The month.")
    rule_set: RuleSetRefOut = described("The rules in force.", {"rule_set_id": "exemple"}, "object")
    budget_cents: int = cents("Budget available for credits (from the books).", 4447500)
    rationed: bool = described("True when credits were cut to the budget.", False, "boolean")
    contribution_cents: int = cents("Sum of contributions owed.", 965000)
    entitlement_cents: int = cents("Sum of credits before rationing.", 4447500)
    credit_cents: int = cents("Sum of credits granted.", 4447500)
    funder_share_cents: int = cents("Part of the credits paid by funders.", 0)
    by_status: dict[str, int] = described(
        "Households per outcome.", {"assessed": 190}, "count per status"
    )


class PreviewLine(BaseModel):
    """One household in the month preview."""

    household_id: str = ident("The household.", "hh_0042")
    status: str = described("Outcome of the assessment.", "assessed", STATUS_UNIT)
    contribution_cents: int | None = cents("Contribution (null when not assessed).", 3625)
    credit_cents: int | None = cents("Credit (null when not assessed).", 15000)
    funder_share_cents: int = cents("Part paid by a funder.", 0)
    funder_id: str | None = described("The funder paying a share, if any.", None, "identifier")
    facts_commitment: str = described(
        "Salted commitment of the facts used.", HASH_EXAMPLE, HASH_UNIT
    )
    problems: list[FieldProblem] = described(
        "Why it is not assessed (needs data...).", [], "list of field problems"
    )
    already_credited: bool = described(
        "True when the month was already run for it.", False, "boolean"
    )


class MonthPreview(MonthSummary):
    """What running the month would book; nothing is written."""

    households: list[PreviewLine] = described("Each household by id.", [], "list of lines")


class MonthRun(MonthSummary):
    """What the run booked (a retry with the same key returns the original figures)."""

    chunks: int = described("Journal records written.", 1, "count of records")
    seqs: list[int] = described("Their sequence numbers.", [42], "list of journal sequence numbers")
    credited: int = described("Households credited by this run.", 190, "count of households")
    already_credited: int = described(
        "Households credited before this run.", 0, "count of households"
    )


class CheckpointOut(BaseModel):
    """The seal of a closed month: what the journal and balances were when it was sealed."""

    period: str = period("The month sealed.")
    seq: int = described("Journal record of the seal.", 120, SEQ)
    journal_size: int = described("Records before the seal.", 119, "count of records")
    head_hash: str = described(
        "Hash of the last record before the seal.", "9f86d081" * 8, "64 lowercase hex digits"
    )
    balances_digest: str = described("Digest of every balance.", HASH_EXAMPLE, HASH_UNIT)
    engine_version: str = described("Engine version that booked it.", "1.0.0", "text")
    run_fingerprint: str = described("Fingerprint of the month's run.", HASH_EXAMPLE, HASH_UNIT)
    month_root: str | None = described(
        "RFC 9162 Merkle root over the month's statements (members' inclusion proofs lead to"
        " it); signed with the rest. Null on seals recorded before roots existed.",
        "9f86d081" * 8,
        "64 lowercase hex digits",
    )
    month_statements: int | None = described(
        "Statements under month_root (the tree's size); null with it.", 190, "count of statements"
    )
    signature: str | None = described(
        "Ed25519 signature (hex), null when unsigned.", None, "hex text"
    )
    public_key: str | None = described(
        "Public key that signed (hex), null when unsigned.", None, "hex text"
    )


class MonthStatus(BaseModel):
    """Where the month stands."""

    period: str = period("The month.")
    status: str = described("open, closed or sealed.", "open", "text: open | closed | sealed")
    households_credited: int = described(
        "Households credited for the month.", 190, "count of households"
    )
    totals_cents: dict[str, int] = described(
        "Debits booked in the month per entry kind (contribution, credit, purchase...).",
        {"contribution": 965000, "credit": 4447500},
        CENTS_UNIT,
    )
    checkpoint: CheckpointOut | None = described("The seal, once sealed.", None, "object or null")


class MonthRecorded(BaseModel):
    """A month command as journalled."""

    period: str = period("The month.")
    status: str = described("The month's status now.", "closed", "text: closed | sealed")
    seq: int = described("Journal record of the command.", 121, SEQ)


class MonthClosed(MonthRecorded):
    """A month closed, after the credit due at its end expired."""

    expired_cents: int = cents(
        "Unspent credit expired at the month's end just before it closed (0: none was due).", 0
    )


class MonthRunRequest(BaseModel):
    """Options of a month run (the body may be left out)."""

    model_config = ConfigDict(extra="forbid")

    confirm_rationing: bool = described(
        "Run even though the fund's means ration the credits. Without it, a run that would"
        " ration is refused (409 rationing-not-confirmed, stating the percentage and amounts).",
        False,
        "boolean",
    )


class ExpireRequest(BaseModel):
    """The scheduled expiry: what is due on a day."""

    model_config = ConfigDict(extra="forbid")

    as_of: JsonDate | None = described(
        "The day: credit whose last month ended before it expires (booked in the month"
        " before). Default: today (UTC).",
        "2027-02-01",
        'date, text "YYYY-MM-DD"',
    )


class MonthExpired(BaseModel):
    """Credit expired at a month's end (nothing recorded when none was due)."""

    period: str = period("The month the expiry is booked in.")
    expired_cents: int = cents("Unspent credit expired.", 12500)
    entries: int = described("Ledger entries written (one per household).", 3, "count")
    status: str | None = described(
        "The month's status (a closed month expired its credit when it closed).",
        "open",
        "text: open | closed | sealed",
    )
    seq: int | None = described("Journal record, null when nothing was due.", 120, SEQ)
