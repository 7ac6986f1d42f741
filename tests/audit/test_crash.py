"""CRASH: kill -9 a month run half-way, run it again: every household is credited exactly
once and the journal still verifies.

The fund is enrolled in bulk (``bench.ledger_fund.enrol_bulk``: the rows the enrolment
service writes, in one transaction). 10 000 households run in the default suite; the
100 000-household case of the issue is marked ``slow`` (about 2-3 minutes on 2 cores).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from app.audit.sources import DbSource, read_engine
from app.audit.verify import verify
from app.services.months import run_month
from bench.ledger_fund import ACTOR, NOW, PERIOD, setup_fund
from tests.audit.crash_run import RUN_KEY
from tests.audit.support import scalar

ROOT = Path(__file__).resolve().parents[2]


def expected_credit_cents(households: int) -> int:
    """The rule set's credit, 10 000 + 5 000 per extra person, persons = 1 + (i * 31) % 5."""
    return sum(10_000 + 5_000 * ((i * 31) % 5) for i in range(households))


def _head(db_url: str) -> int:
    return int(scalar(db_url, "SELECT COALESCE(MAX(seq), 0) FROM journal"))


def _kill_half_way(db_url: str, base: int, chunks: int, chunk_size: int) -> int:
    """Start the run in a child, SIGKILL it once a quarter of the chunks are committed."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.audit.crash_run", db_url, PERIOD, str(chunk_size)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 600
        while _head(db_url) < base + max(1, chunks // 4):
            assert child.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert child.poll() is None, "the run finished before the kill"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL
    return _head(db_url) - base


def _crash_and_rerun(engine: Engine, db_url: str, households: int, chunk_size: int) -> None:
    base = setup_fund(engine, households)
    chunks = -(-households // chunk_size)
    committed = _kill_half_way(db_url, base, chunks, chunk_size)
    assert 1 <= committed < chunks
    credited_before = int(scalar(db_url, "SELECT COUNT(*) FROM month_credit"))
    assert credited_before == committed * chunk_size

    again = run_month(engine, PERIOD, chunk_size=chunk_size, actor=ACTOR,
                      idempotency_key=RUN_KEY, now=NOW)
    assert again["already_credited"] == credited_before
    assert again["credited"] == households - credited_before

    assert int(scalar(db_url, "SELECT COUNT(*) FROM month_credit")) == households
    credit_postings = (
        "FROM posting p JOIN ledger_entry e ON e.entry_id = p.entry_id "
        "WHERE e.kind = 'credit' AND p.account LIKE '419:%'")
    assert int(scalar(db_url, f"SELECT COUNT(*) {credit_postings}")) == households
    assert int(scalar(db_url, f"SELECT COUNT(DISTINCT p.account) {credit_postings}")) == households
    owed = int(scalar(db_url, "SELECT SUM(balance_cents) FROM balance WHERE account LIKE '419:%'"))
    assert owed == -expected_credit_cents(households)

    source = DbSource(read_engine(db_url))
    try:
        report = verify(source)
    finally:
        source.close()
        source.engine.dispose()
    assert report.ok, report.as_dict()
    assert report.records == base + chunks


def test_expected_credit_formula_is_hand_checked() -> None:
    # i = 0..4: persons 1, 2, 3, 4, 5 -> 10 000, 15 000, 20 000, 25 000, 30 000
    assert expected_credit_cents(5) == 100_000


def test_a_month_run_killed_half_way_credits_every_household_once_when_rerun(
    engine: Engine, db_url: str
) -> None:
    _crash_and_rerun(engine, db_url, households=10_000, chunk_size=500)


@pytest.mark.slow
def test_a_100k_household_month_run_killed_half_way_completes_exactly_once(
    engine: Engine, db_url: str
) -> None:
    _crash_and_rerun(engine, db_url, households=100_000, chunk_size=1_000)
