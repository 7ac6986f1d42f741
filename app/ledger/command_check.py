"""The invariant check of one command in two round trips, and the fund totals it carries.

The one check of a command's writes (app.ledger.invariants lists the invariants): entries
balance, no posting outside the touched accounts, each touched balance moved by its
postings, member accounts equal the sum of all their postings, member credit not below zero
and held by its open lots, no negative lot, trial balance zero and the backing invariant.

It reads the stored state after the writes in ONE statement (``UNION ALL`` of the command's
postings per account and per unbalanced entry, the touched balances with the full posting
sums of member accounts, and the lots of touched members), instead of six.

The fund totals are carried, not summed: ``fund_total`` holds the totals of the state left
by the journal head ``(seq, hash)`` that wrote them. When that head is still the journal's
head (no command was recorded since by anyone who did not update it), the check moves those
totals by the touched accounts' stored changes, as the month run does with its carrier;
otherwise (first command, or a writer that did not carry them) it sums every balance once.
The row is rewritten by every command that passes the check, under the writer lock, so the
next one finds it current. ``check_books`` (month close, verifier) still sums everything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from sqlmodel import Session

from app.engine.books.journal import GENESIS_HASH
from app.ledger import invariants
from app.ledger.invariants import MEMBER_PREFIXES, Before

_PARTS_SQLITE = """
SELECT 'a', account, SUM(amount_cents), COUNT(*) FROM posting WHERE seq BETWEEN ? AND ?
  GROUP BY account
UNION ALL
SELECT 'e', entry_id, SUM(amount_cents), 0 FROM posting WHERE seq BETWEEN ? AND ?
  GROUP BY entry_id HAVING SUM(amount_cents) <> 0
UNION ALL
SELECT 'b', b.account, b.balance_cents,
  CASE WHEN b.account LIKE '411:%' OR b.account LIKE '419:%'
    THEN (SELECT SUM(p.amount_cents) FROM posting p WHERE p.account = b.account) END
  FROM balance b WHERE b.account IN (SELECT value FROM json_each(?))
UNION ALL
SELECT 'l', household_id, SUM(CASE WHEN is_open THEN remaining_cents ELSE 0 END),
  MIN(remaining_cents)
  FROM credit_lot WHERE household_id IN (SELECT value FROM json_each(?)) GROUP BY household_id
"""
_PARTS_POSTGRES = (
    _PARTS_SQLITE.replace("?", "%s")
    .replace("LIKE '411:%'", "LIKE '411:%%'")
    .replace("LIKE '419:%'", "LIKE '419:%%'")
    .replace("IN (SELECT value FROM json_each(%s))", "= ANY(%s::text[])")
)


class _State:
    """What the one statement read back, by part."""

    def __init__(self) -> None:
        self.moved: dict[str, int] = {}  # this command's postings per account
        self.counts: dict[str, int] = {}
        self.unbalanced: list[tuple[str, int]] = []
        self.after: dict[str, int] = {}  # stored balances of touched accounts
        self.full: dict[str, int] = {}  # sums of ALL postings of touched member accounts
        self.lots: dict[str, tuple[int, int]] = {}  # household -> (open total, lowest)


def check_statement(
    dialect: str, seqs: tuple[int, int], accounts: list[str]
) -> tuple[str, tuple[Any, ...]]:
    """The one read-back statement of the check and its parameters (for a caller that sends
    it together with its writes, app.ledger.group_pg)."""
    households = [a.split(":", 1)[1] for a in accounts if a.startswith("419:")]
    first, last = seqs
    if dialect == "postgresql":
        return _PARTS_POSTGRES, (first, last, first, last, accounts, households)
    return _PARTS_SQLITE, (first, last, first, last, json.dumps(accounts), json.dumps(households))


def _state_of(rows: Any) -> _State:
    state = _State()
    moved, counts, after, full = state.moved, state.counts, state.after, state.full
    lots = state.lots
    for part, name, value, extra in rows:  # most frequent parts first: tens of thousands
        if part == "b":
            after[name] = int(value)
            if extra is not None:
                full[name] = int(extra)
        elif part == "a":
            moved[name] = int(value)
            counts[name] = int(extra)
        elif part == "l":
            lots[name] = (int(value), int(extra))
        else:
            state.unbalanced.append((name, int(value)))
    return state


def check_command(session: Session, seq: int, before: Before) -> list[str]:
    """Problems with the state after command ``seq`` (see the module docstring)."""
    return check_range(session, seq, seq, before)


def check_range(session: Session, first_seq: int, last_seq: int, before: Before) -> list[str]:
    """Problems with the state after commands ``first_seq..last_seq``, written together in
    this transaction (a group of purchases): ``before`` is the state before the first one,
    and ``before.balances`` names every account any of them touched."""
    connection = session.connection()
    statement, params = check_statement(
        connection.dialect.name, (first_seq, last_seq), sorted(before.balances)
    )
    # All rows in one fetch (tens of thousands for a month-run chunk): row by row, the SQL
    # layer's per-row fetch cost more than the statement itself.
    rows = connection.exec_driver_sql(statement, params).fetchall()
    return check_rows(session, (first_seq, last_seq), before, rows)


def check_rows(session: Session, seqs: tuple[int, int], before: Before, rows: Any) -> list[str]:
    """``check_range``'s problems from the rows its statement (``check_statement``) read."""
    state = _state_of(rows)
    accounts = sorted(before.balances)
    first_seq, last_seq = seqs
    single = first_seq == last_seq
    label = f"command {first_seq}" if single else f"commands {first_seq}-{last_seq}"
    touching = "it touches" if single else "they touch"
    problems = [f"entry {e} postings sum to {total}" for e, total in sorted(state.unbalanced)]
    written = sum(state.counts.values())
    counted = sum(state.counts.get(a, 0) for a in accounts)
    if written != counted:
        problems.append(
            f"{label} wrote {written} postings, {counted} of them on accounts {touching}"
        )
    after = {a: state.after.get(a, 0) for a in accounts}
    problems.extend(_account_problems(state, before.balances, after))
    totals = (
        invariants.fund_totals(session)
        if before.totals is None
        else invariants.moved_totals(before.totals, before.balances, after)
    )
    problems.extend(invariants.totals_problems(totals))
    if not problems:
        before.totals_after = totals
    return problems


