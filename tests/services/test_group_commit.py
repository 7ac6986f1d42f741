"""Group commit of purchases (app.services.writes.group_commit): one transaction for many charges,
the same outcome charge by charge as recording them one after the other."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.audit.sources import DbSource
from app.audit.verify import verify
from app.db.session import make_engine
from app.db.settings import Settings
from app.services import errors as svc
from app.services.consent import ConsentLocked
from app.services.merchants import approve_merchant, purchase_command, refund
from app.services.months import close_month
from app.services.writes import group_commit
from app.services.writes.execute import prepare
from app.services.writes.group_commit import (
    Charge,
    GroupWriter,
    Outcome,
    record_charges,
    record_one,
)
from tests.fixtures_db import _empty_all_tables, on_postgres
from tests.services.helpers import ACTOR, CODE, NOW, PERIOD, small_fund, w

DAY = date(2026, 11, 20)


def charge(
    purchase_id: str,
    household_id: str,
    amount_cents: int,
    *,
    key: str | None = None,
    code: str = CODE,
    category: str = "food",
    seconds: int = 0,
    merchant: str = "shop",
) -> Charge:
    command = purchase_command(purchase_id, household_id, merchant, category, amount_cents, DAY)
    return Charge(
        prepare(command), ACTOR, key or f"key-{purchase_id}", NOW + timedelta(seconds=seconds), code
    )


def balance(engine: Engine, account: str) -> int:
    with engine.connect() as connection:
        value = connection.execute(
            text("SELECT balance_cents FROM balance WHERE account = :a"), {"a": account}
        ).scalar()
    return 0 if value is None else int(value)


def journal_size(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT COUNT(*) FROM journal")).scalar_one())


def verified(engine: Engine) -> None:
    source = DbSource(engine)
    try:
        report = verify(source)
    finally:
        source.close()
    assert report.ok, report.as_dict()


def describe(outcome: Outcome | BaseException) -> Any:
    """An outcome as comparable data: the result, or the error's class, code and problems."""
    if isinstance(outcome, BaseException):
        problems = getattr(outcome, "problems", ())
        return (type(outcome).__name__, tuple((p.path, p.message) for p in problems))
    return outcome


