"""Lookups that refuse: each returns the state or raises the refusal the service maps to HTTP."""

from __future__ import annotations

from app.engine.books.errors import Conflict, MonthNotOpen, NotFound, problem
from app.engine.books.state import OPEN, BooksView, HouseholdState, MerchantState, MonthState
from app.engine.period import Period


def open_month(view: BooksView, period: Period, path: str = "period") -> MonthState:
    """The month, which must still be open: closed and sealed months take no entry."""
    month = view.month(period)
    if month.status != OPEN:
        raise MonthNotOpen(
            problem(path, "books.month_not_open", period=period, status=month.status)
        )
    return month


def known_household(view: BooksView, household_id: str, path: str) -> HouseholdState:
    household = view.household(household_id)
    if household is None:
        raise NotFound(problem(path, "books.no_household", household_id=household_id))
    return household


def active_household(view: BooksView, household_id: str, path: str) -> HouseholdState:
    """A known household whose personal data has not been erased (it may take part)."""
    household = known_household(view, household_id, path)
    if household.erased:
        raise Conflict(problem(path, "books.household_erased_no_part", household_id=household_id))
    return household


def known_merchant(view: BooksView, merchant_id: str, path: str) -> MerchantState:
    merchant = view.merchant(merchant_id)
    if merchant is None:
        raise NotFound(problem(path, "books.no_merchant", merchant_id=merchant_id))
    return merchant
