"""``create_demo``: a living demo fund on SQLite, built through the real services.

The CALIEN rule set (app/rulesets/calien.yaml) adopted by the committee, ``households``
made-up households (app.services.demo.people), five approved merchants, a city subsidy and
a foundation's donation every month (CALIEN has no third-party top-ups, so no CAF), then four
months of activity (app.services.demo.months) ending with the current month: contributions,
credits, purchases, a refund, settlements; the three months before are closed and sealed (the
third close expires what the first month granted), the
current month is run and open up to today, so the till accepts its credit at once (a sale is
dated today and never spends credit granted after its day).
Finally one API token per role, and the replay verifier's verdict on the result.

Guarantees:
- the same ``seed``, household count and ``today`` always give the same fund: the same
  journal payloads and times (the demo's own clock, months ending at ``today``'s), except
  the salted commitments (facts, references) and the token secrets, random by design;
- an existing database is replaced only if it is a demo database (its first journal record
  was written by ``committee:demo``) or when ``force`` is set; anything else is refused
  with ``DemoRefused`` and left untouched;
- everything is written through ``app.services`` (one transaction per command), so the
  journal verifies like any fund's.
"""

from __future__ import annotations

import random
import secrets
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from app import rulesets
from app.audit.sources import DbSource, read_engine
from app.audit.verify import verify
from app.db.migrate import upgrade_to_head
from app.db.session import make_engine, unit_of_work
from app.db.settings import Settings
from app.engine.period import Period
from app.ledger.invariants import balances_of
from app.services import households, merchant_profiles, merchants, tokens
from app.services import people as accesses
from app.services.demo.months import Month, Stats, play_month
from app.services.demo.people import MERCHANTS, DemoHousehold
from app.services.demo.people import households as make_households
from app.services.rules import rulesets as rule_service
from app.services.tokens import Role
from app.services.writes.execute import Db, run_in, transaction

COMMITTEE = "committee:demo"
OPERATOR = "operator:demo"
MONTHS = 4  # the last one is the current month, left open
DEFAULT_SEED = 20270101


class DemoRefused(Exception):
    """The target exists and is not a demo database (and ``force`` was not given)."""


@dataclass(frozen=True, slots=True)
class DemoToken:
    role: str
    secret: str
    subject_id: str | None


@dataclass(frozen=True, slots=True)
class DemoSignIn:
    """A person's sign-in to the pages (``/connexion``): name and secret, shown once."""

    role: str
    login: str
    secret: str
    display_name: str


# login, role, display name: one person per role (made up), signing in at /connexion.
DEMO_PEOPLE: tuple[tuple[str, Role, str], ...] = (
    ("membre", Role.MEMBER, "Nadia Membre"),
    ("commercant", Role.MERCHANT, "Épicerie de la démo"),
    ("comite", Role.COMMITTEE, "Camille Comité"),
    ("operateur", Role.OPERATOR, "Olivier Bureau"),
    ("auditeur", Role.AUDITOR, "Agathe Audit"),
)


@dataclass(frozen=True, slots=True)
class DemoFund:
    """What ``create_demo`` built: the database, the tokens, the figures, the verdict."""

    database_url: str
    periods: tuple[str, ...]
    households: int
    merchants: tuple[str, ...]
    tokens: tuple[DemoToken, ...]
    sign_ins: tuple[DemoSignIn, ...]
    member_consent_code: str
    stats: Stats
    member_balance_cents: int
    verified: bool
    seconds: float

    def token(self, role: str) -> DemoToken:
        return next(t for t in self.tokens if t.role == role)


def is_demo_database(path: Path) -> bool:
    """True when the file's first journal record was written by the demo."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        row = connection.execute("SELECT actor FROM journal WHERE seq = 1").fetchone()
    except sqlite3.Error:
        return False
    finally:
        connection.close()
    return row is not None and row[0] == COMMITTEE


def clear_target(path: Path, force: bool) -> None:
    """Remove a previous demo database (and its WAL files); refuse anything else."""
    if path.exists() and not force and not is_demo_database(path):
        raise DemoRefused(
            f"{path} exists and is not a demo database; choose another --database "
            "or pass --force to replace it"
        )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def create_demo(
    path: Path,
    households_count: int = 200,
    seed: int = DEFAULT_SEED,
    *,
    force: bool = False,
    today: date | None = None,
) -> DemoFund:
    """Build the demo fund in the SQLite file ``path`` (see the module docstring); its last
    month is ``today``'s (default: the UTC day)."""
    today = today or datetime.now(UTC).date()
    periods = demo_periods(today)
    if households_count < 1:
        raise ValueError(f"households must be at least 1, got {households_count}")
    started = time.perf_counter()
    clear_target(path, force)
    url = f"sqlite:///{path}"
    upgrade_to_head(url)
    engine = make_engine(Settings(database_url=url))
    try:
        # One unit of work for the whole demo (each command in its own savepoint): a demo
        # that fails half-way leaves an empty database, and SQLite commits once.
        with unit_of_work(engine) as db:
            rng = random.Random(seed)
            people = make_households(rng, households_count, periods[0].year)
            _founding(db, people, periods[0])
            stats = Stats()
            for index, period in enumerate(periods):
                open_until = today.day if index == MONTHS - 1 else None
                play_month(db, rng, people, Month(period, index, open_until), stats)
            member = _member_with_credit(db, people)
            issued = _tokens(db, member.household_id)
            sign_ins = _sign_ins(db, member.household_id)
            balance = _credit_of(db, member.household_id)
    finally:
        engine.dispose()
    return DemoFund(
        database_url=url,
        periods=tuple(str(period) for period in periods),
        households=households_count,
        merchants=tuple(m.merchant_id for m in MERCHANTS),
        tokens=issued,
        sign_ins=sign_ins,
        member_consent_code=member.consent_code,
        stats=stats,
        member_balance_cents=balance,
        verified=_verifies(url),
        seconds=time.perf_counter() - started,
    )


