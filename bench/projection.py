"""Benchmark: a 12-month sustainability projection of a 100,000-household fund (issue 13).

The synthetic households of ``bench.common`` (one seed, one dataset) under the benchmark rule
set with credit expiring after two months. The reserve at the start covers three months of
the fund's net cost, so rationing starts within the year and the projection takes its
longest path (the unrationed path for the avoiding subsidy, then the rationed one). Each
run is a fresh child process (peak RSS is the process's own); the goal (issue 13): under
10 s and 1 GiB.

    python -m bench.projection [--households 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from fractions import Fraction
from typing import Any

from bench.common import RULES, generate
from bench.engine import build_facts, machine, spawn

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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
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
