"""Read and write a group of purchases recorded in one transaction (group commit).

Guarantees, for purchases only (the hot path: a merchant's till):

- ``load_purchase_books`` reads everything the books core asks about a group of purchases
  (their households, merchants and months, the households' open lots, any purchase already
  stored under their ``(merchant_id, purchase_id)``: purchase ids are unique per merchant)
  in five statements into a ``GroupBooks``. On PostgreSQL the lots
  and purchases are read ``FOR UPDATE``, as ``SqlBooksView`` does for one command. Each
  accepted purchase's effects are committed to it in memory, so the next purchase of the
  group sees them: the lots it just drew on, the id it just used. What the core sees is
  therefore exactly what it would see if the purchases were recorded one after the other.
- ``persist_group`` writes the accepted purchases' effects in one statement per table:
  entries, postings, balances (each moved by the sum of its postings and tagged with the
  last seq that touched it, as one command after another would leave it), lots (each
  lowered by the sum of its spends, closed at zero) and the purchase registry. The rows are
  the ones ``persist_effects`` would write command by command; the verifier compares them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, Table, Text, bindparam, func, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session, SQLModel

from app.engine.books.memory import MemoryBooks
from app.engine.books.state import Effects, MonthState, SetPurchase
from app.engine.period import Period
from app.ledger.bulk import among, bulk_insert, is_postgres
from app.ledger.persist import write_entries
from app.ledger.view import household_state, lot_state, merchant_state, purchase_state
from app.ledger.view import unspent_policy as month_policy


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


class GroupBooks(MemoryBooks):
    """A ``BooksView`` over what a group of purchases reads, loaded up front; accepted
    effects are committed in memory (``commit``), refused commands leave it untouched."""

    def __init__(self) -> None:
        super().__init__(keep_entries=False)


def load_purchase_books(
    session: Session,
    household_ids: Iterable[str],
    merchant_ids: Iterable[str],
    periods: Iterable[str],
    purchase_keys: Iterable[tuple[str, str]],
) -> GroupBooks:
    """The state a group of purchases reads (see the module docstring)."""
    books = GroupBooks()
    households, merchants = sorted(set(household_ids)), sorted(set(merchant_ids))
    connection = session.connection()
    lock = is_postgres(session)
    table = _table("household")
    for row in connection.execute(
        select(
            table.c.household_id, table.c.from_period, table.c.facts_commitment, table.c.erased
        ).where(among(session, table.c.household_id, households))
    ):
        books.households[row.household_id] = household_state(row)
    table = _table("merchant")
    for row in connection.execute(
        select(table).where(among(session, table.c.merchant_id, merchants))
    ):
        books.merchants[row.merchant_id] = merchant_state(row)
    table = _table("month")
    for row in connection.execute(
        select(table).where(among(session, table.c.period, sorted(set(periods))))
    ):
        period = Period.parse(row.period)
        state = MonthState(period, row.status, month_policy(row))
        books.months[period] = state
        books.months_by_text[row.period] = state
    table = _table("credit_lot")
    lots = (
        select(table)
        .where(among(session, table.c.household_id, households), table.c.is_open)
        .order_by(table.c.household_id, table.c.period, table.c.lot_id)
    )
    for row in connection.execute(lots.with_for_update() if lock else lots):
        books.open_lots.setdefault(row.household_id, {})[row.lot_id] = lot_state(row)
    table = _table("purchase")
    keys = sorted(set(purchase_keys))
    bought = select(table).where(
        tuple_(table.c.merchant_id, table.c.purchase_id).in_(_pairs(session, keys))
    )
    for row in connection.execute(bought.with_for_update() if lock else bought):
        books.purchases[row.merchant_id, row.purchase_id] = purchase_state(row)
    return books


def _pairs(session: Session, pairs: Sequence[tuple[str, str]]) -> Select[Any]:
    """The rows ``(first, second)`` of ``pairs``, sent as one parameter (see
    ``app.ledger.bulk.among``): a JSON array on SQLite, two zipped arrays on PostgreSQL."""
    if is_postgres(session):
        firsts = bindparam(None, [a for a, _ in pairs], type_=ARRAY(Text))
        seconds = bindparam(None, [b for _, b in pairs], type_=ARRAY(Text))
        listed = func.unnest(firsts, seconds).table_valued("a", "b")
        return select(listed.c.a, listed.c.b)
    rows = func.json_each(bindparam(None, json.dumps(pairs), type_=Text)).table_valued("value")
    return select(func.json_extract(rows.c.value, "$[0]"), func.json_extract(rows.c.value, "$[1]"))


def persist_group(
    session: Session, recorded: Sequence[tuple[int, Effects]], stored: Iterable[str]
) -> dict[str, int]:
    """Write the effects of the group's accepted purchases ``(seq, effects)``; returns the
    balance delta per touched account. ``stored``: the touched accounts that have a balance
    row already (read by the caller in this transaction)."""
    entries = [entry for _, effects in recorded for entry in effects.entries]
    deltas = write_entries(session, entries)
    last_seq: dict[str, int] = {}
    for entry in entries:
        for account, _amount in entry.postings:
            last_seq[account] = entry.seq
    move_balances(session, deltas, last_seq, set(stored))
    lower_lots(session, recorded)
    insert_purchases(session, recorded)
    return deltas


def move_balances(
    session: Session, deltas: dict[str, int], last_seq: dict[str, int], stored: set[str]
) -> None:
    """Move each balance by its delta and tag it with the last seq that touched it."""
    accounts = sorted(deltas)
    moved = [a for a in accounts if a in stored]
    connection = session.connection()
    if moved and is_postgres(session):
        connection.exec_driver_sql(
            "UPDATE balance AS b SET balance_cents = b.balance_cents + d.delta,"
            " last_seq = d.seq FROM unnest(%s::text[], %s::bigint[], %s::bigint[])"
            " AS d(account, delta, seq) WHERE b.account = d.account",
            (moved, [deltas[a] for a in moved], [last_seq[a] for a in moved]),
        )
    elif moved:
        connection.exec_driver_sql(
            "UPDATE balance SET balance_cents = balance_cents + ?, last_seq = ? WHERE account = ?",
            [(deltas[a], last_seq[a], a) for a in moved],
        )
    inserts = [(a, deltas[a], last_seq[a]) for a in accounts if a not in stored]
    bulk_insert(session, "balance", ("account", "balance_cents", "last_seq"), inserts)


def lower_lots(session: Session, recorded: Sequence[tuple[int, Effects]]) -> None:
    """Lower each lot once by the sum of the group's spends from it (a PostgreSQL
    ``UPDATE ... FROM`` moves a row once however many source rows match it)."""
    taken: dict[str, int] = defaultdict(int)
    last: dict[str, int] = {}
    for seq, effects in recorded:
        for change in effects.lot_changes:
            if change.kind != "spend":
                raise ValueError(f"a group of purchases cannot {change.kind} lot {change.lot_id}")
            taken[change.lot_id] += change.amount_cents
            last[change.lot_id] = seq
    if not taken:
        return
    lots = sorted(taken)
    connection = session.connection()
    if is_postgres(session):
        result = connection.exec_driver_sql(
            "UPDATE credit_lot AS l SET remaining_cents = l.remaining_cents - d.taken,"
            " is_open = (l.remaining_cents - d.taken) > 0, last_seq = d.seq"
            " FROM unnest(%s::text[], %s::bigint[], %s::bigint[]) AS d(lot_id, taken, seq)"
            " WHERE l.lot_id = d.lot_id",
            (lots, [taken[lot] for lot in lots], [last[lot] for lot in lots]),
        )
    else:
        result = connection.exec_driver_sql(
            "UPDATE credit_lot SET remaining_cents = remaining_cents - ?,"
            " is_open = (remaining_cents - ?) > 0, last_seq = ? WHERE lot_id = ?",
            [(taken[lot], taken[lot], last[lot], lot) for lot in lots],
        )
    if result.rowcount not in (-1, len(lots)):
        raise LookupError(f"{len(lots) - result.rowcount} lowered lots do not exist")


PURCHASE_COLUMNS = (
    "purchase_id",
    "household_id",
    "merchant_id",
    "category",
    "period",
    "amount_cents",
    "credit_cents",
    "refunded_cents",
    "lots_expire",
    "refund_ids",
    "seq",
    "last_seq",
)


def insert_purchases(session: Session, recorded: Sequence[tuple[int, Effects]]) -> None:
    rows: list[tuple[Any, ...]] = []
    for seq, effects in recorded:
        for change in effects.registry:
            if not isinstance(change, SetPurchase) or change.state.refund_ids:
                raise ValueError(f"a group of purchases cannot record {change!r}")
            s = change.state
            expires = None if s.lots_expire is None else str(s.lots_expire)
            rows.append(
                (
                    s.purchase_id,
                    s.household_id,
                    s.merchant_id,
                    s.category,
                    str(s.period),
                    s.amount_cents,
                    s.credit_cents,
                    s.refunded_cents,
                    expires,
                    "[]",
                    seq,
                    seq,
                )
            )
    bulk_insert(session, "purchase", PURCHASE_COLUMNS, rows)
