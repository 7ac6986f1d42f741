"""The fund's tables (SQLModel). The journal is the record; everything else is a projection.

Units: every money column is a BIGINT of euro cents (name ends in ``_cents``; the column
comment says so). Periods are text ``"YYYY-MM"``, dates ``"YYYY-MM-DD"`` and times the
exact ISO text that was hashed into the journal, so the stored value is the hashed value
on every backend.

Append-only: ``journal``, ``ledger_entry`` and ``posting`` are never updated or deleted
(database triggers created by the initial migration refuse it on SQLite and PostgreSQL);
an adopted ``rule_set`` row is immutable likewise. Personal data live only in
``member_identity`` and ``household_facts`` (erasable); the journal carries pseudonymous
ids and salted commitments.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Index, PrimaryKeyConstraint, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlmodel import Field, SQLModel

CENTS = "euro cents (integer)"


def cents(meaning: str, *, nullable: bool = False, default: int | None = None) -> Any:
    """A BIGINT money column whose comment states the unit."""
    return Field(
        default=default,
        sa_type=BigInteger,
        nullable=nullable,
        sa_column_kwargs={"comment": f"{meaning}, in {CENTS}"},
    )


def text(*, nullable: bool = False, default: str | None = None) -> Any:
    """An unbounded text column (JSON documents, memos)."""
    return Field(default=default, sa_type=Text, nullable=nullable)


class Journal(SQLModel, table=True):
    """One accepted command (format ``caisse.journal/1``); ``seq`` is gapless from 1."""

    __tablename__ = "journal"

    seq: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    recorded_at: str = Field(max_length=40)
    actor: str = Field(max_length=200)
    kind: str = Field(max_length=40)
    idempotency_key: str = Field(max_length=200, unique=True)
    request_hash: str = Field(max_length=64)
    payload: str = text()
    result: str = text()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class LedgerEntry(SQLModel, table=True):
    """A balanced entry; ``entry_id = f"{seq}.{n}"``. Never updated or deleted."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        Index("ix_ledger_entry_seq", "seq"),
        Index("ix_ledger_entry_period", "period"),
        # Partial: only reversals have ``reverses``; indexing the NULLs of every other entry
        # cost a b-tree insert per entry (200,000 a month run at 100k households) for nothing
        # (``reverses = x`` implies ``reverses IS NOT NULL``, so lookups still use it).
        Index(
            "ix_ledger_entry_reverses",
            "reverses",
            sqlite_where=sql_text("reverses IS NOT NULL"),
            postgresql_where=sql_text("reverses IS NOT NULL"),
        ),
        Index("ix_ledger_entry_kind_period", "kind", "period"),
    )

    entry_id: str = Field(max_length=40, primary_key=True)
    seq: int = Field(sa_type=BigInteger, foreign_key="journal.seq")
    position: int
    period: str = Field(max_length=7)
    kind: str = Field(max_length=40)
    memo: str = text(default="")
    reverses: str | None = Field(default=None, max_length=40, nullable=True)


class Posting(SQLModel, table=True):
    """One line of an entry: positive = debit, negative = credit. Never updated or deleted."""

    __tablename__ = "posting"
    __table_args__ = (
        # With the amount: an account's postings are summed from the index alone (the
        # per-command check re-sums every touched member account) without a table lookup.
        Index("ix_posting_account_seq", "account", "seq", "amount_cents"),
        Index("ix_posting_seq", "seq"),
    )

    entry_id: str = Field(max_length=40, primary_key=True, foreign_key="ledger_entry.entry_id")
    line: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int = Field(sa_type=BigInteger)
    account: str = Field(max_length=120)
    amount_cents: int = cents("signed amount: debit > 0, credit < 0")


class Balance(SQLModel, table=True):
    """Projection: the sum of an account's postings, kept in step in the same transaction."""

    __tablename__ = "balance"

    account: str = Field(max_length=120, primary_key=True)
    balance_cents: int = cents("sum of the account's postings")
    last_seq: int = Field(sa_type=BigInteger)


