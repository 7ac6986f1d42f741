"""Stateful model test: random command sequences through MemoryBooks.

After every step: every invariant holds (trial balance, member credit >= 0, backing, balances
= sums of postings, lots = member credit), and replaying the journal so far into fresh books
yields identical balances, entries and lots. A command that the core refuses, or whose effects
would break an invariant (``check_effects``, as the service does in its transaction), is not
recorded.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from app.engine.books import BooksError, Command, apply
from app.engine.books.digest import balances_digest, run_fingerprint
from app.engine.books.invariants import check_effects, check_invariants
from app.engine.period import Period
from tests.engine.test_books_support import (
    Driver,
    approve,
    buy,
    enrol,
    funding,
    line,
    payment,
    replay,
    run,
)

HOUSEHOLDS = ("hh_c", "hh_b", "hh_a")
MERCHANTS = ("m1", "m2")
POLICIES = (
    {"policy": "none", "after_months": None, "cap_cents": None},
    {"policy": "expire", "after_months": 1, "cap_cents": None},
    {"policy": "expire", "after_months": 2, "cap_cents": None},
    {"policy": "carry_over_cap", "after_months": None, "cap_cents": 3000},
)
cents = st.integers(min_value=1, max_value=20_000)


class BooksMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.d = Driver()
        self.period = Period(2026, 1)
        self.policy: dict[str, Any] = POLICIES[0]
        self.purchases: list[tuple[str, str]] = []  # (merchant_id, purchase_id)
        self.accepted = 0

    def attempt(self, kind: str, payload: dict[str, Any]) -> bool:
        books = self.d.books
        try:
            effects = apply(books, Command(kind, payload), self.d.next_seq)
        except BooksError:
            return False
        if check_effects(books.balance_cents, books.code_totals, effects):
            return False
        self.d.do(kind, payload)
        self.accepted += 1
        return True

    def day(self, day: int) -> str:
        return f"{self.period}-{day:02d}"

    @initialize(policy=st.sampled_from(POLICIES), enrolled=st.integers(2, 3))
    def setup(self, policy: dict[str, Any], enrolled: int) -> None:
        self.policy = policy
        for hh in HOUSEHOLDS[:enrolled]:
            self.attempt("enrol_household", enrol(hh, "2026-01"))
        for merchant in MERCHANTS:
            self.attempt("approve_merchant", approve(merchant, {"food": "1", "other": "0.5"}))
        self.attempt("record_funding", funding(60_000, "2026-01-02"))
        lines = [line(hh, 1000, 10_000) for hh in sorted(HOUSEHOLDS[:enrolled])]
        self.attempt("run_month", run("2026-01", lines, policy))

    @rule(hh=st.sampled_from(HOUSEHOLDS))
    def enrol(self, hh: str) -> None:
        self.attempt("enrol_household", enrol(hh, "2026-01"))

    @rule(merchant=st.sampled_from(MERCHANTS), rate=st.sampled_from(["1", "0.5", "0.333"]))
    def approve(self, merchant: str, rate: str) -> None:
        self.attempt("approve_merchant", approve(merchant, {"food": "1", "other": rate}))

    @rule(
        amount=st.integers(1, 100_000),
        kind=st.sampled_from(["subsidy", "donation", "top_up"]),
        dedicated=st.booleans(),
    )
    def fund(self, amount: int, kind: str, dedicated: bool) -> None:
        payload = funding(amount, self.day(2), kind, "caf", dedicated and kind != "top_up")
        self.attempt("record_funding", payload)

    @rule(data=st.data())
    def run_month(self, data: st.DataObject) -> None:
        chosen = data.draw(st.lists(st.sampled_from(HOUSEHOLDS), unique=True, max_size=3))
        lines = []
        for hh in sorted(chosen):
            credit = data.draw(st.integers(0, 15_000))
            share = data.draw(st.integers(0, credit))
            lines.append(
                line(hh, data.draw(st.integers(0, 8000)), credit, share, "caf" if share else None)
            )
        self.attempt("run_month", run(str(self.period), lines, self.policy))

    @rule(
        buys=st.lists(
            st.tuples(
                st.sampled_from(HOUSEHOLDS),
                st.sampled_from(MERCHANTS),
                st.integers(1, 6000),
                st.sampled_from(["food", "other"]),
                st.integers(1, 28),
            ),
            min_size=1,
            max_size=4,
        )
    )
    def purchase(self, buys: list[tuple[str, str, int, str, int]]) -> None:
        for hh, merchant, amount, category, day in buys:
            pid = f"p{self.d.next_seq}"
            if self.attempt("purchase", buy(pid, hh, merchant, amount, self.day(day), category)):
                self.purchases.append((merchant, pid))

    @rule(data=st.data(), amount=cents)
    def refund(self, data: st.DataObject, amount: int) -> None:
        if self.purchases:
            merchant, pid = data.draw(st.sampled_from(self.purchases))
            payload = {
                "refund_id": f"r{self.d.next_seq}",
                "merchant_id": merchant,
                "purchase_id": pid,
                "amount_cents": amount,
                "on": self.day(15),
            }
            self.attempt("refund", payload)

    @rule(
        hh=st.sampled_from(HOUSEHOLDS), amount=cents, method=st.sampled_from(["cash", "transfer"])
    )
    def pay(self, hh: str, amount: int, method: str) -> None:
        self.attempt("record_payment", payment(hh, amount, method, self.day(5)))

    @rule(merchant=st.sampled_from(MERCHANTS), quarters=st.integers(1, 5))
    def settle(self, merchant: str, quarters: int) -> None:
        # Up to 5/4 of what is owed: most settlements pass, some must be refused.
        owed = -self.d.books.balance_cents("401:" + merchant)
        amount = max(1, owed * quarters // 4)
        payload = {
            "batch_id": "b",
            "reference": "r",
            "on": self.day(20),
            "merchants": [{"merchant_id": merchant, "amount_cents": amount}],
        }
        self.attempt("settle_merchants", payload)

    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        if self.d.books.entries:
            entry = data.draw(st.sampled_from(self.d.books.entries))
            payload = {"entry_id": entry.entry_id, "reason": "fix", "period": str(self.period)}
            self.attempt("reverse_entry", payload)

    @rule(hh=st.sampled_from(HOUSEHOLDS), erase=st.booleans())
    def facts_or_erasure(self, hh: str, erase: bool) -> None:
        if erase:
            self.attempt("erase_member", {"household_id": hh})
        else:
            payload = {
                "household_id": hh,
                "from_period": str(self.period),
                "facts_commitment": "c2",
            }
            self.attempt("change_facts", payload)

    @rule(merchant=st.sampled_from(MERCHANTS), day=st.integers(1, 28))
    def suspend(self, merchant: str, day: int) -> None:
        payload = {"merchant_id": merchant, "reason": "audit", "from_on": self.day(day)}
        self.attempt("suspend_merchant", payload)

    @rule(dice=st.integers(0, 3))
    def close_month(self, dice: int) -> None:
        if dice:  # close one time in four, so months see more activity
            return
        enrolled = [hh for hh in HOUSEHOLDS if self.d.books.household(hh) is not None]
        self.attempt("expire_credit", {"period": str(self.period), "household_ids": enrolled})
        self.attempt("close_month", {"period": str(self.period)})
        seal = {
            "period": str(self.period),
            "journal_size": self.d.next_seq - 1,
            "head_hash": self.d.head,
            "balances_digest": balances_digest(self.d.books.balances),
            "engine_version": "test",
            "run_fingerprint": run_fingerprint(str(self.period), self.d.records),
        }
        assert self.attempt("seal_month", seal)
        self.period = self.period.shift(1)

    @invariant()
    def every_invariant_holds(self) -> None:
        assert check_invariants(self.d.books) == []

    @invariant()
    def a_household_month_has_one_standing_run_and_it_is_marked(self) -> None:
        # Run entries (contribution, credit) not undone by reversals, by household and month:
        # all from one run, and that household-month is marked credited.
        books = self.d.books
        runs: dict[tuple[str, Period], set[int]] = {}
        for entry in books.entries:
            if entry.kind not in ("contribution", "credit"):
                continue
            stands, reversal = True, books.reversed_by(entry.entry_id)
            while reversal is not None:
                stands, reversal = not stands, books.reversed_by(reversal)
            if stands:
                hh = next(p.account for p in entry.postings if p.account[:4] in ("411:", "419:"))
                runs.setdefault((hh[4:], entry.period), set()).add(entry.seq)
        assert all(len(seqs) == 1 for seqs in runs.values()), runs
        assert set(runs) <= books.credited_pairs

    @invariant()
    def replay_equals_the_books(self) -> None:
        result = replay(self.d.records)
        assert result.ok, result.disagreement
        books, fresh = self.d.books, result.books
        assert fresh.nonzero_balances() == books.nonzero_balances()
        assert fresh.entries == books.entries
        assert fresh.credited_pairs == books.credited_pairs
        assert {hh: fresh.lots(hh) for hh in HOUSEHOLDS} == {
            hh: books.lots(hh) for hh in HOUSEHOLDS
        }


# Examples and derandomisation come from the active profile (tests/conftest.py: dev / ci).
BooksMachine.TestCase.settings = settings(
    stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_books_state_machine_keeps_invariants_and_replays_identically = BooksMachine.TestCase
