"""Whose CPU a load window used: the benchmark's own processes, the PostgreSQL server's shared
processes, and everybody else on the machine (Linux, /proc).

The machine is shared (2 cores; other sessions run their tests), so a figure of the server
means little without the others' share of the same window. ``CpuWindow`` splits the
machine's busy time, read from ``/proc/stat``, into:

- **ours**: the server's process tree (uvicorn, its workers, the charge writer), the load
  generators (their ``wait4`` rusage, given by the caller), this process (the disk probe's
  thread, the sampler), and the PostgreSQL backends *of the benchmark's database* — the pids
  of the ``pg_stat_activity`` rows whose ``datname`` is that database, with their CPU from
  ``/proc/<pid>/stat``; not every ``postgres`` process on the machine;
- **PostgreSQL shared**: the postmaster and the background processes that belong to no
  database (WAL writer, checkpointer, background writer, launchers). They work for every
  database of the server, ours and the others' tests alike, so they are shown apart;
- **others**: the rest of the busy time, i.e. other tenants (their tests, their databases'
  backends). A round that misses its goal while others took a core is explained by them.

Backends come and go, so a thread samples ``pg_stat_activity`` every 0.25 s and keeps the
first and last CPU seen per pid; a backend born during the window counts from zero. A
backend that both starts and ends between two samples is missed (short connections only:
the server's pools and the charge writer keep theirs). ``steal`` (time the hypervisor gave
to other virtual machines) is reported apart from busy.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

TICK = os.sysconf("SC_CLK_TCK")
SAMPLE_SECONDS = 0.25


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may contain spaces: split after it.
    return text[text.rindex(")") + 2 :].split()


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) used so far by ``pid``, None if it is gone."""
    fields = _stat(pid)
    return None if fields is None else (int(fields[11]) + int(fields[12])) / TICK


def tree_cpu(root: int) -> float:
    """CPU seconds used so far by ``root`` and its live descendants."""
    procs: dict[int, list[str]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = _stat(int(name))
            if fields is not None:
                procs[int(name)] = fields
    children: dict[int, list[int]] = {}
    for pid, fields in procs.items():
        children.setdefault(int(fields[1]), []).append(pid)
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        if pid in procs:
            total += (int(procs[pid][11]) + int(procs[pid][12])) / TICK
        stack.extend(children.get(pid, []))
    return total


def every_postgres_cpu() -> float:
    """CPU seconds used so far by every process named ``postgres`` on the machine, whatever
    database it serves: what the report's PostgreSQL column counted before it counted the
    bench's own backends; kept to show the difference."""
    total = 0.0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            comm = Path(f"/proc/{name}/comm").read_text().strip()
        except OSError:
            continue
        cpu = process_cpu(int(name)) if comm == "postgres" else None
        total += cpu or 0.0
    return total


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True, slots=True)
class Jiffies:
    busy: int  # user + nice + system + irq + softirq, all cores
    steal: int
    total: int


def machine_jiffies() -> Jiffies:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values
    return Jiffies(user + nice + system + irq + softirq, steal, sum(values))


class BackendSampler:
    """CPU of the PostgreSQL processes serving ``database`` (and of the server's shared
    processes) over a window; ``conninfo`` reaches the same server (any database)."""

    def __init__(self, conninfo: str, database: str) -> None:
        self._conn = psycopg.connect(conninfo, autocommit=True)
        self._database = database
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._ours: set[int] = set()
        self._shared: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-sampler", daemon=True)
        row = self._conn.execute("SELECT pg_backend_pid()").fetchone()
        own = int(row[0]) if row else 0
        self._sampler_pid = own
        self._postmaster = int((_stat(own) or ["", "0"])[1]) if own else 0

    def _sample(self, first: bool) -> None:
        rows = self._conn.execute(
            "SELECT pid, datname, backend_type FROM pg_stat_activity"
        ).fetchall()
        pids: list[int] = [self._postmaster] if self._postmaster else []
        for pid, datname, backend_type in rows:
            if pid == self._sampler_pid:
                continue  # the sampler's own backend: counted with this process's work below
            if datname == self._database:
                self._ours.add(int(pid))
            elif datname is None and backend_type != "client backend":
                self._shared.add(int(pid))
            else:
                continue
            pids.append(int(pid))
        if self._postmaster:
            self._shared.add(self._postmaster)
        for pid in pids:
            cpu = process_cpu(pid)
            if cpu is None:
                continue
            self._first.setdefault(pid, cpu if first else 0.0)
            self._last[pid] = cpu

    def start(self) -> BackendSampler:
        self._sample(first=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self._sample(first=False)

    def stop(self) -> tuple[float, float, float]:
        """(our backends' CPU seconds, the shared processes', the sampler backend's)."""
        self._stop.set()
        self._thread.join(timeout=10)
        self._sample(first=False)
        sampler = process_cpu(self._sampler_pid) or 0.0
        self._conn.close()

        def used(pids: set[int]) -> float:
            return sum(self._last[p] - self._first[p] for p in pids if p in self._last)

        return used(self._ours), used(self._shared), sampler


@dataclass(frozen=True, slots=True)
class CpuShares:
    """CPU seconds of one window, by whose they are (see the module's docstring)."""

    seconds: float  # the window's wall time
    capacity: float  # core-seconds the machine had (cores x seconds, from /proc/stat)
    busy: float  # core-seconds busy, everyone
    steal: float
    server: float  # the server's process tree
    generators: float  # wrk / the open-loop generator (rusage)
    bench: float  # this process: disk probe, sampler (and the sampler's own backend)
    postgres_ours: float | None  # backends of the benchmark's database; None: not local
    postgres_shared: float | None
    postgres_every: float | None = None  # every postgres process of the machine (old column)

    @property
    def ours(self) -> float:
        return self.server + self.generators + self.bench + (self.postgres_ours or 0.0)

    @property
    def others(self) -> float:
        """Busy time that is neither ours nor the PostgreSQL server's shared processes."""
        return self.busy - self.ours - (self.postgres_shared or 0.0)

    def cores(self, seconds: float) -> float:
        return seconds / self.seconds if self.seconds else 0.0


NO_CPU = CpuShares(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, None, None)


class CpuWindow:
    """Open with ``start()``, close with ``stop(generators)``: the CPU of a window by owner."""

    def __init__(self, server_pid: int, sampler: BackendSampler | None) -> None:
        self._server_pid = server_pid
        self._sampler = sampler

    def start(self) -> CpuWindow:
        if self._sampler is not None:
            self._sampler.start()
        self._started = time.monotonic()
        self._machine = machine_jiffies()
        self._server = tree_cpu(self._server_pid)
        self._self = self_cpu()
        self._every = every_postgres_cpu() if self._sampler is not None else 0.0
        return self

    def stop(self, generators: float) -> CpuShares:
        server = tree_cpu(self._server_pid) - self._server
        machine = machine_jiffies()
        seconds = time.monotonic() - self._started
        mine = self_cpu() - self._self
        pg_ours = pg_shared = every = None
        if self._sampler is not None:
            every = every_postgres_cpu() - self._every
            pg_ours, pg_shared, sampler_backend = self._sampler.stop()
            mine += sampler_backend  # an upper bound: the backend's CPU over its whole life
        return CpuShares(
            seconds=seconds,
            capacity=(machine.total - self._machine.total) / TICK,
            busy=(machine.busy - self._machine.busy) / TICK,
            steal=(machine.steal - self._machine.steal) / TICK,
            server=server,
            generators=generators,
            bench=mine,
            postgres_ours=pg_ours,
            postgres_shared=pg_shared,
            postgres_every=every,
        )
