"""People's accesses: activation, sign-in, lockout, sessions, resets and till cards
(app.services.people), on the real database of the test run (SQLite or PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.db import tables as t
from app.db.session import unit_of_work
from app.db.tables_people import WebSession
from app.services import errors as svc
from app.services import people
from app.services.tokens import Role

NOW = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
SECRET = "un secret de test"


def _household(session: Session, household_id: str = "hh_1") -> None:
    session.add(
        t.Household(
            household_id=household_id, from_period="2027-01", facts_commitment="x", last_seq=1
        )
    )
    session.flush()


def _activated(session: Session, login: str = "marie7", role: Role = Role.OPERATOR) -> str:
    new = people.create_access(session, role, None, "Marie", NOW)
    people.activate(session, new.activation_code, login, SECRET, NOW)
    return new.access_id


def test_an_activation_code_opens_the_access_once(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        new = people.create_access(session, Role.AUDITOR, None, "Aurèle", NOW)
        assert len(new.activation_code) == 14 and new.activation_code.count("-") == 2
        typed = new.activation_code.lower().replace("-", " ")  # as read from paper
        person = people.activate(session, typed, "aurele", SECRET, NOW)
        assert (person.role, person.display_name) == (Role.AUDITOR, "Aurèle")
        with pytest.raises(svc.InvalidRequest) as again:
            people.activate(session, new.activation_code, "aurele2", SECRET, NOW)
        assert [p.path for p in again.value.problems] == ["code"]


def test_an_activation_code_expires_after_fourteen_days(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        new = people.create_access(session, Role.AUDITOR, None, "Aurèle", NOW)
        late = NOW + timedelta(days=people.ACTIVATION_DAYS, seconds=1)
        with pytest.raises(svc.InvalidRequest):
            people.activate(session, new.activation_code, "aurele", SECRET, late)


def test_activation_reports_every_bad_field_at_once_and_writes_nothing(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        _activated(session, "pris")
        new = people.create_access(session, Role.OPERATOR, None, "Paul", NOW)
        with pytest.raises(svc.InvalidRequest) as refused:
            people.activate(session, "WRONG-CODE-0000", "x", "12345", NOW)
        assert sorted(p.path for p in refused.value.problems) == ["code", "login", "secret"]
        with pytest.raises(svc.InvalidRequest) as taken:
            people.activate(session, new.activation_code, "PRIS", SECRET, NOW)
        assert [p.message for p in taken.value.problems] == [
            "this sign-in name is taken; choose another"
        ]
        assert people.access(session, new.access_id).secret_hash is None


def test_the_secret_is_stored_as_an_argon2id_hash_only(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        access_id = _activated(session)
        row = people.access(session, access_id)
        assert row.secret_hash is not None and row.secret_hash.startswith("$argon2id$")
        assert SECRET not in row.secret_hash and row.activation_sha256 is None


def test_sign_in_returns_the_person_and_one_answer_for_wrong_name_or_secret(
    engine: Engine,
) -> None:
    with unit_of_work(engine) as session:
        _activated(session)
        person = people.sign_in(session, " Marie7 ", SECRET, NOW)
        assert isinstance(person, people.Person) and person.role is Role.OPERATOR
        unknown = people.sign_in(session, "nobody", SECRET, NOW)
        wrong = people.sign_in(session, "marie7", "not it!", NOW)
        assert isinstance(unknown, people.SignInRefused) and isinstance(wrong, people.SignInRefused)
        assert unknown.detail == wrong.detail


def test_the_fifth_wrong_secret_locks_for_a_minute_then_the_lock_ends(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        access_id = _activated(session)
        outcomes = [people.sign_in(session, "marie7", "wrong!", NOW) for _ in range(5)]
        assert [type(o).__name__ for o in outcomes] == ["SignInRefused"] * 4 + ["SignInLocked"]
        assert people.access(session, access_id).locked_until == "2027-01-10T09:01:00Z"
        during = people.sign_in(session, "marie7", SECRET, NOW + timedelta(seconds=59))
        assert isinstance(during, people.SignInLocked)
        after = people.sign_in(session, "marie7", SECRET, NOW + timedelta(seconds=60))
        assert isinstance(after, people.Person)
        assert people.access(session, access_id).failed_signins == 0


def test_a_reset_gives_a_new_code_and_ends_the_lock_secret_and_sessions(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        access_id = _activated(session)
        person = people.sign_in(session, "marie7", SECRET, NOW)
        assert isinstance(person, people.Person)
        cookie = people.open_session(session, person, NOW)
        for _ in range(6):
            people.sign_in(session, "marie7", "wrong!", NOW)
        fresh = people.reset_access(session, access_id, NOW)
        assert people.session_person(session, cookie, NOW) is None
        assert isinstance(people.sign_in(session, "marie7", SECRET, NOW), people.SignInRefused)
        people.activate(session, fresh.activation_code, "marie7", "nouveau secret", NOW)
        assert isinstance(people.sign_in(session, "marie7", "nouveau secret", NOW), people.Person)


def test_a_session_lasts_twelve_hours_and_ends_at_sign_out_or_revocation(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        access_id = _activated(session)
        person = people.person_of(people.access(session, access_id))
        cookie = people.open_session(session, person, NOW)
        stored = session.exec(select(WebSession)).one()
        assert cookie not in stored.session_sha256  # only the hash is kept
        assert people.session_person(session, cookie, NOW + timedelta(hours=11)) == person
        assert people.session_person(session, cookie, NOW + timedelta(hours=12)) is None
        people.close_session(session, cookie)
        assert people.session_person(session, cookie, NOW) is None
        again = people.open_session(session, person, NOW)
        people.revoke_access(session, access_id, NOW)
        assert people.session_person(session, again, NOW) is None
        assert isinstance(people.sign_in(session, "marie7", SECRET, NOW), people.SignInRefused)


def test_forms_tokens_are_bound_to_the_browsers_cookie() -> None:
    token = people.session_token("cookie-a")
    assert people.token_matches("cookie-a", token)
    assert not people.token_matches("cookie-b", token)
    assert not people.token_matches("", people.session_token(""))


def test_a_member_access_belongs_to_an_enrolled_household_and_gets_a_card(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        with pytest.raises(svc.InvalidRequest) as unknown:
            people.create_access(session, Role.MEMBER, "hh_nobody", "X", NOW)
        assert [p.path for p in unknown.value.problems] == ["household_id"]
        _household(session)
        people.create_access(session, Role.MEMBER, "hh_1", "Nadia", NOW)
        number = people.card_of(session, "hh_1")
        assert number is not None and people.card_is_well_formed(number)
        assert people.issue_card(session, "hh_1", NOW) == number  # one card per household
        assert (
            people.household_of_card(session, f"{number[:3]} {number[3:6]} {number[6:]}") == "hh_1"
        )
        with pytest.raises(svc.InvalidRequest):
            people.household_of_card(session, number[:9] + str((int(number[9]) + 1) % 10))
        with pytest.raises(svc.InvalidRequest):
            people.create_access(session, Role.OPERATOR, "hh_1", "Staff", NOW)


def test_luhn_digit_of_a_known_number() -> None:
    # The classic example: 7992739871 has check digit 3.
    assert people.luhn_digit("7992739871") == "3"


@given(st.text("0123456789", min_size=9, max_size=9), st.integers(0, 8), st.integers(1, 9))
def test_a_card_number_with_one_wrong_digit_is_never_well_formed(
    body: str, position: int, shift: int
) -> None:
    number = body + people.luhn_digit(body)
    assert people.card_is_well_formed(number)
    wrong = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    assert not people.card_is_well_formed(wrong)
