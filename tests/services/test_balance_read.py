"""A member's balance read (app.services.views.balances and GET .../balance): the same JSON
as before it became one SELECT, byte for byte, on a small fund built by the services.

Expected values are worked out by hand from tests/api/fund_support.py: OWN earns 2 000 €
(1 person): contribution 2,5 % = 50,00 € due, credit 100,00 € less two 20,00 € sales =
60,00 €; OTHER earns 800 € (3 persons): 20,00 € due, credit 100 + 2 x 50 = 200,00 €. Credit
of 2026-11 expires after 2 months: last month to spend it is 2026-12."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from app.api import hot_reads
from app.api.app import create_app
from app.db.session import read_only, unit_of_work
from app.db.settings import Settings
from app.services import views
from app.services.errors import NotFound
from app.services.tokens import Role
from tests.api.fund_support import seed
from tests.api.support import OTHER_HOUSEHOLD, OWN_HOUSEHOLD, assert_problem, issue

# The lot's id is the ledger entry that opened it: the month run is journal record 7 of the
# seed, and OWN's credit its third entry.
OWN_JSON = (
    b'{"household_id":"hh_own","credit_cents":6000,"spendable_cents":6000,"due_cents":5000,'
    b'"lots":'
    b'[{"lot_id":"7.3","period":"2026-11","remaining_cents":6000,"expires_after":"2026-12"}]}'
)
OTHER = {"household_id": "hh_other", "credit_cents": 20000, "due_cents": 2000}


@pytest.fixture()
def api(db_url: str) -> Iterator[FastAPI]:
    app = create_app(Settings(database_url=db_url))
    try:
        yield app
    finally:
        app.state.db_engine.dispose()


def get(client: TestClient, secret: str, household_id: str) -> Any:
    headers = {"Authorization": f"Bearer {secret}"}
    return client.get(f"/v1/members/{household_id}/balance", headers=headers)


def test_the_endpoint_answers_the_same_bytes(api: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hot_reads, "today", lambda: date(2026, 12, 7))  # the lot's last month
    seed(api)
    member = issue(api, Role.MEMBER, household_id=OWN_HOUSEHOLD)
    operator = issue(api, Role.OPERATOR)
    with TestClient(api) as client:
        own = get(client, member, OWN_HOUSEHOLD)
        other = get(client, operator, OTHER_HOUSEHOLD)
        assert own.status_code == 200, own.text
        assert own.content == OWN_JSON
        assert own.headers["content-type"] == "application/json"
        body = other.json()
        assert {key: body[key] for key in OTHER} == OTHER
        assert [lot["period"] for lot in body["lots"]] == ["2026-11"]
        # A member sees only its own household: another one is 404, like a missing one.
        assert_problem(get(client, member, OTHER_HOUSEHOLD), 404, "not-found")
        assert_problem(get(client, operator, "hh_nobody"), 404, "not-found")


def test_one_select_through_an_engine_and_through_a_session(api: FastAPI) -> None:
    seed(api)
    engine = api.state.db_engine
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement.split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", count)
    try:
        by_engine = views.balances(engine, OWN_HOUSEHOLD)
        selects_by_engine = seen.count("SELECT")
        seen.clear()
        with unit_of_work(engine) as session:
            by_session = views.balances(session, OWN_HOUSEHOLD)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert selects_by_engine == 1
    assert seen.count("SELECT") == 1
    assert not [s for s in seen if s in {"SAVEPOINT", "RELEASE"}]
    assert by_engine == by_session
    assert by_engine["lots"][0]["lot_id"] == "7.3"


def test_a_household_without_lots_or_postings(api: FastAPI) -> None:
    seed(api, run=False)
    with read_only(api.state.db_engine) as session:
        found = views.balances(session, OWN_HOUSEHOLD)
    assert found == {"household_id": OWN_HOUSEHOLD, "credit_cents": 0, "due_cents": 0, "lots": []}


def test_an_unknown_household_is_not_found(api: FastAPI) -> None:
    with pytest.raises(NotFound):
        views.balances(api.state.db_engine, "hh_nobody")
