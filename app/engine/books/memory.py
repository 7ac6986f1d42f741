"""``MemoryBooks``: the whole state of the books in memory, implementing ``BooksView``.

The verifier replays the journal into it (``commit(apply(books, command, seq))``); tests
use it as the reference model. ``commit`` trusts the effects (they come from ``apply``) and
does no checking: invariants are checked separately (``invariants``), so the replay stays fast.
Balances are kept per account; ``code_totals`` (the balance per chart code, what the trial
balance and the backing invariant read) is summed from them when asked, at each seal and
invariant check: O(accounts) a dozen times a year rather than one more dict update per
posting replayed. ``last_seq`` is the seq of the last entry that touched each account.

``MemoryBooks(keep_entries=False)`` (the verifier's streaming mode) does not keep the list of
entries: the verifier compares each command's entries with storage, then drops them. It keeps
what later commands read: every entry a reversal may take (``entry``), and for the kinds that
can never be reversed (purchases, refunds: ``apply_reverse`` refuses them by their kind, the
only field it reads of them) just their kind. ``entries`` then stays empty and
``check_invariants`` skips "balances equal the sums of the entries' postings", which holds by
construction (``balances`` IS that sum, accumulated by ``commit``).
"""

from __future__ import annotations

from collections.abc import Sequence

from app.engine.books.accounts import code_of
from app.engine.books.apply_reverse import NOT_REVERSIBLE
from app.engine.books.entries import Entry
from app.engine.books.state import (
    OPEN,
    AdoptRuleSet,
    CreditLot,
    Effects,
    EraseMember,
    HouseholdState,
    LotChange,
    MarkCredited,
    MarkReversed,
    MerchantState,
    MonthState,
    PurchaseState,
    SetHousehold,
    SetMerchant,
    SetMonth,
    SetPurchase,
    UnmarkCredited,
)
from app.engine.period import Period

UNREVERSIBLE = frozenset(NOT_REVERSIBLE)


