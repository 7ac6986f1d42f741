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


def _line_read(item: Any) -> Any:
    """What ``_Line`` reads field by field (``None`` where it names a problem), and what the
    plain reading gives (``None`` where it leaves the line to ``_Line``)."""
    from app.engine.books.apply_run import _Line, _plain_line
    from app.engine.books.commands import Fields

    def values(line: Any) -> tuple[Any, ...]:
        return (line.path, line.household_id, line.assessed, line.contribution, line.credit,
                line.share, line.funder)

    fields = Fields(item, "households[3]")
    line = _Line(fields)
    slow_read = None if fields.problems else values(line)
    plain_line = _plain_line(item, "households[3]")
    return slow_read, None if plain_line is None else values(plain_line)


_LINE = {"household_id": "hh_1", "status": "assessed", "contribution_cents": 1500,
         "credit_cents": 9000, "funder_share_cents": 500, "funder_id": "f_1",
         "facts_commitment": "sha256:ab"}


@given(
    changes=st.dictionaries(
        st.sampled_from([*_LINE, "arrears_months"]),
        st.one_of(odd_values, st.sampled_from(["needs_data", "not_eligible", "assessed", 0])),
        max_size=3,
    ),
    drop=st.sampled_from([None, "funder_id", "credit_cents"]),
)
def test_the_plain_line_reads_exactly_what_fields_reads(
    changes: dict[str, Any], drop: str | None
) -> None:
    item = {**_LINE, **changes}
    if drop is not None:
        item.pop(drop, None)
    slow_read, plain_read = _line_read(item)
    # The plain reading accepts only lines ``_Line`` accepts, and reads the same values.
    assert plain_read is None or plain_read == slow_read


def test_the_plain_line_reads_the_lines_a_month_run_writes() -> None:
    not_assessed = {**_LINE, "status": "needs_data", "contribution_cents": None,
                    "credit_cents": None, "funder_share_cents": 0, "funder_id": None}
    for item in (_LINE, not_assessed, {**_LINE, "funder_share_cents": 0, "funder_id": None,
                                       "facts_commitment": None}):
        slow_read, plain_read = _line_read(item)
        assert plain_read == slow_read is not None
    assert _line_read(not_assessed)[1] == (
        "households[3]", "hh_1", False, 0, 0, 0, None)
