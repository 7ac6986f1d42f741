"""``apply_fast`` gives exactly ``apply``'s effects (or its very refusal) on random states and
commands, and streaming ``MemoryBooks(keep_entries=False)`` replays to the same state."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine.books import BooksError, Command, Conflict, MemoryBooks, apply
from app.engine.books.fast import FAST, SPLIT, apply_fast
from app.engine.books.invariants import check_invariants
from tests.engine.test_books_support import (
    EXPIRE_2,
    Driver,
    approve,
    buy,
    enrol,
    funding,
    line,
    payment,
    refund,
    run,
)

HOUSEHOLDS = ("hh_a", "hh_b", "hh_c", "hh_erased")
MERCHANTS = ("m1", "m2", "m_late", "m_suspended", "m_unknown")


def _state(months: int, spends: list[tuple[int, int]]) -> Driver:
    """Books with lots in several months (some expired), merchants of every condition,
    an erased household, a closed month and some purchases already made."""
    d = Driver()
    for hh in HOUSEHOLDS:
        d.do("enrol_household", enrol(hh))
    d.do("approve_merchant", approve("m1", {"food": "1", "hygiene": "0.5"}))
    d.do("approve_merchant", approve("m2", {"food": "0.3333"}, valid_until="2026-02-15"))
    d.do("approve_merchant", approve("m_late", valid_from="2026-02-10"))
    d.do("approve_merchant", approve("m_suspended"))
    d.do("suspend_merchant", {"merchant_id": "m_suspended", "reason": "audit",
                              "from_on": "2026-01-20"})
    d.do("record_funding", funding(5_000_000))
    for month in range(1, months + 1):
        period = f"2026-{month:02d}"
        d.do("run_month", run(period, [line(hh, 500, 3000 + 1000 * i)
                                       for i, hh in enumerate(HOUSEHOLDS)], EXPIRE_2))
    for n, (who, amount) in enumerate(spends):
        d.do("purchase", buy(f"p{n}", HOUSEHOLDS[who % 3], "m1", amount,
                             on=f"2026-{months:02d}-0{1 + n % 9}"))
    if spends:  # booked in January: a lot of an earlier month opened after later ones
        d.do("refund", refund("r0", "p0", 1, on="2026-01-12"))
    d.do("erase_member", {"household_id": "hh_erased"})
    if months >= 2:
        d.do("close_month", {"period": "2026-01"})
    return d


ids = st.sampled_from(["p_new", "p0", "", "bad id", 7, None])
days = st.sampled_from(["2026-01-10", "2026-02-12", "2026-02-20", "2026-03-03", "2026-1-10",
                        "2026-02-30", "2026-04-01", 20260110, None])
amounts = st.one_of(st.integers(-5, 12_000), st.sampled_from([True, 1.5, "100", None]))


@st.composite
def purchases(draw: st.DrawFn) -> dict[str, Any]:
    on = draw(days)
    payload: dict[str, Any] = {
        "purchase_id": draw(ids), "household_id": draw(st.sampled_from((*HOUSEHOLDS, "x"))),
        "merchant_id": draw(st.sampled_from(MERCHANTS)),
        "category": draw(st.sampled_from(["food", "hygiene", "", "toys"])),
        "amount_cents": draw(amounts), "on": on,
        "period": draw(st.sampled_from([on[:7] if isinstance(on, str) else "2026-01",
                                        "2026-02", "2026-13"])),
    }
    if draw(st.booleans()) and draw(st.booleans()):
        payload.pop(draw(st.sampled_from(sorted(payload))))
    if draw(st.integers(0, 9)) == 0:
        payload["extra"] = 1
    return payload


@st.composite
def accepted_purchases(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly accepted purchases (the fast path's own case), some over the credit left."""
    month = draw(st.sampled_from(["2026-01", "2026-02", "2026-03"]))
    return buy("p_new", draw(st.sampled_from(HOUSEHOLDS[:3])), draw(st.sampled_from(["m1", "m2"])),
               draw(st.integers(1, 7000)), on=f"{month}-{draw(st.integers(10, 14))}",
               category=draw(st.sampled_from(["food", "hygiene"])))


@st.composite
def payments(draw: st.DrawFn) -> dict[str, Any]:
    payload = payment(draw(st.sampled_from((*HOUSEHOLDS, "x", ""))), 1,
                      draw(st.sampled_from(["cash", "transfer", "direct_debit", "cheque"])),
                      draw(st.one_of(st.just("2026-02-03"), days)))
    payload["amount_cents"] = draw(st.one_of(st.integers(1, 99_999), amounts))
    payload["reference"] = draw(st.sampled_from(["ref", "ref", "", 3]))
    if draw(st.integers(0, 9)) == 0:
        payload.pop("reference")
    return payload


