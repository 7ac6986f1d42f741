"""A hot payload's plain reading (``plain_purchase``, ``plain_payment``: one expression, no
books) accepts exactly what its field-by-field reading (``Fields``, which names every problem)
accepts, and reads the same values."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.engine.books.apply_money import _payment_fields, plain_payment
from app.engine.books.apply_purchase import _purchase_fields, plain_purchase
from app.engine.books.commands import InvalidCommand, day_in_month, day_or_none
from tests.engine.test_books_support import buy, payment

odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["2026-02-30", "2026-1", " 2026-01", "2026-01-15", "hh_1", "a:b", "", "1"]),
)


def slow(payload: Any) -> Any:
    """The field-by-field reading's values, ``None`` where it refuses the payload."""
    read = _purchase_fields if "purchase_id" in payload else _payment_fields
    try:
        return tuple(read(payload))
    except InvalidCommand:
        return None


def plain(payload: Any) -> Any:
    """The plain reading's values, with the day and month read as ``Fields`` reads them."""
    if "purchase_id" in payload:
        values = plain_purchase(payload)
        if values is None:
            return None
        dated = day_in_month(values[5], values[6])
        assert dated is not None  # the plain reading checked it
        return (*values[:5], *dated, False, False)
    found = plain_payment(payload)
    if found is None:
        return None
    day = day_or_none(found[4])
    assert day is not None
    return (*found[:4], *day)


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
def test_the_plain_reading_accepts_exactly_what_fields_accepts(
    base: dict[str, Any], changes: dict[str, Any], drop: str | None
) -> None:
    payload = {**base, **changes}
    if drop is not None:
        payload.pop(drop, None)
    assert plain(payload) == slow(payload)


def test_the_plain_reading_reads_a_valid_purchase_and_payment() -> None:
    values = plain(buy("p1", "hh_1", "m1", 250, on="2026-03-04"))
    assert values is not None and str(values[5]) == "2026-03-04" and str(values[6]) == "2026-03"
    assert plain(payment("hh_1", 300)) == slow(payment("hh_1", 300)) is not None