class CreditLot(SQLModel, table=True):
    """A month's credit granted to a household; spent oldest first, may expire."""

    __tablename__ = "credit_lot"
    __table_args__ = (Index("ix_credit_lot_household_open", "household_id", "is_open", "period"),)

    lot_id: str = Field(max_length=80, primary_key=True)
    household_id: str = Field(max_length=80)
    period: str = Field(max_length=7)
    granted_cents: int = cents("credit granted by the lot")
    remaining_cents: int = cents("credit still available in the lot")
    expires_period: str | None = Field(default=None, max_length=7, nullable=True)
    is_open: bool = True
    created_seq: int = Field(sa_type=BigInteger)
    last_seq: int = Field(sa_type=BigInteger)


class Household(SQLModel, table=True):
    """A member household under a pseudonymous id; no personal data here."""

    __tablename__ = "household"

    household_id: str = Field(max_length=80, primary_key=True)
    from_period: str = Field(max_length=7)
    facts_commitment: str = Field(max_length=80)
    erased: bool = False
    consent_code_hash: str | None = Field(default=None, max_length=200, nullable=True)
    last_seq: int = Field(sa_type=BigInteger)


class FundTotal(SQLModel, table=True):
    """The fund totals (sums of balances by family, JSON of cents) of the state left by the
    journal record ``(seq, hash)``: one row, rewritten by every command under the writer
    lock, so a command's invariant check moves them instead of summing every balance. Only
    trusted while ``(seq, hash)`` is the journal's head (app.ledger.command_check)."""

    __tablename__ = "fund_total"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int = Field(sa_type=BigInteger)
    hash: str = Field(max_length=64)
    totals: str = text()


class ConsentAttempt(SQLModel, table=True):
    """Wrong consent codes in a row per household and merchant, and the end of the wait
    they cause that merchant (app.services.consent; mutable security state, not books:
    never journalled). Times are journal time text (UTC, Z)."""

    __tablename__ = "consent_attempt"

    household_id: str = Field(max_length=80, primary_key=True)
    merchant_id: str = Field(max_length=80, primary_key=True)
    failures: int = 0
    last_failure_at: str | None = Field(default=None, max_length=40, nullable=True)
    locked_until: str | None = Field(default=None, max_length=40, nullable=True)


class MemberIdentity(SQLModel, table=True):
    """Names and contact of a household's account holder. Erasable: deleted on erasure."""

    __tablename__ = "member_identity"

    household_id: str = Field(max_length=80, primary_key=True, foreign_key="household.household_id")
    full_name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=200, nullable=True)
    phone: str | None = Field(default=None, max_length=40, nullable=True)
    address: str | None = text(nullable=True)


class HouseholdFacts(SQLModel, table=True):
    """Facts in force from ``from_period`` (until a later row); the salt makes the commitment.

    Erasable: erasure blanks the facts and the salt (``erased``), keeping the commitment that
    the journal already carries. ``persons`` is JSON ``[{"birth_on": "YYYY-MM-DD"|null}]``.
    """

    __tablename__ = "household_facts"
    __table_args__ = (
        UniqueConstraint("household_id", "seq", name="uq_household_facts_household_seq"),
        Index("ix_household_facts_lookup", "household_id", "from_period", "seq"),
    )

    id: int | None = Field(default=None, primary_key=True)
    household_id: str = Field(max_length=80, foreign_key="household.household_id")
    from_period: str = Field(max_length=7)
    seq: int = Field(sa_type=BigInteger)
    income_cents: int | None = cents("declared net monthly income", nullable=True)
    chosen_contribution_cents: int | None = cents("member's chosen contribution", nullable=True)
    persons: str = text(default="[]")
    attributes: str = text(default="{}")
    engagement_minutes: int | None = Field(default=None, nullable=True)
    active_from: str | None = Field(default=None, max_length=10, nullable=True)
    active_until: str | None = Field(default=None, max_length=10, nullable=True)
    priority_tier: int | None = Field(default=None, nullable=True)
    salt: str | None = Field(default=None, max_length=64, nullable=True)
    commitment: str = Field(max_length=80)
    erased: bool = False


