"""Merchants' names as people read them (app.services.merchant_profiles): validated, kept
apart from the books, and a fallback where a merchant has no profile."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from app.db import tables as t
from app.db.session import read_only, unit_of_work
from app.db.tables_people import MerchantProfile
from app.services import errors as svc
from app.services import merchant_profiles, office, people, till
from app.services.merchants import approve_merchant
from app.services.tokens import Role
from tests.services.helpers import w

NAME = "Boulangerie du Centre-Ville — Épis d'or"
FIRST = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 8, 10, 30, tzinfo=UTC)


def shops(engine: Engine, *merchant_ids: str) -> None:
    for merchant_id in merchant_ids:
        approve_merchant(engine, merchant_id, {"food": "1"}, date(2026, 1, 1), **w())


def journal_size(engine: Engine) -> int:
    with read_only(engine) as session:
        return int(session.execute(select(func.count()).select_from(t.Journal)).scalar_one())


def test_a_name_is_kept_as_typed_stripped_and_outside_the_books(engine: Engine) -> None:
    shops(engine, "m_boulangerie-du-centre-ville-epis-d-or")
    before = journal_size(engine)
    with unit_of_work(engine) as session:
        merchant_profiles.set_name(
            session, "m_boulangerie-du-centre-ville-epis-d-or", f"  {NAME}\u00a0", FIRST
        )
    with read_only(engine) as session:
        row = session.get(MerchantProfile, "m_boulangerie-du-centre-ville-epis-d-or")
        assert row is not None
        assert (row.name, row.kind, row.updated_at) == (NAME, None, "2026-12-07T09:00:00Z")
        assert merchant_profiles.name_of(session, row.merchant_id) == NAME
        assert merchant_profiles.own_name(session, row.merchant_id) == NAME
    assert journal_size(engine) == before  # a shop's sign is not money


@pytest.mark.parametrize(
    "name", ["", "   ", "x" * 121, "Épicerie\ndu Marais", "Épicerie\tdu Marais"]
)
def test_a_name_is_one_line_of_1_to_120_characters(engine: Engine, name: str) -> None:
    shops(engine, "shop")
    with pytest.raises(svc.InvalidRequest) as refused, unit_of_work(engine) as session:
        merchant_profiles.set_name(session, "shop", name, FIRST)
    assert [p.path for p in refused.value.problems] == ["name"]
    with read_only(engine) as session:
        assert session.get(MerchantProfile, "shop") is None


def test_a_name_of_120_characters_is_taken(engine: Engine) -> None:
    shops(engine, "shop")
    with unit_of_work(engine) as session:
        merchant_profiles.set_name(session, "shop", "é" * 120, FIRST)
    with read_only(engine) as session:
        assert merchant_profiles.name_of(session, "shop") == "é" * 120


def test_only_a_merchant_of_the_books_gets_a_name(engine: Engine) -> None:
    with pytest.raises(svc.NotFound), unit_of_work(engine) as session:
        merchant_profiles.set_name(session, "m_nobody", "Personne", FIRST)


def test_a_new_name_replaces_the_old_and_the_same_name_changes_nothing(engine: Engine) -> None:
    shops(engine, "shop")
    with unit_of_work(engine) as session:
        merchant_profiles.set_name(session, "shop", "Épicerie du Marais", FIRST)
    with unit_of_work(engine) as session:
        merchant_profiles.set_name(session, "shop", "Épicerie du Marais", LATER)
    with read_only(engine) as session:
        row = session.get(MerchantProfile, "shop")
        assert row is not None and row.updated_at == "2026-12-07T09:00:00Z"
    with unit_of_work(engine) as session:
        merchant_profiles.set_name(session, "shop", "Épicerie solidaire du Marais", LATER)
    with read_only(engine) as session:
        assert merchant_profiles.names(session, ["shop"]) == {
            "shop": "Épicerie solidaire du Marais"
        }
        row = session.get(MerchantProfile, "shop")
        assert row is not None and row.updated_at == "2026-12-08T10:30:00Z"


def test_without_a_profile_the_access_name_then_the_id_read_back(engine: Engine) -> None:
    shops(engine, "m_boulangerie-du-centre", "m_epicerie", "m_marche")
    with unit_of_work(engine) as session:
        people.create_access(session, Role.MERCHANT, "m_epicerie", "Chantal Caron", FIRST)
        people.create_access(session, Role.MERCHANT, "m_marche", "Marc Ortiz", FIRST)
        merchant_profiles.set_name(session, "m_marche", "Marché des Halles", FIRST)
    ids = ["m_boulangerie-du-centre", "m_epicerie", "m_marche"]
    with read_only(engine) as session:
        assert merchant_profiles.names(session, ids) == {
            "m_epicerie": "Chantal Caron",  # no profile: the access's name, as before
            "m_marche": "Marché des Halles",  # the profile wins over the access
        }
        assert merchant_profiles.name_of(session, "m_boulangerie-du-centre") == (
            "Boulangerie du centre"
        )
        assert merchant_profiles.own_name(session, "m_epicerie") is None
        assert merchant_profiles.names(session, []) == {}


def test_the_till_shows_only_the_shop_s_own_name(engine: Engine) -> None:
    shops(engine, "m_epicerie")
    with unit_of_work(engine) as session:
        people.create_access(session, Role.MERCHANT, "m_epicerie", "Chantal Caron", FIRST)
    assert till.shop_name(engine, "m_epicerie") is None  # never the person's name
    with unit_of_work(engine) as session:
        merchant_profiles.set_name(session, "m_epicerie", "Épicerie du Marais", FIRST)
    assert till.shop_name(engine, "m_epicerie") == "Épicerie du Marais"


def test_the_office_chooses_merchants_by_name(engine: Engine) -> None:
    shops(engine, "m_zeta", "m_alpha-beta", "m_epicerie")
    with unit_of_work(engine) as session:
        people.create_access(session, Role.MERCHANT, "m_epicerie", "Chantal Caron", FIRST)
        merchant_profiles.set_name(session, "m_zeta", "Épicerie Zêta", FIRST)
    with read_only(engine) as session:
        assert office.merchant_choices(session) == [
            ("m_alpha-beta", "Alpha beta"),
            ("m_epicerie", "Epicerie"),  # not the name of the person with its access
            ("m_zeta", "Épicerie Zêta"),
        ]
        listed = office.access_list(session, FIRST)
    assert [(a["display_name"], a["merchant_name"]) for a in listed] == [
        ("Chantal Caron", "Epicerie")
    ]
