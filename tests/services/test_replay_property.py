"""Property: after any sequence of spending commands, accepted or refused, the stored books
satisfy every invariant and ``caisse verify``'s replay of the journal agrees with every stored
row (entries, balances, lots, markers, registry tables, request hashes)."""

from __future__ import annotations

import contextlib
import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.audit import journal
from app.audit.sources import DbSource
from app.audit.verify import verify
from app.db.session import make_engine
from app.db.settings import Settings
from app.ledger import read
from app.ledger.invariants import check_books
from app.services.errors import ServiceError
from app.services.merchants import purchase, refund
from app.services.money import record_payment, settle_merchants
from app.services.views import balances
from tests.fixtures_db import _empty_all_tables, on_postgres
from tests.services.helpers import CODE, small_fund, w

DAY = date(2026, 11, 20)

operation = st.one_of(
    st.tuples(
        st.just("buy"),
        st.sampled_from(["hh_a", "hh_b"]),
        st.sampled_from(["food", "hygiene"]),
        st.integers(1, 12_000),
    ),
    st.tuples(st.just("refund"), st.integers(0, 9), st.integers(1, 5_000)),
    st.tuples(st.just("pay"), st.sampled_from(["hh_a", "hh_b"]), st.integers(1, 6_000)),
    st.tuples(st.just("settle"), st.integers(1, 8_000)),
)


def _apply(engine: Engine, op: tuple[object, ...], index: int, bought: list[str]) -> None:
    kind = op[0]
    if kind == "buy":
        _, hh, category, amount = op
        purchase(
            engine,
            f"p{index}",
            str(hh),
            "shop",
            str(category),
            int(amount),  # type: ignore[call-overload]
            DAY,
            CODE,
            **w(),
        )
        bought.append(f"p{index}")
    elif kind == "refund" and bought:
        _, which, amount = op
        refund(engine, f"r{index}", "shop", bought[int(which) % len(bought)], int(amount), DAY, **w())  # type: ignore[call-overload]
    elif kind == "pay":
        _, hh, amount = op
        record_payment(engine, str(hh), int(amount), "transfer", f"V{index}", DAY, **w())  # type: ignore[call-overload]
    elif kind == "settle":
        settle_merchants(engine, f"b{index}", f"S{index}", DAY, {"shop": int(op[1])}, **w())  # type: ignore[call-overload]


@pytest.fixture()
def fresh(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> object:
    """A callable giving an engine on an emptied migrated database, once per example."""
    engines: list[Engine] = []

    def make() -> Engine:
        if on_postgres():
            _empty_all_tables(db_url)
            url = db_url
        else:
            template: Path = request.getfixturevalue("sqlite_template")
            target = tmp_path / f"example{len(engines)}.db"
            shutil.copyfile(template, target)
            url = f"sqlite:///{target}"
        engine = make_engine(Settings(database_url=url))
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=1, max_size=12))
def test_stored_books_always_equal_their_replay(
    fresh: object, ops: list[tuple[object, ...]]
) -> None:
    engine = fresh()  # type: ignore[operator]
    small_fund(engine)
    bought: list[str] = []
    for index, op in enumerate(ops):
        # A refusal writes nothing; the checks below prove it.
        with contextlib.suppress(ServiceError):
            _apply(engine, op, index, bought)
    with Session(engine) as session:
        assert check_books(session) == []
        records, entries = len(list(journal.records(session))), len(list(read.entries(session)))
    source = DbSource(engine)
    try:
        report = verify(source)
    finally:
        source.close()
    assert report.ok, report.as_dict()
    # Every record walked and every stored entry compared, none left out.
    assert (report.records, report.entries) == (records, entries)
    assert all(balances(engine, hh)["credit_cents"] >= 0 for hh in ("hh_a", "hh_b"))
