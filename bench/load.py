"""API load test: purchases per second and latency of ``caisse serve`` on 127.0.0.1.

``python -m bench.load [--seconds 20] [--members 400] [--only KEYS] [--database-url URL]
[--open-rate 500] [--before TREE --rounds N] [--install-wrk] [--write] [--profile]``
runs, for each configuration (``CONFIGS``: PostgreSQL with 1 and 2 workers, SQLite with 1;
PostgreSQL 2 workers with reads paced (each read connection waits 20 ms before each read, so
reads run at a bounded pace instead of taking every cycle the purchases leave); then, to see
where the time goes, PostgreSQL 2 workers with purchases only at 16 and at 2 connections;
``pg2-cheap``, only when asked with ``--only``, is the old what-if of consent codes stored
with 1 PBKDF2 round, still accepted as a legacy format). The seeding and the servers hash
consent codes under a server key of the run's own (``CAISSE_SECRET_KEY_FILE`` in the run's
temporary directory) unless ``CAISSE_SECRET_KEY`` is set:

1. seeds a fund (bench/load_seed.py): a PostgreSQL database of its own
   (``--bench-database``, default ``caisse_bench_api_load``) on the server of
   ``--database-url`` (default ``CAISSE_TEST_DATABASE``, else 127.0.0.1:5432/test), dropped
   at the end, or a temporary SQLite file. Not a schema of ``test``: the fund's writer lock is
   a database-wide advisory lock, shared with every test writing there. With ``--before
   TREE`` each side (that tree, then this one) gets a database of its own, seeded by its own
   tree's seeder;
2. starts ``caisse serve`` as a subprocess (``DATABASE_URL`` pointing at it; with
   ``--before``, the side's tree first on PYTHONPATH) and waits for ``/v1/health``;
3. warms up for 2 s, then measures twice, ``--seconds`` each:
   - **closed loop** (``wrk``, bench/load_wrk.py): purchases (``POST /v1/merchant/charges``
     with a consent code and an ``Idempotency-Key``) on 16 connections and member balance
     reads at the same time. Each connection waits for its answer before sending again, so
     a stall also stops the sending: its percentiles hide stalls;
   - **open loop** (bench/load_open.py): purchases due at ``--open-rate`` a second (and
     reads at ``--open-reads-rate``) on a fixed schedule, latency counted from each
     request's due time, with the count of requests sent late;
4. for each window, whose CPU it was (bench/load_cpu.py): the server's process tree (the
   charge writer process included), the load generator, the PostgreSQL backends of the
   bench's database (not every postgres process), PostgreSQL's shared processes, and the
   others' share of the machine's busy time (/proc/stat); a disk probe flushes every 10 ms
   on the filesystem the database lives on (bench/load_disk.py). Then it stops the server
   and reads from its log what the group writers did.

``--rounds N`` repeats every configuration N times, the sides interleaved (A B, then B A).
Bounded: every run stops by itself (fixed durations, bounded drains, server stopped in
``finally``). It needs ``wrk`` for the closed loop (``--install-wrk``: Debian's package);
without it only the open loop runs. With ``--write`` the results are appended under "## API
load" in docs/benchmarks.md; with ``--profile`` one extra 15 s run of the PostgreSQL 2-worker
configurations samples the workers with py-spy and reports where their time goes.
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
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

from bench import load_open, load_report, load_wrk
from bench.load_cpu import NO_CPU, BackendSampler, CpuShares, CpuWindow
from bench.load_disk import (
    LOCAL_HOSTS,
    NO_FLUSHES,
    DiskProbe,
    Flushes,
    database_disk,
    libpq,
    probe_directory,
)
from bench.load_seed import (
    CONSENT_CODE,
    Seeded,
    cheapen_consent_codes,
    drop_postgres_database,
    reset_postgres_database,
    seed_in_tree,
)
from bench.load_server import free_port, start_server, stop_server, wait_healthy

if TYPE_CHECKING:  # imported when used: it imports the write path, which may move
    from bench.load_costs import Costs

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_DATABASE = "caisse_bench_api_load"
CHARGE_CONNECTIONS = 16
READ_CONNECTIONS = 4
OPEN_CHARGE_CONNECTIONS = 64
OPEN_READ_CONNECTIONS = 16
PROFILED = ("pg2", "pg2-cheap")
HEALTH_TIMEOUT_SECONDS = 180  # a start-up on a machine whose load average is 16 takes long


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
class Side:
    """The code under test: a label and the source tree whose server runs."""

    label: str
    tree: Path


@dataclass(frozen=True, slots=True)
class Target:
    """Where one side's fund lives, and what the run knows of it."""

    url: str
    seeded: Seeded
    database: str | None  # PostgreSQL: the database's name, for its backends' CPU
    admin_url: str | None  # PostgreSQL: where the sampler connects


