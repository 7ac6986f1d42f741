"""The payload fast path (``quick``) never accepts what ``Fields`` refuses, and reads the same."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.engine.books.apply_money import _PAYMENT_SCHEMA
from app.engine.books.apply_purchase import _PURCHASE_SCHEMA
from app.engine.books.commands import CENTS, DAY, ID, PERIOD, TEXT, Fields, InvalidCommand, quick
from tests.engine.test_books_support import buy, payment

odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["2026-02-30", "2026-1", " 2026-01", "2026-01-15", "hh_1", "a:b", "", "1"]),
)


def slow(payload: Any, schema: tuple[tuple[str, int], ...]) -> list[Any] | None:
    f = Fields(payload)
    readers = {ID: f.ident, TEXT: f.text, CENTS: f.cents, DAY: f.day, PERIOD: f.period}
    values = [readers[check](key) for key, check in schema]
    try:
        f.done()
    except InvalidCommand:
        return None
    return values


@given(
    base=st.sampled_from([buy("p1", "hh_1", "m1", 250), payment("hh_1", 300)]),
    changes=st.dictionaries(
        st.sampled_from(
            [
                "purchase_id",
                "household_id",
                "amount_cents",
                "on",
                "period",
                "received_on",
                "category",
                "method",
                "extra",
            ]
        ),
        odd_values,
        max_size=3,
    ),
    drop=st.sampled_from([None, "amount_cents", "household_id"]),
)
def test_quick_accepts_exactly_what_fields_accepts(
    base: dict[str, Any], changes: dict[str, Any], drop: str | None
) -> None:
    schema = _PURCHASE_SCHEMA if "purchase_id" in base else _PAYMENT_SCHEMA
    payload = {**base, **changes}
    if drop is not None:
        payload.pop(drop, None)
    assert quick(payload, schema) == slow(payload, schema)


def test_quick_reads_a_valid_purchase() -> None:
    values = quick(buy("p1", "hh_1", "m1", 250, on="2026-03-04"), _PURCHASE_SCHEMA)
    assert values is not None and str(values[5]) == "2026-03-04" and str(values[6]) == "2026-03"
