"""API load test: purchases per second and latency of ``caisse serve`` on 127.0.0.1.

``python -m bench.load [--seconds 20] [--members 400] [--only KEYS] [--write] [--profile]``
runs, for each configuration (``CONFIGS``: PostgreSQL with 1 and 2 workers, SQLite with 1;
PostgreSQL 2 workers with reads paced (each read connection waits 20 ms before each read, so
reads run at a bounded pace instead of taking every cycle the purchases leave); then, to see
where the time goes, PostgreSQL 2 workers with purchases only at 16 and at 2 connections; ``pg2-cheap``, only when asked with ``--only``, is the old what-if of consent
codes stored with 1 PBKDF2 round, still accepted as a legacy format). The seeding and the
servers hash consent codes under a server key of the run's own (``CAISSE_SECRET_KEY_FILE``
in the run's temporary directory) unless ``CAISSE_SECRET_KEY`` is set:

1. seeds a fund through the services (bench/load_seed.py): a PostgreSQL database of its own
   (``caisse_bench_api_load``) on the server of the ``test`` database, 127.0.0.1:5432,
   dropped at the end, or a temporary SQLite file. Not a schema of ``test``: the fund's
   writer lock is a database-wide advisory lock, shared with every test writing there;
2. starts ``caisse serve`` as a subprocess (``DATABASE_URL`` pointing at it) and waits for
   ``/v1/health``;
3. warms up for 2 s, then drives purchases (``POST /v1/merchant/charges`` with a consent code
   and an ``Idempotency-Key``) and member balance reads at the same time, with two ``wrk``
   processes (bench/load_wrk.py), for a fixed duration; it also measures the in-process
   cost of a consent check and of a purchase command (bench/load_costs.py);
4. measures the CPU time of the server processes (the charge writer process included, on
   PostgreSQL), of wrk and of the whole machine over that window, then stops the server and
   reads from its log what the group writers did (groups, mean and largest size, ms per
   group: app.services.group_commit, app.services.charge_link).

Bounded: every run stops by itself (fixed durations, server stopped in ``finally``). With
``--write`` the results are appended under "## API load" in docs/benchmarks.md; with
``--profile`` one extra 15 s run of the PostgreSQL 2-worker configurations samples the
workers with py-spy and reports where their time goes.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from bench import load_report, load_wrk
from bench.load_costs import Costs, measure_costs
from bench.load_disk import NO_FLUSHES, DiskProbe, Flushes
from bench.load_seed import (
    CONSENT_CODE,
    Seeded,
    cheapen_consent_codes,
    drop_postgres_database,
    reset_postgres_database,
    seed,
)
from bench.load_server import free_port, start_server, stop_server, wait_healthy

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
PG_ADMIN = f"{PG_SERVER}/test"  # where the bench connects to create its own database
PG_DATABASE = "caisse_bench_api_load"
CHARGE_CONNECTIONS = 16
READ_CONNECTIONS = 4
PROFILED = ("pg2", "pg2-cheap")


@dataclass(frozen=True, slots=True)
class Config:
    key: str
    database: str  # postgresql | sqlite
    workers: int
    cheap_consent: bool = False  # what-if: consent codes hashed with 1 PBKDF2 round
    reads: bool = True  # balance reads alongside
    connections: int = CHARGE_CONNECTIONS  # concurrent purchase connections
    read_delay_ms: int | None = None  # pace of each read connection (None: unpaced)
    read_connections: int = READ_CONNECTIONS
    # what-if: the server's commits do not wait for the disk (synchronous_commit=off, set
    # through PGOPTIONS for the run's server only; never how caisse is shipped or run)
    commit_waits_for_disk: bool = True


CONFIGS = (
    Config("pg1", "postgresql", 1),
    Config("pg2", "postgresql", 2),
    Config("pg2-reads-paced", "postgresql", 2, read_delay_ms=20),
    # about one balance read per purchase (a member checking before paying at the till)
    Config("pg2-reads-matched", "postgresql", 2, read_delay_ms=10, read_connections=8),
    Config("pg2-alone", "postgresql", 2, reads=False),
    Config("pg2-alone-c2", "postgresql", 2, reads=False, connections=2),
    Config("sqlite", "sqlite", 1),
    Config("pg2-cheap", "postgresql", 2, cheap_consent=True),
    Config("pg2-nowait", "postgresql", 2, commit_waits_for_disk=False),
)


@dataclass(frozen=True, slots=True)
class Outcome:
    config: Config
    charges: load_wrk.WrkResult
    reads: load_wrk.WrkResult
    server_cpu_seconds: float
    machine_busy: float  # share of all cores busy during the window, 0..1
    postgres_cpu_seconds: float | None
    flushes: Flushes = NO_FLUSHES  # the disk's flushes during the window (bench.load_disk)
    groups: tuple[str, ...] = ()  # each worker's group writer stats (warm-up included)


def charges_for(workdir: Path, name: str, seeded: Seeded, run_tag: str) -> Path:
    return load_wrk.charges_script(
        workdir / f"{name}.lua",
        seeded.households,
        seeded.merchant_secrets,
        run_tag,
        seeded.today.isoformat(),
        CONSENT_CODE,
    )


def run_config(
    config: Config, url: str, seeded: Seeded, seconds: int, workdir: Path, tag: str
) -> Outcome:
    """Serve, warm up, then measure purchases (and reads alongside) for ``seconds``."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    options = None if config.commit_waits_for_disk else "-c synchronous_commit=off"
    log = workdir / f"serve_{config.key}.log"
    server = start_server(url, port, config.workers, log, postgres_options=options)
    try:
        wait_healthy(base, server)
        warm = charges_for(workdir, "warm", seeded, f"w{tag}{config.key}")
        load_wrk.finish(load_wrk.start(warm, base, CHARGE_CONNECTIONS, 2, 2))
        charges = charges_for(workdir, "charges", seeded, f"c{tag}{config.key}")
        reads = load_wrk.reads_script(
            workdir / "reads.lua", seeded.households, seeded.member_secrets, config.read_delay_ms
        )
        outcome = measure(
            config, base, server.pid, charges, reads if config.reads else None, seconds, workdir
        )
    finally:
        stop_server(server)
    show_server_errors(outcome, log)
    return replace(outcome, groups=group_stats(log))