def demo_periods(today: date) -> tuple[Period, ...]:
    """The demo's months: the ``MONTHS`` months that end with ``today``'s."""
    last = Period(today.year, today.month)
    return tuple(last.shift(index - (MONTHS - 1)) for index in range(MONTHS))


def _founding(db: Db, people: list[DemoHousehold], first: Period) -> None:
    """The committee adopts CALIEN; the operator enrols everyone; the committee approves the
    merchants, each with its name (app.services.merchant_profiles)."""
    opened = datetime(first.year, first.month, 1, 9, 0, tzinfo=UTC)
    founded = opened - timedelta(days=16, hours=15)  # an evening committee the month before
    # CALIEN's rules, in force from the demo's first month (the committee's own decision).
    document = rulesets.document("calien") | {"effective_from": str(first)}
    rule_service.draft_rule_set(db, document)
    rule_service.adopt_rule_set(
        db,
        document["id"],
        document["version"],
        actor=COMMITTEE,
        idempotency_key="demo:adopt:calien",
        now=founded,
    )
    for person in people:
        households.enrol_household(
            db,
            person.household_id,
            str(first),
            person.identity,
            person.facts,
            person.consent_code,
            actor=OPERATOR,
            idempotency_key=f"demo:enrol:{person.household_id}",
            now=founded,
        )
    for shop in MERCHANTS:
        # Approving merchants is the committee's decision (DESIGN.md section 8).
        merchants.approve_merchant(
            db,
            shop.merchant_id,
            shop.categories,
            first.first_day,
            actor=COMMITTEE,
            idempotency_key=f"demo:approve:{shop.merchant_id}",
            now=founded,
        )
    with transaction(db) as session:
        for shop in MERCHANTS:
            # The shop's sign, beside the books (never journalled).
            merchant_profiles.set_name(session, shop.merchant_id, shop.name, founded)


def _credit_of(db: Db, household_id: str) -> int:
    account = f"419:{household_id}"
    found: dict[str, int] = run_in(db, lambda s: balances_of(s, [account]))
    return -found.get(account, 0)


def _member_with_credit(db: Db, people: list[DemoHousehold]) -> DemoHousehold:
    """The first household (by id) with credit left: the demo member token's household."""
    for person in people:
        if _credit_of(db, person.household_id) > 0:
            return person
    return people[0]


def _tokens(db: Db, member_household: str) -> tuple[DemoToken, ...]:
    subjects: list[tuple[str, dict[str, Any]]] = [
        ("committee", {}),
        ("operator", {}),
        ("member", {"household_id": member_household}),
        ("merchant", {"merchant_id": MERCHANTS[0].merchant_id}),
        ("auditor", {}),
    ]
    issued: list[DemoToken] = []
    with transaction(db) as session:
        for role, subject in subjects:
            token = tokens.create_token(session, role=role, label=f"demo {role}", **subject)
            issued.append(DemoToken(role, token.secret, token.info.subject_id))
    return tuple(issued)


def _sign_ins(db: Db, member_household: str) -> tuple[DemoSignIn, ...]:
    """One activated web access per role (the member's on the token's household), each
    with a fresh random secret: the demo prints them, so a new user opens the browser."""
    subjects = {Role.MEMBER: member_household, Role.MERCHANT: MERCHANTS[0].merchant_id}
    made: list[DemoSignIn] = []
    now = datetime.now(UTC)
    with transaction(db) as session:
        for login, role, name in DEMO_PEOPLE:
            new = accesses.create_access(session, role, subjects.get(role), name, now)
            secret = secrets.token_urlsafe(9)
            accesses.activate(session, new.activation_code, login, secret, now)
            made.append(DemoSignIn(role.value, login, secret, name))
    return tuple(made)


def _verifies(url: str) -> bool:
    source = DbSource(read_engine(url))
    try:
        return verify(source).ok
    finally:
        source.close()
        source.engine.dispose()
