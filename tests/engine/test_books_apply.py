"""Hand-computed entries for every command kind of the ledger contract."""

from __future__ import annotations

from typing import Any

from app.engine.books.invariants import check_invariants
from app.engine.period import Period
from tests.engine.test_books_support import (
    EXPIRE_2,
    Driver,
    approve,
    buy,
    enrol,
    funding,
    line,
    payment,
    postings,
    refund,
    run,
    settle,
)


def funded(households: tuple[str, ...] = ("hh_a",), money: int = 1_000_000) -> Driver:
    d = Driver()
    for hh in households:
        d.do("enrol_household", enrol(hh))
    d.do("approve_merchant", approve("m1", {"food": "1", "other": "0.5"}))
    d.do("record_funding", funding(money))
    return d


def test_run_month_books_contribution_and_credit_with_funder_share() -> None:
    d = funded(("hh_a", "hh_b"))
    effects = d.do(
        "run_month",
        run("2026-01", [line("hh_a", 3000, 9000, 6000, "caf"), line("hh_b", 5000, 15000)]),
    )
    assert postings(effects) == [
        [("411:hh_a", 3000), ("756", -3000)],
        [("6571", 3000), ("4687:caf", 6000), ("419:hh_a", -9000)],
        [("411:hh_b", 5000), ("756", -5000)],
        [("6571", 15000), ("419:hh_b", -15000)],
    ]
    assert [e.entry_id for e in effects.entries] == ["5.0", "5.1", "5.2", "5.3"]
    assert d.books.lots("hh_a")[0].remaining_cents == 9000
    assert d.books.lots("hh_a")[0].lot_id == "5.1"
    assert d.books.credited("hh_b", Period(2026, 1))
    assert effects.result["credit_cents"] == 24000
    assert effects.result["funder_share_cents"] == 6000
    assert check_invariants(d.books) == []


def test_run_month_skips_households_not_assessed_and_leaves_them_uncredited() -> None:
    d = funded(("hh_a",))
    nd = {
        **line("hh_a", 0, 0, status="needs_data"),
        "contribution_cents": None,
        "credit_cents": None,
    }
    effects = d.do("run_month", run("2026-01", [nd]))
    assert effects.entries == ()
    assert effects.result["skipped"] == ["hh_a"]
    assert not d.books.credited("hh_a", Period(2026, 1))


def test_lot_expires_after_months_counting_its_own_month() -> None:
    d = funded()
    d.do("run_month", run("2026-01", [line("hh_a", 0, 10000)], EXPIRE_2))
    assert d.books.lots("hh_a")[0].expires == Period(2026, 2)


def test_purchase_credit_part_is_rounded_down_and_the_member_pays_the_rest() -> None:
    d = funded()
    d.do("run_month", run("2026-01", [line("hh_a", 0, 10000)]))
    effects = d.do("purchase", buy("p1", "hh_a", "m1", 1001, category="other"))
    # 1001 x 0.5 = 500.5 -> 500 cents from credit, 501 paid by the member.
    assert postings(effects) == [[("419:hh_a", 500), ("401:m1", -500)]]
    assert effects.result["credit_cents"] == 500
    assert effects.result["member_pays_cents"] == 501
    assert effects.result["available_cents"] == 9500
    assert d.books.balance_cents("419:hh_a") == -9500


def test_purchase_spends_the_oldest_lot_first() -> None:
    d = funded()
    d.do("run_month", run("2026-01", [line("hh_a", 0, 1000)]))
    d.do("run_month", run("2026-02", [line("hh_a", 0, 2000)]))
    effects = d.do("purchase", buy("p1", "hh_a", "m1", 1500, on="2026-02-03"))
    assert [(c.kind, c.lot_id, c.amount_cents) for c in effects.lot_changes] == [
        ("spend", "4.0", 1000),
        ("spend", "5.0", 500),
    ]
    assert [(lot.lot_id, lot.remaining_cents) for lot in d.books.lots("hh_a")] == [("5.0", 1500)]


