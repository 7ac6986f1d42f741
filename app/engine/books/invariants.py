"""Invariants of the books; each check returns problems (empty when it holds), never raises.

- trial balance: all balances sum to 0;
- no member credit below zero: balance(419:hh) <= 0 for every household;
- backing (no phantom money): -S(419) - S(401) <= S(512) + S(530) + S(411) + S(4687) + S(441);
- stored balances equal the sums of the postings (when both are given);
- (memory) each household's open lots sum to its credit, -balance(419:hh).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from app.engine.books import accounts as acc
from app.engine.books.entries import Entry
from app.engine.books.memory import MemoryBooks
from app.engine.books.state import Effects
from app.engine.problems import Problem


def code_totals_of(balances: Mapping[str, int]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for account, cents in balances.items():
        code = acc.code_of(account)
        totals[code] = totals.get(code, 0) + cents
    return totals


def check_totals(code_totals: Mapping[str, int]) -> list[Problem]:
    """Trial balance and backing, from the balance of each chart code summed over parties."""
    problems: list[Problem] = []
    trial = sum(code_totals.values())
    if trial != 0:
        problems.append(Problem("trial_balance", f"balances sum to {trial} cents, not 0"))
    owed = -sum(code_totals.get(code, 0) for code in acc.BACKED_LIABILITIES)
    held = sum(code_totals.get(code, 0) for code in acc.BACKING_ASSETS)
    if owed > held:
        problems.append(
            Problem(
                "backing",
                f"credit and payables of {owed} cents exceed money held or receivable "
                f"of {held} cents",
            )
        )
    return problems


def check_member_credit(balances: Mapping[str, int]) -> list[Problem]:
    return [
        Problem(account, f"member credit is negative: balance {cents} cents")
        for account, cents in sorted(balances.items())
        if cents > 0 and acc.code_of(account) == acc.MEMBER_CREDIT
    ]


def check_balances_match(balances: Mapping[str, int], entries: Iterable[Entry]) -> list[Problem]:
    """Stored ``balances`` equal the sums of the postings of ``entries`` (zeros ignored)."""
    sums: dict[str, int] = {}
    for entry in entries:
        for account, cents in entry.postings:
            sums[account] = sums.get(account, 0) + cents
    problems = []
    for account in sorted(set(sums) | set(balances)):
        stored, summed = balances.get(account, 0), sums.get(account, 0)
        if stored != summed:
            problems.append(
                Problem(account, f"stored balance {stored} cents, postings sum to {summed}")
            )
    return problems


def check_balances(
    balances: Mapping[str, int], entries: Iterable[Entry] | None = None
) -> list[Problem]:
    """Every invariant that a set of balances (and, when given, the entries) must satisfy."""
    problems = check_totals(code_totals_of(balances)) + check_member_credit(balances)
    if entries is not None:
        problems += check_balances_match(balances, entries)
    return problems


def check_invariants(books: MemoryBooks | Mapping[str, int]) -> list[Problem]:
    """Every invariant of in-memory books, including lots matching member credit; given only
    a mapping of balances (e.g. read from storage), the invariants balances alone can show."""
    if not isinstance(books, MemoryBooks):
        return check_balances(books)
    problems = check_totals(books.code_totals) + check_member_credit(books.balances)
    if books.keep_entries:  # streaming books keep no entries; balances are their sums anyway
        problems += check_balances_match(books.balances, books.entries)
    lots = books.lot_totals()
    for account, cents in sorted(books.balances.items()):
        if acc.code_of(account) == acc.MEMBER_CREDIT:
            hh = acc.party_of(account) or ""
            if lots.get(hh, 0) != -cents:
                problems.append(
                    Problem(account, f"open lots hold {lots.get(hh, 0)} cents, credit is {-cents}")
                )
    return problems


def check_effects(
    balance_cents: Callable[[str], int], code_totals: Mapping[str, int], effects: Effects
) -> list[Problem]:
    """Invariants AFTER committing ``effects`` to a state with these balances and totals.

    For a service to refuse a command before writing (e.g. a month run the fund cannot back).
    """
    after = dict(code_totals)
    touched: dict[str, int] = {}
    for entry in effects.entries:
        for account, cents in entry.postings:
            code = acc.code_of(account)
            after[code] = after.get(code, 0) + cents
            if code == acc.MEMBER_CREDIT:
                touched[account] = touched.get(account, balance_cents(account)) + cents
    return check_totals(after) + check_member_credit(touched)