class TestOneGroup:
    def test_every_outcome_of_a_mixed_group_hand_computed(self, engine: Engine) -> None:
        small_fund(engine)  # hh_a holds 10 000 cents of credit, hh_b 20 000
        head = journal_size(engine)
        group = [
            charge("p1", "hh_a", 4_000),
            charge("p2", "hh_a", 7_000),  # 6 000 left: refused
            charge("p3", "hh_b", 3_001, category="hygiene"),  # rate 0.5: 1 500 from credit
            charge("p4", "hh_b", 100, code="0000"),  # wrong code
            charge("p1", "hh_a", 100, key="other"),  # the id p1 was just used
            charge("p1", "hh_a", 4_000),  # a retry of the first (same key, same request)
            charge("p9", "hh_a", 1, key="key-p1"),  # same key, another request
            charge("p8", "hh_a", 6_000),  # exactly what is left
        ]
        outcomes = record_charges(engine, group)

        assert outcomes[0] == {
            "purchase_id": "p1",
            "entry_id": f"{head + 1}.0",
            "amount_cents": 4_000,
            "credit_cents": 4_000,
            "member_pays_cents": 0,
            "available_cents": 6_000,
            "seq": head + 1,
        }
        assert isinstance(outcomes[1], svc.InsufficientCredit)
        assert outcomes[1].extras == {"available_cents": 6_000, "requested_cents": 7_000}
        assert outcomes[2] == {
            "purchase_id": "p3",
            "entry_id": f"{head + 2}.0",
            "amount_cents": 3_001,
            "credit_cents": 1_500,
            "member_pays_cents": 1_501,
            "available_cents": 18_500,
            "seq": head + 2,
        }
        assert isinstance(outcomes[3], svc.Forbidden)
        assert isinstance(outcomes[4], svc.Conflict)
        assert [p.path for p in outcomes[4].problems] == ["purchase_id"]
        assert outcomes[5] == outcomes[0]
        assert isinstance(outcomes[6], svc.IdempotencyConflict)
        assert outcomes[7] == {
            "purchase_id": "p8",
            "entry_id": f"{head + 3}.0",
            "amount_cents": 6_000,
            "credit_cents": 6_000,
            "member_pays_cents": 0,
            "available_cents": 0,
            "seq": head + 3,
        }
        assert journal_size(engine) == head + 3
        assert balance(engine, "419:hh_a") == 0
        assert balance(engine, "419:hh_b") == -18_500
        assert balance(engine, "401:shop") == -11_500
        with engine.connect() as connection:
            failures = connection.execute(
                text("SELECT failures FROM consent_attempt WHERE household_id = 'hh_b'")
            ).scalar_one()
        assert failures == 1
        verified(engine)

    def test_purchase_ids_are_unique_per_merchant(self, engine: Engine) -> None:
        small_fund(engine)  # hh_a holds 10 000 cents of credit, hh_b 20 000
        approve_merchant(engine, "market", {"food": "1"}, date(2026, 1, 1), **w())
        assert isinstance(record_charges(engine, [charge("p0", "hh_a", 100)])[0], dict)
        head = journal_size(engine)
        outcomes = record_charges(
            engine,
            [
                charge("p0", "hh_b", 200, key="k1", merchant="market"),  # shop's p0 is stored
                charge("p0", "hh_b", 300, key="k2"),  # shop's own p0 again
                charge("p1", "hh_a", 400, key="k3"),
                charge("p1", "hh_b", 500, key="k4", merchant="market"),  # same id, in the group
                charge("p1", "hh_b", 600, key="k5", merchant="market"),  # market's, just used
            ],
        )
        accepted = [(n, o["seq"]) for n, o in enumerate(outcomes) if isinstance(o, dict)]
        assert accepted == [(0, head + 1), (2, head + 2), (3, head + 3)]
        for refused in (outcomes[1], outcomes[4]):
            assert isinstance(refused, svc.Conflict)
            assert [p.path for p in refused.problems] == ["purchase_id"]
        assert balance(engine, "401:shop") == -500
        assert balance(engine, "401:market") == -700
        # Each merchant refunds its own p1 (the same refund id too); the other's is untouched.
        refund(engine, "r1", "shop", "p1", 400, DAY, **w())
        refund(engine, "r1", "market", "p1", 200, DAY, **w())
        with pytest.raises(svc.Conflict):
            refund(engine, "r2", "market", "p0", 201, DAY, **w())  # market's p0 is 200
        with pytest.raises(svc.NotFound):
            refund(engine, "r1", "market", "p9", 1, DAY, **w())
        assert balance(engine, "401:shop") == -100
        assert balance(engine, "401:market") == -500
        assert balance(engine, "419:hh_a") == -10_000 + 100
        verified(engine)

    def test_a_group_of_refusals_writes_nothing_but_the_wrong_codes(self, engine: Engine) -> None:
        small_fund(engine)
        head = journal_size(engine)
        outcomes = record_charges(
            engine, [charge("p1", "hh_a", 10_001), charge("p2", "hh_zz", 5, code="1")]
        )
        assert isinstance(outcomes[0], svc.InsufficientCredit)
        assert isinstance(outcomes[1], svc.Forbidden)
        assert journal_size(engine) == head
        assert balance(engine, "419:hh_a") == -10_000

    def test_three_wrong_codes_in_one_group_make_the_fourth_charge_wait(
        self, engine: Engine
    ) -> None:
        small_fund(engine)
        wrong = [charge(f"p{i}", "hh_a", 100, code="9999", seconds=i) for i in range(3)]
        outcomes = record_charges(engine, [*wrong, charge("p9", "hh_a", 100, seconds=6)])
        assert [type(o).__name__ for o in outcomes] == ["Forbidden"] * 2 + ["ConsentLocked"] * 2
        assert isinstance(outcomes[3], ConsentLocked)
        assert outcomes[3].extras == {"locked_until": "2026-11-26T10:00:32.000000Z"}
        assert balance(engine, "419:hh_a") == -10_000

    def test_a_right_code_resets_the_count_of_wrong_ones(self, engine: Engine) -> None:
        small_fund(engine)
        group = [charge("p1", "hh_a", 100, code="1"), charge("p2", "hh_a", 100)]
        record_charges(engine, group)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT COUNT(*) FROM consent_attempt")).scalar_one()
        assert rows == 0

    def test_a_key_recorded_before_the_group_is_replayed(self, engine: Engine) -> None:
        small_fund(engine)
        first = record_one(engine, charge("p1", "hh_a", 2_500))
        again = record_charges(engine, [charge("p1", "hh_a", 2_500), charge("p2", "hh_a", 10)])
        assert again[0] == first
        assert isinstance(again[1], dict) and again[1]["seq"] == first["seq"] + 1
        assert balance(engine, "419:hh_a") == -(10_000 - 2_510)
        verified(engine)

    def test_a_closed_month_refuses_the_charge(self, engine: Engine) -> None:
        small_fund(engine)
        close_month(engine, PERIOD, **w())
        (outcome,) = record_charges(engine, [charge("p1", "hh_a", 100)])
        assert isinstance(outcome, svc.MonthClosed)