def test_refund_returns_credit_into_a_new_lot_expiring_like_the_spent_lots() -> None:
    d = funded()
    d.do("run_month", run("2026-01", [line("hh_a", 0, 10000)], EXPIRE_2))
    d.do("purchase", buy("p1", "hh_a", "m1", 4000))
    effects = d.do("refund", refund("r1", "p1", 1500))
    assert postings(effects) == [[("401:m1", 1500), ("419:hh_a", -1500)]]
    (lot,) = effects.lot_changes
    assert (lot.kind, lot.lot_id, lot.amount_cents, lot.expires) == (
        "open",
        "6.0",
        1500,
        Period(2026, 2),
    )
    assert effects.result["refundable_cents"] == 2500
    assert d.books.balance_cents("419:hh_a") == -7500
    assert d.books.balance_cents("401:m1") == -2500


def test_settlement_pays_merchants_from_the_bank_in_one_entry() -> None:
    d = funded()
    d.do("approve_merchant", approve("m2"))
    d.do("run_month", run("2026-01", [line("hh_a", 0, 10000)]))
    d.do("purchase", buy("p1", "hh_a", "m1", 3000))
    d.do("purchase", buy("p2", "hh_a", "m2", 2000))
    effects = d.do("settle_merchants", settle([("m1", 3000), ("m2", 1200)]))
    assert postings(effects) == [[("401:m1", 3000), ("401:m2", 1200), ("512", -4200)]]
    assert d.books.balance_cents("401:m2") == -800


def test_cash_payment_goes_to_530_and_transfer_to_512() -> None:
    d = funded()
    d.do("run_month", run("2026-01", [line("hh_a", 3000, 0)]))
    cash = d.do("record_payment", payment("hh_a", 1000, "cash"))
    bank = d.do("record_payment", payment("hh_a", 2000, "direct_debit"))
    assert postings(cash) == [[("530", 1000), ("411:hh_a", -1000)]]
    assert postings(bank) == [[("512", 2000), ("411:hh_a", -2000)]]
    assert bank.result["due_cents"] == 0


def test_funding_kinds_book_to_their_accounts() -> None:
    d = Driver()
    donation = d.do("record_funding", funding(500, kind="donation", funder="fdn"))
    dedicated = d.do("record_funding", funding(700, kind="donation", funder="fdn", dedicated=True))
    awarded = d.do("record_funding", {**funding(1000, funder="city"), "status": "awarded"})
    received = d.do("record_funding", funding(1500, funder="city"))
    top_up = d.do("record_funding", funding(400, kind="top_up", funder="caf"))
    assert postings(donation) == [[("512", 500), ("754:fdn", -500)]]
    assert postings(dedicated) == [[("512", 700), ("194:fdn", -700)]]
    assert postings(awarded) == [[("441:city", 1000), ("74:city", -1000)]]
    # The receivable is settled first, the remaining 500 is income.
    assert postings(received) == [[("512", 1500), ("441:city", -1000), ("74:city", -500)]]
    assert postings(top_up) == [[("512", 400), ("4687:caf", -400)]]


def test_expiry_expires_lots_past_their_last_month_back_to_7588() -> None:
    d = funded()
    d.do("run_month", run("2026-01", [line("hh_a", 0, 10000)], EXPIRE_2))
    d.do("run_month", run("2026-02", [line("hh_a", 0, 4000)], EXPIRE_2))
    d.do("purchase", buy("p1", "hh_a", "m1", 2500, on="2026-02-10"))
    early = d.do("expire_credit", {"period": "2026-01", "household_ids": ["hh_a"]})
    assert early.entries == ()
    effects = d.do("expire_credit", {"period": "2026-02", "household_ids": ["hh_a"]})
    assert postings(effects) == [[("419:hh_a", 7500), ("7588", -7500)]]
    assert d.books.balance_cents("419:hh_a") == -4000
    assert [lot.lot_id for lot in d.books.lots("hh_a")] == ["5.0"]


