"""The invariants checked inside every command's transaction (a failure rolls it back).

After the command's writes, ``check_command`` verifies:

- every entry of the command balances (its stored postings sum to 0);
- each touched balance moved by exactly the sum of the command's postings on it, and each
  touched member account (``411:``/``419:``) equals the sum of ALL its postings (the fund's
  shared accounts are re-summed in full by ``check_books``, at month close and by the
  verifier: re-summing them on every purchase would grow with the fund's history);
- no member credit below zero, and a member's open lots hold exactly its credit balance;
- trial balance zero over every stored balance, and the backing invariant:
  −Σ419 − Σ401 ≤ 512 + 530 + Σ411 + Σ4687 + Σ441 (no phantom money).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlmodel import Session, case, col

from app.db import tables as t
from app.ledger.bulk import among, batches


class InvariantViolation(RuntimeError):
    """The books would break an invariant: a defect, never a user error. Nothing is written."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


def balances_of(session: Session, accounts: Sequence[str]) -> dict[str, int]:
    """Stored balances of ``accounts`` (0 for an account never posted to)."""
    found: dict[str, int] = {}
    for part in batches(session, accounts):
        rows = session.execute(
            select(col(t.Balance.account), col(t.Balance.balance_cents)).where(
                among(session, col(t.Balance.account), part)
            )
        )
        found.update({str(a): int(b) for a, b in rows})
    return {a: found.get(a, 0) for a in accounts}


def _posting_sums(session: Session, accounts: Sequence[str]) -> dict[str, int]:
    """Sum of ALL postings of each account."""
    sums: dict[str, int] = {}
    for part in batches(session, accounts):
        query = (
            select(col(t.Posting.account), func.sum(col(t.Posting.amount_cents)))
            .where(among(session, col(t.Posting.account), part))
            .group_by(col(t.Posting.account))
        )
        sums.update({str(a): int(s) for a, s in session.execute(query)})
    return {a: sums.get(a, 0) for a in accounts}


def _moved_by(session: Session, seq: int) -> dict[str, int]:
    """Sum of the postings of command ``seq``, per account."""
    query = (
        select(col(t.Posting.account), func.sum(col(t.Posting.amount_cents)))
        .where(col(t.Posting.seq) == seq)
        .group_by(col(t.Posting.account))
    )
    return {str(a): int(s) for a, s in session.execute(query)}


def check_command(session: Session, seq: int, before: Mapping[str, int]) -> list[str]:
    """Problems with the state after command ``seq`` (``before``: touched balances before)."""
    problems = _unbalanced_entries(session, seq)
    accounts = sorted(before)
    after = balances_of(session, accounts)
    moved = _moved_by(session, seq)
    for account in accounts:
        if after[account] - before[account] != moved.get(account, 0):
            problems.append(
                f"balance {account} moved by {after[account] - before[account]}, "
                f"its postings by {moved.get(account, 0)}"
            )
    members = [a for a in accounts if a.startswith(("411:", "419:"))]
    full = _posting_sums(session, members)
    problems.extend(
        f"balance {a} is {after[a]}, its postings sum to {full[a]}"
        for a in members
        if after[a] != full[a]
    )
    problems.extend(_member_credit(session, {a: after[a] for a in members if a.startswith("419:")}))
    problems.extend(_totals(session))
    return problems


def _unbalanced_entries(session: Session, seq: int) -> list[str]:
    rows = session.execute(
        select(col(t.Posting.entry_id), func.sum(col(t.Posting.amount_cents)))
        .where(col(t.Posting.seq) == seq)
        .group_by(col(t.Posting.entry_id))
        .having(func.sum(col(t.Posting.amount_cents)) != 0)
    )
    return [f"entry {entry_id} postings sum to {total}" for entry_id, total in rows]


def _member_credit(session: Session, credit_balances: Mapping[str, int]) -> list[str]:
    problems: list[str] = []
    households = [a.split(":", 1)[1] for a in credit_balances]
    held: dict[str, int] = {}
    for part in batches(session, households):
        rows = session.execute(
            select(col(t.CreditLot.household_id), func.sum(col(t.CreditLot.remaining_cents)))
            .where(among(session, col(t.CreditLot.household_id), part), col(t.CreditLot.is_open))
            .group_by(col(t.CreditLot.household_id))
        )
        held.update({str(h): int(s) for h, s in rows})
    for account, balance in credit_balances.items():
        household = account.split(":", 1)[1]
        if balance > 0:
            problems.append(f"member credit {account} is below zero ({-balance} cents)")
        if held.get(household, 0) != -balance:
            problems.append(
                f"open lots of {household} hold {held.get(household, 0)}, credit is {-balance}"
            )
    negative_lots = session.execute(
        select(func.count()).select_from(t.CreditLot).where(col(t.CreditLot.remaining_cents) < 0)
    ).scalar_one()
    if negative_lots:
        problems.append(f"{negative_lots} credit lots hold a negative amount")
    return problems


def _sum_like(prefix: str) -> ColumnElement[Any]:
    return func.coalesce(
        func.sum(
            case((col(t.Balance.account).like(prefix), col(t.Balance.balance_cents)), else_=0)
        ),
        0,
    )


def fund_totals(session: Session) -> dict[str, int]:
    """Sums of the balances by chart code family, plus the trial balance (one scan)."""
    names = {
        "bank": "512",
        "cash": "530",
        "members_due": "411:%",
        "member_credit": "419:%",
        "merchants": "401:%",
        "top_ups_receivable": "4687:%",
        "subsidies_receivable": "441:%",
        "dedicated_funds": "194:%",
    }
    columns = [_sum_like(code).label(name) for name, code in names.items()]
    columns.append(func.coalesce(func.sum(col(t.Balance.balance_cents)), 0).label("trial_balance"))
    row = session.execute(select(*columns)).one()
    return {key: int(value) for key, value in row._mapping.items()}


def _totals(session: Session) -> list[str]:
    totals = fund_totals(session)
    problems: list[str] = []
    if totals["trial_balance"] != 0:
        problems.append(f"trial balance is {totals['trial_balance']} cents, not 0")
    owed = -totals["member_credit"] - totals["merchants"]
    held = (
        totals["bank"]
        + totals["cash"]
        + totals["members_due"]
        + totals["top_ups_receivable"]
        + totals["subsidies_receivable"]
    )
    if owed > held:
        problems.append(f"credit and payables ({owed} cents) exceed what the fund holds ({held})")
    return problems


def check_books(session: Session) -> list[str]:
    """The full check: every stored balance equals the sum of all its postings, and totals."""
    stored = {
        str(a): int(b)
        for a, b in session.execute(select(col(t.Balance.account), col(t.Balance.balance_cents)))
    }
    summed = {
        str(a): int(s)
        for a, s in session.execute(
            select(col(t.Posting.account), func.sum(col(t.Posting.amount_cents))).group_by(
                col(t.Posting.account)
            )
        )
    }
    problems = [
        f"balance {a} is {stored.get(a, 0)}, its postings sum to {summed.get(a, 0)}"
        for a in sorted(set(stored) | set(summed))
        if stored.get(a, 0) != summed.get(a, 0)
    ]
    return problems + _totals(session)
