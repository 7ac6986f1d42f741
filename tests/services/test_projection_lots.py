"""The projection reads the fund's open credit lots as the books hold them, in any slices.

``services.projection._open_lots`` reads the open lots in slices through the driver (on
PostgreSQL a server-side cursor) and turns them into ``LotColumns``: each lot once, with its
household, id, month granted, last month and what remains, whatever the slice size; spent and
expired lots are not read.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.db import tables as t
from app.db.row_states import lot_state
from app.engine.projection import LotColumns
from app.services import projection
from app.services.merchants import approve_merchant, purchase
from app.services.months import run_month
from tests.services.helpers import CODE, RULES, adopt, enrol, w


def _rows(columns: LotColumns) -> list[tuple[object, ...]]:
    return sorted(
        zip(
            columns.household_ids,
            columns.lot_ids,
            columns.granted,
            columns.last,
            columns.remaining_cents,
            strict=True,
        )
    )


@pytest.mark.parametrize("slice_size", [1, 2, 50_000])
def test_open_lots_are_read_as_the_books_hold_them(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, slice_size: int
) -> None:
    adopt(engine, RULES | {"unspent_credit": {"policy": "expire", "after_months": 3}})
    enrol(engine, "hh_a", 200_000, 1)
    enrol(engine, "hh_b", 80_000, 3)
    enrol(engine, "hh_c", 40_000, 2)
    approve_merchant(engine, "shop", {"food": "1"}, date(2026, 1, 1), **w())
    run_month(engine, "2026-11", **w())
    run_month(engine, "2026-12", **w())
    with Session(engine) as session:
        granted = {
            row.period: row.remaining_cents
            for row in session.exec(select(t.CreditLot).where(t.CreditLot.household_id == "hh_a"))
        }
    # hh_a spends November's lot and 1 EUR more: that lot closes, December's is 100 cents down.
    amount = granted["2026-11"] + 100
    purchase(engine, "p-1", "hh_a", "shop", "food", amount, date(2026, 12, 5), CODE, **w())
    with Session(engine) as session:
        stored = session.exec(select(t.CreditLot).where(t.CreditLot.is_open)).all()
        expected = LotColumns.from_lots(lot_state(row) for row in stored)
        monkeypatch.setattr(projection, "_LOTS_AT_ONCE", slice_size)
        found = projection._open_lots(session)
    assert _rows(found) == _rows(expected)
    # Two months granted to three households, less the lot hh_a emptied: five lots.
    assert len(found) == 5
    november, december = 2026 * 12 + 10, 2026 * 12 + 11
    assert sorted(set(zip(found.granted, found.last, strict=True))) == [
        (november, november + 2),
        (december, december + 2),
    ]
    held_by_a = [
        (month, cents)
        for household, month, cents in zip(
            found.household_ids, found.granted, found.remaining_cents, strict=True
        )
        if household == "hh_a"
    ]
    assert held_by_a == [(december, granted["2026-12"] - 100)]
