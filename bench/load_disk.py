"""How the disk's flushes behaved during a load run: the commit of every purchase waits for
PostgreSQL's write-ahead log to reach the disk (fdatasync), so a disk that stalls stalls every
purchase committed meanwhile, whatever the server does.

``DiskProbe`` is a thread that, while running, writes 8 KiB and calls ``fdatasync`` every
10 ms on a file in the given directory (same filesystem as the database for the figures to
mean anything) and keeps each flush's latency. About 100 small flushes a second: a load
the disk does not notice beside the database's own.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

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


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.load_disk [--seconds 60] [--dir PATH]``: the disk alone, idle."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description="fdatasync latency of a disk, idle")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--dir", type=Path, default=None, help="a directory on the disk")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        probe = DiskProbe(Path(tmp)).start()
        time.sleep(args.seconds)
        print(f"{args.seconds:.0f} s: {probe.stop().summary()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