@dataclass(frozen=True, slots=True)
class OpenLoad:
    rate: float
    reads_rate: float
    seconds: int
    configs: frozenset[str]  # the configurations measured in open loop too


@dataclass(frozen=True, slots=True)
class Outcome:
    config: Config
    charges: load_wrk.WrkResult
    reads: load_wrk.WrkResult
    cpu: CpuShares  # the closed loop's window
    flushes: Flushes = NO_FLUSHES  # the disk's flushes during the window (bench.load_disk)
    groups: tuple[str, ...] = ()  # each worker's group writer stats (warm-up included)
    side: str = ""
    round: int = 1
    open: load_open.OpenResult | None = None
    open_cpu: CpuShares = NO_CPU
    open_flushes: Flushes = NO_FLUSHES


def charges_for(workdir: Path, name: str, seeded: Seeded, run_tag: str) -> Path:
    return load_wrk.charges_script(
        workdir / f"{name}.lua",
        seeded.households,
        seeded.merchant_secrets,
        run_tag,
        seeded.today.isoformat(),
        CONSENT_CODE,
    )


@dataclass(frozen=True, slots=True)
class Run:
    """What every configuration's run shares."""

    seconds: int
    workdir: Path
    probe_dirs: dict[str, Path | None]  # database kind -> where the disk probe writes
    wrk: bool
    open_load: OpenLoad | None
    tag: str