def group_stats(log: Path) -> tuple[str, ...]:
    """What each worker's group writer, and the charge writer process, logged when they
    stopped (app.api.app, app.services.charge_link)."""
    lines = log.read_text(errors="replace").splitlines()
    return tuple(
        line.split(marker, 1)[1]
        for line in lines
        for marker in ("group writer: ", "charge writer: ")
        if marker in line
    )


def measure(
    config: Config,
    base: str,
    server_pid: int,
    charges: Path,
    reads: Path | None,
    seconds: int,
    workdir: Path,
) -> Outcome:
    """Run both wrk processes at once; CPU of the server tree, PostgreSQL and the machine,
    and how the disk's flushes behaved meanwhile (``workdir`` is on the database's disk)."""
    probe = DiskProbe(workdir).start()
    server_before = load_report.tree_cpu(server_pid)
    pg_before = load_report.postgres_cpu() if config.database == "postgresql" else None
    machine_before = load_report.machine_jiffies()
    charging = load_wrk.start(charges, base, config.connections, 2, seconds)
    reading = (
        None if reads is None else load_wrk.start(reads, base, config.read_connections, 1, seconds)
    )
    charged = load_wrk.finish(charging)
    read = load_wrk.NOTHING if reading is None else load_wrk.finish(reading)
    machine = load_report.busy_share(machine_before, load_report.machine_jiffies())
    server_cpu = load_report.tree_cpu(server_pid) - server_before
    pg_cpu = None if pg_before is None else load_report.postgres_cpu() - pg_before
    return Outcome(config, charged, read, server_cpu, machine, pg_cpu, probe.stop())


def show_server_errors(outcome: Outcome, log_path: Path) -> None:
    """A server error is a defect to report, not a figure: show the server's own words."""
    if not any(k.startswith("5") for k in (*outcome.charges.counts, *outcome.reads.counts)):
        return
    log = log_path.read_text(errors="replace")
    errors = [line for line in log.splitlines() if "Error" in line or "error" in line]
    print(f"{outcome.config.key}: server errors; last lines of its log:", file=sys.stderr)
    print("\n".join(errors[-15:]), file=sys.stderr)


