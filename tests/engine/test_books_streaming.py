"""The books as the replay drives them: a purchase spending several lots (oldest first, the
lot opened last by a refund of January spent first), and streaming
``MemoryBooks(keep_entries=False)`` replaying to the same state as the full books."""

from __future__ import annotations

import pytest

from app.engine.books import Command, Conflict, MemoryBooks, apply
from app.engine.books.invariants import check_invariants
from tests.engine.test_books_support import (
    EXPIRE_2,
    Driver,
    approve,
    buy,
    enrol,
    funding,
    line,
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



def test_a_purchase_spends_several_lots_oldest_first() -> None:
    # hh_a in March: 500 left of February's lot, March's 3000, and a 1-cent refund lot of
    # January (opened last, spent first).
    books = _state(3, [(0, 2500)]).books
    command = Command("purchase", buy("p_big", "hh_a", "m1", 3400, on="2026-03-20"))
    effects = apply(books, command, 99)
    assert [(c.kind, c.amount_cents) for c in effects.lot_changes] == [
        ("spend", 1), ("spend", 500), ("spend", 2899)]
    assert effects.result["available_cents"] == 101  # 500 + 3000 + 1 - 3400
    (entry,) = effects.entries
    assert (entry.entry_id, entry.kind, entry.memo) == ("99.0", "purchase", "purchase p_big food")
    assert entry.postings == (("419:hh_a", 3400), ("401:m1", -3400))
    (bought,) = effects.registry
    # The latest expiry of the lots spent: March's lot, usable in March and April.
    assert str(bought.state.lots_expire) == "2026-04"  # type: ignore[union-attr]


def _replayed(keep: bool, d: Driver) -> MemoryBooks:
    books = MemoryBooks(keep_entries=keep)
    for record in d.records:
        books.commit(apply(books, Command(record["kind"], record["payload"]), record["seq"]))
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
