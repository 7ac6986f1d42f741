"""``caisse demo``: the demo fund's books agree with what the demo says it did, the journal
verifies by replay, every printed token works against the API, and a database that is not a
demo is never overwritten without ``--force``.

The figures checked are identities between the demo's own counts (money it recorded) and the
stored balances: each side is computed independently (the counts as the demo's commands
returned, the balances from the ledger), so any lost or doubled cent fails.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.audit.sources import DbSource, read_engine
from app.audit.verify import verify
from app.cli import main
from app.db.settings import Settings
from app.engine.period import Period
from app.services.demo import DemoFund, DemoRefused, create_demo

HOUSEHOLDS = 10
SEED = 7
# Salted with fresh random salts: the facts' commitments, the free texts' (references and
# reasons: app.services.free_text) and the hashes that cover them.
SALTED = frozenset(
    {"facts_commitment", "reference", "reason", "head_hash", "run_fingerprint", "month_root"}
)


# The demo's last month is the real current month, played up to its first day: run and open
# (the till takes its credit today), with no sale yet, so every sale so far is settled.
FIRST_OF_THIS_MONTH = datetime.now(UTC).date().replace(day=1)


@pytest.fixture(scope="module")
def fund(tmp_path_factory: pytest.TempPathFactory) -> DemoFund:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    return create_demo(path, HOUSEHOLDS, SEED, today=FIRST_OF_THIS_MONTH)


@pytest.fixture(scope="module")
def balances(fund: DemoFund) -> dict[str, int]:
    with sqlite3.connect(fund.database_url.removeprefix("sqlite:///")) as db:
        rows = db.execute("SELECT account, balance_cents FROM balance").fetchall()
    return {str(a): int(c) for a, c in rows}


def total(balances: dict[str, int], prefix: str) -> int:
    return sum(c for a, c in balances.items() if a == prefix or a.startswith(prefix + ":"))


@pytest.fixture(scope="module")
def client(fund: DemoFund) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=fund.database_url))
    with TestClient(app) as test_client:
        yield test_client
    app.state.db_engine.dispose()


def bearer(fund: DemoFund, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {fund.token(role).secret}"}


class TestDemoBooks:
    def test_demo_journal_verifies_by_replay(self, fund: DemoFund) -> None:
        source = DbSource(read_engine(fund.database_url))
        try:
            report = verify(source)
        finally:
            source.close()
            source.engine.dispose()
        assert report.ok, report.as_dict()
        assert fund.verified
        assert report.checkpoints == 3  # the three months before this one

    def test_trial_balance_is_zero(self, balances: dict[str, int]) -> None:
        assert sum(balances.values()) == 0

    def test_euros_held_are_funding_plus_payments_minus_settlements(
        self, fund: DemoFund, balances: dict[str, int]
    ) -> None:
        s = fund.stats
        assert s.funding_cents > 0 and s.payment_cents > 0 and s.settled_cents > 0
        held = balances.get("512", 0) + balances.get("530", 0)
        assert held == s.funding_cents + s.payment_cents - s.settled_cents

    def test_contributions_owed_are_due_minus_paid(
        self, fund: DemoFund, balances: dict[str, int]
    ) -> None:
        s = fund.stats
        assert total(balances, "411") == s.contributions_cents - s.payment_cents
        assert total(balances, "756") == -s.contributions_cents
        # Most members paid, not all: something is still owed.
        assert 0 < total(balances, "411") < s.contributions_cents

    def test_member_credit_is_granted_minus_spent_plus_refunded_minus_expired(
        self, fund: DemoFund, balances: dict[str, int]
    ) -> None:
        s = fund.stats
        expired = -balances.get("7588", 0)
        outstanding = -total(balances, "419")
        assert s.refunds == 1 and s.refund_cents > 0
        assert outstanding == (
            s.credit_granted_cents - s.credit_spent_cents + s.refund_cents - expired
        )
        assert total(balances, "6571") == s.credit_granted_cents  # no funder shares in CALIEN

    def test_merchants_are_paid_what_they_are_owed(
        self, fund: DemoFund, balances: dict[str, int]
    ) -> None:
        s = fund.stats
        assert s.settled_cents == s.credit_spent_cents - s.refund_cents
        assert total(balances, "401") == 0

    def test_three_months_are_sealed_and_this_month_is_open(self, fund: DemoFund) -> None:
        this = Period(FIRST_OF_THIS_MONTH.year, FIRST_OF_THIS_MONTH.month)
        assert fund.periods == tuple(str(this.shift(n)) for n in (-3, -2, -1, 0))
        with sqlite3.connect(fund.database_url.removeprefix("sqlite:///")) as db:
            rows = db.execute("SELECT period, status FROM month ORDER BY period").fetchall()
        statuses = ("sealed", "sealed", "sealed", "open")
        assert rows == list(zip(fund.periods, statuses, strict=True))
        assert fund.stats.by_month[fund.periods[3]]["households_credited"] == HOUSEHOLDS
        for period in fund.periods[:3]:
            month = fund.stats.by_month[period]
            assert (
                month["purchases"] >= 2 * month["households_credited"] - month["purchases_refused"]
            )
            assert 0 < month["payments"] <= HOUSEHOLDS


class TestDemoTokens:
    @pytest.mark.parametrize("role", ["committee", "operator", "member", "merchant", "auditor"])
    def test_each_printed_token_authenticates_with_its_role(
        self, fund: DemoFund, client: TestClient, role: str
    ) -> None:
        response = client.get("/v1/auth/whoami", headers=bearer(fund, role))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["role"] == role
        subject = fund.token(role).subject_id
        assert body.get("household_id") == (subject if role == "member" else None)
        assert body.get("merchant_id") == (subject if role == "merchant" else None)

    def test_member_token_reads_its_balance(self, fund: DemoFund, client: TestClient) -> None:
        household = fund.token("member").subject_id
        response = client.get(f"/v1/members/{household}/balance", headers=bearer(fund, "member"))
        assert response.status_code == 200, response.text
        assert response.json()["credit_cents"] == fund.member_balance_cents > 0

    def test_member_token_sees_no_other_household(self, fund: DemoFund, client: TestClient) -> None:
        own = fund.token("member").subject_id
        other = "hh_0002" if own != "hh_0002" else "hh_0003"
        response = client.get(f"/v1/members/{other}/balance", headers=bearer(fund, "member"))
        assert response.status_code == 404

    def test_merchant_token_charges_the_member_with_the_printed_consent_code(
        self, fund: DemoFund, client: TestClient
    ) -> None:
        household = fund.token("member").subject_id
        body = {
            "purchase_id": "sale_test_1",
            "household_id": household,
            "category": "fresh",
            "amount_cents": 100,
            "consent_code": fund.member_consent_code,
        }
        headers = bearer(fund, "merchant") | {"Idempotency-Key": "test-demo-charge-1"}
        response = client.post("/v1/merchant/charges", json=body, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["credit_cents"] == 100

    def test_auditor_token_verifies(self, fund: DemoFund, client: TestClient) -> None:
        response = client.get("/v1/audit/verify", headers=bearer(fund, "auditor"))
        assert response.status_code == 200, response.text
        assert response.json()["ok"] is True


class TestDemoTarget:
    def test_same_seed_gives_the_same_journal_but_for_salted_commitments(
        self, tmp_path: Path
    ) -> None:
        first = create_demo(tmp_path / "a.db", 3, SEED, today=date(2026, 11, 20))
        second = create_demo(tmp_path / "b.db", 3, SEED, today=date(2026, 11, 20))
        assert journal_of(first) == journal_of(second)
        assert len(journal_of(first)) > 20

    def test_a_database_that_is_not_a_demo_is_never_overwritten(self, tmp_path: Path) -> None:
        target = tmp_path / "caisse.db"
        with sqlite3.connect(target) as db:
            db.execute("CREATE TABLE precious (x INTEGER)")
        with pytest.raises(DemoRefused, match="--force"):
            create_demo(target, 2, SEED)
        with sqlite3.connect(target) as db:
            assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("precious",)]

    def test_force_replaces_it_and_a_demo_is_replaced_without_force(self, tmp_path: Path) -> None:
        target = tmp_path / "caisse.db"
        target.write_bytes(b"not a database")
        forced = create_demo(target, 2, SEED, force=True)
        again = create_demo(target, 2, SEED)  # a demo database: replaced quietly
        assert forced.verified and again.verified
        assert len(journal_of(again)) == len(journal_of(forced))

    def test_cli_prints_tokens_and_refuses_with_exit_2(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        target = tmp_path / "demo.db"
        args = ["demo", "--database", str(target), "--households", "2", "--json"]
        assert main(args) == 0
        printed = json.loads(capsys.readouterr().out)
        assert sorted(printed["tokens"]) == [
            "auditor",
            "committee",
            "member",
            "merchant",
            "operator",
        ]
        assert printed["verified"] is True
        assert printed["serve"] == f"DATABASE_URL=sqlite:///{target} caisse serve"
        other = tmp_path / "other.db"
        other.write_bytes(b"x")
        assert main(["demo", "--database", str(other), "--households", "2"]) == 2
        assert "--force" in capsys.readouterr().err
        assert other.read_bytes() == b"x"


def journal_of(fund: DemoFund) -> list[tuple[str, Any, str]]:
    """Kind, payload and time of each record, without the commitments to facts and free texts
    (salted with fresh random salts, so that erased facts and references cannot be guessed
    back) and the hashes that cover them (a seal's head hash, run fingerprint and month
    root)."""
    with sqlite3.connect(fund.database_url.removeprefix("sqlite:///")) as db:
        rows = db.execute("SELECT kind, payload, recorded_at FROM journal ORDER BY seq")
        return [(str(k), unsalted(json.loads(p)), str(r)) for k, p, r in rows]


def unsalted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: unsalted(v) for k, v in value.items() if k not in SALTED}
    if isinstance(value, list):
        return [unsalted(v) for v in value]
    return value


def test_cli_text_says_how_to_serve_and_what_to_try(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "demo.db"
    assert main(["demo", "--database", str(target), "--households", "2", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert f"DATABASE_URL=sqlite:///{target} caisse serve" in out
    assert "http://127.0.0.1:8000/docs" in out
    assert out.count("curl -s") == 4
    for role in ("committee", "operator", "member", "merchant", "auditor"):
        assert f"\n  {role:<10} " in out
    assert "journal verified by replay: ok" in out


def test_cli_refuses_a_fund_without_households(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--households", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err


def test_the_demo_prints_a_sign_in_per_role_that_opens_that_roles_pages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fastapi.testclient import TestClient

    from app.asgi import create_app
    from app.db.settings import Settings

    target = tmp_path / "demo.db"
    assert main(["demo", "--database", str(target), "--households", "2", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)["sign_ins"]
    homes = {
        "member": "/membre",
        "merchant": "/commercant",
        "committee": "/comite",
        "operator": "/operateur",
        "auditor": "/audit",
    }
    assert sorted(printed) == sorted(homes)
    app = create_app(Settings(database_url=f"sqlite:///{target}"))
    for role, person in printed.items():
        with TestClient(app) as client:
            page = client.get("/connexion")
            token = page.text.split('name="csrf" value="')[1].split('"')[0]
            form = {"login": person["login"], "secret": person["secret"], "csrf": token}
            signed = client.post("/connexion", data=form, follow_redirects=False)
            assert (signed.status_code, signed.headers["location"]) == (303, homes[role])
    app.state.db_engine.dispose()
