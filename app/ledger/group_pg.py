"""PostgreSQL: a group of purchases read in ONE statement and written in ONE statement.

Each round trip under the fund's writer lock lengthens the time every other writer waits,
and under load each one also waits for its worker's interpreter lock (GIL) on the way
back. So on PostgreSQL a group of purchases reads everything it needs, under the lock, in
one statement (``read_group``: the journal head and carried totals, the records already
stored under the group's idempotency keys, the households with their consent codes and
runs of wrong codes, the merchants, the months, the households' open lots ``FOR UPDATE``,
the purchases under the group's ``(merchant_id, purchase_id)`` and the balances of the
accounts the group may touch), and writes every row in one statement (``write_group``: data-modifying
``WITH`` queries fed by ``unnest`` of one array per column). The rows are exactly those of
``app.ledger.group`` (SQLite keeps that path: its round trips are function calls).

The purchases are looked up one primary key at a time (``LATERAL ... LIMIT 1``, which the
planner cannot turn into a join): as a set, on a young table whose statistics were stale,
the planner scanned every purchase for each group, a cost growing with every sale. They are
not locked: a purchase row is only ever written under the writer lock this group holds.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlmodel import Session

from app.engine.books.journal import GENESIS_HASH
from app.engine.books.state import Effects, MonthState, SetPurchase
from app.engine.period import Period
from app.ledger.command_check import Stored
from app.ledger.group import GroupBooks
from app.ledger.registry import new_purchase_row
from app.ledger.view import household_state, lot_state, merchant_state, purchase_state
from app.ledger.view import unspent_policy as month_policy

_READ = """
WITH lots AS (
  SELECT lot_id, household_id, period, expires_period, remaining_cents FROM credit_lot
  WHERE household_id = ANY(%(households)s::text[]) AND is_open FOR UPDATE
), bought AS (
  SELECT p.* FROM unnest(%(purchase_merchants)s::text[], %(purchases)s::text[]) AS k(m, id),
    LATERAL (SELECT * FROM purchase WHERE merchant_id = k.m AND purchase_id = k.id LIMIT 1) AS p
)
SELECT 't', json_build_array(j.seq, j.hash, f.seq, f.hash, f.totals)::text
  FROM (SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1) AS j
  LEFT JOIN fund_total AS f ON f.id = 1
UNION ALL SELECT 'k', json_build_array(idempotency_key, request_hash, result)::text
  FROM journal WHERE idempotency_key = ANY(%(keys)s::text[])
UNION ALL SELECT 'h', row_to_json(h)::text FROM (
  SELECT household_id, from_period, facts_commitment, erased, consent_code_hash
  FROM household WHERE household_id = ANY(%(households)s::text[])) AS h
UNION ALL SELECT 'a', row_to_json(a)::text
  FROM consent_attempt AS a WHERE household_id = ANY(%(households)s::text[])
UNION ALL SELECT 'm', row_to_json(m)::text
  FROM merchant AS m WHERE merchant_id = ANY(%(merchants)s::text[])
UNION ALL SELECT 'n', row_to_json(n)::text FROM month AS n WHERE period = ANY(%(periods)s::text[])
UNION ALL SELECT 'l', row_to_json(lots)::text FROM lots
UNION ALL SELECT 'p', row_to_json(bought)::text FROM bought
UNION ALL SELECT 'b', json_build_array(account, balance_cents)::text
  FROM balance WHERE account = ANY(%(accounts)s::text[])
"""


_LOCK = "SELECT pg_advisory_xact_lock(%s)"


def pipelined(session: Session, statements: list[tuple[str, Any]]) -> list[list[Any]]:
    """Run ``statements`` in order in the session's transaction, sent together (one wait
    for the server instead of one per statement); the rows of each."""
    raw: Any = session.connection().connection.dbapi_connection
    cursors = []
    try:
        with raw.pipeline():
            for statement, params in statements:
                cursor = raw.cursor()
                cursors.append(cursor)
                cursor.execute(statement, params)
        return [cursor.fetchall() if cursor.description else [] for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


class _Row:
    """Attribute access to a JSON object (the row readers of app.ledger.view take rows)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


