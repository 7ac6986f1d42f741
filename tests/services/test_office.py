"""The office's use cases (app.services.office) on the database: a form's problems all at
once with nothing written, a double submit replayed by its key, accesses asked twice."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.audit import journal
from app.db import tables as t
from app.db.session import unit_of_work
from app.db.tables_people import PersonAccess
from app.services import errors as svc
from app.services import office, people
from app.services.views import balances
from tests.services.helpers import ACTOR, NOW, adopt, enrol, w


def head(engine: Engine) -> int:
    with Session(engine) as session:
        return journal.head(session).seq


def count(engine: Engine, table: type) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def form(**changes: object) -> office.EnrolmentForm:
    facts = office.FactsForm("2026-12", 150_000, (date(1985, 3, 12), date(2015, 2, 28)))
    values: dict[str, object] = {
        "full_name": "Chloé Martin",
        "facts": facts,
        "consent_code": "2468",
        "consent_code_again": "2468",
    } | changes
    return office.EnrolmentForm(**values)  # type: ignore[arg-type]


def test_an_enrolment_form_reports_every_field_and_writes_nothing(engine: Engine) -> None:
    adopt(engine)
    before = head(engine)
    bad = form(
        full_name=" ",
        facts=office.FactsForm("2026-13", None, (date(1985, 3, 12), date(2031, 1, 1))),
        consent_code="12a4",
    )
    with pytest.raises(svc.InvalidRequest) as refused, unit_of_work(engine) as session:
        office.enrol(session, bad, actor=ACTOR, idempotency_key="k-bad", now=NOW)
    assert [p.path for p in refused.value.problems] == [
        "full_name",
        "from_period",
        "income",
        "births[1]",
        "consent_code",
    ]
    assert head(engine) == before
    assert count(engine, t.Household) == 0
    mismatch = form(consent_code_again="2469")
    assert [p.path for p in office.enrolment_problems(mismatch, NOW.date())] == [
        "consent_code_again"
    ]
    nobody = office.FactsForm("2026-12", 0, ())
    assert [p.path for p in office.facts_problems(nobody, NOW.date())] == ["births"]


def test_an_enrolment_submitted_twice_enrols_one_household(engine: Engine) -> None:
    adopt(engine)
    ids = []
    for _ in range(2):
        with unit_of_work(engine) as session:
            ids.append(office.enrol(session, form(), actor=ACTOR, idempotency_key="k-1", now=NOW))
    assert ids[0] == ids[1] == office.household_id_for("k-1")
    assert count(engine, t.Household) == 1
    assert count(engine, t.MemberIdentity) == 1
    with unit_of_work(engine) as session:
        other = office.enrol(session, form(), actor=ACTOR, idempotency_key="k-2", now=NOW)
        found = office.household(session, ids[0])
    assert other != ids[0]
    assert found["identity"] == {"full_name": "Chloé Martin"}
    assert found["facts"][0]["income_cents"] == 150_000
    assert [p["birth_on"] for p in found["facts"][0]["persons"]] == ["1985-03-12", "2015-02-28"]


def test_new_facts_count_from_their_month(engine: Engine) -> None:
    adopt(engine)
    enrol(engine, "hh_a", 200_000, 1)
    facts = office.FactsForm("2027-01", 100_000, (date(1980, 5, 17), date(2020, 1, 1)))
    with unit_of_work(engine) as session:
        office.new_facts(session, "hh_a", facts, **w())
        found = office.household(session, "hh_a")
    assert [(f["from_period"], f["income_cents"]) for f in found["facts"]] == [
        ("2026-01", 200_000),
        ("2027-01", 100_000),
    ]
    with pytest.raises(svc.NotFound), unit_of_work(engine) as session:
        office.new_facts(session, "hh_nobody", facts, **w())


def test_an_access_form_posted_twice_is_one_access_whose_last_code_works(engine: Engine) -> None:
    adopt(engine)
    enrol(engine, "hh_a", 200_000, 1)
    with unit_of_work(engine) as session:
        first, _ = office.open_access(session, "member", "hh_a", "Amina", NOW, "form-1")
    with unit_of_work(engine) as session:
        second, row = office.open_access(session, "member", "hh_a", "Amina", NOW, "form-1")
        card = office.card_for(session, row)
    with pytest.raises(svc.IdempotencyConflict), unit_of_work(engine) as session:
        office.open_access(session, "member", "hh_a", "Someone else", NOW, "form-1")
    with unit_of_work(engine) as session:  # another form: another person of the household
        other, _ = office.open_access(session, "member", "hh_a", "Amina", NOW, "form-2")
    assert other.access_id != first.access_id
    assert first.access_id == second.access_id and first.activation_code != second.activation_code
    assert count(engine, PersonAccess) == 2
    assert card is not None and people.card_is_well_formed(card)
    with pytest.raises(svc.InvalidRequest), unit_of_work(engine) as session:
        people.activate(session, first.activation_code, "amina", "123456", NOW)
    with unit_of_work(engine) as session:
        assert people.activate(session, second.activation_code, "amina", "123456", NOW)
    with pytest.raises(svc.InvalidRequest), unit_of_work(engine) as session:
        office.open_access(session, "member", "hh_a", "Amina", NOW, "form-1")  # activated
    with pytest.raises(svc.InvalidRequest) as refused, unit_of_work(engine) as session:
        office.open_access(session, "merchant", None, "", NOW, "form-3")
    assert [p.path for p in refused.value.problems] == ["merchant_id", "display_name"]


def test_a_payment_form_reports_every_field_then_records_once(engine: Engine) -> None:
    adopt(engine)
    enrol(engine, "hh_a", 200_000, 1)
    before = head(engine)
    with pytest.raises(svc.InvalidRequest) as refused, unit_of_work(engine) as session:
        office.record_payment(session, "hh_nobody", 0, "cheque", "", date(2026, 12, 1), **w())
    assert [p.path for p in refused.value.problems] == [
        "household_id",
        "amount",
        "received_on",
        "method",
    ]
    assert head(engine) == before
    for _ in range(2):
        with unit_of_work(engine) as session:
            office.record_payment(
                session, "hh_a", 1_500, "cash", "", date(2026, 11, 20), **w(idempotency_key="p1")
            )
    assert head(engine) == before + 1
    assert balances(engine, "hh_a")["due_cents"] == -1_500  # paid before any month was run


def test_a_funder_is_named_as_typed() -> None:
    assert office.funder_id_of("Ville de Loos-en-Gohelle") == "ville-de-loos-en-gohelle"
    assert office.funder_id_of("  Fondation Émile & Cie ") == "fondation-emile-cie"
    assert office.funder_id_of("«»") == ""
