"""The invariants of the books, and the pieces the per-command check is built from.

After each command's writes, ``app.ledger.command_check.check_command`` verifies (inside the
command's transaction; a failure rolls it back):

- every entry of the command balances (its stored postings sum to 0), and the command posted
  to no account other than those its effects name (the "touched" accounts);
- each touched balance moved by exactly the sum of the command's postings on it, and each
  touched member account (``411:``/``419:``) equals the sum of ALL its postings (the fund's
  shared accounts are re-summed in full by ``check_books``, at month close and by the
  verifier: re-summing them on every purchase would grow with the fund's history);
- no member credit below zero, a member's open lots hold exactly its credit balance, and no
  lot of a touched member holds a negative amount;
- trial balance zero and the backing invariant over the fund's totals:
  −Σ419 − Σ401 ≤ 512 + 530 + Σ411 + Σ4687 + Σ441 (no phantom money).

The totals are either summed over every stored balance after the writes (one scan), or, when
the caller knows them as they were before the command (``Before.totals``), moved by the
touched accounts' stored changes (read back after the writes): since every other account is
unchanged by the command, that is the same sum without reading the fund's whole balance
table, which a 100k-household month run would otherwise scan once per chunk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlmodel import Session, case, col

from app.db import tables as t
from app.ledger.bulk import among, batches

# Families of accounts summed by ``fund_totals`` (prefix ending in ":" = the family's accounts).
FAMILIES = {
    "bank": "512",
    "cash": "530",
    "members_due": "411:",
    "member_credit": "419:",
    "merchants": "401:",
    "top_ups_receivable": "4687:",
    "subsidies_receivable": "441:",
    "dedicated_funds": "194:",
}
_EXACT = {code: name for name, code in FAMILIES.items() if not code.endswith(":")}
_PREFIXED = {code[:-1]: name for name, code in FAMILIES.items() if code.endswith(":")}
MEMBER_PREFIXES = ("411:", "419:")


class InvariantViolation(RuntimeError):
    """The books would break an invariant: a defect, never a user error. Nothing is written."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


@dataclass(slots=True)
class Before:
    """What the check needs from before the command's writes.

    ``balances``: the touched accounts' stored balances (0 when there is no row yet);
    ``stored``: those that had a row; ``totals``: the fund totals before, if the caller knows
    them (else they are summed in full after the writes). ``command_check.check_command`` fills
    ``totals_after`` when it finds no problem."""

    balances: dict[str, int]
    stored: frozenset[str]
    totals: dict[str, int] | None = None
    totals_after: dict[str, int] | None = field(default=None)


def stored_balances(session: Session, accounts: Sequence[str]) -> dict[str, int]:
    """Stored balances of those ``accounts`` that have a row."""
    found: dict[str, int] = {}
    for part in batches(session, accounts):
        rows = session.connection().execute(
            select(col(t.Balance.account), col(t.Balance.balance_cents)).where(
                among(session, col(t.Balance.account), part)
            )
        )
        found.update(rows.all())  # one fetch, not one per row
    return found


def balances_of(session: Session, accounts: Sequence[str]) -> dict[str, int]:
    """Stored balances of ``accounts`` (0 for an account never posted to)."""
    found = stored_balances(session, accounts)
    return {a: found.get(a, 0) for a in accounts}


def read_before(
    session: Session, accounts: Sequence[str], totals: Mapping[str, int] | None = None
) -> Before:
    found = stored_balances(session, accounts)
    return Before(
        {a: found.get(a, 0) for a in accounts},
        frozenset(found),
        None if totals is None else dict(totals),
    )


def moved_totals(
    totals: Mapping[str, int], before: Mapping[str, int], after: Mapping[str, int]
) -> dict[str, int]:
    """``totals`` moved by each account's change from ``before`` to ``after``."""
    moved = dict(totals)
    trial = 0  # summed apart: a month-run chunk moves tens of thousands of accounts
    for account, old in before.items():
        change = after[account] - old
        if not change:
            continue
        trial += change
        name = family(account)
        if name is not None:
            moved[name] += change
    moved["trial_balance"] += trial
    return moved


def family(account: str) -> str | None:
    """The ``fund_totals`` family of ``account`` (``None``: in the trial balance only)."""
    code, colon, _ = account.partition(":")
    return _PREFIXED.get(code) if colon else _EXACT.get(code)


def _sum_like(prefix: str) -> ColumnElement[Any]:
    return func.coalesce(
        func.sum(
            case((col(t.Balance.account).like(prefix), col(t.Balance.balance_cents)), else_=0)
        ),
        0,
    )


def fund_totals(session: Session) -> dict[str, int]:
    """Sums of the balances by chart code family, plus the trial balance (one scan)."""
    columns = [
        _sum_like(code + "%" if code.endswith(":") else code).label(name)
        for name, code in FAMILIES.items()
    ]
    columns.append(func.coalesce(func.sum(col(t.Balance.balance_cents)), 0).label("trial_balance"))
    row = session.execute(select(*columns)).one()
    return {key: int(value) for key, value in row._mapping.items()}


def _totals(session: Session) -> list[str]:
    return totals_problems(fund_totals(session))


def held_cents(totals: Mapping[str, int]) -> int:
    """What the fund holds (``fund_totals``): bank and cash, and what members, top-up
    funders and subsidisers owe it. The one definition the invariant, the month run's
    budget and the fund's position read."""
    return (
        totals["bank"]
        + totals["cash"]
        + totals["members_due"]
        + totals["top_ups_receivable"]
        + totals["subsidies_receivable"]
    )


def owed_cents(totals: Mapping[str, int]) -> int:
    """What the fund owes (``fund_totals``): credit in circulation and merchant payables."""
    return -totals["member_credit"] - totals["merchants"]


def totals_problems(totals: Mapping[str, int]) -> list[str]:
    """Trial balance not zero; credit and payables not backed by what the fund holds."""
    problems: list[str] = []
    if totals["trial_balance"] != 0:
        problems.append(f"trial balance is {totals['trial_balance']} cents, not 0")
    owed, held = owed_cents(totals), held_cents(totals)
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