def test_carry_over_cap_expires_the_balance_above_the_cap_oldest_first() -> None:
    cap = {"policy": "carry_over_cap", "after_months": None, "cap_cents": 5000}
    d = funded()
    d.do("run_month", run("2026-01", [line("hh_a", 0, 4000)], cap))
    d.do("expire_credit", {"period": "2026-01", "household_ids": ["hh_a"]})
    d.do("run_month", run("2026-02", [line("hh_a", 0, 4000)], cap))
    effects = d.do("expire_credit", {"period": "2026-02", "household_ids": ["hh_a"]})
    assert postings(effects) == [[("419:hh_a", 3000), ("7588", -3000)]]
    assert [(c.lot_id, c.amount_cents) for c in effects.lot_changes] == [("4.0", 3000)]
    assert d.books.balance_cents("419:hh_a") == -5000


def test_reversal_negates_postings_and_names_what_it_reverses() -> None:
    d = funded()
    d.do("run_month", run("2026-01", [line("hh_a", 3000, 10000)]))
    effects = d.do(
        "reverse_entry", {"entry_id": "4.1", "reason": "wrong credit", "period": "2026-01"}
    )
    (entry,) = effects.entries
    assert entry.reverses == "4.1"
    assert entry.memo == "wrong credit"
    assert postings(effects) == [[("6571", -10000), ("419:hh_a", 10000)]]
    assert [(c.kind, c.lot_id, c.amount_cents) for c in effects.lot_changes] == [
        ("take", "4.1", 10000)
    ]
    assert d.books.reversed_by("4.1") == "5.0"
    assert d.books.lots("hh_a") == []
    assert check_invariants(d.books) == []


def test_reversing_an_expiry_gives_the_credit_back_in_a_new_lot() -> None:
    d = funded()
    d.do("run_month", run("2026-01", [line("hh_a", 0, 1000)], EXPIRE_2))
    d.do("expire_credit", {"period": "2026-02", "household_ids": ["hh_a"]})
    effects = d.do("reverse_entry", {"entry_id": "5.0", "reason": "late", "period": "2026-03"})
    assert postings(effects) == [[("419:hh_a", -1000), ("7588", 1000)]]
    (lot,) = effects.lot_changes
    assert (lot.kind, lot.lot_id, lot.amount_cents, lot.period) == (
        "open",
        "6.0",
        1000,
        Period(2026, 3),
    )


def test_month_lifecycle_and_registry_commands_write_no_entry() -> None:
    d = funded()
    assert d.do("close_month", {"period": "2026-01"}).entries == ()
    seal = {
        "period": "2026-01",
        "journal_size": d.next_seq - 1,
        "head_hash": d.head,
        "balances_digest": "sha256:x",
        "engine_version": "1",
        "run_fingerprint": "sha256:y",
    }
    d.do("seal_month", seal)
    assert d.books.month(Period(2026, 1)).status == "sealed"
    d.do("change_facts", {**enrol("hh_a"), "from_period": "2026-03", "facts_commitment": "c2"})
    assert d.books.household("hh_a").facts_commitment == "c2"  # type: ignore[union-attr]
    d.do("suspend_merchant", {"merchant_id": "m1", "reason": "fraud", "from_on": "2026-02-01"})
    assert d.books.merchant("m1").suspended_from.isoformat() == "2026-02-01"  # type: ignore[union-attr]
    erased = d.do("erase_member", {"household_id": "hh_a"})
    assert d.books.household("hh_a").erased  # type: ignore[union-attr]
    assert erased.entries == () and d.books.erased == ["hh_a"]


def test_adopt_rule_set_checks_the_content_hash() -> None:
    from app.engine.canonical import content_hash

    document = {"id": "r", "version": 1}
    d = Driver()
    effects = d.do(
        "adopt_rule_set",
        {
            "rule_set_id": "r",
            "version": 1,
            "content_hash": content_hash(document),
            "effective_from": "2026-01",
            "decision": "CA-1",
            "document": document,
        },
    )
    assert effects.result["content_hash"] == content_hash(document)
    assert d.books.rule_sets[0].effective_from == Period(2026, 1)


