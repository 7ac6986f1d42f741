"""``apply(view, command, seq) -> Effects``: the meaning of every command of the fund.

Pure: reads the state through ``view``, never writes, never reads a clock. Raises a
``BooksError`` subclass (``InvalidCommand``, ``NotFound``, ``Conflict``,
``InsufficientCredit``) naming every problem with its path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from app.engine.books import (
    apply_money,
    apply_purchase,
    apply_receipts,
    apply_registry,
    apply_reverse,
    apply_run,
)
from app.engine.books.commands import Command
from app.engine.books.errors import InvalidCommand, problem
from app.engine.books.state import BooksView, Effects

Handler = Callable[[BooksView, Mapping[str, Any], int], Effects]

HANDLERS: dict[str, Handler] = {
    "enrol_household": apply_registry.enrol_household,
    "change_facts": apply_registry.change_facts,
    "adopt_rule_set": apply_registry.adopt_rule_set,
    "run_month": apply_run.run_month,
    "record_payment": apply_money.record_payment,
    "record_funding": apply_money.record_funding,
    "approve_merchant": apply_registry.approve_merchant,
    "suspend_merchant": apply_registry.suspend_merchant,
    "purchase": apply_purchase.purchase,
    "refund": apply_purchase.refund,
    "settle_merchants": apply_money.settle_merchants,
    "expire_credit": apply_run.expire_credit,
    "reverse_entry": apply_reverse.reverse_entry,
    "close_month": apply_registry.close_month,
    "seal_month": apply_registry.seal_month,
    "erase_member": apply_registry.erase_member,
    "issue_tax_receipt": apply_receipts.issue_tax_receipt,
}


# The kinds whose plain payload can be read without the books, ahead of applying it: for
# each, ``(read, apply)``, where ``read(payload)`` gives the plain payload's values (or
# ``None``: then the handler reads it field by field) and the kind's handler IS
# ``apply(view, read(payload), seq)`` for those values (see ``apply_purchase.purchase``).
# A replay reads them in its reading process (``app.audit.verify.replay.feed``) while the
# replaying process applies them.
Reader = Callable[[Any], tuple[Any, ...] | None]
ValuesHandler = Callable[[BooksView, Any, int], Effects]
READ_AHEAD: dict[str, tuple[Reader, ValuesHandler]] = {
    "purchase": (apply_purchase.plain_purchase, apply_purchase.purchase_values),
    "record_payment": (apply_money.plain_payment, apply_money.payment_values),
}


def apply(view: BooksView, command: Command, seq: int) -> Effects:
    """The effects of ``command`` recorded at journal position ``seq`` (>= 1)."""
    return apply_record(view, command.kind, command.payload, seq)


def apply_record(view: BooksView, kind: str, payload: Mapping[str, Any], seq: int) -> Effects:
    """``apply`` of a command given as its kind and payload, as a journal record holds them
    (a replay meets millions: it need not build a ``Command`` for each)."""
    handler = HANDLERS.get(kind)
    if handler is None:
        raise InvalidCommand(problem("kind", "books.unknown_command", kind=kind))
    if type(seq) is not int or seq < 1:
        raise InvalidCommand(problem("seq", "books.seq", seq=repr(seq)))
    return handler(view, payload, seq)