@dataclass(slots=True)
class GroupState:
    """Everything a group of purchases reads, as of the moment the writer lock was taken."""

    seq: int = 0  # the journal head
    hash: str = GENESIS_HASH
    totals: dict[str, int] | None = None  # carried fund totals, if they are the head's
    stored: dict[str, Stored] = field(default_factory=dict)
    codes: dict[str, str | None] = field(default_factory=dict)  # household -> code hash
    attempts: dict[tuple[str, str], tuple[int, str | None, str | None]] = field(
        default_factory=dict
    )  # (household, merchant) -> a run of wrong consent codes (app.services.consent)
    balances: dict[str, int] = field(default_factory=dict)  # of the accounts asked for
    books: GroupBooks = field(default_factory=GroupBooks)


def read_group(
    session: Session,
    *,
    lock_key: int,
    keys: list[str],
    households: list[str],
    merchants: list[str],
    periods: list[str],
    purchases: list[tuple[str, str]],
    accounts: list[str],
) -> GroupState:
    """Take the fund's writer lock (``pg_advisory_xact_lock(lock_key)``), then read, both
    sent at once (psycopg pipeline: the server runs the read only once the lock is held, so
    its snapshot sees every earlier writer's commit; the client waits once, not twice)."""
    params = {
        "keys": keys,
        "households": households,
        "merchants": merchants,
        "periods": periods,
        # ``(merchant_id, purchase_id)`` pairs, as two arrays zipped by ``unnest``.
        "purchase_merchants": [merchant for merchant, _ in purchases],
        "purchases": [purchase for _, purchase in purchases],
        "accounts": accounts,
    }
    state = GroupState()
    books = state.books
    lots: list[Any] = []
    head: list[Any] | None = None
    _, rows = pipelined(session, [(_LOCK, (lock_key,)), (_READ, params)])
    for part, text in rows:
        value = json.loads(text)
        if part == "l":
            lots.append(_Row(value))
        elif part == "p":
            books.purchases[value["merchant_id"], value["purchase_id"]] = purchase_state(
                _Row(value)
            )
        elif part == "b":
            state.balances[value[0]] = int(value[1])
        elif part == "h":
            books.households[value["household_id"]] = household_state(_Row(value))
            state.codes[value["household_id"]] = value["consent_code_hash"]
        elif part == "a":
            state.attempts[value["household_id"], value["merchant_id"]] = (
                int(value["failures"]),
                value["last_failure_at"],
                value["locked_until"],
            )
        elif part == "m":
            books.merchants[value["merchant_id"]] = merchant_state(_Row(value))
        elif part == "n":
            period = Period.parse(value["period"])
            month = MonthState(period, value["status"], month_policy(_Row(value)))
            books.months[period] = month
            books.months_by_text[value["period"]] = month
        elif part == "k":
            state.stored[value[0]] = Stored(value[1], value[2])
        else:
            head = value
    # Oldest first within a household, as SqlBooksView reads them.
    for row in sorted(lots, key=lambda r: (r.household_id, r.period, r.lot_id)):
        books.open_lots.setdefault(row.household_id, {})[row.lot_id] = lot_state(row)
    if head is not None:
        state.seq, state.hash = int(head[0]), str(head[1])
        if head[2] is not None and int(head[2]) == state.seq and head[3] == state.hash:
            state.totals = {str(k): int(v) for k, v in json.loads(head[4]).items()}
    return state


_WRITE = """
WITH j AS (
  INSERT INTO journal SELECT * FROM json_populate_recordset(NULL::journal, %(journal)s::json)
), e AS (
  INSERT INTO ledger_entry
  SELECT * FROM json_populate_recordset(NULL::ledger_entry, %(entries)s::json)
), p AS (
  INSERT INTO posting SELECT * FROM json_populate_recordset(NULL::posting, %(postings)s::json)
), b AS (
  UPDATE balance AS b SET balance_cents = b.balance_cents + d.delta, last_seq = d.seq
  FROM json_to_recordset(%(moved)s::json) AS d(account text, delta bigint, seq bigint)
  WHERE b.account = d.account
), n AS (
  INSERT INTO balance SELECT * FROM json_populate_recordset(NULL::balance, %(opened)s::json)
), l AS (
  UPDATE credit_lot AS l SET remaining_cents = l.remaining_cents - d.taken,
    is_open = (l.remaining_cents - d.taken) > 0, last_seq = d.seq
  FROM json_to_recordset(%(lots)s::json) AS d(lot_id text, taken bigint, seq bigint)
  WHERE l.lot_id = d.lot_id
  RETURNING 1
), u AS (
  INSERT INTO purchase SELECT * FROM json_populate_recordset(NULL::purchase, %(purchases)s::json)
), c AS (
  INSERT INTO fund_total (id, seq, hash, totals)
  SELECT 1, %(c_seq)s, %(c_hash)s, %(c_totals)s WHERE %(c_carry)s
  ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash,
    totals = EXCLUDED.totals
)
SELECT (SELECT count(*) FROM l)
"""


