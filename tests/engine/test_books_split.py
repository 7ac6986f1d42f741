"""Split purchases (the till's and the API's): a basket above the credit takes what the
member holds, the member pays the rest, no account ever holds the member's part; refunds
give each part back, the member's part exactly in full once the credit part is."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.engine.books.apply_purchase import member_due_cents
from app.engine.books.invariants import check_invariants
from tests.engine.test_books_support import (
    Driver,
    approve,
    buy,
    enrol,
    funding,
    line,
    postings,
    refund,
    run,
)


def funded(credit: int) -> Driver:
    d = Driver()
    d.do("enrol_household", enrol("hh_a"))
    d.do("approve_merchant", approve("m1", {"food": "1", "other": "0.5"}))
    d.do("record_funding", funding(1_000_000))
    d.do("run_month", run("2026-01", [line("hh_a", 0, credit)]))
    return d


def test_a_split_basket_takes_what_is_held_and_posts_only_the_credit() -> None:
    # 31,40 € held, 45,00 € of food at 100 %: the credit pays 31,40 €, the member 13,60 €.
    d = funded(3_140)
    effects = d.do("purchase", buy("p1", "hh_a", "m1", 4_500) | {"split": True})
    assert postings(effects) == [[("419:hh_a", 3_140), ("401:m1", -3_140)]]
    result = effects.result
    assert (result["credit_cents"], result["member_pays_cents"], result["available_cents"]) == (
        3_140,
        1_360,
        0,
    )
    assert d.books.purchase("m1", "p1") is not None
    assert d.books.purchase("m1", "p1").amount_cents == 4_500  # type: ignore[union-attr]
    assert check_invariants(d.books) == []


def test_refunds_of_a_split_purchase_give_the_member_part_back_in_full() -> None:
    d = funded(3_140)
    d.do("purchase", buy("p1", "hh_a", "m1", 4_500) | {"split": True})
    # 10,00 € of the 31,40 € credit: 13,60 x 10/31,40 = 4,3312 -> 4,33 €; the rest 9,27 €.
    first = d.do("refund", refund("r1", "p1", 1_000)).result
    rest = d.do("refund", refund("r2", "p1", 2_140)).result
    assert (first["member_due_cents"], rest["member_due_cents"]) == (433, 927)


@given(
    price=st.integers(1, 10**7),
    credit=st.integers(1, 10**7),
    refunded=st.lists(st.integers(1, 10**6), max_size=6),
)
def test_the_member_parts_given_back_add_up_exactly(
    price: int, credit: int, refunded: list[int]
) -> None:
    credit = min(credit, price)
    given_back, done = 0, 0
    for part in refunded:
        part = min(part, credit - done)
        if part == 0:
            break
        given_back += member_due_cents(price, credit, done, part)
        done += part
    given_back += member_due_cents(price, credit, done, credit - done)
    assert given_back == price - credit