def profile_worker(
    config: Config, url: str, seeded: Seeded, seconds: int, workdir: Path, tag: str
) -> str:
    """Sample the single PostgreSQL worker with py-spy under load; return a summary."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(url, port, config.workers, workdir / "serve_profile.log")
    raw = workdir / f"profile_{config.key}.txt"
    try:
        wait_healthy(base, server)
        script = charges_for(workdir, "profile", seeded, f"p{tag}{config.key}")
        spy = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "py-spy"),
                "record",
                "--pid",
                str(server.pid),
                "--subprocesses",
                "--duration",
                str(seconds),
                "--rate",
                "200",
                "--format",
                "raw",
                "--output",
                str(raw),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        load_wrk.finish(load_wrk.start(script, base, CHARGE_CONNECTIONS, 2, seconds))
        spy.wait(timeout=seconds + 30)
    finally:
        stop_server(server)
    return load_report.summarise_profile(raw, config_label(config))


def config_label(config: Config) -> str:
    return load_report.label(config.database, config.workers, config.cheap_consent)


def database_for(config: Config, workdir: Path) -> str:
    if config.database == "sqlite":
        return f"sqlite:///{workdir / 'load.db'}"
    return f"{PG_SERVER}/{PG_DATABASE}"


def prepare(config: Config, url: str, members: int) -> tuple[Seeded, Costs]:
    """A fresh database for ``config``, seeded, and the in-process costs measured on it."""
    if config.database == "postgresql":
        reset_postgres_database(PG_ADMIN, PG_DATABASE)
    seeded = seed(url, members)
    print(f"seeded {config.database} in {seeded.seconds:.1f} s", file=sys.stderr)
    return seeded, measure_costs(url, seeded)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--members", type=int, default=400)
    parser.add_argument("--only", default="pg1,pg2,pg2-reads-paced,pg2-alone,pg2-alone-c2,sqlite")
    parser.add_argument("--write", action="store_true", help="append to docs/benchmarks.md")
    parser.add_argument("--profile", action="store_true", help="py-spy a worker (PostgreSQL)")
    args = parser.parse_args(argv)
    wanted = [c for c in CONFIGS if c.key in args.only.split(",")]
    tag = datetime.now(UTC).strftime("%H%M%S")
    outcomes: list[Outcome] = []
    seeds: dict[str, Seeded] = {}
    costs: dict[str, Costs] = {}
    profiles: list[str] = []
    with tempfile.TemporaryDirectory(prefix="caisse_load_") as tmp:
        workdir = Path(tmp)
        # The seeding (in process) and the servers (subprocesses, inheriting the environment)
        # must hash consent codes under the same server key: one of the run's own.
        if not os.environ.get("CAISSE_SECRET_KEY"):
            os.environ["CAISSE_SECRET_KEY_FILE"] = str(workdir / "secret.key")
        try:
            for config in wanted:
                url = database_for(config, workdir)
                if config.database not in seeds:
                    seeds[config.database], costs[config.database] = prepare(
                        config, url, args.members
                    )
                if config.cheap_consent:
                    cheapen_consent_codes(url)
                outcome = run_config(
                    config, url, seeds[config.database], args.seconds, workdir, tag
                )
                print(load_report.one_line(outcome), file=sys.stderr)
                outcomes.append(outcome)
                if args.profile and config.key in PROFILED:
                    profiles.append(
                        profile_worker(config, url, seeds[config.database], 15, workdir, tag)
                    )
                    print(profiles[-1], file=sys.stderr)
        finally:
            if "postgresql" in seeds:
                drop_postgres_database(PG_ADMIN, PG_DATABASE)
    text = load_report.section(
        outcomes, costs, args.seconds, args.members, profiles, platform.python_version()
    )
    print(text)
    if args.write:
        load_report.append_section(ROOT / "docs" / "benchmarks.md", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
