"""The till's service: the quote (pure, exact), the charge (what the books record is the
quote, once), receipts, sales, refunds. Hand-computed examples, then properties."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import col

from app.db import tables as t
from app.db.session import read_only, unit_of_work
from app.engine.books.apply_purchase import credit_part_cents
from app.services import consent, errors, people, till
from app.services.merchants import approve_merchant
from app.services.views import balances
from tests.services.helpers import ACTOR, CODE, NOW, small_fund, w
from tests.services.test_receipts import verified

DAY = date(2026, 11, 20)
RATES = {"food": "1", "hygiene": "0.5", "other": "0.33"}


def test_the_credit_pays_what_it_can_and_the_member_the_rest() -> None:
    # 200,00 € of credit; food 150,00 € at 100 % takes 150,00 €; hygiene 120,00 € at 50 %
    # would take 60,00 € but 50,00 € are left: the credit pays 50,00 € of the line, the
    # member 70,00 €; the line is recorded at its whole price.
    found = till.quote(20_000, [("food", "1", 15_000), ("hygiene", "0.5", 12_000)])
    assert [(x.amount_cents, x.charged_cents, x.credit_cents) for x in found.lines] == [
        (15_000, 15_000, 15_000),
        (12_000, 12_000, 5_000),
    ]
    assert (found.total_cents, found.credit_cents, found.member_pays_cents) == (
        27_000,
        20_000,
        7_000,
    )
    assert found.left_cents == 0 and found.credit_short


def test_ten_euros_left_at_fifty_percent_pay_ten_euros_of_the_line() -> None:
    found = till.quote(1_000, [("hygiene", "0.5", 5_000)])
    assert (found.lines[0].charged_cents, found.lines[0].credit_cents) == (5_000, 1_000)
    assert found.member_pays_cents == 4_000


def test_a_basket_the_credit_covers_is_charged_whole_rounded_down() -> None:
    found = till.quote(10_000, [("food", "1", 3_000), ("hygiene", "0.5", 1_001)])
    assert [(x.charged_cents, x.credit_cents) for x in found.lines] == [
        (3_000, 3_000),
        (1_001, 500),
    ]
    assert found.left_cents == 6_500 and not found.credit_short


def test_a_line_without_credit_left_is_still_recorded_whole() -> None:
    found = till.quote(0, [("food", "1", 3_000)])
    assert (found.credit_cents, found.member_pays_cents, found.lines[0].charged_cents) == (
        0,
        3_000,
        3_000,
    )


rates = st.sampled_from(["1", "0.5", "0.33", "0.8", "0.125", "0.01", "0.999"])
baskets = st.lists(st.tuples(rates, st.integers(0, 10**7)), min_size=1, max_size=5)


@given(available=st.integers(0, 10**7), basket=baskets)
def test_the_credit_taken_is_the_least_of_the_credit_and_what_the_rates_take(
    available: int, basket: list[tuple[str, int]]
) -> None:
    lines = [(f"c{i}", rate, amount) for i, (rate, amount) in enumerate(basket)]
    found = till.quote(available, lines)
    wanted = sum(credit_part_cents(amount, rate) for _, rate, amount in lines)
    assert found.credit_cents == min(available, wanted)
    assert found.credit_cents + found.member_pays_cents == found.total_cents
    left = available
    for line in found.lines:
        # Every line is recorded whole; its credit is the books' split: what the rate takes,
        # at most what is left (maybe nothing).
        assert line.charged_cents == line.amount_cents
        assert line.credit_cents == min(credit_part_cents(line.amount_cents, line.rate), left)
        left -= line.credit_cents
    assert till.quote(available, lines) == found


def test_a_negative_amount_is_refused() -> None:
    with pytest.raises(errors.InvalidRequest):
        till.quote(100, [("food", "1", -1)])


# --- With the books ---------------------------------------------------------------------------


@pytest.fixture
def fund(engine: Engine) -> dict[str, str]:
    small_fund(engine)
    approve_merchant(engine, "shop", RATES, date(2026, 1, 1), **w())
    approve_merchant(engine, "other_shop", {"food": "1"}, date(2026, 1, 1), **w())
    with unit_of_work(engine) as session:
        return {h: people.issue_card(session, h, NOW) for h in ("hh_a", "hh_b")}


def charge(engine: Engine, card: str, amounts: dict[str, int], code: str = CODE) -> till.Receipt:
    shown = till.prepare(engine, "shop", card, amounts, DAY)
    reference = till.new_reference()
    return till.charge(
        engine, "shop", card, amounts, reference, shown.fingerprint, code, DAY, actor=ACTOR, now=NOW
    )


def purchases(engine: Engine) -> list[tuple[str, str, int, int]]:
    with read_only(engine) as session:
        rows = session.execute(select(t.Purchase).order_by(col(t.Purchase.seq))).scalars()
        return [(p.purchase_id, p.category, p.amount_cents, p.credit_cents) for p in rows]


def credit(engine: Engine, household_id: str) -> int:
    return int(balances(engine, household_id)["credit_cents"])


def test_the_charge_records_the_quote_once(engine: Engine, fund: dict[str, str]) -> None:
    amounts = {"food": 15_000, "hygiene": 12_000}
    shown = till.prepare(engine, "shop", fund["hh_b"], amounts, DAY)
    reference = till.new_reference()
    args = (engine, "shop", fund["hh_b"], amounts, reference, shown.fingerprint, CODE, DAY)
    first = till.charge(*args, actor=ACTOR, now=NOW)
    again = till.charge(*args, actor=ACTOR, now=NOW)
    assert first == again
    assert [(x.category, x.amount_cents, x.credit_cents) for x in first.lines] == [
        ("food", 15_000, 15_000),
        ("hygiene", 12_000, 5_000),
    ]
    assert (first.credit_cents, first.member_pays_cents, first.left_cents) == (20_000, 7_000, 0)
    assert purchases(engine) == [
        (f"{reference}-1", "food", 15_000, 15_000),
        (f"{reference}-2", "hygiene", 12_000, 5_000),
    ]
    assert credit(engine, "hh_b") == 0
    assert till.receipt(engine, "shop", reference) == till.Receipt(
        reference,
        first.recorded_at,
        (
            till.Line("food", "1", 15_000, 15_000, 15_000),
            till.Line("hygiene", "0.5", 12_000, 12_000, 5_000),
        ),
        0,
    )
    with pytest.raises(errors.NotFound):
        till.receipt(engine, "other_shop", reference)
    with pytest.raises(errors.IdempotencyConflict):  # the same form sent with another card
        till.charge(
            engine, "shop", fund["hh_a"], amounts, reference, shown.fingerprint, CODE, DAY,
            actor=ACTOR, now=NOW,
        )  # fmt: skip
    assert credit(engine, "hh_a") == 10_000 and len(purchases(engine)) == 2
    with pytest.raises(errors.NotFound):
        till.sale(engine, "other_shop", f"{reference}-1")


def test_a_wrong_code_charges_nothing_and_is_counted(engine: Engine, fund: dict[str, str]) -> None:
    with pytest.raises(errors.Forbidden):
        charge(engine, fund["hh_a"], {"food": 1_000}, code="0000")
    assert purchases(engine) == [] and credit(engine, "hh_a") == 10_000
    with read_only(engine) as session:
        attempt = session.get(t.ConsentAttempt, ("hh_a", "shop"))
        assert attempt is not None and attempt.failures == 1
    for _ in range(consent.BACKOFF.free - 1):
        with pytest.raises(errors.Forbidden):
            charge(engine, fund["hh_a"], {"food": 1_000}, code="0000")
    with pytest.raises(consent.ConsentLocked):
        charge(engine, fund["hh_a"], {"food": 1_000}, code="0000")
    with pytest.raises(consent.ConsentLocked):
        charge(engine, fund["hh_a"], {"food": 1_000})
    assert purchases(engine) == []


def test_a_quote_the_credit_no_longer_matches_charges_nothing(
    engine: Engine, fund: dict[str, str]
) -> None:
    amounts = {"food": 8_000}
    shown = till.prepare(engine, "shop", fund["hh_a"], amounts, DAY)
    charge(engine, fund["hh_a"], {"food": 5_000})  # meanwhile, another sale
    with pytest.raises(till.QuoteChanged) as changed:
        till.charge(
            engine, "shop", fund["hh_a"], amounts, till.new_reference(), shown.fingerprint,
            CODE, DAY, actor=ACTOR, now=NOW,
        )  # fmt: skip
    assert (changed.value.quote.credit_cents, changed.value.quote.member_pays_cents) == (
        5_000,
        3_000,
    )
    assert credit(engine, "hh_a") == 5_000 and len(purchases(engine)) == 1


def test_sales_of_the_day_and_refunds(engine: Engine, fund: dict[str, str]) -> None:
    done = charge(engine, fund["hh_a"], {"food": 2_000, "hygiene": 1_000})
    day = till.sales_of_day(engine, "shop", DAY)
    assert [(s.category, s.credit_cents, s.reference) for s in day.sales] == [
        ("hygiene", 500, done.reference),
        ("food", 2_000, done.reference),
    ]
    assert (day.credit_cents, day.owed_cents) == (2_500, 2_500)
    assert till.sales_of_day(engine, "shop", date(2026, 11, 19)).sales == ()
    assert till.sales_of_day(engine, "other_shop", DAY).sales == ()
    hygiene = f"{done.reference}-2"
    with pytest.raises(errors.Conflict):
        till.refund(engine, "shop", hygiene, 501, till.new_reference(), DAY, actor=ACTOR, now=NOW)
    with pytest.raises(errors.NotFound):
        till.refund(
            engine, "other_shop", hygiene, 100, till.new_reference(), DAY, actor=ACTOR, now=NOW
        )
    key = till.new_reference()
    till.refund(engine, "shop", hygiene, 200, key, DAY, actor=ACTOR, now=NOW)
    till.refund(engine, "shop", hygiene, 200, key, DAY, actor=ACTOR, now=NOW)  # once per key
    assert till.sale(engine, "shop", hygiene).refundable_cents == 300
    assert credit(engine, "hh_a") == 10_000 - 2_500 + 200
    assert till.settlements(engine, "shop") == ([], 2_300)


def test_a_split_line_refunded_gives_each_part_back(engine: Engine, fund: dict[str, str]) -> None:
    # hh_b holds 200,00 €: food 150,00 € at 100 % takes 150,00 €; hygiene 120,00 € at 50 %
    # takes the 50,00 € left and the member pays 70,00 € (recorded with the sale, not posted).
    done = charge(engine, fund["hh_b"], {"food": 15_000, "hygiene": 12_000})
    hygiene = f"{done.reference}-2"
    sold = till.sale(engine, "shop", hygiene)
    assert (sold.amount_cents, sold.credit_cents, sold.member_paid_cents) == (12_000, 5_000, 7_000)
    day = till.sales_of_day(engine, "shop", DAY)
    assert (day.amount_cents, day.credit_cents, day.member_paid_cents) == (27_000, 20_000, 7_000)
    # The fund owes the shop the credit part only: the member's 70,00 € never enter its books.
    assert day.owed_cents == 20_000
    # 20,00 € of the credit part back: 20/50 of the member's 70,00 € are due back, 28,00 €.
    first = till.refund(
        engine, "shop", hygiene, 2_000, till.new_reference(), DAY, actor=ACTOR, now=NOW
    )
    assert (first["amount_cents"], first["member_due_cents"], first["refundable_cents"]) == (
        2_000,
        2_800,
        3_000,
    )
    # The other 30,00 €: 70,00 - 28,00 = 42,00 € due back; the credit is whole again.
    rest = till.refund(
        engine, "shop", hygiene, 3_000, till.new_reference(), DAY, actor=ACTOR, now=NOW
    )
    assert (rest["member_due_cents"], rest["refundable_cents"]) == (4_200, 0)
    assert credit(engine, "hh_b") == 5_000
    assert till.settlements(engine, "shop") == ([], 15_000)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    spent=st.integers(0, 20_000),
    food=st.integers(0, 30_000),
    hygiene=st.integers(0, 30_000),
    other=st.integers(0, 30_000),
)
def test_what_the_books_record_is_the_quote(
    engine: Engine, fund: dict[str, str], spent: int, food: int, hygiene: int, other: int
) -> None:
    """Whatever the credit left and the basket, each line's recorded credit and amount are
    the quote's, and the credit left is the quote's; then everything is refunded."""
    card = fund["hh_b"]
    before, first = credit(engine, "hh_b"), len(purchases(engine))
    if 0 < spent < before:
        charge(engine, card, {"food": spent})
    amounts = {"food": food, "hygiene": hygiene, "other": other}
    shown = till.prepare(engine, "shop", card, amounts, DAY)
    seen = len(purchases(engine))
    if shown.credit_cents:
        record_and_compare(engine, card, amounts, shown, seen)
    for purchase_id, _, _, _ in purchases(engine)[first:]:
        left = till.sale(engine, "shop", purchase_id).refundable_cents
        if left == 0:  # a line the credit paid nothing of has nothing to refund
            continue
        till.refund(
            engine, "shop", purchase_id, left, till.new_reference(), DAY, actor=ACTOR, now=NOW
        )
    assert credit(engine, "hh_b") == before


def record_and_compare(
    engine: Engine, card: str, amounts: dict[str, int], shown: till.Quote, seen: int
) -> None:
    reference = till.new_reference()
    done = till.charge(
        engine, "shop", card, amounts, reference, shown.fingerprint, CODE, DAY, actor=ACTOR, now=NOW
    )
    recorded = purchases(engine)[seen:]
    expected = [
        (x.category, x.charged_cents, x.credit_cents) for x in shown.lines if x.charged_cents
    ]
    assert [(category, amount, c) for _, category, amount, c in recorded] == expected
    assert [(x.amount_cents, x.credit_cents) for x in done.lines if x.charged_cents] == [
        (x.amount_cents, x.credit_cents) for x in shown.lines if x.charged_cents
    ]
    assert done.left_cents == shown.left_cents == credit(engine, "hh_b")


def test_a_line_the_credit_pays_nothing_of_is_recorded_with_its_member_part(
    engine: Engine, fund: dict[str, str]
) -> None:
    # hh_a holds 100,00 €. Food 120,00 € at 100 %: the credit pays 100,00 €, the member
    # 20,00 €. Hygiene 30,00 € at 50 % would take 15,00 € but nothing is left: the member pays
    # all 30,00 €, and the line is a sale of 30,00 € with credit 0 (no ledger entry).
    done = charge(engine, fund["hh_a"], {"food": 12_000, "hygiene": 3_000})
    assert purchases(engine) == [
        (f"{done.reference}-1", "food", 12_000, 10_000),
        (f"{done.reference}-2", "hygiene", 3_000, 0),
    ]
    assert (done.credit_cents, done.member_pays_cents, done.left_cents) == (10_000, 5_000, 0)
    assert [(x.category, x.charged_cents, x.credit_cents) for x in done.lines] == [
        ("food", 12_000, 10_000),
        ("hygiene", 3_000, 0),
    ]
    day = till.sales_of_day(engine, "shop", DAY)
    assert (day.amount_cents, day.credit_cents, day.member_paid_cents) == (15_000, 10_000, 5_000)
    assert day.owed_cents == 10_000  # the fund owes the credit part only
    hygiene = f"{done.reference}-2"
    assert till.sale(engine, "shop", hygiene).refundable_cents == 0
    with pytest.raises(errors.Conflict):  # nothing of the fund's to give back
        till.refund(engine, "shop", hygiene, 1, till.new_reference(), DAY, actor=ACTOR, now=NOW)
    with read_only(engine) as session:
        memos = session.execute(select(col(t.LedgerEntry.memo))).scalars().all()
    assert not [memo for memo in memos if hygiene in memo]  # no entry for the 0-credit line
    assert credit(engine, "hh_a") == 0
    assert verified(engine)  # the replay rebuilds the same sales, entries and balances


def test_a_basket_the_credit_pays_nothing_of_is_not_charged(
    engine: Engine, fund: dict[str, str]
) -> None:
    charge(engine, fund["hh_a"], {"food": 10_000})  # all 100,00 € spent
    with pytest.raises(till.QuoteChanged):
        charge(engine, fund["hh_a"], {"food": 2_000})
    assert len(purchases(engine)) == 1