class RuleSet(SQLModel, table=True):
    """A rule document: a draft (editable) or an adopted version (immutable, by trigger)."""

    __tablename__ = "rule_set"
    __table_args__ = (
        UniqueConstraint("rule_set_id", "version", name="uq_rule_set_id_version"),
        Index("ix_rule_set_in_force", "status", "effective_from"),
    )

    id: int | None = Field(default=None, primary_key=True)
    rule_set_id: str = Field(max_length=80)
    version: int
    content_hash: str = Field(max_length=80)
    document: str = text()
    status: str = Field(max_length=20)
    effective_from: str = Field(max_length=7)
    adopted_at: str | None = Field(default=None, max_length=40, nullable=True)
    adopted_seq: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
    decision: str = text(default="")


class Month(SQLModel, table=True):
    """A period's lifecycle: open -> closed -> sealed."""

    __tablename__ = "month"

    period: str = Field(max_length=7, primary_key=True)
    status: str = Field(max_length=20)
    unspent_policy: str | None = Field(default=None, max_length=20, nullable=True)
    unspent_after_months: int | None = Field(default=None, nullable=True)
    unspent_cap_cents: int | None = cents("carry-over cap of unspent credit", nullable=True)
    last_seq: int = Field(sa_type=BigInteger)


class MonthCredit(SQLModel, table=True):
    """Exactly-once marker: a household is run at most once per month (primary key)."""

    __tablename__ = "month_credit"
    __table_args__ = (Index("ix_month_credit_period", "period"),)

    household_id: str = Field(max_length=80, primary_key=True)
    period: str = Field(max_length=7, primary_key=True)
    seq: int = Field(sa_type=BigInteger)


class Merchant(SQLModel, table=True):
    """An approved merchant; ``categories`` is JSON ``{category: rate decimal string}``."""

    __tablename__ = "merchant"

    merchant_id: str = Field(max_length=80, primary_key=True)
    categories: str = text(default="{}")
    valid_from: str = Field(max_length=10)
    valid_until: str | None = Field(default=None, max_length=10, nullable=True)
    suspended_from: str | None = Field(default=None, max_length=10, nullable=True)
    suspension_reason: str | None = text(nullable=True)
    last_seq: int = Field(sa_type=BigInteger)


class Purchase(SQLModel, table=True):
    """A purchase paid (partly) from a member's credit; refunds reduce ``refundable_cents``.

    Keyed by ``(merchant_id, purchase_id)``: purchase ids are the merchant's own (a till's
    receipt numbers), so two merchants may use the same one."""

    __tablename__ = "purchase"
    __table_args__ = (
        PrimaryKeyConstraint("merchant_id", "purchase_id"),
        Index("ix_purchase_household", "household_id", "seq"),
        Index("ix_purchase_merchant", "merchant_id", "seq"),
    )

    purchase_id: str = Field(max_length=80, primary_key=True)
    household_id: str = Field(max_length=80)
    merchant_id: str = Field(max_length=80, primary_key=True)
    category: str = Field(max_length=80)
    period: str = Field(max_length=7)
    amount_cents: int = cents("price of the purchase")
    credit_cents: int = cents("part paid from the member's credit")
    refunded_cents: int = cents("credit part refunded so far", default=0)
    lots_expire: str | None = Field(default=None, max_length=7, nullable=True)
    refund_ids: str = text(default="[]")
    seq: int = Field(sa_type=BigInteger)
    last_seq: int = Field(sa_type=BigInteger)


class Checkpoint(SQLModel, table=True):
    """The seal of a month: what an auditor compares against a replay."""

    __tablename__ = "checkpoint"

    period: str = Field(max_length=7, primary_key=True)
    seq: int = Field(sa_type=BigInteger)
    journal_size: int = Field(sa_type=BigInteger)
    head_hash: str = Field(max_length=64)
    balances_digest: str = Field(max_length=80)
    engine_version: str = Field(max_length=80)
    run_fingerprint: str = Field(max_length=80)
    # RFC 9162 Merkle root (hex) over the month's statements and how many it covers
    # (app.engine.merkle); none on months sealed before they were recorded.
    month_root: str | None = Field(default=None, max_length=64, nullable=True)
    month_statements: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
    signature: str | None = Field(default=None, max_length=200, nullable=True)
    public_key: str | None = Field(default=None, max_length=100, nullable=True)


APPEND_ONLY_TABLES = ("journal", "ledger_entry", "posting")
