"""Verify with re-derivation (issue 10) on the synthetic year, next to the verifier without it
and to bean-check, in the same run.

``python -m bench.verify_rederive [--households 10000] [--months 12] [--runs 2]
[--year-dir DIR] [--baseline-tree DIR]``

The year (``bench.ledger_year.generate``, with its facts file) is written once (kept and
reused with ``--year-dir``). Then, each in its own child process, ``--runs`` times in turn:

- ``baseline``: ``caisse verify --export DIR`` of another source tree (``--baseline-tree``,
  e.g. the commit before a change extracted with ``git archive``);
- ``verify``: this tree's ``verify --export DIR`` (journal checks, no facts: amounts not
  re-derived);
- ``rederive``: this tree's ``verify --export DIR --facts FILE`` (every run re-derived);

each a whole process timed from outside (``bench.ledger.verify_process``: start-up counted,
CPU of both of verify's processes), and ``bean-check --no-cache`` on the beancount export of
the same year once (``bench.ledger.bean_check``), a whole process too.
Prints JSON: per run wall and CPU seconds, entries/s and households re-derived/s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.ledger import bean_check, verify_export, verify_process

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "_verify":  # _verify DIR [FACTS]: in a child, timed
        print(json.dumps(verify_export(args[1], None, args[2] if len(args) > 2 else None)))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.verify_rederive")
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--year-dir", type=Path, required=True)
    parser.add_argument("--baseline-tree", type=Path, default=None)
    options = parser.parse_args(args)
    year: Path = options.year_dir
    export, facts = year / "export", year / "facts.jsonl"
    if not (export / "manifest.json").is_file() or not facts.is_file():
        from bench.ledger_year import generate

        started = time.perf_counter()
        generate(export, households=options.households, months=options.months, facts=facts)
        print(json.dumps({"generate_s": round(time.perf_counter() - started, 1)}), flush=True)
    runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "verify": [], "rederive": []}
    for _ in range(options.runs):
        if options.baseline_tree is not None:
            runs["baseline"].append(verify_process(export, options.baseline_tree))
        runs["verify"].append(verify_process(export))
        runs["rederive"].append(verify_process(export, facts=facts))
        print(json.dumps({k: v[-1] for k, v in runs.items() if v}), flush=True)
    beancount = year / "year.beancount"
    if not beancount.is_file():
        from app.audit.beancount_export import export_beancount
        from app.audit.sources import ExportSource

        with beancount.open("w", encoding="utf-8") as out:
            export_beancount(ExportSource(export), out)
    summary: dict[str, Any] = {"runs": runs, "bean_check": bean_check(beancount)}
    entries = json.loads((export / "manifest.json").read_text("utf-8"))["counts"]["entries"]
    households = options.households * options.months
    for name, done in runs.items():
        if done:
            wall = statistics.median(r["wall_s"] for r in done)
            cpu = statistics.median(r["cpu_s"] for r in done)
            summary[f"{name}_median"] = {
                "wall_s": wall,
                "cpu_s": cpu,
                "entries_per_s_cpu": round(entries / cpu),
                "households_rederived_per_s_cpu": round(households / cpu)
                if name == "rederive"
                else None,
            }
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
