"""The state the books core reads (``BooksView``) and the effects it returns (``Effects``).

The core never writes: ``apply`` reads through a ``BooksView`` (SQL in the shell, memory in
the verifier) and returns ``Effects``; the caller persists them in one transaction.
Registry changes carry the *whole new state* of the record they touch (upsert semantics),
so storage never has to re-derive anything. State values are NamedTuples: immutable and cheap
to build on the replay hot path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol

from app.engine.books.entries import Entry
from app.engine.period import Period
from app.engine.rules.policies import UnspentCreditPolicy

OPEN = "open"
CLOSED = "closed"
SEALED = "sealed"


class MonthState(NamedTuple):
    """A month's lifecycle (open -> closed -> sealed) and the unspent-credit policy in force.

    ``unspent`` is set by the month's first ``run_month`` chunk (``None`` before any run).
    A month never seen is ``MonthState(period)``: open, no policy.
    """

    period: Period
    status: str = OPEN
    unspent: UnspentCreditPolicy | None = None


class CreditLot(NamedTuple):
    """Credit granted at once to one household; spent oldest first.

    ``expires`` is the LAST month in which the lot may be spent (``None``: never expires);
    ``expire_credit`` for that month or a later one expires what remains.
    """

    lot_id: str
    household_id: str
    period: Period
    expires: Period | None
    remaining_cents: int


class HouseholdState(NamedTuple):
    household_id: str
    from_period: Period
    facts_commitment: str
    erased: bool = False


class MerchantState(NamedTuple):
    """An approved merchant: ``rates`` maps category -> decimal rate string in (0, 1]."""

    merchant_id: str
    rates: tuple[tuple[str, str], ...]
    valid_from: date
    valid_until: date | None
    suspended_from: date | None = None
    suspension_reason: str | None = None

    def rate_text(self, category: str) -> str | None:
        for name, rate in self.rates:
            if name == category:
                return rate
        return None


class PurchaseState(NamedTuple):
    """A recorded purchase; ``credit_cents`` was paid from credit, the rest by the member.

    It is identified by ``(merchant_id, purchase_id)``: two merchants may use the same id.

    ``lots_expire`` is the latest expiry of the lots it was paid from (``None`` if any of
    them never expires): a refund's new lot gets it, so a refund never extends credit's life.
    """

    purchase_id: str
    household_id: str
    merchant_id: str
    category: str
    period: Period
    amount_cents: int
    credit_cents: int
    refunded_cents: int
    lots_expire: Period | None
    refund_ids: tuple[str, ...] = ()


class BooksView(Protocol):
    """Read access the core needs; SQL storage and ``MemoryBooks`` implement it."""

    def balance_cents(self, account: str) -> int: ...

    # Open lots (remaining > 0), in any order: the core sorts them (``lots.oldest_first``).
    def lots(self, household_id: str) -> Sequence[CreditLot]: ...

    def merchant(self, merchant_id: str) -> MerchantState | None: ...

    def household(self, household_id: str) -> HouseholdState | None: ...

    def month(self, period: Period) -> MonthState: ...

    # The earliest month before ``period`` that the books know (it has a month state: its first
    # run chunk stored one) and that is still open; ``None`` if none. Read by close_month only.
    def earliest_open_before(self, period: Period) -> Period | None: ...

    # Purchase ids are the merchant's own (a till's receipt numbers): unique per merchant.
    def purchase(self, merchant_id: str, purchase_id: str) -> PurchaseState | None: ...

    def entry(self, entry_id: str) -> Entry | None: ...

    def credited(self, household_id: str, period: Period) -> bool: ...

    def reversed_by(self, entry_id: str) -> str | None: ...  # id of the reversing entry

    # The content hash of an adopted rule-set version, None when that version is not adopted.
    def adopted(self, rule_set_id: str, version: int) -> str | None: ...


class LotChange(NamedTuple):
    """``open`` creates lot ``lot_id`` holding ``amount_cents``; ``spend`` (purchase),
    ``expire`` (expiry) and ``take`` (a reversal taking credit back) lower its remaining
    amount by ``amount_cents``. A lot whose remaining amount reaches 0 is no longer open.
    ``period``/``expires`` are the lot's own (given for ``open``, ``None`` otherwise)."""

    kind: str
    lot_id: str
    household_id: str
    amount_cents: int
    period: Period | None = None
    expires: Period | None = None


class SetHousehold(NamedTuple):
    state: HouseholdState


class SetMerchant(NamedTuple):
    state: MerchantState


class SetPurchase(NamedTuple):
    state: PurchaseState


class SetMonth(NamedTuple):
    state: MonthState


class MarkCredited(NamedTuple):
    """The household's month run is done (exactly once per household and month)."""

    household_id: str
    period: Period


class UnmarkCredited(NamedTuple):
    """Every entry the household's month run posted for ``period`` is now reversed: the run is
    undone, so a later ``run_month`` may credit the household for that month again."""

    household_id: str
    period: Period


class MarkReversed(NamedTuple):
    entry_id: str
    by_entry_id: str


class AdoptRuleSet(NamedTuple):
    rule_set_id: str
    version: int
    content_hash: str
    effective_from: Period
    decision: str


class EraseMember(NamedTuple):
    """Delete the salt, identity and facts kept outside the journal for this household."""

    household_id: str


RegistryChange = (
    SetHousehold
    | SetMerchant
    | SetPurchase
    | SetMonth
    | MarkCredited
    | UnmarkCredited
    | MarkReversed
    | AdoptRuleSet
    | EraseMember
)


_NO_RESULT: Mapping[str, Any] = MappingProxyType({})


class Effects(NamedTuple):
    """What one command does: entries, lot changes, registry changes, and its result.

    A NamedTuple (immutable) rather than a frozen dataclass: one is built per command replayed.
    """

    entries: tuple[Entry, ...] = ()
    lot_changes: tuple[LotChange, ...] = ()
    registry: tuple[RegistryChange, ...] = ()
    result: Mapping[str, Any] = _NO_RESULT
