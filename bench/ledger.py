"""Ledger benchmarks (issue 3): the month run, and verifying a year against bean-check.

``python -m bench.ledger [--households 100000] [--year-households 10000] [--months 12]
[--skip-pg] [--skip-month] [--skip-year] [--year-dir DIR] [--rounds R] [--baseline TREE]``

``--year-dir DIR`` keeps the year's export (and its beancount file) in ``DIR`` and reuses an
export already there, so the year (minutes to generate) is built once.

(a) Month run: ``N`` households enrolled in bulk (``bench.ledger_fund``), then
    ``app.services.months.run_month`` (assess + post + journal) on SQLite and on PostgreSQL
    (``CAISSE_BENCH_PG``, default the local test server; a private schema is created and
    dropped). Each run is a child process: wall time, CPU time and peak RSS. With
    ``--baseline TREE``: SQLite only, the baseline tree's run and this tree's ``--rounds``
    times in turn, each from a fresh copy of its tree's enrolled fund (``sqlite_rounds``).
(b) A synthetic year (``bench.ledger_year``) written as an export directory, and its
    beancount export; then, ``--rounds`` times in turn, each as a whole process timed from
    outside (start-up and imports counted on both sides; CPU and peak RSS from
    ``RUSAGE_CHILDREN``, so verify's second process is counted): ``bean-check --no-cache
    FILE`` (no pickle cache read or written), the ``--baseline`` tree's ``caisse verify
    --export DIR`` if given, and this tree's, with their default jobs. The figure of each is
    its round with the least CPU. The in-process verify child (no start-up):
    ``python -m bench.ledger _verify DIR/export [JOBS]``.

Prints a JSON summary for docs/benchmarks.md ("## Ledger").
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parents[1]
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(*argv: str, tree: Path = ROOT) -> dict[str, Any]:
    """Run ``python -m bench.ledger ARGV`` of source tree ``tree`` and return the JSON it
    prints last."""
    done = subprocess.run([sys.executable, "-m", "bench.ledger", *argv], cwd=tree,
                          env={**os.environ, "PYTHONPATH": str(tree)}, check=True,
                          capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- (a) month run ------------------------------------------------------------------------

def setup(url: str, households: int) -> dict[str, Any]:
    """In a first child: migrate, adopt, fund and enrol ``households`` in bulk."""
    from app.db.migrate import upgrade_to_head
    from app.db.session import make_engine
    from app.db.settings import Settings
    from bench.ledger_fund import setup_fund

    upgrade_to_head(url)
    engine = make_engine(Settings(database_url=url))
    started = time.perf_counter()
    setup_fund(engine, households)
    engine.dispose()
    return {"setup_s": round(time.perf_counter() - started, 2)}


def month_run(url: str) -> dict[str, Any]:
    """In a second child (so its peak memory is the run's own): the month run, timed."""
    from app.db.session import make_engine
    from app.db.settings import Settings
    from app.services.months import run_month
    from bench.ledger_fund import ACTOR, NOW, PERIOD

    engine = make_engine(Settings(database_url=url))
    rss_before = _peak_mib()
    wall, cpu = time.perf_counter(), time.process_time()
    result = run_month(engine, PERIOD, actor=ACTOR, idempotency_key="bench-run", now=NOW)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    engine.dispose()
    return {"credited": result["credited"], "chunks": result["chunks"],
            "rationed": result["rationed"], "run_wall_s": round(wall, 2),
            "run_cpu_s": round(cpu, 2), "peak_rss_mib": round(_peak_mib()),
            "rss_at_start_mib": round(rss_before)}


def _setup_and_run(url: str, households: int) -> dict[str, Any]:
    return {"households": households, **_child("_setup", url, str(households)),
            **_child("_month", url)}


def _postgres_schema(base: str) -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    separator = "&" if "?" in base else "?"
    return schema, f"{base}{separator}options=-csearch_path%3D{schema}"


def _drop_schema(base: str, schema: str) -> None:
    admin = create_engine(base, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def sqlite_rounds(households: int, rounds: int, baseline: Path) -> dict[str, Any]:
    """The SQLite month run of the ``baseline`` tree and of this one, ``rounds`` times in turn
    (before, after, before, after...). Each tree enrols its fund once, with its own
    migrations and code (not timed); each run starts from a fresh copy of that fund's file.
    The figure of each side is its round with the least CPU."""
    sides = {"before": baseline, "after": ROOT}
    runs: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
    with tempfile.TemporaryDirectory() as tmp:
        for side, tree in sides.items():
            _child("_setup", f"sqlite:///{tmp}/{side}.db", str(households), tree=tree)
        for _ in range(rounds):
            for side, tree in sides.items():
                shutil.copyfile(f"{tmp}/{side}.db", f"{tmp}/run.db")
                run = _child("_month", f"sqlite:///{tmp}/run.db", tree=tree)
                runs[side].append(run | {"load_1min": round(os.getloadavg()[0], 1)})
                for leftover in Path(tmp).glob("run.db*"):  # the file, its WAL and index
                    leftover.unlink()
                print(json.dumps({side: run}), flush=True)
    best = {side: min(found, key=lambda run: run["run_cpu_s"]) for side, found in runs.items()}
    return {"households": households, "runs": runs, **best}


def bench_month_runs(households: int, postgres: bool, rounds: int = 1,
                     baseline: Path | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if baseline is not None:
        out["sqlite_before_after"] = sqlite_rounds(households, rounds, baseline)
        return out
    with tempfile.TemporaryDirectory() as tmp:
        out["sqlite"] = _setup_and_run(f"sqlite:///{tmp}/bench.db", households)
    if postgres:
        base = os.environ.get("CAISSE_BENCH_PG", PG_DEFAULT)
        schema, url = _postgres_schema(base)
        try:
            out["postgresql"] = _setup_and_run(url, households)
        finally:
            _drop_schema(base, schema)
    return out


# -- (b) a year: verify vs bean-check -----------------------------------------------------

def verify_export(directory: str, jobs: int | None = None,
                  facts: str | None = None) -> dict[str, Any]:
    """In the child: ``caisse verify --export`` (the same function), timed. ``cpu_s`` is the
    CPU of every process of the verify: this one and, with ``jobs`` 2, the reading process
    (``RUSAGE_CHILDREN``, counted once it has exited). ``facts``: the facts file, to
    re-derive every month run (``verify --export DIR --facts FILE``)."""
    from app.audit.sources import ExportSource
    from app.audit.verify import verify

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, cpu = time.perf_counter(), time.process_time()
    source = ExportSource(Path(directory), None if facts is None else Path(facts))
    report = verify(source, jobs=jobs)
    wall, own = time.perf_counter() - wall, time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    reader = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    cpu = own + reader
    return {"ok": report.ok, "jobs": jobs, "records": report.records,
            "entries": report.entries, "postings": report.postings, "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2), "cpu_replay_process_s": round(own, 2),
            "cpu_reader_process_s": round(reader, 2),
            "records_per_s_wall": round(report.records / wall),
            "entries_per_s_wall": round(report.entries / wall),
            "records_per_s_cpu": round(report.records / cpu),
            "entries_per_s_cpu": round(report.entries / cpu),
            "peak_rss_mib": round(_peak_mib()),
            "reader_peak_rss_mib": round(after.ru_maxrss / 1024),
            "households_rederived": report.rederived.households}


CLI = "import sys; from app.cli import main; sys.exit(main())"  # the `caisse` script's body


def _process(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """One whole process, start-up included: wall time, and the CPU time and peak RSS of it
    and of every process it waited for (``wait4``: this child's own usage, not that of the
    processes run before it)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        wall = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - wall
        child.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        errors = err.read()[-500:]
    return {"ok": child.returncode == 0, "errors": errors, "wall_s": round(wall, 2),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mib": round(usage.ru_maxrss / 1024),
            "load_1min": round(os.getloadavg()[0], 1)}


def verify_process(export: Path, tree: Path = ROOT, jobs: int | None = None,
                   facts: Path | None = None) -> dict[str, Any]:
    """``caisse verify --export DIR [--facts FILE]`` of source tree ``tree``, as a whole
    process (the interpreter's start-up and imports counted, as they are for bean-check)."""
    extra = [] if jobs is None else ["--jobs", str(jobs)]
    extra += [] if facts is None else ["--facts", str(facts)]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    argv = [sys.executable, "-c", CLI, "verify", "--export", str(export), *extra]
    return _process(argv, tree, env)


def bean_check(path: Path) -> dict[str, Any]:
    """``bean-check --no-cache FILE`` as a whole process: it parses, books and validates the
    file, and neither reads nor writes its pickle cache (a stale one is removed first)."""
    for stale in path.parent.glob(f".{path.name}.picklecache*"):
        stale.unlink()
    tool = Path(sys.executable).with_name("bean-check")
    return _process([str(tool), "--no-cache", str(path)], path.parent)


def bench_year(households: int, months: int, keep: Path | None = None, rounds: int = 1,
               baseline: Path | None = None) -> dict[str, Any]:
    """Verify against bean-check on one synthetic year, each a whole process, ``rounds`` times
    in turn (bean-check, the ``baseline`` tree's verify if given, this tree's verify).

    ``keep``: a directory for the year that is NOT removed afterwards; an export (and its
    beancount file) already in ``keep`` (from an earlier run with the same sizes) is reused."""
    from bench.ledger_year import generate

    tmp = keep if keep is not None else Path(tempfile.mkdtemp(prefix="caisse-year-"))
    try:
        started = time.perf_counter()
        manifest_path = tmp / "export" / "manifest.json"
        if keep is not None and manifest_path.is_file():
            manifest = json.loads(manifest_path.read_text("utf-8"))
        else:
            manifest = generate(tmp / "export", households=households, months=months)
        generated_s = time.perf_counter() - started
        beancount = tmp / "year.beancount"
        started = time.perf_counter()
        if not beancount.is_file() or beancount.stat().st_size == 0:
            from app.audit.beancount_export import export_beancount
            from app.audit.sources import ExportSource

            with beancount.open("w", encoding="utf-8") as out:
                export_beancount(ExportSource(tmp / "export"), out)
        exported_s = time.perf_counter() - started
        sides: dict[str, list[dict[str, Any]]] = {"bean_check": [], "after": []}
        if baseline is not None:
            sides["before"] = []
        for _ in range(rounds):
            sides["bean_check"].append(bean_check(beancount))
            if baseline is not None:
                sides["before"].append(verify_process(tmp / "export", baseline))
            sides["after"].append(verify_process(tmp / "export"))
            print(json.dumps({side: found[-1] for side, found in sides.items()}), flush=True)
    finally:
        if keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    entries = manifest["counts"]["entries"]
    summary: dict[str, Any] = {"households": households, "months": months,
                               "counts": manifest["counts"], "generate_s": round(generated_s, 1),
                               "beancount_export_s": round(exported_s, 1), "runs": sides}
    for side, found in sides.items():
        best = min(found, key=lambda item: item["cpu_s"])
        summary[side] = best | {"entries_per_s_cpu": round(entries / best["cpu_s"]),
                                "entries_per_s_wall": round(entries / best["wall_s"])}
    bean = summary["bean_check"]
    for side in ("before", "after"):
        if side in summary:
            summary[f"bean_check_over_{side}_cpu"] = round(bean["cpu_s"] / summary[side]["cpu_s"], 2)
            summary[f"bean_check_over_{side}_wall"] = round(
                bean["wall_s"] / summary[side]["wall_s"], 2)
    return summary


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "_setup":
        print(json.dumps(setup(args[1], int(args[2]))))
        return 0
    if args and args[0] == "_month":
        print(json.dumps(month_run(args[1])))
        return 0
    if args and args[0] == "_verify":  # _verify DIR [JOBS]
        jobs = int(args[2]) if len(args) > 2 else None
        print(json.dumps(verify_export(args[1], jobs)))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.ledger")
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--year-households", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-month", action="store_true")
    parser.add_argument("--skip-year", action="store_true")
    parser.add_argument("--year-dir", type=Path, default=None,
                        help="keep the year here (and reuse an export already there)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="verify and bean-check (or, with --baseline, the month run on "
                        "SQLite) this many times, in turn")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="an earlier source tree whose verify and SQLite month run are "
                        "measured in turn too (the month run then on SQLite only)")
    options = parser.parse_args(args)
    summary: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    if not options.skip_month:
        summary["month_run"] = bench_month_runs(options.households, not options.skip_pg,
                                                options.rounds, options.baseline)
        print(json.dumps(summary["month_run"]), flush=True)
    if not options.skip_year:
        summary["year"] = bench_year(options.year_households, options.months,
                                     options.year_dir, options.rounds, options.baseline)
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
