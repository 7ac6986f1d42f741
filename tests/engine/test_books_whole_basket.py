"""A till line the credit pays nothing of (``"split": true, "whole_basket": true``): still a
sale with its member part, credit 0, no ledger entry, no lot touched; without
``whole_basket`` the books refuse it as before."""

from __future__ import annotations

import pytest

from app.engine.books.errors import InsufficientCredit, InvalidCommand
from app.engine.books.invariants import check_invariants
from app.services import till
from tests.engine.test_books_split import funded
from tests.engine.test_books_support import buy, postings

WHOLE = {"split": True, "whole_basket": True}


def test_no_credit_left_records_the_sale_without_an_entry() -> None:
    d = funded(3_000)
    d.do("purchase", buy("p1", "hh_a", "m1", 3_000) | {"split": True})  # all spent
    effects = d.do("purchase", buy("p2", "hh_a", "m1", 2_500, category="other") | WHOLE)
    assert postings(effects) == []
    assert effects.result == {
        "purchase_id": "p2",
        "entry_id": None,
        "amount_cents": 2_500,
        "credit_cents": 0,
        "member_pays_cents": 2_500,
        "available_cents": 0,
    }
    sold = d.books.purchase("m1", "p2")
    assert sold is not None and (sold.amount_cents, sold.credit_cents) == (2_500, 0)
    assert check_invariants(d.books) == []


def test_a_line_some_credit_pays_is_the_usual_split() -> None:
    d = funded(1_000)
    effects = d.do("purchase", buy("p1", "hh_a", "m1", 4_000, category="other") | WHOLE)
    # 40,00 € at 50 % would take 20,00 €; 10,00 € are held: the credit pays 10,00 €.
    assert postings(effects) == [[("419:hh_a", 1_000), ("401:m1", -1_000)]]
    assert effects.result["member_pays_cents"] == 3_000


def test_without_whole_basket_nothing_left_is_refused_as_before() -> None:
    d = funded(3_000)
    d.do("purchase", buy("p1", "hh_a", "m1", 3_000) | {"split": True})
    with pytest.raises(InsufficientCredit):
        d.do("purchase", buy("p2", "hh_a", "m1", 500) | {"split": True})
    with pytest.raises(InvalidCommand):  # whole_basket belongs to a split purchase
        d.do("purchase", buy("p3", "hh_a", "m1", 500) | {"whole_basket": True})


def test_a_zero_percent_line_is_quoted_whole_with_no_credit() -> None:
    found = till.quote(5_000, [("deposit", "0", 1_000), ("food", "1", 2_000)])
    assert [(x.charged_cents, x.credit_cents) for x in found.lines] == [(1_000, 0), (2_000, 2_000)]
    assert (found.credit_cents, found.member_pays_cents, found.left_cents) == (2_000, 1_000, 3_000)
