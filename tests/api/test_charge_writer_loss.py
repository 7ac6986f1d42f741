"""PostgreSQL connection loss under the charge writer process (app.cli.charge_writer): the
charges in flight get 503 with Retry-After (never a 500), the writer recovers on its own,
and retrying each charge with its key records it exactly once (balance, purchases, journal
all agree, and the books verify)."""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import Future
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from app.api.app import create_app
from app.audit.sources import DbSource
from app.audit.verify import verify
from app.cli.charge_writer import charge_writer_process
from app.db.settings import Settings
from app.services.writes.charge_link import encode_outcome, settle
from tests.api.fund_support import fresh_key, seed
from tests.api.support import Tokens
from tests.api.test_merchants import balance, charge

CHARGES = "/v1/merchant/charges"
COUNT = 30
ATTEMPTS = 50


class Cutter(threading.Thread):
    """Terminates the writer's connections again and again until stopped: the database is
    unreachable for the writer, whatever connection it opens."""

    def __init__(self, url: str, application: str) -> None:
        super().__init__(daemon=True)
        self.url, self.application = url, application
        self.done = threading.Event()
        self.terminated = 0

    def run(self) -> None:
        engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                while not self.done.wait(0.002):
                    self.terminated += len(
                        connection.execute(
                            text(
                                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                " WHERE application_name = :name"
                            ),
                            {"name": self.application},
                        ).all()
                    )
                    connection.commit()
        finally:
            engine.dispose()


def test_a_lost_connection_in_the_charge_writer_is_a_503_then_recovers_exactly_once(
    db_url: str,
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("the charge writer process runs on PostgreSQL")
    application = f"caisse-writer-{uuid.uuid4().hex[:12]}"
    writer_url = f"{db_url}&application_name={application}"
    with charge_writer_process(Settings(database_url=writer_url)):
        app = create_app(Settings(database_url=db_url))  # its charges go to the writer
        try:
            with TestClient(app) as client:
                tokens = Tokens.standard(app)
                seed(app)
                before = balance(client, tokens)
                headers = tokens.headers("merchant")
                bodies = [
                    charge(purchase_id=f"sale_loss_{i:02d}", category="food", amount_cents=10)
                    for i in range(COUNT)
                ]
                keys = [fresh_key() for _ in range(COUNT)]
                statuses: list[int] = []
                cutter = Cutter(db_url, application)
                cutter.start()
                try:
                    for body, key in zip(bodies, keys, strict=True):
                        response = client.post(
                            CHARGES, json=body, headers=headers | {"Idempotency-Key": key}
                        )
                        assert response.status_code in (200, 503), response.text
                        if response.status_code == 503:
                            assert response.headers["retry-after"] == "1"
                            problem = response.json()
                            assert problem["type"] == "urn:caisse:problem:database-unavailable"
                        statuses.append(response.status_code)
                finally:
                    cutter.done.set()
                    cutter.join()
                assert cutter.terminated > 0  # the writer did hold connections, and lost them
                assert 503 in statuses
                seqs = {}
                for body, key in zip(bodies, keys, strict=True):
                    for _ in range(ATTEMPTS):  # retry with the same key until it is written
                        response = client.post(
                            CHARGES, json=body, headers=headers | {"Idempotency-Key": key}
                        )
                        assert response.status_code in (200, 503), response.text
                        if response.status_code == 200:
                            seqs[key] = response.json()["seq"]
                            break
                assert len(seqs) == COUNT
                assert len(set(seqs.values())) == COUNT  # one journal record each
                assert balance(client, tokens) == before - COUNT * 10
                with app.state.db_engine.connect() as connection:
                    recorded = connection.execute(
                        text("SELECT count(*) FROM purchase WHERE purchase_id LIKE 'sale_loss_%'")
                    ).scalar_one()
                assert recorded == COUNT
            source = DbSource(app.state.db_engine)
            try:
                assert verify(source).ok
            finally:
                source.close()
        finally:
            app.state.db_engine.dispose()


def test_the_writer_tells_an_unreachable_database_apart_from_a_defect() -> None:
    lost: Future[dict[str, Any]] = Future()
    lost.set_exception(OperationalError("SELECT 1", {}, psycopg.OperationalError("lost")))
    message = json.loads(encode_outcome(7, lost))
    assert message == {
        "id": 7,
        "unavailable": "OperationalError: (psycopg.OperationalError) lost"
        "\n[SQL: SELECT 1]\n(Background on this error at: https://sqlalche.me/e/21/e3q8)",
    }
    settled: Future[dict[str, Any]] = Future()
    settle(settled, message)
    assert isinstance(settled.exception(), psycopg.OperationalError)
    broken: Future[dict[str, Any]] = Future()
    broken.set_exception(KeyError("x"))
    assert json.loads(encode_outcome(8, broken)) == {"id": 8, "fault": "KeyError: 'x'"}