class Carry(NamedTuple):
    """The fund totals of the state the group leaves, tagged with its last record."""

    seq: int
    hash: str
    totals: dict[str, int]


def write_group(
    session: Session,
    journal_rows: Sequence[dict[str, Any]],
    recorded: Sequence[tuple[int, Effects]],
    stored_accounts: set[str],
    carry: Carry | None,
    check: tuple[str, tuple[Any, ...]],
) -> list[Any]:
    """Insert the journal rows, write the purchases' effects and store ``carry`` in one
    statement, then run the invariant check's read-back statement ``check``, both sent at
    once; returns the check's rows (the caller decides, before commit).

    Each table's rows travel as ONE JSON document, read by ``json_populate_recordset``
    with the table's own row type (so each value gets its column's type, as an INSERT
    would give it): one C-encoded string per table instead of one array per column, which
    psycopg quoted element by element in Python (a quarter of the writer's CPU)."""
    entries: list[dict[str, Any]] = []
    postings: list[dict[str, Any]] = []
    purchases: list[dict[str, Any]] = []
    deltas: dict[str, int] = defaultdict(int)
    last_seq: dict[str, int] = {}
    taken: dict[str, int] = defaultdict(int)
    taken_seq: dict[str, int] = {}
    for seq, effects in recorded:
        for position, entry in enumerate(effects.entries):
            entries.append(
                {
                    "entry_id": entry.entry_id,
                    "seq": seq,
                    "position": position,
                    "period": str(entry.period),
                    "kind": entry.kind,
                    "memo": entry.memo,
                    "reverses": entry.reverses,
                }
            )
            for line, (account, amount) in enumerate(entry.postings):
                postings.append(
                    {
                        "entry_id": entry.entry_id,
                        "line": line,
                        "seq": seq,
                        "account": account,
                        "amount_cents": amount,
                    }
                )
                deltas[account] += amount
                last_seq[account] = seq
        for change in effects.lot_changes:
            if change.kind != "spend":
                raise ValueError(f"a group of purchases cannot {change.kind} lot {change.lot_id}")
            taken[change.lot_id] += change.amount_cents
            taken_seq[change.lot_id] = seq
        purchases.extend(_purchase_row(registry, seq) for registry in effects.registry)
    moved = [
        {"account": a, "delta": deltas[a], "seq": last_seq[a]}
        for a in sorted(deltas)
        if a in stored_accounts
    ]
    opened = [
        {"account": a, "balance_cents": deltas[a], "last_seq": last_seq[a]}
        for a in sorted(deltas)
        if a not in stored_accounts
    ]
    lots = [{"lot_id": i, "taken": taken[i], "seq": taken_seq[i]} for i in sorted(taken)]
    params = {
        "journal": _json(journal_rows),
        "entries": _json(entries),
        "postings": _json(postings),
        "moved": _json(moved),
        "opened": _json(opened),
        "lots": _json(lots),
        "purchases": _json(purchases),
        "c_carry": carry is not None,
        "c_seq": None if carry is None else carry.seq,
        "c_hash": None if carry is None else carry.hash,
        "c_totals": None if carry is None else json.dumps(carry.totals, sort_keys=True),
    }
    written, checked = pipelined(session, [(_WRITE, params), check])
    lowered = int(written[0][0])
    if lowered != len(taken):
        raise LookupError(f"{len(taken) - lowered} lowered lots do not exist")
    return checked


def _json(rows: Sequence[dict[str, Any]]) -> str:
    """Rows as one JSON array of objects whose keys are their columns' names."""
    return json.dumps(rows, separators=(",", ":"))


def _purchase_row(registry: object, seq: int) -> dict[str, Any]:
    """The ``purchase`` row a purchase's registry change inserts (no refund yet)."""
    if not isinstance(registry, SetPurchase) or registry.state.refund_ids:
        raise ValueError(f"a group of purchases cannot record {registry!r}")
    return new_purchase_row(registry.state, seq)
