"""The books core of caisse: double-entry ledger, credit lots and journal. PURE.

``apply(view, command, seq) -> Effects`` gives the meaning of every command; ``MemoryBooks``
is the in-memory state (the verifier's store); ``journal`` builds and verifies the hash
chain. Every command, the live write's and the replay's alike, goes through the one
``apply`` (the purchase, the replay's hot kind, is fast in its own handler). The one replay
of a journal is the verifier's (``app.audit.verify``: ``verify``, ``verify_records``). The
contract is docs/ledger-contract.md; decisions are in docs/ledger.md and docs/journal.md.
"""

from app.engine.books.commands import KINDS, Command
from app.engine.books.core import apply
from app.engine.books.entries import Entry, Posting
from app.engine.books.errors import (
    AlreadyAdopted,
    BooksError,
    Conflict,
    InsufficientCredit,
    InvalidCommand,
    MerchantUnavailable,
    MonthNotClosed,
    MonthNotOpen,
    NotFound,
    UnbalancedEntry,
)
from app.engine.books.memory import MemoryBooks
from app.engine.books.state import (
    BooksView,
    CreditLot,
    Effects,
    HouseholdState,
    LotChange,
    MerchantState,
    MonthState,
    PurchaseState,
    RegistryChange,
)

__all__ = [
    "KINDS",
    "AlreadyAdopted",
    "BooksError",
    "BooksView",
    "Command",
    "Conflict",
    "CreditLot",
    "Effects",
    "Entry",
    "HouseholdState",
    "InsufficientCredit",
    "InvalidCommand",
    "LotChange",
    "MemoryBooks",
    "MerchantState",
    "MerchantUnavailable",
    "MonthNotClosed",
    "MonthNotOpen",
    "MonthState",
    "NotFound",
    "Posting",
    "PurchaseState",
    "RegistryChange",
    "UnbalancedEntry",
    "apply",
]
