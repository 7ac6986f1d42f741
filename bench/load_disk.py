"""How the disk's flushes behaved during a load run: the commit of every purchase waits for
PostgreSQL's write-ahead log to reach the disk (fdatasync), so a disk that stalls stalls every
purchase committed meanwhile, whatever the server does.

``DiskProbe`` is a thread that, while running, writes 8 KiB and calls ``fdatasync`` every
10 ms on a file in the given directory and keeps each flush's latency. About 100 small
flushes a second: a load the disk does not notice beside the database's own.

The figures mean something only on the filesystem the database lives on, not on the
system's temporary directory: ``database_disk`` finds it (PostgreSQL: ``SHOW
data_directory``; SQLite: the database file's directory) and ``probe_directory`` a
directory on that same filesystem (same ``st_dev``) that we may write to, outside the
data directory itself: its parent, or the nearest ancestor below the mount point.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

LOCAL_HOSTS = frozenset({None, "", "localhost", "127.0.0.1", "::1"})

BLOCK = b"\0" * 8192
PERIOD_SECONDS = 0.01
STALL_MS = 50.0


@dataclass(frozen=True, slots=True)
class Flushes:
    """Latency of the probe's flushes, in ms."""

    count: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    stalls: int  # flushes slower than STALL_MS
    stalled_ms: float  # their summed latency

    def summary(self) -> str:
        if not self.count:
            return "no flush measured"
        return (
            f"{self.count} flushes, p50 {self.p50_ms:.2f} ms, p99 {self.p99_ms:.2f} ms, "
            f"slowest {self.max_ms:.0f} ms, {self.stalls} over {STALL_MS:.0f} ms "
            f"({self.stalled_ms:.0f} ms in all)"
        )


NO_FLUSHES = Flushes(0, 0.0, 0.0, 0.0, 0, 0.0)


def summarise(latencies_ms: list[float]) -> Flushes:
    if not latencies_ms:
        return NO_FLUSHES
    ordered = sorted(latencies_ms)
    n = len(ordered)
    slow = [x for x in ordered if x > STALL_MS]
    return Flushes(
        n,
        ordered[n // 2],
        ordered[min(n - 1, (99 * n) // 100)],
        ordered[-1],
        len(slow),
        sum(slow),
    )


class DiskProbe:
    """Start with ``start()``; ``stop()`` returns the flushes measured meanwhile."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "disk_probe.bin"
        self._latencies_ms: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="disk-probe", daemon=True)

    def start(self) -> DiskProbe:
        self._thread.start()
        return self

    def stop(self) -> Flushes:
        self._stop.set()
        self._thread.join(timeout=30)
        return summarise(self._latencies_ms)

    def _run(self) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            block = 0
            while not self._stop.is_set():
                os.pwrite(fd, BLOCK, (block % 128) * len(BLOCK))
                block += 1
                started = time.perf_counter()
                os.fdatasync(fd)
                self._latencies_ms.append(1000 * (time.perf_counter() - started))
                self._stop.wait(PERIOD_SECONDS)
        finally:
            os.close(fd)
            self.path.unlink(missing_ok=True)


def libpq(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://...``) as a libpq connection string."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def database_disk(url: str) -> Path | None:
    """The directory the database's files live in, if on this machine (else None)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Path(parsed.database or ".").resolve().parent
    if parsed.host not in LOCAL_HOSTS:
        return None  # another machine's disk: nothing to probe from here
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        row = conn.execute("SHOW data_directory").fetchone()
    return Path(str(row[0])) if row else None


def probe_directory(data: Path) -> Path:
    """A directory we may write to on the same filesystem as ``data``, outside it when
    ``data`` is a server's data directory (never write into PostgreSQL's own files)."""
    device = os.stat(data).st_dev
    candidates = [data] if not (data / "PG_VERSION").exists() else []
    candidates += [p for p in data.parents if os.stat(p).st_dev == device]
    for candidate in candidates:
        if os.access(candidate, os.W_OK | os.X_OK):
            return candidate
    raise RuntimeError(f"no writable directory on the filesystem of {data}")


def probe_in(directory: Path) -> tempfile.TemporaryDirectory[str]:
    """A temporary directory of the probe's own in ``directory`` (removed on exit)."""
    return tempfile.TemporaryDirectory(prefix="caisse_disk_probe_", dir=directory)


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.load_disk [--seconds 60] [--dir PATH | --database-url URL]``: the disk
    alone, idle (``--database-url``: the filesystem that database lives on)."""
    import argparse

    parser = argparse.ArgumentParser(description="fdatasync latency of a disk, idle")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--dir", type=Path, default=None, help="a directory on the disk")
    parser.add_argument("--database-url", default=None, help="probe that database's disk")
    args = parser.parse_args(argv)
    directory = args.dir
    if args.database_url:
        data = database_disk(args.database_url)
        if data is None:
            parser.error("the database is on another machine: nothing to probe here")
        directory = probe_directory(data)
    with probe_in(directory) if directory else tempfile.TemporaryDirectory() as tmp:
        probe = DiskProbe(Path(tmp)).start()
        time.sleep(args.seconds)
        print(f"{args.seconds:.0f} s: {probe.stop().summary()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
