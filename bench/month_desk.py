"""The month desk's added reads at scale (issue 12): what a close costs now that it expires
the credit due first, and what an arrears policy adds to a run.

On a SQLite file with ``N`` households (bench.ledger_fund: lots spendable two months), runs
2026-11 and 2026-12, then times:

- ``close_nothing_due``: closing 2026-11 (the due-holders query finds nobody: no command);
- ``arrears_read``: ``app.services.arrears.with_arrears`` for every household (the read a
  run does under a ``reduce``/``suspend`` policy: 411 debits by month, credits by household);
- ``close_expiring``: closing 2026-12, which expires November's lots of every household
  (one ``expire_credit`` command with N households) before closing.

Usage: ``python -m bench.month_desk [N]`` (default 10 000); prints JSON.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any


def _timed(work: Any) -> tuple[Any, dict[str, float]]:
    """The result, and the wall and CPU seconds it took (the machine is shared: CPU is the
    steadier figure)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    spent = {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}
    return result, {key: round(value, 3) for key, value in spent.items()}


def main(households: int) -> dict[str, Any]:
    from app.db.migrate import upgrade_to_head
    from app.db.session import make_engine, read_only, unit_of_work
    from app.db.settings import Settings
    from app.engine.arrears import ArrearsPolicy
    from app.engine.period import Period
    from app.services import arrears, month_desk
    from app.services.months import run_month
    from app.services.rules.rulesets import rule_set_in_force
    from bench.ledger_fund import ACTOR, NOW, setup_fund

    folder = Path(tempfile.mkdtemp(prefix="caisse-bench-"))
    url = f"sqlite:///{folder / 'desk.db'}"
    upgrade_to_head(url)
    engine = make_engine(Settings(database_url=url))
    setup_fund(engine, households)
    for period in ("2026-11", "2026-12"):
        run_month(engine, period, actor=ACTOR, idempotency_key=f"run-{period}", now=NOW)
    later = NOW + timedelta(days=40)

    def close(period: str) -> dict[str, Any]:
        with unit_of_work(engine) as session:
            done: dict[str, Any] = month_desk.close(
                session, period, actor=ACTOR, idempotency_key=f"close-{period}", now=later
            )
        return done

    _, nothing_due = _timed(lambda: close("2026-11"))

    def read_arrears() -> int:
        from app.services.months_load import facts_for_run

        with read_only(engine) as session:
            december = Period(2026, 12)
            rules = rule_set_in_force(session, december)
            assert rules is not None
            facts = [f for f, _ in facts_for_run(session, december)]
            forced = replace(rules, arrears=ArrearsPolicy("suspend", 1))  # under a policy
            return len(arrears.with_arrears(session, forced, facts, december))

    read, arrears_s = _timed(read_arrears)
    closed, expiring = _timed(lambda: close("2026-12"))
    engine.dispose()
    return {
        "households": households,
        "close_nothing_due": nothing_due,
        "arrears_read": arrears_s,
        "arrears_households": read,
        "close_expiring": expiring,
        "expired_cents": closed["expired_cents"],
    }


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    print(json.dumps(main(count), indent=2))
