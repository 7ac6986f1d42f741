"""Single-threaded costs of a charge, measured in process (no HTTP, no contention).

- the member's consent code check (``consent.code_matches``: HMAC-SHA256 under the server key);
- a purchase command recorded through ``execute`` — everything a charge does while it holds
  the fund's writer lock (idempotency lookup, books core and the reads it needs, journal
  append, projections, invariant checks, commit) — timed plain, then once more under
  cProfile to split it into parts (shares of the profiled total), with the number of SQL
  statements it sends.
"""

from __future__ import annotations

import cProfile
import pstats
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from app.db.session import make_engine
from app.db.settings import Settings
from app.engine.books.commands import Command
from app.services import consent
from app.services.writes.execute import execute
from bench.load_seed import ACTOR, CONSENT_CODE, MERCHANTS, Seeded

# (file fragment, function name) -> part of a purchase command.
PARTS = (
    (("app/audit/journal.py", "lock_writer"), "take the writer lock"),
    (("app/services/writes/execute.py", "_replay_before_lock"), "idempotency lookup (before the lock)"),
    (("app/ledger/command_check.py", "head_and_totals"), "head, carried totals, key (one read)"),
    (("app/ledger/view.py", "prefetch"), "books core and the reads it needs"),
    (("app/engine/books/core.py", "apply"), "books core and the reads it needs"),
    (("app/audit/journal.py", "append"), "journal append (hash chain)"),
    (("app/ledger/persist.py", "persist_effects"), "write entries, postings, lots, balances"),
    (("app/ledger/invariants.py", "balances_of"), "invariant checks"),
    (("app/ledger/invariants.py", "check_command"), "invariant checks"),
    (("app/ledger/command_check.py", "check_command"), "invariant checks"),
    (("app/ledger/command_check.py", "carry_totals"), "invariant checks"),
    (("app/ledger/invariants.py", "read_before"), "invariant checks"),
    (("sqlalchemy/orm/session.py", "commit"), "commit"),
)


@dataclass(frozen=True, slots=True)
class Costs:
    consent_check_ms: float
    purchase_command_ms: float
    statements_per_purchase: float
    parts: dict[str, float]  # share of the profiled command time, 0..1


def _payload(seeded: Seeded, n: int, tag: str) -> dict[str, Any]:
    return {
        "purchase_id": f"cost_{tag}_{n}",
        "household_id": seeded.households[n % len(seeded.households)],
        "merchant_id": MERCHANTS[0],
        "category": "food",
        "amount_cents": 100,
        "on": seeded.today.isoformat(),
        "period": seeded.period,
    }


def _consent_ms() -> float:
    stored = consent.hash_code("hh_bench", CONSENT_CODE)
    started = time.perf_counter()
    for _ in range(1000):
        consent.code_matches(stored, "hh_bench", CONSENT_CODE)
    return 1000 * (time.perf_counter() - started) / 1000


def _parts(profile: cProfile.Profile, total: float) -> dict[str, float]:
    stats: dict[Any, Any] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    parts: dict[str, float] = {}
    for (filename, _, name), (_, _, _, cumulative, _) in stats.items():
        for (fragment, function), part in PARTS:
            if name == function and fragment in filename:
                parts[part] = parts.get(part, 0.0) + cumulative / total
    return parts


def measure_costs(url: str, seeded: Seeded, purchases: int = 200) -> Costs:
    db = make_engine(Settings(database_url=url))
    statements = [0]

    @event.listens_for(db, "before_cursor_execute")
    def _count(*_args: Any) -> None:
        statements[0] += 1

    now = datetime.now(UTC)
    try:
        started = time.perf_counter()
        for n in range(purchases):
            execute(db, Command("purchase", _payload(seeded, n, "plain")), ACTOR, f"c{n}", now)
        command_ms = 1000 * (time.perf_counter() - started) / purchases
        sent = statements[0] / purchases
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        for n in range(purchases // 2):
            payload = _payload(seeded, n, "profiled")
            execute(db, Command("purchase", payload), ACTOR, f"p{n}", now)
        profile.disable()
        parts = _parts(profile, time.perf_counter() - started)
    finally:
        db.dispose()
    return Costs(_consent_ms(), command_ms, sent, parts)
