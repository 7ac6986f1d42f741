"""What a member's pages read (app.services.views): spendable credit as of a day,
history in the member's terms, a month's statement, and the change of consent code behind
the person's own secret. On the real database of the test run (SQLite or PostgreSQL).

Figures (tests/services/helpers.py, month 2026-11, credit expires after 2 months): hh_a
owes 50,00 € and gets 100,00 € usable until 31 December 2026; hh_b owes 20,00 € and gets
200,00 €.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine

from app.db import tables as t
from app.db.session import read_only, unit_of_work
from app.db.tables_people import PersonAccess
from app.services import consent, people, views
from app.services import errors as svc
from app.services.merchants import purchase, refund
from app.services.money import record_payment
from app.services.tokens import Role
from tests.services.helpers import CODE, NOW, PERIOD, small_fund, w

SECRET = "secret-du-membre"


def _member(engine: Engine, household_id: str = "hh_a", login: str = "amina") -> str:
    with unit_of_work(engine) as session:
        new = people.create_access(session, Role.MEMBER, household_id, "Amina", NOW)
        people.activate(session, new.activation_code, login, SECRET, NOW)
        shop = people.create_access(session, Role.MERCHANT, "shop", "Épicerie du Marais", NOW)
        people.activate(session, shop.activation_code, "shop1", SECRET, NOW)
    return new.access_id


def test_spendable_credit_counts_only_lots_not_past_their_last_month(engine: Engine) -> None:
    small_fund(engine)
    with read_only(engine) as session:
        now = views.wallet(session, "hh_a", date(2026, 11, 26))
        last_day = views.wallet(session, "hh_a", date(2026, 12, 31))
        after = views.wallet(session, "hh_a", date(2027, 1, 1))
    assert (now.spendable_cents, now.lapsed_cents) == (10_000, 0)
    assert [(lot.remaining_cents, lot.expires_on) for lot in now.lots] == [
        (10_000, date(2026, 12, 31))
    ]
    assert (last_day.spendable_cents, last_day.lapsed_cents) == (10_000, 0)
    # The expiry run has not happened: the lot is still open, yet nothing is spendable.
    assert (after.spendable_cents, after.lapsed_cents, after.lots) == (0, 10_000, ())


def test_credit_granted_for_a_later_month_is_not_spendable_yet(engine: Engine) -> None:
    # November's 100 € lot, read on 31 October: the till would refuse it (a purchase never
    # spends credit granted after its day), so the member's page says 0 and shows no lot.
    small_fund(engine)
    with read_only(engine) as session:
        before = views.wallet(session, "hh_a", date(2026, 10, 31))
    assert (before.spendable_cents, before.lapsed_cents, before.lots) == (0, 0, ())


def test_wallet_shows_the_month_contribution_and_what_was_paid(engine: Engine) -> None:
    small_fund(engine)
    record_payment(engine, "hh_a", 3_000, "cash", "P-1", date(2026, 11, 20), **w())
    with read_only(engine) as session:
        found = views.wallet(session, "hh_a", date(2026, 11, 26))
        next_month = views.wallet(session, "hh_a", date(2026, 12, 2))
    assert (found.contribution_cents, found.paid_cents, found.due_cents) == (5_000, 3_000, 2_000)
    assert (next_month.contribution_cents, next_month.paid_cents) == (0, 0)
    assert next_month.due_cents == 2_000


def test_history_names_the_merchant_and_category_newest_first(engine: Engine) -> None:
    small_fund(engine)
    _member(engine)
    day = date(2026, 11, 20)
    purchase(engine, "s1", "hh_a", "shop", "food", 4_250, day, CODE, **w())
    refund(engine, "r1", "shop", "s1", 1_000, day, **w())
    record_payment(engine, "hh_a", 5_000, "transfer", "P-1", day, **w())
    with read_only(engine) as session:
        moves = views.movements(session, "hh_a")
    seen = [(m.kind, m.on_credit, m.amount_cents, m.merchant_name, m.category) for m in moves]
    assert seen == [
        ("payment", False, -5_000, None, None),
        ("refund", True, 1_000, "Épicerie du Marais", "food"),
        ("purchase", True, -4_250, "Épicerie du Marais", "food"),
        ("credit", True, 10_000, None, None),
        ("contribution", False, 5_000, None, None),
    ]
    assert all(m.recorded_at.startswith("2026-11-26") for m in moves)


def test_statement_gives_the_steps_and_none_for_a_month_not_run(engine: Engine) -> None:
    small_fund(engine)
    with read_only(engine) as session:
        found = views.member_statement(session, "hh_a", PERIOD)
        missing = views.member_statement(session, "hh_a", "2026-12")
        months = views.statement_months(session, "hh_a")
    assert missing is None
    assert months == [PERIOD]
    assert found is not None
    assert (found.contribution_cents, found.credit_cents, found.rationing) == (5_000, 10_000, None)
    assert [s.code for s in found.contribution_steps] == ["proportional", "rounding"]
    assert [s.code for s in found.credit_steps] == ["credit.base_plus_extra", "rounding"]
    assert dict(found.inputs) == {"income_cents": 200_000, "persons": 1}


def test_a_short_fund_statement_says_rationed_with_entitlement_and_credit(engine: Engine) -> None:
    # No subsidy: the budget is the contributions, 50 + 20 = 70 €, for 300 € of entitlements;
    # proportional: 100 × 70/300 = 23,333... and 200 × 70/300 = 46,666... -> 23,33 and 46,67
    # (largest remainder).
    small_fund(engine, subsidy_cents=0)
    with read_only(engine) as session:
        found = views.member_statement(session, "hh_a", PERIOD)
    assert found is not None and found.rationing is not None
    assert found.rationing == views.Rationing("proportional", 7_000, 30_000, 10_000, 2_333)
    assert found.credit_cents == 2_333


def test_consent_code_changes_only_with_the_person_s_own_secret(engine: Engine) -> None:
    small_fund(engine)
    access_id = _member(engine)
    now = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
    with unit_of_work(engine) as session:
        refused = people.change_consent_code(
            session, access_id, "wrong!", "1234", "1234", now
        )
    assert isinstance(refused, people.SignInRefused)
    with unit_of_work(engine) as session:
        assert session.get(PersonAccess, access_id).failed_signins == 1  # type: ignore[union-attr]
    for code, again, path in (
        ("12a4", "12a4", "code"),
        ("123", "123", "code"),
        ("1234", "1235", "code_again"),
    ):
        with pytest.raises(svc.InvalidRequest) as bad, unit_of_work(engine) as session:
            people.change_consent_code(session, access_id, SECRET, code, again, now)
        assert [p.path for p in bad.value.problems] == [path]
    with read_only(engine) as session:
        stored = session.get(t.Household, "hh_a")
        assert stored is not None and consent.code_matches(stored.consent_code_hash, "hh_a", CODE)
    with unit_of_work(engine) as session:
        assert (
            people.change_consent_code(session, access_id, SECRET, "90817", "90817", now)
            is None
        )
    with read_only(engine) as session:
        stored = session.get(t.Household, "hh_a")
        assert stored is not None
        assert consent.code_matches(stored.consent_code_hash, "hh_a", "90817")
        assert not consent.code_matches(stored.consent_code_hash, "hh_a", CODE)
