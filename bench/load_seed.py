"""Seed a fund for the API load test, through the services directly (no HTTP).

Members get a large credit (20 000 € each, backed by a subsidy) so that purchases are
rarely refused; every member's consent code is ``CONSENT_CODE``. One merchant token per
merchant charges, one member token per household reads its own balance.

The database is a SQLite file or a PostgreSQL database of its own on the local server,
created empty here and migrated to head.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

CONSENT_CODE = "4821"
CREDIT_CENTS = 2_000_000  # enough that no run of every configuration empties a wallet
MERCHANTS = ("m_load_1", "m_load_2", "m_load_3", "m_load_4")
ACTOR = "operator:bench"


@dataclass(frozen=True, slots=True)
class Seeded:
    period: str
    today: date
    households: tuple[str, ...]
    member_secrets: tuple[str, ...]
    merchant_secrets: tuple[str, ...]
    seconds: float


def rules(period: str) -> dict[str, Any]:
    return {
        "format": "caisse.rules/1",
        "id": "load",
        "version": 1,
        "name": "Load test: 1 % of income, 20 000 € of credit",
        "effective_from": period,
        "decision": "Load test",
        "contribution": {"formula": {"kind": "proportional", "base": "income", "rate": "0.01"}},
        "credit": {"formula": {"kind": "fixed", "amount_cents": CREDIT_CENTS}},
    }


def reset_postgres_database(admin_url: str, name: str) -> None:
    """Drop and recreate the database ``name`` (only that one).

    A database of its own, not a schema of ``test``: the fund's writer lock is a PostgreSQL
    advisory lock, which is database-wide, so a load test in a schema of ``test`` would
    hold up every other test writing there (and be held up by them)."""
    engine = create_engine(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name}"))
    finally:
        engine.dispose()


def drop_postgres_database(admin_url: str, name: str) -> None:
    engine = create_engine(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        engine.dispose()


def seed(url: str, members: int) -> Seeded:
    """Migrate ``url`` and fill it: rules, members, merchants, a subsidy, a month run."""
    # Imported here: bench/load.py imports this module without importing any tree's app (it
    # seeds through ``seed_in_tree``, in the tree under test).
    from app.db.migrate import upgrade_to_head
    from app.db.session import make_engine
    from app.db.settings import Settings
    from app.services import households, merchants, money, months
    from app.services.rules import rulesets

    started = time.perf_counter()
    upgrade_to_head(url)
    today = datetime.now(UTC).date()
    period = f"{today.year:04d}-{today.month:02d}"
    now = datetime.now(UTC)
    ids = tuple(f"hh_{i:05d}" for i in range(1, members + 1))
    db = make_engine(Settings(database_url=url))
    keys = iter(range(1, 10**9))

    def w() -> dict[str, Any]:
        return {"actor": ACTOR, "idempotency_key": f"seed-{next(keys)}", "now": now}

    try:
        rulesets.draft_rule_set(db, rules(period))
        rulesets.adopt_rule_set(db, "load", 1, **w())
        facts = households.Facts(income_cents=150_000, persons=(date(1985, 3, 14),))
        for household_id in ids:
            identity = households.Identity(full_name=f"Member {household_id}")
            households.enrol_household(
                db, household_id, period, identity, facts, CONSENT_CODE, **w()
            )
        for merchant_id in MERCHANTS:
            merchants.approve_merchant(
                db, merchant_id, {"food": "1", "hygiene": "0.5"}, date(today.year, 1, 1), **w()
            )
        money.record_funding(
            db, "ville", "subsidy", CREDIT_CENTS * members, "SUB-LOAD", today, **w()
        )
        months.run_month(db, period, **w())
        member_secrets, merchant_secrets = _tokens(db, ids)
    finally:
        db.dispose()
    return Seeded(
        period, today, ids, member_secrets, merchant_secrets, time.perf_counter() - started
    )


SEED_IN_TREE = """
import json, sys
from bench.load_seed import seed
s = seed(sys.argv[1], int(sys.argv[2]))
print("SEEDED " + json.dumps({
    "period": s.period, "today": s.today.isoformat(), "households": s.households,
    "member_secrets": s.member_secrets, "merchant_secrets": s.merchant_secrets,
    "seconds": s.seconds}))
"""


def seed_in_tree(tree: Path, url: str, members: int) -> Seeded:
    """``seed`` run by another source tree's own seeder and services (a subprocess with
    that tree first on PYTHONPATH), so a before/after compares each side on a fund its own
    code wrote. The consent codes are hashed under the key of the inherited environment."""
    done = subprocess.run(
        [sys.executable, "-c", SEED_IN_TREE, url, str(members)],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("SEEDED ")), None)
    if done.returncode or line is None:
        raise RuntimeError(f"seeding with {tree} failed: {done.stderr[-2000:]}")
    data = json.loads(line.removeprefix("SEEDED "))
    return Seeded(
        data["period"],
        date.fromisoformat(data["today"]),
        tuple(data["households"]),
        tuple(data["member_secrets"]),
        tuple(data["merchant_secrets"]),
        float(data["seconds"]),
    )


def _tokens(db: Engine, ids: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """One member token per household, one merchant token per merchant (secrets)."""
    from app.db.session import unit_of_work
    from app.services import tokens

    with unit_of_work(db) as session:
        members = tuple(
            tokens.create_token(session, role="member", household_id=h).secret for h in ids
        )
        shops = tuple(
            tokens.create_token(session, role="merchant", merchant_id=m).secret for m in MERCHANTS
        )
    return members, shops


def cheapen_consent_codes(url: str, iterations: int = 1) -> None:
    """What-if only: store every member's consent code hashed with ``iterations`` PBKDF2
    rounds instead of 60 000, so the server's check (which reads the count from the stored
    hash) costs nothing. Shows what the rest of a charge costs; never what ships."""
    salt = "00" * 16
    digest = hashlib.pbkdf2_hmac("sha256", CONSENT_CODE.encode(), bytes.fromhex(salt), iterations)
    stored = f"pbkdf2_sha256${iterations}${salt}${digest.hex()}"
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE household SET consent_code_hash = :h"), {"h": stored})
    finally:
        engine.dispose()