def run_config(config: Config, side: Side, target: Target, run: Run, round_: int) -> Outcome:
    """Serve, warm up, then measure purchases (and reads alongside): closed loop, open loop."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    options = None if config.commit_waits_for_disk else "-c synchronous_commit=off"
    name = f"{config.key}_{side.label}_{round_}"
    log = run.workdir / f"serve_{name}.log"
    tag = f"{run.tag}{side.label[:1]}{round_}{config.key}"
    seeded = target.seeded
    server = start_server(
        target.url, port, config.workers, log, postgres_options=options, tree=side.tree
    )
    outcome = Outcome(config, load_wrk.NOTHING, load_wrk.NOTHING, NO_CPU, side=side.label)
    try:
        try:
            wait_healthy(base, server, timeout=HEALTH_TIMEOUT_SECONDS)
        except RuntimeError:
            tail = log.read_text(errors="replace").splitlines()[-20:]
            print(
                f"{name}: the server did not start; its log ends:",
                *tail,
                sep="\n  ",
                file=sys.stderr,
            )
            raise
        if run.wrk:
            warm = charges_for(run.workdir, "warm", seeded, f"w{tag}")
            load_wrk.finish(load_wrk.start(warm, base, CHARGE_CONNECTIONS, 2, 2))
            charges = charges_for(run.workdir, "charges", seeded, f"c{tag}")
            reads = load_wrk.reads_script(
                run.workdir / "reads.lua",
                seeded.households,
                seeded.member_secrets,
                config.read_delay_ms,
            )
            outcome = measure(
                config, base, server.pid, charges, reads if config.reads else None, run, target
            )
        if run.open_load is not None and config.key in run.open_load.configs:
            opened, cpu, flushes = measure_open(config, port, server.pid, run, target, tag)
            outcome = replace(outcome, open=opened, open_cpu=cpu, open_flushes=flushes)
    finally:
        stop_server(server)
    show_server_errors(outcome, log)
    return replace(outcome, groups=group_stats(log), side=side.label, round=round_)


def group_stats(log: Path) -> tuple[str, ...]:
    """What each worker's group writer, and the charge writer process, logged when they
    stopped (app.api.app, app.services.writes.charge_link)."""
    lines = log.read_text(errors="replace").splitlines()
    return tuple(
        line.split(marker, 1)[1]
        for line in lines
        for marker in ("group writer: ", "charge writer: ")
        if marker in line
    )


def window(server_pid: int, target: Target) -> CpuWindow:
    sampler = None
    url, name = target.admin_url, target.database
    if name is not None and url is not None and make_url(url).host in LOCAL_HOSTS:
        sampler = BackendSampler(libpq(url), name)
    return CpuWindow(server_pid, sampler)


def measure(
    config: Config,
    base: str,
    server_pid: int,
    charges: Path,
    reads: Path | None,
    run: Run,
    target: Target,
) -> Outcome:
    """Run both wrk processes at once; whose CPU the window used, and how the disk's flushes
    behaved meanwhile (on the database's filesystem)."""
    probe_dir = run.probe_dirs.get(config.database)
    probe = DiskProbe(probe_dir).start() if probe_dir is not None else None
    cpu = window(server_pid, target).start()
    charging = load_wrk.start(charges, base, config.connections, 2, run.seconds)
    reading = (
        None
        if reads is None
        else load_wrk.start(reads, base, config.read_connections, 1, run.seconds)
    )
    charged = load_wrk.finish(charging)
    read = load_wrk.NOTHING if reading is None else load_wrk.finish(reading)
    shares = cpu.stop(charged.cpu_seconds + read.cpu_seconds)
    flushes = probe.stop() if probe is not None else NO_FLUSHES
    return Outcome(config, charged, read, shares, flushes)


def measure_open(
    config: Config, port: int, server_pid: int, run: Run, target: Target, tag: str
) -> tuple[load_open.OpenResult, CpuShares, Flushes]:
    """Purchases (and reads) on a fixed schedule; the same accounting as ``measure``."""
    load = run.open_load
    if load is None:
        raise ValueError("no open-loop load asked for")
    spec = open_spec(config, port, load, target.seeded, tag)
    probe_dir = run.probe_dirs.get(config.database)
    probe = DiskProbe(probe_dir).start() if probe_dir is not None else None
    cpu = window(server_pid, target).start()
    result = load_open.finish(load_open.start(run.workdir / f"open_{tag}.json", spec))
    shares = cpu.stop(result.cpu_seconds)
    flushes = probe.stop() if probe is not None else NO_FLUSHES
    return result, shares, flushes


def open_spec(
    config: Config, port: int, load: OpenLoad, seeded: Seeded, tag: str
) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": port,
        "seconds": load.seconds,
        "charges": {
            "rate": load.rate,
            "connections": OPEN_CHARGE_CONNECTIONS,
            "households": seeded.households,
            "merchants": seeded.merchant_secrets,
            "on_day": seeded.today.isoformat(),
            "consent_code": CONSENT_CODE,
            "run_tag": f"o{tag}",
        },
        "reads": None
        if not (config.reads and load.reads_rate)
        else {
            "rate": load.reads_rate,
            "connections": OPEN_READ_CONNECTIONS,
            "households": seeded.households,
            "members": seeded.member_secrets,
        },
    }


def calibrate(run: Run, seeded: Seeded) -> load_open.OpenResult | None:
    """The open-loop generator against a trivial server (bench.load_open's echo), with the
    same schedule: how late the generator itself is on this machine right now."""
    load = run.open_load
    if load is None:
        return None
    port = free_port()
    server = load_open.calibration_server(port, load.seconds + 30)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", server, timeout=HEALTH_TIMEOUT_SECONDS)
        config = next(c for c in CONFIGS if c.key == "pg2")
        spec = open_spec(config, port, load, seeded, f"cal{run.tag}")
        return load_open.finish(load_open.start(run.workdir / "calibration.json", spec))
    finally:
        server.kill()
        server.wait(timeout=10)


