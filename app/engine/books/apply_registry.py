"""Commands that change registries only (no ledger entry): households, rule sets, merchants,
month lifecycle, erasure. Each returns ``Effects`` or raises a ``BooksError``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.engine.books.commands import Fields
from app.engine.books.errors import (
    AlreadyAdopted,
    Conflict,
    InvalidCommand,
    MonthNotClosed,
    MonthNotOpen,
    NotFound,
    problem,
)
from app.engine.books.guards import known_household, known_merchant
from app.engine.books.state import (
    CLOSED,
    OPEN,
    SEALED,
    AdoptRuleSet,
    BooksView,
    Effects,
    EraseMember,
    HouseholdState,
    MerchantState,
    SetHousehold,
    SetMerchant,
    SetMonth,
)
from app.engine.canonical import content_hash
from app.engine.money import parse_rate
from app.engine.problems import Problem

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def enrol_household(view: BooksView, payload: Mapping[str, Any], seq: int) -> Effects:
    f = Fields(payload)
    household_id = f.ident("household_id")
    from_period = f.period("from_period")
    commitment = f.text("facts_commitment")
    f.done()
    if view.household(household_id) is not None:
        raise Conflict(
            problem("household_id", "books.household_already_enrolled", household_id=household_id)
        )
    state = HouseholdState(household_id, from_period, commitment)
    return Effects(registry=(SetHousehold(state),), result={"household_id": household_id})


def change_facts(view: BooksView, payload: Mapping[str, Any], seq: int) -> Effects:
    f = Fields(payload)
    household_id = f.ident("household_id")
    from_period = f.period("from_period")
    commitment = f.text("facts_commitment")
    f.done()
    household = known_household(view, household_id, "household_id")
    if household.erased:
        raise Conflict(problem("household_id", "books.household_erased", household_id=household_id))
    if from_period < household.from_period:
        raise Conflict(
            problem(
                "from_period", "books.household_enrolled_from", from_period=household.from_period
            )
        )
    state = household._replace(facts_commitment=commitment)
    result = {"household_id": household_id, "from_period": str(from_period)}
    return Effects(registry=(SetHousehold(state),), result=result)


def adopt_rule_set(view: BooksView, payload: Mapping[str, Any], seq: int) -> Effects:
    f = Fields(payload)
    rule_set_id = f.ident("rule_set_id")
    version = f.integer("version", minimum=1)
    declared = f.text("content_hash")
    effective_from = f.period("effective_from")
    decision = f.text("decision")
    document = f.raw("document")
    f.require(isinstance(document, Mapping), "document", "expected the rule document object")
    f.done()
    try:
        actual = content_hash(document)
    except ValueError as error:
        raise InvalidCommand((Problem("document", str(error)),)) from error
    if actual != declared:
        raise InvalidCommand(
            problem("content_hash", "books.content_hash", actual=actual, declared=declared)
        )
    already = view.adopted(rule_set_id, version)
    if already is not None:
        raise AlreadyAdopted(
            problem("version", "books.version_adopted", rule_set_id=rule_set_id, version=version)
        )
    change = AdoptRuleSet(rule_set_id, version, declared, effective_from, decision)
    result = {"rule_set_id": rule_set_id, "version": version, "content_hash": declared}
    return Effects(registry=(change,), result=result)


def approve_merchant(view: BooksView, payload: Mapping[str, Any], seq: int) -> Effects:
    """Approve (or re-approve, replacing rates and dates and lifting a suspension)."""
    f = Fields(payload)
    merchant_id = f.ident("merchant_id")
    categories = f.raw("categories")
    valid_from = f.day("valid_from")
    valid_until = f.optional_day("valid_until")
    rates = _rates(f, categories)
    f.require(
        valid_until is None or valid_until >= valid_from, "valid_until", "is before valid_from"
    )
    f.done()
    state = MerchantState(merchant_id, rates, valid_from, valid_until)
    return Effects(registry=(SetMerchant(state),), result={"merchant_id": merchant_id})


def _rates(f: Fields, categories: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(categories, Mapping) or not categories:
        f.require(False, "categories", "expected a non-empty object {category: rate}")
        return ()
    rates: list[tuple[str, str]] = []
    for name, rate in sorted(categories.items()):
        key = f"categories.{name}"
        if not isinstance(rate, str):
            f.require(False, key, f'expected a decimal string such as "0.5", got {rate!r}')
            continue
        try:
            value = parse_rate(rate)
        except ValueError as error:
            f.require(False, key, str(error))
            continue
        f.require(0 < value <= 1, key, f"a rate must be above 0 and at most 1, got {rate}")
        rates.append((str(name), rate))
    return tuple(rates)


def suspend_merchant(view: BooksView, payload: Mapping[str, Any], seq: int) -> Effects:
    f = Fields(payload)
    merchant_id = f.ident("merchant_id")
    reason = f.text("reason")
    from_on = f.day("from_on")
    f.done()
    merchant = known_merchant(view, merchant_id, "merchant_id")
    if merchant.suspended_from is not None:
        raise Conflict(
            problem(
                "merchant_id",
                "books.merchant_already_suspended",
                suspended_from=merchant.suspended_from,
            )
        )
    state = merchant._replace(suspended_from=from_on, suspension_reason=reason)
    result = {"merchant_id": merchant_id, "suspended_from": from_on.isoformat()}
    return Effects(registry=(SetMerchant(state),), result=result)


def close_month(view: BooksView, payload: Mapping[str, Any], seq: int) -> Effects:
    f = Fields(payload)
    period = f.period("period")
    f.done()
    month = view.month(period)
    if month.status != OPEN:
        raise MonthNotOpen(
            problem("period", "books.month_already", period=period, status=month.status)
        )
    # Months close in order: an earlier month the books know (it was run) and still open
    # would take entries behind a closed one. Months never run nor closed do not count.
    earlier = view.earliest_open_before(period)
    if earlier is not None:
        raise MonthNotClosed(
            problem("period", "books.close_in_order", period=period, earlier=earlier)
        )
    state = month._replace(status=CLOSED)
    return Effects(registry=(SetMonth(state),), result={"period": str(period), "status": CLOSED})


def seal_month(view: BooksView, payload: Mapping[str, Any], seq: int) -> Effects:
    """Seal a closed month. ``journal_size`` must be ``seq - 1`` (the records before this one);
    the hashes and digests are checked by the replay verifier, which has the whole journal."""
    f = Fields(payload)
    period = f.period("period")
    journal_size = f.integer("journal_size")
    head_hash = f.text("head_hash")
    f.text("balances_digest")
    f.text("engine_version")
    f.text("run_fingerprint")
    # The month's Merkle root over its statements (app.engine.merkle); absent on seals
    # recorded before it existed.
    month_root = f.text("month_root") if f.present("month_root") else None
    statements = f.integer("month_statements") if f.present("month_statements") else None
    f.require(
        journal_size == seq - 1, "journal_size", f"expected {seq - 1} records before seq {seq}"
    )
    f.require(bool(_HEX64.match(head_hash)), "head_hash", "expected 64 lowercase hex digits")
    f.require(
        month_root is None or bool(_HEX64.match(month_root)),
        "month_root",
        "expected 64 lowercase hex digits",
    )
    f.require(
        (month_root is None) == (statements is None),
        "month_statements",
        "is given exactly when month_root is",
    )
    f.done()
    month = view.month(period)
    if month.status != CLOSED:
        refusal = MonthNotClosed if month.status == OPEN else MonthNotOpen
        raise refusal(
            problem("period", "books.seal_closed_only", period=period, status=month.status)
        )
    state = month._replace(status=SEALED)
    return Effects(registry=(SetMonth(state),), result={"period": str(period), "status": SEALED})


def erase_member(view: BooksView, payload: Mapping[str, Any], seq: int) -> Effects:
    f = Fields(payload)
    household_id = f.ident("household_id")
    f.done()
    household = view.household(household_id)
    if household is None:
        raise NotFound(problem("household_id", "books.no_household", household_id=household_id))
    if household.erased:
        raise Conflict(
            problem("household_id", "books.household_already_erased", household_id=household_id)
        )
    changes = (SetHousehold(household._replace(erased=True)), EraseMember(household_id))
    return Effects(registry=changes, result={"household_id": household_id, "erased": True})