def _outcome(run_it: Any) -> Any:
    try:
        return run_it()
    except BooksError as error:
        return (type(error), str(error))


# A state of 1-3 months with some spending, a purchase or payment (refused or accepted), a seq.
def books_cases(test: Any) -> Any:
    """The cases both tests run on (300 examples each)."""
    cases = given(
        months=st.integers(1, 3),
        spends=st.lists(st.tuples(st.integers(0, 2), st.integers(100, 4000)), max_size=6),
        kind_payload=st.one_of(st.tuples(st.just("purchase"), purchases()),
                               st.tuples(st.just("purchase"), accepted_purchases()),
                               st.tuples(st.just("record_payment"), payments())),
        seq=st.sampled_from([1, 57, 10_000]),
    )
    return settings(
        max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None
    )(cases(test))


@books_cases
def test_the_fast_path_gives_exactly_the_general_effects_or_refusal(
    months: int, spends: list[tuple[int, int]], kind_payload: tuple[str, dict[str, Any]],
    seq: int,
) -> None:
    try:
        books = _state(months, spends).books
    except BooksError:
        return  # the random purchases overdrew the state: no state to test on
    command = Command(*kind_payload)
    general = _outcome(lambda: apply(books, command, seq))
    fast = _outcome(lambda: apply_fast(books, command, seq))
    assert fast == general


@books_cases
def test_the_split_fast_path_is_the_fast_path_in_two_halves(
    months: int, spends: list[tuple[int, int]], kind_payload: tuple[str, dict[str, Any]],
    seq: int,
) -> None:
    """``fields`` (no books) then ``checked`` (books) gives the fast handler's answer, and the
    values in ``names`` order rebuild the canonical payload (the verifier sends them alone)."""
    try:
        books = _state(months, spends).books
    except BooksError:
        return
    kind, payload = kind_payload
    fields, checked, names = SPLIT[kind]
    values = fields(payload)
    whole = FAST[kind](books, payload, seq)
    if values is None:
        assert whole is None
        return
    assert checked(books, values, seq) == whole
    assert dict(zip(names, values, strict=True)) == dict(sorted(payload.items()))


def test_the_fast_path_spends_several_lots_oldest_first_like_the_general_one() -> None:
    # hh_a in March: 500 left of February's lot, March's 3000, and a 1-cent refund lot of
    # January (opened last, spent first).
    books = _state(3, [(0, 2500)]).books
    command = Command("purchase", buy("p_big", "hh_a", "m1", 3400, on="2026-03-20"))
    effects = apply_fast(books, command, 99)
    assert effects == apply(books, command, 99)
    assert [(c.kind, c.amount_cents) for c in effects.lot_changes] == [
        ("spend", 1), ("spend", 500), ("spend", 2899)]
    assert effects.result["available_cents"] == 101  # 500 + 3000 + 1 - 3400


def _replayed(keep: bool, d: Driver) -> MemoryBooks:
    books = MemoryBooks(keep_entries=keep)
    for record in d.records:
        books.commit(apply_fast(books, Command(record["kind"], record["payload"]),
                                record["seq"]))
    return books


def test_streaming_books_replay_to_the_same_state_without_keeping_entries() -> None:
    d = _state(3, [(0, 300), (1, 400), (2, 500)])
    full, streaming = _replayed(True, d), _replayed(False, d)
    assert streaming.balances == full.balances == d.books.balances
    assert streaming.open_lots == full.open_lots
    assert streaming.purchases == full.purchases
    assert streaming.last_seq == full.last_seq
    # funding 1 + 3 months x 4 households x (contribution + credit) + 3 purchases + 1 refund
    assert streaming.entries == [] and len(full.entries) == 1 + 24 + 3 + 1
    assert check_invariants(streaming) == [] == check_invariants(full)


def test_streaming_books_refuse_reversing_a_purchase_as_the_full_books_do() -> None:
    d = _state(2, [(0, 300)])
    purchase_entry = next(e.entry_id for e in d.books.entries if e.kind == "purchase")
    credit_entry = next(e.entry_id for e in d.books.entries if e.kind == "credit")
    streaming = _replayed(False, d)
    undo = {"entry_id": purchase_entry, "reason": "mistake", "period": "2026-02"}
    with pytest.raises(Conflict) as general:
        apply(d.books, Command("reverse_entry", undo), 500)
    with pytest.raises(Conflict) as streamed:
        apply(streaming, Command("reverse_entry", undo), 500)
    assert str(streamed.value) == str(general.value)
    assert "a purchase is corrected by a refund" in str(general.value)
    # A reversible entry is kept whole: its reversal is the same on both.
    undo = {"entry_id": credit_entry, "reason": "wrong amount", "period": "2026-02"}
    assert (apply(streaming, Command("reverse_entry", undo), 500)
            == apply(d.books, Command("reverse_entry", undo), 500))