class TestWriter:
    def test_concurrent_submissions_spend_exactly_the_credit(self, engine: Engine) -> None:
        small_fund(engine)  # hh_a: 10 000 cents
        writer = GroupWriter(engine)
        try:
            futures = [writer.submit(charge(f"p{i:02d}", "hh_a", 1_500)) for i in range(20)]
            outcomes = [f.exception() or f.result() for f in futures]
        finally:
            writer.stop()
        accepted = [o for o in outcomes if isinstance(o, dict)]
        refused = [o for o in outcomes if isinstance(o, svc.InsufficientCredit)]
        assert (len(accepted), len(refused)) == (6, 14)  # 6 x 1 500 = 9 000 <= 10 000
        assert balance(engine, "419:hh_a") == -1_000
        assert writer.charges == 20
        verified(engine)

    def test_an_idle_writer_thread_ends_and_the_next_charge_starts_one(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        small_fund(engine)
        monkeypatch.setattr("app.services.writes.group_commit.IDLE_SECONDS", 0.05)
        writer = GroupWriter(engine)
        assert writer.submit(charge("p1", "hh_a", 100)).result(timeout=30)["seq"] > 0
        first = writer._worker.thread
        assert first is not None
        first.join(timeout=10)
        assert not first.is_alive() and writer._worker.thread is None
        assert writer.submit(charge("p2", "hh_a", 100)).result(timeout=30)["credit_cents"] == 100
        writer.stop()
        assert balance(engine, "419:hh_a") == -9_800

    def test_a_failing_group_is_recorded_charge_by_charge(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        small_fund(engine)
        real = group_commit.record_charges
        calls: list[int] = []

        def broken(*args: Any) -> Any:
            # Every group the writer writes fails; the one-by-one retry that follows (each
            # charge a group of one) goes through.
            calls.append(len(calls))
            if len(calls) % 2:
                raise RuntimeError("the group's transaction failed")
            return real(*args)

        monkeypatch.setattr("app.services.writes.group_commit.record_charges", broken)
        writer = GroupWriter(engine)
        try:
            first = writer.submit(charge("p1", "hh_a", 1_000)).result(timeout=30)
            second = writer.submit(charge("p2", "hh_a", 20_000)).exception(timeout=30)
        finally:
            writer.stop()
        assert first["credit_cents"] == 1_000
        assert isinstance(second, svc.InsufficientCredit)
        assert writer.groups == 0  # both went the one-by-one way
        verified(engine)

    def test_after_group_runs_once_each_charge_of_the_group_has_its_outcome(
        self, engine: Engine
    ) -> None:
        # The charge writer process sends a group's outcomes in one write from this hook
        # (app.services.writes.charge_link): an outcome not settled by then would wait for
        # the next group.
        small_fund(engine)
        submitted = threading.Event()
        futures: list[Future[dict[str, Any]]] = []
        seen: list[tuple[int, int]] = []

        def after_group() -> None:
            submitted.wait(timeout=30)
            seen.append((writer.charges, sum(f.done() for f in futures)))

        writer = GroupWriter(engine, after_group=after_group)
        try:
            futures.extend(writer.submit(charge(f"p{i}", "hh_a", 100)) for i in range(12))
            submitted.set()
            assert all(f.result(timeout=30)["credit_cents"] == 100 for f in futures)
        finally:
            writer.stop()
        assert seen and seen[-1] == (12, 12)
        assert all(charges == settled for charges, settled in seen)


@pytest.mark.skipif(not on_postgres(), reason="terminates PostgreSQL backends")
def test_a_connection_broken_under_the_writer_fails_one_group_not_its_charges(
    engine: Engine, db_url: str
) -> None:
    """The charge writer's pool does not ping before each group (app.cli.charge_writer):
    a connection the server dropped fails that group, whose charges are then recorded one
    by one on a fresh connection."""
    small_fund(engine)
    name = f"caisse_writer_{uuid.uuid4().hex[:8]}"
    writer_engine = make_engine(
        Settings(database_url=db_url),
        pool_pre_ping=False,
        connect_args={"application_name": name},
    )
    writer = GroupWriter(writer_engine)
    try:
        first = writer.submit(charge("p1", "hh_a", 1_000)).result(timeout=30)
        with engine.begin() as connection:  # what a database restart does to the pool
            killed = connection.execute(
                text(
                    "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE application_name = :name"
                ),
                {"name": name},
            ).scalar_one()
        assert killed >= 1
        second = writer.submit(charge("p2", "hh_a", 500)).result(timeout=30)
    finally:
        writer.stop()
        writer_engine.dispose()
    assert (first["credit_cents"], second["credit_cents"]) == (1_000, 500)
    assert second["seq"] == first["seq"] + 1
    assert writer.groups == 1  # the second charge's group failed; it was recorded alone
    verified(engine)


# -- the same outcomes as one after the other (property) -------------------------------------


@pytest.fixture(scope="module")
def fresh_urls(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """A factory of (grouped, reference) database URLs, both migrated and empty: the group
    runs on the suite's backend (PostgreSQL: the session's schema, emptied each time), the
    reference (one charge after the other) on SQLite."""
    from app.db.migrate import upgrade_to_head

    base = tmp_path_factory.mktemp("group")
    template = base / "template.db"
    upgrade_to_head(f"sqlite:///{template}")
    pg_url: str | None = request.getfixturevalue("postgres_schema") if on_postgres() else None

    def copy() -> str:
        target = base / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"

    def make() -> tuple[str, str]:
        if pg_url is not None:
            _empty_all_tables(pg_url)
            return pg_url, copy()
        return copy(), copy()

    yield make


charges = st.lists(
    st.tuples(
        st.sampled_from(["p1", "p2", "p3", "p4"]),
        st.sampled_from(["hh_a", "hh_b", "hh_zz"]),
        st.integers(min_value=1, max_value=12_000),
        st.sampled_from(["food", "hygiene", "toys"]),
        st.sampled_from([CODE, CODE, CODE, "0000"]),
        st.sampled_from(["k1", "k2", "k3", "k4", "k5", "k6"]),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=charges)
def test_a_group_decides_as_one_charge_after_the_other(fresh_urls: Any, plan: list[Any]) -> None:
    grouped_url, reference_url = fresh_urls()
    group = [
        charge(pid, hh, amount, key=key, code=code, category=category, seconds=i)
        for i, (pid, hh, amount, category, code, key) in enumerate(plan)
    ]
    grouped, reference = (
        make_engine(Settings(database_url=u)) for u in (grouped_url, reference_url)
    )
    try:
        for engine in (grouped, reference):
            small_fund(engine)
        outcomes = [describe(o) for o in record_charges(grouped, group)]
        expected: list[Any] = []
        for one in group:
            try:
                expected.append(record_one(reference, one))
            except svc.ServiceError as error:
                expected.append(describe(error))
        assert outcomes == expected
        for account in ("419:hh_a", "419:hh_b", "401:shop"):
            assert balance(grouped, account) == balance(reference, account)
        assert journal_size(grouped) == journal_size(reference)
        verified(grouped)
    finally:
        grouped.dispose()
        reference.dispose()