def show_server_errors(outcome: Outcome, log_path: Path) -> None:
    """A server error is a defect to report, not a figure: show the server's own words."""
    kinds = [*outcome.charges.counts, *outcome.reads.counts]
    if outcome.open is not None:
        kinds += list(outcome.open.charges.counts)
        kinds += list(outcome.open.reads.counts) if outcome.open.reads else []
    if not any(k.startswith("5") for k in kinds):
        return
    log = log_path.read_text(errors="replace")
    errors = [line for line in log.splitlines() if "Error" in line or "error" in line]
    print(f"{outcome.config.key}: server errors; last lines of its log:", file=sys.stderr)
    print("\n".join(errors[-15:]), file=sys.stderr)


def profile_worker(config: Config, url: str, seeded: Seeded, seconds: int, run: Run) -> str:
    """Sample the PostgreSQL workers with py-spy under load; return a summary."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(url, port, config.workers, run.workdir / "serve_profile.log")
    raw = run.workdir / f"profile_{config.key}.txt"
    try:
        wait_healthy(base, server)
        script = charges_for(run.workdir, "profile", seeded, f"p{run.tag}{config.key}")
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


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def prepare(
    database: str, side: Side, admin_url: str, name: str, workdir: Path, members: int
) -> Target:
    """A fresh database of ``database``'s kind for ``side``, seeded by the side's tree."""
    if database == "postgresql":
        reset_postgres_database(admin_url, name)
        url = with_database(admin_url, name)
    else:
        url = f"sqlite:///{workdir / f'load_{side.label}.db'}"
    seeded = seed_in_tree(side.tree, url, members)
    print(f"seeded {database} for {side.label} in {seeded.seconds:.1f} s", file=sys.stderr)
    pg = database == "postgresql"
    return Target(url, seeded, name if pg else None, admin_url if pg else None)


def costs_of(url: str, seeded: Seeded) -> Costs | None:
    """The in-process costs of this tree's single-command write path, if it still has one."""
    try:
        from bench.load_costs import measure_costs
    except ImportError as error:
        print(f"in-process costs skipped: {error}", file=sys.stderr)
        return None
    return measure_costs(url, seeded)


