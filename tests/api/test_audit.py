"""Audit through the API: journal pages, the replay verifier, checkpoints, and the
pseudonymised export download (what `caisse verify` reads)."""

from __future__ import annotations

import io
import json
import zipfile

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.api.fund_support import PERIOD, assert_only, call, close, seal, seed
from tests.api.support import Tokens, assert_problem, error_paths

SEED_RECORDS = 9


class TestJournal:
    def test_pages_follow_the_hash_chain(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        first = call(client, tokens, "auditor", "GET", "/v1/audit/journal", limit=4).json()
        assert [r["seq"] for r in first["records"]] == [1, 2, 3, 4]
        assert first["records"][0]["kind"] == "adopt_rule_set"
        assert first["next_after_seq"] == 4
        rest = call(client, tokens, "auditor", "GET", "/v1/audit/journal", after_seq=4).json()
        assert [r["seq"] for r in rest["records"]] == list(range(5, SEED_RECORDS + 1))
        assert rest["next_after_seq"] is None
        assert rest["records"][0]["prev_hash"] == first["records"][-1]["hash"]

    def test_no_name_reaches_the_journal(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        page = call(client, tokens, "auditor", "GET", "/v1/audit/journal").text
        assert "Member hh_own" not in page and "example.org" not in page

    def test_a_negative_cursor_is_422(self, client: TestClient, tokens: Tokens) -> None:
        response = call(client, tokens, "auditor", "GET", "/v1/audit/journal", after_seq=-1)
        assert error_paths(assert_problem(response, 422, "validation")) == ["query.after_seq"]

    def test_only_auditors(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "GET", "/v1/audit/journal", ("auditor",))


class TestVerify:
    def test_books_made_through_the_services_verify(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        close(api)
        seal(api)
        body = call(client, tokens, "auditor", "GET", "/v1/audit/verify").json()
        assert (body["ok"], body["records_checked"], body["checkpoints"]) == (
            True,
            SEED_RECORDS + 2,
            1,
        )
        assert body["first_disagreement"] is None

    def test_a_tampered_balance_is_named(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        with api.state.db_engine.begin() as connection:
            connection.execute(
                text("UPDATE balance SET balance_cents = balance_cents + 1 WHERE account = '512'")
            )
        body = call(client, tokens, "auditor", "GET", "/v1/audit/verify").json()
        assert body["ok"] is False
        assert body["first_disagreement"]["table"] == "balance"

    def test_only_auditors(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "GET", "/v1/audit/verify", ("auditor",))


class TestCheckpoints:
    def test_every_sealed_month(self, api: FastAPI, client: TestClient, tokens: Tokens) -> None:
        seed(api)
        assert call(client, tokens, "auditor", "GET", "/v1/audit/checkpoints").json() == {
            "checkpoints": []
        }
        close(api)
        seal(api)
        body = call(client, tokens, "auditor", "GET", "/v1/audit/checkpoints").json()
        assert [(c["period"], c["journal_size"]) for c in body["checkpoints"]] == [
            (PERIOD, SEED_RECORDS + 1)
        ]

    def test_only_auditors(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "GET", "/v1/audit/checkpoints", ("auditor",))


class TestExport:
    def test_a_zip_of_the_journal_and_projections_without_personal_data(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        response = call(client, tokens, "auditor", "GET", "/v1/audit/export")
        assert response.headers["content-type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        names = sorted(archive.namelist())
        assert "caisse-export/manifest.json" in names
        assert "caisse-export/journal.jsonl" in names
        journal = archive.read("caisse-export/journal.jsonl").decode()
        assert len(journal.splitlines()) == SEED_RECORDS
        everything = b"".join(archive.read(name) for name in names)
        assert b"Member hh_own" not in everything and b"example.org" not in everything
        manifest = json.loads(archive.read("caisse-export/manifest.json"))
        assert manifest["format"] == "caisse.export/1"

    def test_the_same_books_give_the_same_archive(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        first = call(client, tokens, "auditor", "GET", "/v1/audit/export").content
        assert call(client, tokens, "auditor", "GET", "/v1/audit/export").content == first

    def test_only_auditors(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "GET", "/v1/audit/export", ("auditor",))
