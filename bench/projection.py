"""Benchmark: a 12-month sustainability projection of a 100,000-household fund (issue 13).

The synthetic households of ``bench.common`` (one seed, one dataset) under the benchmark rule
set with credit expiring after two months. The reserve at the start covers three months of
the fund's net cost, so rationing starts within the year and the projection takes its
longest path (the unrationed path for the avoiding subsidy, then the rationed one). Each
run is a fresh child process (peak RSS is the process's own); the goal (issue 13): under
10 s and 1 GiB.

    python -m bench.projection [--households 100000] [--runs 3]
    python -m bench.projection --db FILE [--runs 3]

``--db FILE`` times the whole command a committee member runs instead, ``caisse project``
with the same assumptions (start-up, reading the fund's households and open credit lots, the
projection, the JSON) on a stored SQLite fund, e.g. the one ``bench.indicators --db FILE``
builds: 100,000 households and a year of month runs, so a year of open lots. Each run is a
fresh process, timed whole (user and system CPU and peak RSS from ``wait4``); the runs must
print the same JSON. The synthetic measure starts from a fund with no open lots and no
database: on its own it missed that reading 1.2 million lots cost most of the command.
"""

from __future__ import annotations

import argparse
import hashlib
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

from bench.common import RULES, generate
from bench.engine import ROOT, build_facts, machine, spawn

ARRIVALS, DEPARTURES, DRIFT, SPEND = 200, 150, "0.001", "0.9"
ASSUMPTIONS = {"arrivals": ARRIVALS, "departures": DEPARTURES, "drift": DRIFT, "spend": SPEND}


def child(households: int, seed: int) -> dict[str, Any]:
    from app.engine import Period, parse_rule_set
    from app.engine.fund import assess_fund
    from app.engine.projection import Assumptions, FundNow, project

    rules = parse_rule_set(RULES | {"unspent_credit": {"policy": "expire", "after_months": 2}})
    start = Period(2027, 1)
    facts = build_facts(generate(households, seed))
    totals = assess_fund(rules, facts, start, explain=False).totals
    reserve = 3 * (totals.credits_cents - totals.contributions_cents)
    assumptions = Assumptions(
        months=12,
        arrivals_per_month=ARRIVALS,
        departures_per_month=DEPARTURES,
        income_drift=Fraction(DRIFT),
        spend_rate=Fraction(SPEND),
        subsidies_cents={start.shift(5): reserve // 6},
    )
    cpu, wall = time.process_time(), time.perf_counter()
    result = project(rules, FundNow(start, reserve, facts), assumptions)
    first = result.first_rationed
    return {
        "households": households,
        "seconds": time.process_time() - cpu,
        "wall_seconds": time.perf_counter() - wall,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rationing_starts": None if first is None else str(first.period),
        "subsidy_to_avoid_cents": result.subsidy_to_avoid_cents,
        "reserve_end_cents": result.months[-1].reserve_end_cents,
        # The machine is shared: the load while this run ended says how noisy it was.
        "load_average_1min": os.getloadavg()[0],
    }


def command_run(database: Path) -> dict[str, Any]:
    """One ``caisse project`` (this tree, the bench's assumptions, JSON) on ``database``, timed
    as a whole process: CPU seconds, peak RSS and the sha256 of what it printed."""
    arguments = ["--arrivals", str(ARRIVALS), "--departures", str(DEPARTURES)]
    arguments += ["--income-drift", DRIFT, "--spend-rate", SPEND, "--format", "json"]
    script = "import sys; from app.cli import main; sys.exit(main())"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database.resolve()}", "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-c", script, "project", *arguments],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"caisse project failed on {database}")
        output.seek(0)
        digest = hashlib.sha256(output.read()).hexdigest()
    return {
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "wall_seconds": round(wall, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024),
        "output_sha256": digest,
        "load_1min": round(os.getloadavg()[0], 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help="time `caisse project` on this SQLite fund")
    args = parser.parse_args(argv)
    if args.db is not None:
        runs = [command_run(args.db) for _ in range(args.runs)]
        if len({run.pop("output_sha256") for run in runs}) != 1:
            raise SystemExit("the runs printed different projections")
        json.dump(
            {"machine": machine(), "database": str(args.db), "runs": runs}, sys.stdout, indent=2
        )
        sys.stdout.write("\n")
        return
    if args.child:
        print(json.dumps(child(args.households, args.seed)))
        return
    command = ["-m", "bench.projection", "--child", "--households", str(args.households)]
    runs = [spawn([*command, "--seed", str(args.seed)]) for _ in range(args.runs)]
    json.dump(
        {"machine": machine(), "assumptions": ASSUMPTIONS, "runs": runs}, sys.stdout, indent=2
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