def probe_dir_for(database: str, admin_url: str, workdir: Path) -> Path | None:
    """Where the disk probe writes: the database's filesystem (None: not on this machine)."""
    if database == "sqlite":
        return workdir  # the SQLite file's own directory
    data = database_disk(admin_url)
    return None if data is None else probe_directory(data)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--members", type=int, default=400)
    parser.add_argument("--only", default="pg1,pg2,pg2-reads-paced,pg2-alone,pg2-alone-c2,sqlite")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("CAISSE_TEST_DATABASE") or DEFAULT_URL,
        help="a PostgreSQL database on the server to use (host, port; the bench creates its "
        "own database there); default CAISSE_TEST_DATABASE, else " + DEFAULT_URL,
    )
    parser.add_argument("--bench-database", default=PG_DATABASE)
    parser.add_argument("--open-rate", type=float, default=500.0, help="0: no open loop")
    parser.add_argument("--open-reads-rate", type=float, default=500.0)
    parser.add_argument(
        "--open-only", default=None, help="configurations also measured in open loop (all)"
    )
    parser.add_argument("--before", type=Path, default=None, help="a source tree to compare")
    parser.add_argument(
        "--after",
        type=Path,
        default=ROOT,
        help="the source tree of the 'after' side (default: this one; e.g. a `git archive` "
        "of a commit, so that the figures are of that commit and not of edits in progress)",
    )
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--install-wrk", action="store_true", help="apt-get install wrk")
    parser.add_argument("--no-costs", action="store_true", help="skip the in-process costs")
    parser.add_argument("--write", action="store_true", help="append to docs/benchmarks.md")
    parser.add_argument("--profile", action="store_true", help="py-spy a worker (PostgreSQL)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    wanted = [c for c in CONFIGS if c.key in args.only.split(",")]
    sides = [Side("after", args.after.resolve())]
    if args.before is not None:
        sides.insert(0, Side("before", args.before.resolve()))
    has_wrk = load_wrk.ensure_wrk(args.install_wrk)
    if not has_wrk:
        print("wrk is not installed: closed loop skipped (--install-wrk)", file=sys.stderr)
    open_load = (
        OpenLoad(
            args.open_rate,
            args.open_reads_rate,
            args.seconds,
            frozenset((args.open_only or args.only).split(",")),
        )
        if args.open_rate
        else None
    )
    tag = datetime.now(UTC).strftime("%H%M%S")
    outcomes: list[Outcome] = []
    targets: dict[tuple[str, str], Target] = {}
    costs: dict[str, Costs] = {}
    profiles: list[str] = []
    calibrations: list[load_open.OpenResult | None] = []
    databases = sorted({c.database for c in wanted})
    with tempfile.TemporaryDirectory(prefix="caisse_load_") as tmp:
        workdir = Path(tmp)
        # The seeding (in process) and the servers (subprocesses, inheriting the environment)
        # must hash consent codes under the same server key: one of the run's own.
        if not os.environ.get("CAISSE_SECRET_KEY"):
            os.environ["CAISSE_SECRET_KEY_FILE"] = str(workdir / "secret.key")
        probe_dirs = {d: probe_dir_for(d, args.database_url, workdir) for d in databases}
        probes = {
            d: tempfile.mkdtemp(prefix="caisse_disk_probe_", dir=p)
            for d, p in probe_dirs.items()
            if p is not None
        }
        run = Run(
            args.seconds,
            workdir,
            {d: Path(probes[d]) if d in probes else None for d in databases},
            has_wrk,
            open_load,
            tag,
        )
        for d, p in probe_dirs.items():
            print(
                f"disk probe for {d}: {p or 'none (database on another machine)'}", file=sys.stderr
            )
        try:
            for side in sides:
                for database in databases:
                    name = args.bench_database + ("" if len(sides) == 1 else f"_{side.label}")
                    target = prepare(database, side, args.database_url, name, workdir, args.members)
                    targets[(side.label, database)] = target
                    if side.tree == ROOT and not args.no_costs:
                        found = costs_of(target.url, target.seeded)
                        if found is not None:
                            costs[database] = found
            any_target = next(iter(targets.values()))
            calibrations.append(calibrate(run, any_target.seeded))
            print(f"calibration: {calibrations[-1]}", file=sys.stderr)
            for round_ in range(1, args.rounds + 1):
                order = sides if round_ % 2 else sides[::-1]
                for config in wanted:
                    for side in order:
                        target = targets[(side.label, config.database)]
                        if config.cheap_consent:
                            cheapen_consent_codes(target.url)
                        try:
                            outcome = run_config(config, side, target, run, round_)
                        except RuntimeError as error:  # one failed run; the others go on
                            print(f"round {round_} {side.label}: {error}", file=sys.stderr)
                            continue
                        print(load_report.one_line(outcome), file=sys.stderr)
                        outcomes.append(outcome)
            calibrations.append(calibrate(run, any_target.seeded))
            for config in wanted:
                if args.profile and config.key in PROFILED:
                    target = targets[("after", config.database)]
                    profiles.append(profile_worker(config, target.url, target.seeded, 15, run))
                    print(profiles[-1], file=sys.stderr)
        finally:
            for target in targets.values():
                if target.database is not None:
                    drop_postgres_database(args.database_url, target.database)
            for directory in probes.values():
                Path(directory).rmdir()
    text = load_report.section(
        outcomes,
        costs,
        args.seconds,
        args.members,
        profiles,
        platform.python_version(),
        {d: str(p) if p else None for d, p in probe_dirs.items()},
        [c for c in calibrations if c is not None],
    )
    print(text)
    if args.write:
        load_report.append_section(ROOT / "docs" / "benchmarks.md", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