def test_the_worked_month_of_docs_ledger_md() -> None:
    expire_1 = {"policy": "expire", "after_months": 1, "cap_cents": None}
    d = Driver()
    d.do("enrol_household", enrol("hh_a", "2026-11"))
    d.do("enrol_household", enrol("hh_b", "2026-11"))
    d.do("approve_merchant", approve("epicerie", {"fresh": "1", "grocery": "0.5"}, "2026-11-01"))
    d.do("record_funding", funding(20000, "2026-11-02", "subsidy", "city"))
    lines = [line("hh_a", 3000, 9000, 6000, "caf"), line("hh_b", 6000, 9000)]
    d.do("run_month", run("2026-11", lines, expire_1))
    d.do("record_payment", payment("hh_a", 3000, "cash", "2026-11-05"))
    d.do("record_payment", payment("hh_b", 6000, "transfer", "2026-11-05"))
    d.do("record_funding", funding(6000, "2026-11-06", "top_up", "caf"))
    d.do("purchase", buy("pu_1", "hh_a", "epicerie", 4001, "2026-11-10", "grocery"))
    d.do("purchase", buy("pu_2", "hh_b", "epicerie", 7000, "2026-11-12", "fresh"))
    d.do("refund", refund("rf_1", "pu_2", 1000, "2026-11-13", "epicerie"))
    d.do("settle_merchants", settle([("epicerie", 6000)], "2026-11-30"))
    expiry = d.do("expire_credit", {"period": "2026-11", "household_ids": ["hh_a", "hh_b"]})
    d.do("close_month", {"period": "2026-11"})
    assert postings(expiry) == [
        [("419:hh_a", 7000), ("7588", -7000)],
        [("419:hh_b", 3000), ("7588", -3000)],
    ]
    assert d.books.nonzero_balances() == {
        "512": 26000,
        "530": 3000,
        "401:epicerie": -2000,
        "6571": 12000,
        "74:city": -20000,
        "756": -9000,
        "7588": -10000,
    }
    assert check_invariants(d.books) == []


def test_the_cap_ignores_credit_granted_after_the_month_being_closed() -> None:
    cap = {"policy": "carry_over_cap", "after_months": None, "cap_cents": 5000}
    d = funded()
    d.do("run_month", run("2026-01", [line("hh_a", 0, 7000)], cap))
    d.do("run_month", run("2026-02", [line("hh_a", 0, 7000)], cap))
    effects = d.do("expire_credit", {"period": "2026-01", "household_ids": ["hh_a"]})
    assert postings(effects) == [[("419:hh_a", 2000), ("7588", -2000)]]
    assert d.books.balance_cents("419:hh_a") == -12000


def test_lots_are_spent_by_month_granted_then_creation_whatever_the_view_order() -> None:
    from app.engine.books import Command, MemoryBooks, apply

    class Reversed(MemoryBooks):
        def lots(self, household_id: str) -> list[Any]:
            return list(reversed(super().lots(household_id)))

    d = funded()
    d.do("run_month", run("2026-01", [line("hh_a", 0, 1000)]))
    d.do("purchase", buy("p1", "hh_a", "m1", 600, on="2026-01-05"))
    d.do("run_month", run("2026-02", [line("hh_a", 0, 2000)]))
    d.do("refund", refund("r1", "p1", 600, on="2026-01-20"))  # January lot opened after February's
    payload = buy("p2", "hh_a", "m1", 1500, on="2026-02-03")
    effects = d.try_apply("purchase", payload)
    assert [(c.lot_id, c.amount_cents) for c in effects.lot_changes] == [
        ("4.0", 400),
        ("7.0", 600),
        ("6.0", 500),
    ]
    shuffled = Reversed()
    for record in d.records:
        shuffled.commit(apply(shuffled, Command(record["kind"], record["payload"]), record["seq"]))
    assert apply(shuffled, Command("purchase", payload), d.next_seq) == effects