def _account_problems(
    state: _State, balances: Mapping[str, int], after: Mapping[str, int]
) -> list[str]:
    """Balances moved by other than their postings, then member accounts that are not the
    sum of all their postings, then credit problems: one pass over the touched accounts
    (tens of thousands in a month-run chunk), the problems in that order."""
    moved_wrong: list[str] = []
    member_wrong: list[str] = []
    credit: list[str] = []
    moved, full, lots = state.moved, state.full, state.lots
    for account, balance in after.items():
        change, posted = balance - balances[account], moved.get(account, 0)
        if change != posted:
            moved_wrong.append(f"balance {account} moved by {change}, its postings by {posted}")
        if account.startswith(MEMBER_PREFIXES):
            if balance != full.get(account, 0):
                summed = full.get(account, 0)
                member_wrong.append(f"balance {account} is {balance}, its postings sum to {summed}")
            if account.startswith("419:"):
                credit.extend(_credit_problems(account, balance, lots))
    return moved_wrong + member_wrong + credit


def _credit_problems(account: str, balance: int, lots: Mapping[str, tuple[int, int]]) -> list[str]:
    """A member credit account (``419:``) below zero or not held by its open lots."""
    household = account.split(":", 1)[1]
    held, lowest = lots.get(household, (0, 0))
    if balance <= 0 and held == -balance and lowest >= 0:
        return []  # the common case, without building a list of problems
    problems: list[str] = []
    if balance > 0:
        problems.append(f"member credit {account} is below zero ({-balance} cents)")
    if held != -balance:
        problems.append(f"open lots of {household} hold {held}, credit is {-balance}")
    if lowest < 0:
        problems.append(f"a credit lot of {household} holds a negative amount ({lowest})")
    return problems


_HEAD_AND_TOTALS = (
    "SELECT j.seq, j.hash, f.seq, f.hash, f.totals,"
    " (SELECT k.request_hash FROM journal AS k WHERE k.idempotency_key = {mark}),"
    " (SELECT k.result FROM journal AS k WHERE k.idempotency_key = {mark}) FROM"
    " (SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1) AS j"
    " LEFT JOIN fund_total AS f ON f.id = 1"
)


class Stored(NamedTuple):
    """What the journal holds under an idempotency key."""

    request_hash: str
    result: str


class Top(NamedTuple):
    """Read under the writer lock in one round trip: the journal head, the carried totals
    if they are those of that head, and the record already stored under the key, if any."""

    seq: int  # the journal head's seq (0 for an empty journal) and hash
    hash: str
    totals: dict[str, int] | None
    stored: Stored | None


def head_and_totals(session: Session, idempotency_key: str) -> Top:
    connection = session.connection()
    mark = "%s" if connection.dialect.name == "postgresql" else "?"
    statement = _HEAD_AND_TOTALS.format(mark=mark)
    row = connection.exec_driver_sql(statement, (idempotency_key, idempotency_key)).first()
    if row is None:
        return Top(0, GENESIS_HASH, None, None)
    seq, hash_ = int(row[0]), str(row[1])
    stored = None if row[5] is None else Stored(str(row[5]), str(row[6]))
    if row[2] is None or int(row[2]) != seq or row[3] != hash_:
        return Top(seq, hash_, None, stored)
    totals: dict[str, int] = json.loads(row[4])
    return Top(seq, hash_, totals, stored)


def carry_totals(session: Session, seq: int, record_hash: str, totals: Mapping[str, int]) -> None:
    """Store ``totals`` as those of the state left by record ``(seq, record_hash)``."""
    connection = session.connection()
    mark = "%s" if connection.dialect.name == "postgresql" else "?"
    values: Any = (seq, record_hash, json.dumps(dict(totals), sort_keys=True))
    moved = connection.exec_driver_sql(
        f"UPDATE fund_total SET seq = {mark}, hash = {mark}, totals = {mark} WHERE id = 1", values
    )
    if moved.rowcount == 0:
        connection.exec_driver_sql(
            f"INSERT INTO fund_total (id, seq, hash, totals) VALUES (1, {mark}, {mark}, {mark})",
            values,
        )


def stored_results(session: Session, keys: list[str]) -> dict[str, Stored]:
    """What the journal holds under each of ``keys`` that it has (one statement)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        among, params = "= ANY(%s::text[])", (keys,)
    else:
        among, params = "IN (SELECT value FROM json_each(?))", (json.dumps(keys),)  # type: ignore[assignment]
    rows = connection.exec_driver_sql(
        f"SELECT idempotency_key, request_hash, result FROM journal WHERE idempotency_key {among}",
        params,
    )
    return {str(key): Stored(str(digest), str(result)) for key, digest, result in rows}
