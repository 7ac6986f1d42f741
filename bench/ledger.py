"""Ledger benchmarks (issue 3): the month run, and verifying a year against bean-check.

``python -m bench.ledger [--households 100000] [--year-households 10000] [--months 12]
[--skip-pg] [--skip-month] [--skip-year] [--year-dir DIR]``

``--year-dir DIR`` keeps the year's export (and its beancount file) in ``DIR`` and reuses an
export already there, so the year (about 4 minutes to generate) is built once.

(a) Month run: ``N`` households enrolled in bulk (``bench.ledger_fund``), then
    ``app.services.months.run_month`` (assess + post + journal, chunks of 1 000) on SQLite
    and on PostgreSQL (``CAISSE_BENCH_PG``, default the local test server; a private schema
    is created and dropped). Each run is a child process: wall time, CPU time and peak RSS.
(b) A synthetic year (``bench.ledger_year``) written as an export directory; then, each in
    its own child process: ``caisse verify --export`` (records/s and entries/s, of wall and
    of CPU time; with its default jobs, i.e. two processes for a year) and ``bean-check`` on
    the beancount export of the same year, side by side. The verify child alone:
    ``python -m bench.ledger _verify DIR/export [JOBS]`` (``cpu_s`` counts both processes).

Prints a JSON summary and the Markdown table rows for docs/benchmarks.md ("## Ledger").
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


def _child(*argv: str) -> dict[str, Any]:
    """Run ``python -m bench.ledger ARGV`` and return the JSON it prints last."""
    done = subprocess.run([sys.executable, "-m", "bench.ledger", *argv], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True,
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


def bench_month_runs(households: int, postgres: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
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


def bench_year(households: int, months: int, keep: Path | None = None) -> dict[str, Any]:
    """``keep``: a directory for the year that is NOT removed afterwards; an export already
    in ``keep/export`` (from an earlier run with the same sizes) is reused, not regenerated."""
    from app.audit.beancount_export import export_beancount
    from app.audit.sources import ExportSource
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
        verified = _child("_verify", str(tmp / "export"))
        started = time.perf_counter()
        with (tmp / "year.beancount").open("w", encoding="utf-8") as out:
            transactions = export_beancount(ExportSource(tmp / "export"), out)
        exported_s = time.perf_counter() - started
        bean = _bean_check(tmp / "year.beancount")
    finally:
        if keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    ratio = bean["wall_s"] / verified["wall_s"] if verified["wall_s"] else 0.0
    return {"households": households, "months": months, "counts": manifest["counts"],
            "generate_s": round(generated_s, 1), "verify": verified,
            "beancount_export_s": round(exported_s, 1), "beancount_transactions": transactions,
            "bean_check": bean, "bean_check_over_verify_wall": round(ratio, 2)}


def _bean_check(path: Path) -> dict[str, Any]:
    tool = Path(sys.executable).with_name("bean-check")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    done = subprocess.run([str(tool), str(path)], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"ok": done.returncode == 0, "errors": done.stderr[-500:], "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2), "peak_rss_mib": round(after.ru_maxrss / 1024)}


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
    options = parser.parse_args(args)
    summary: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    if not options.skip_month:
        summary["month_run"] = bench_month_runs(options.households, not options.skip_pg)
        print(json.dumps(summary["month_run"]), flush=True)
    if not options.skip_year:
        summary["year"] = bench_year(options.year_households, options.months,
                                     options.year_dir)
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