class MemoryBooks:
    """In-memory books; one instance per replay or test."""

    def __init__(self, keep_entries: bool = True) -> None:
        self.keep_entries = keep_entries
        self.balances: dict[str, int] = {}
        self.last_seq: dict[str, int] = {}
        self.entries: list[Entry] = []
        self.entry_index: dict[str, Entry] = {}
        self.open_lots: dict[str, dict[str, CreditLot]] = {}
        self.households: dict[str, HouseholdState] = {}
        self.merchants: dict[str, MerchantState] = {}
        # Keyed by (merchant_id, purchase_id): purchase ids are unique per merchant.
        self.purchases: dict[tuple[str, str], PurchaseState] = {}
        self.months: dict[Period, MonthState] = {}
        self.months_by_text: dict[str, MonthState] = {}  # the same, keyed by "YYYY-MM"
        self.credited_pairs: set[tuple[str, Period]] = set()
        self.reversals: dict[str, str] = {}
        self.rule_sets: list[AdoptRuleSet] = []
        self.erased: list[str] = []
        self._codes: dict[str, str] = {}
        self._unreversible: dict[str, str] = {}  # streaming mode: entry id -> kind

    # -- BooksView -------------------------------------------------------------------------

    def balance_cents(self, account: str) -> int:
        return self.balances.get(account, 0)

    def lots(self, household_id: str) -> Sequence[CreditLot]:
        lots = self.open_lots.get(household_id)
        return list(lots.values()) if lots else []

    def merchant(self, merchant_id: str) -> MerchantState | None:
        return self.merchants.get(merchant_id)

    def household(self, household_id: str) -> HouseholdState | None:
        return self.households.get(household_id)

    def month(self, period: Period) -> MonthState:
        state = self.months.get(period)
        return state if state is not None else MonthState(period)

    def earliest_open_before(self, period: Period) -> Period | None:
        # One state per month the books know: a scan, once per month close.
        open_before = [p for p, s in self.months.items() if s.status == OPEN and p < period]
        return min(open_before) if open_before else None

    def purchase(self, merchant_id: str, purchase_id: str) -> PurchaseState | None:
        return self.purchases.get((merchant_id, purchase_id))

    def entry(self, entry_id: str) -> Entry | None:
        entry = self.entry_index.get(entry_id)
        if entry is None and entry_id in self._unreversible:
            # Only the kind of an unreversible entry is ever read (the reversal is refused).
            kind = self._unreversible[entry_id]
            seq = int(entry_id.partition(".")[0])
            return Entry(entry_id, seq, Period(1900, 1), kind, "", (), None)
        return entry

    def credited(self, household_id: str, period: Period) -> bool:
        return (household_id, period) in self.credited_pairs

    def reversed_by(self, entry_id: str) -> str | None:
        return self.reversals.get(entry_id)

    def adopted(self, rule_set_id: str, version: int) -> str | None:
        for change in self.rule_sets:
            if change.rule_set_id == rule_set_id and change.version == version:
                return change.content_hash
        return None

    # -- writing -------------------------------------------------------------------------

    def commit(self, effects: Effects) -> None:
        """Apply the effects of one command (as storage would, in one transaction)."""
        balances = self.balances
        last = self.last_seq
        keep = self.keep_entries
        entries, lot_changes, registries, _ = effects
        for entry in entries:
            # Unpacked rather than read by name: a NamedTuple's fields are descriptors.
            entry_id, seq, _, kind, _, postings, _ = entry
            if keep:
                self.entries.append(entry)
                self.entry_index[entry_id] = entry
            elif kind in UNREVERSIBLE:
                self._unreversible[entry_id] = kind
            else:
                self.entry_index[entry_id] = entry
            for account, amount in postings:
                balances[account] = balances.get(account, 0) + amount
                last[account] = seq
        open_lots = self.open_lots
        for change in lot_changes:
            # Inline for the hot case, a purchase spending from an open lot.
            kind, lot_id, household_id, amount, _, _ = change
            lots = open_lots.get(household_id) if kind == "spend" else None
            lot = lots.get(lot_id) if lots else None
            if lot is None or lots is None:
                self._lot(change)
                continue
            remaining = lot[4] - amount  # remaining_cents
            if remaining:
                lots[lot_id] = tuple.__new__(CreditLot, (*lot[:4], remaining))
            else:
                del lots[lot_id]
        for registry in registries:
            if type(registry) is SetPurchase:
                state = registry.state
                self.purchases[state.merchant_id, state.purchase_id] = state
            else:
                self._registry(registry)

    def _lot(self, change: LotChange) -> None:
        lots = self.open_lots.setdefault(change.household_id, {})
        if change.kind == "open":
            period = change.period if change.period is not None else Period(1900, 1)
            lots[change.lot_id] = CreditLot(
                change.lot_id, change.household_id, period, change.expires, change.amount_cents
            )
            return
        lot = lots[change.lot_id]
        remaining = lot.remaining_cents - change.amount_cents
        if remaining:
            # tuple.__new__ rather than _replace (Python-level, several times slower).
            lots[change.lot_id] = tuple.__new__(CreditLot, (*lot[:4], remaining))
        else:
            del lots[change.lot_id]

    def _registry(self, change: object) -> None:
        # Most frequent first: a month run marks every household, a purchase records itself.
        if isinstance(change, MarkCredited):
            self.credited_pairs.add((change.household_id, change.period))
        elif isinstance(change, SetPurchase):
            self.purchases[change.state.merchant_id, change.state.purchase_id] = change.state
        elif isinstance(change, SetHousehold):
            self.households[change.state.household_id] = change.state
        elif isinstance(change, SetMerchant):
            self.merchants[change.state.merchant_id] = change.state
        elif isinstance(change, SetMonth):
            self.months[change.state.period] = change.state
            self.months_by_text[str(change.state.period)] = change.state
        elif isinstance(change, MarkReversed):
            self.reversals[change.entry_id] = change.by_entry_id
        elif isinstance(change, UnmarkCredited):
            self.credited_pairs.discard((change.household_id, change.period))
        elif isinstance(change, AdoptRuleSet):
            self.rule_sets.append(change)
        elif isinstance(change, EraseMember):
            self.erased.append(change.household_id)
        else:
            raise TypeError(f"unknown registry change {change!r}")

    # -- reading for invariants and digests ------------------------------------------------

    @property
    def code_totals(self) -> dict[str, int]:
        """The balance of each chart code, summed over its accounts."""
        codes = self._codes
        totals: dict[str, int] = {}
        for account, cents in self.balances.items():
            code = codes.get(account)
            if code is None:
                code = codes[account] = code_of(account)
            totals[code] = totals.get(code, 0) + cents
        return totals

    def nonzero_balances(self) -> dict[str, int]:
        return {account: cents for account, cents in self.balances.items() if cents}

    def lot_totals(self) -> dict[str, int]:
        """Remaining credit per household, summed over its open lots."""
        return {
            hh: sum(lot.remaining_cents for lot in lots.values())
            for hh, lots in self.open_lots.items()
            if lots
        }
