"""Indicators (issue 13) for a 100,000-household year: time and peak memory.

Two measures, each in its own child process (so its peak RSS is its own):

- ``engine``: the pure engine (``indicator_table``) on twelve ``MonthBooks`` of ``N``
  households built here (incomes and sizes from ``bench.ledger_fund.facts_of``, resources
  per consumption unit on the OECD-like scale 1 + 0.5 per other adult, two purchases a
  household a month across 50 merchants of four kinds, a subsidy, a donation); building
  them is not timed;
- ``books``: the whole path ``app.services.research.indicators.report`` (the aggregate
  queries, the facts and rule set of each month, the engine) on a SQLite fund of ``N``
  households enrolled in bulk (``bench.ledger_fund``) with ``--db-months`` months run by
  the real month run (not timed); no purchases there (the purchase path is one service
  call per sale: too slow to fill at this size), so spending cells are empty.

``python -m bench.indicators [--households N] [--db-months M] [--skip-books] [--skip-engine]
[--db FILE] [--baseline DIR]`` prints JSON. ``--db FILE`` keeps the SQLite fund in FILE and reuses it when
it exists (building a 100,000-household year takes minutes); ``--baseline DIR`` measures a
checkout of an earlier commit (``git archive <commit> | tar -x -C DIR``) in the same run, each
measure in turn (old, then new), on the same inputs and the same database (upgraded to this
tree's migrations first, so both sides read it with this tree's indexes). Each result
carries the machine's one-minute load average when it finished (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MERCHANTS = 50
KINDS = ("producer", "shop", "solidarity_grocery", "market")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(*argv: str, root: Path = ROOT) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "bench.indicators", *argv], cwd=root,
                          env={**os.environ, "PYTHONPATH": str(root)}, check=True,
                          capture_output=True, text=True)  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result | {"load_1min": round(os.getloadavg()[0], 1)}


def _measures(*argv: str, baseline: Path | None) -> dict[str, Any]:
    """The measure on this tree, and first on ``baseline`` when given."""
    found = {} if baseline is None else {"before": _child(*argv, root=baseline)}
    return found | {"after": _child(*argv)}


def synthetic_year(households: int, months: int = 12) -> list[Any]:
    """Twelve months of ``households`` (see the module docstring)."""
    from app.engine.indicators import FundingLine, HouseholdMonth, Households, MonthBooks, SpendLine
    from app.engine.period import Period
    from bench.ledger_fund import facts_of, household_id

    kinds = {f"m_{m:02d}": KINDS[m % 4] for m in range(MERCHANTS)}
    facts = [facts_of(i) for i in range(households)]
    per_cu = [Fraction(2 * (f.income_cents or 0), len(f.persons) + 1) for f in facts]
    ids = [household_id(i) for i in range(households)]
    found: list[MonthBooks] = []
    previous: frozenset[str] = frozenset()
    for n in range(months):
        period = Period(2027, 1).shift(n)
        people, spending = [], []
        for i in range(households):
            income, persons = facts[i].income_cents or 0, len(facts[i].persons)
            due = income * 25 // 1000
            credit = 10_000 + 5_000 * (persons - 1)
            hh = ids[i]
            people.append(HouseholdMonth(
                hh, due, due if (i + n) % 5 else 0, credit, persons=persons,
                income_cents=income, resources_per_cu=per_cu[i],
                arrived=n == 0))  # fmt: skip
            for k in range(2):
                merchant = f"m_{(i * 7 + k * 13 + n) % MERCHANTS:02d}"
                spending.append(SpendLine(hh, merchant, ("food", "fresh")[k], credit * 2 // 5))
        active = frozenset(h.household_id for h in people)
        granted = sum(h.credit_cents for h in people)
        found.append(MonthBooks(
            period, Households.of(people), tuple(spending),
            (FundingLine("city", "subsidy", granted // 2), FundingLine("d", "donation", 100_000)),
            kinds, granted, opening_credit_cents=granted // 5 if n else 0,
            closing_credit_cents=granted // 5, reserve_cents=granted * 3,
            recent_credit_cents=(granted,) * 3, previous_active=previous))  # fmt: skip
        previous = active
    return found


def engine_measure(households: int) -> dict[str, Any]:
    from app.engine.indicators import indicator_table

    started = time.perf_counter()
    year = synthetic_year(households)
    built = time.perf_counter() - started
    rss_before = _peak_mib()
    wall, cpu = time.perf_counter(), time.process_time()
    table = indicator_table(year)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"households": households, "months": len(year), "cells": len(table.all_cells()),
            "build_s": round(built, 2), "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "peak_rss_mib": round(_peak_mib()), "rss_before_mib": round(rss_before)}  # fmt: skip


def books_setup(url: str, households: int, months: int) -> dict[str, Any]:
    from app.db.migrate import upgrade_to_head
    from app.db.session import make_engine
    from app.db.settings import Settings
    from app.engine.period import Period
    from app.services.money import record_funding
    from app.services.months import run_month
    from bench.ledger_fund import ACTOR, NOW, setup_fund

    upgrade_to_head(url)
    engine = make_engine(Settings(database_url=url))
    started = time.perf_counter()
    setup_fund(engine, households)
    for n in range(months):
        period = Period(2026, 11).shift(n)
        if n:
            record_funding(engine, "city", "subsidy", 30_000 * households, f"SUB-{period}",
                           period.day(2), actor=ACTOR, idempotency_key=f"sub-{period}", now=NOW)  # fmt: skip
        run_month(engine, str(period), actor=ACTOR, idempotency_key=f"run-{period}", now=NOW)
    engine.dispose()
    return {"setup_s": round(time.perf_counter() - started, 1)}


def books_measure(url: str, months: int) -> dict[str, Any]:
    from app.db.session import make_engine, read_only
    from app.db.settings import Settings
    from app.engine.period import Period
    from app.services.research.indicators import report
    from app.services.research.settings import ResearchSettings

    engine = make_engine(Settings(database_url=url))
    first = Period(2026, 11)
    wall, cpu = time.perf_counter(), time.process_time()
    with read_only(engine) as session:
        found = report(session, first, first.shift(months - 1), ResearchSettings())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    engine.dispose()
    return {"months": months, "cells": len(found.table.all_cells()), "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2), "peak_rss_mib": round(_peak_mib())}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "_engine":
        print(json.dumps(engine_measure(int(args[1]))))
        return 0
    if args and args[0] == "_setup":
        print(json.dumps(books_setup(args[1], int(args[2]), int(args[3]))))
        return 0
    if args and args[0] == "_upgrade":
        from app.db.migrate import upgrade_to_head

        upgrade_to_head(args[1])
        print(json.dumps({}))
        return 0
    if args and args[0] == "_books":
        print(json.dumps(books_measure(args[1], int(args[2]))))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.indicators")
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--db-months", type=int, default=12)
    parser.add_argument("--skip-books", action="store_true")
    parser.add_argument("--skip-engine", action="store_true")
    parser.add_argument("--db", type=Path, help="SQLite file of the fund (kept, reused)")
    parser.add_argument("--baseline", type=Path, help="a checkout of an earlier commit")
    options = parser.parse_args(args)
    base = options.baseline
    n, m = str(options.households), str(options.db_months)
    out: dict[str, Any] = {}
    if not options.skip_engine:
        out["engine"] = _measures("_engine", n, baseline=base)
        print(json.dumps(out), flush=True)
    if not options.skip_books:
        with tempfile.TemporaryDirectory() as tmp:
            path = options.db or Path(tmp) / "bench.db"
            url = f"sqlite:///{path}"
            books: dict[str, Any] = {"households": options.households}
            if not path.exists():
                books |= _child("_setup", url, n, m)
            _child("_upgrade", url)  # a fund built by an earlier tree gets this one's indexes
            out["books"] = books | _measures("_books", url, m, baseline=base)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
