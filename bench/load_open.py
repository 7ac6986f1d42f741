"""Open-loop load: requests sent on a fixed schedule, latency counted from the schedule.

wrk is a closed loop: each connection sends its next request only when the previous one is
answered, so when the server stalls for 500 ms the generator stops sending, and the requests
that a real till would have sent meanwhile are never timed (coordinated omission). Here
request *i* of a stream is due at ``t0 + i / rate`` whatever happened before; its latency is
measured from that due time, not from when a connection was free to send it. A request sent
more than ``LATE_MS`` after its due time (every connection busy, or this process behind) is
counted as *late*; its wait is in its latency.

``python -m bench.load_open SPEC.json`` reads the streams (charges, and optionally balance
reads) from a JSON file written by bench/load.py, runs them at once for ``seconds`` on
keep-alive HTTP/1.1 connections of 127.0.0.1 (asyncio streams, no HTTP library: a few tens
of µs of CPU per request), and prints one ``RESULT {json}`` line per stream. Bounded: the
schedule ends after ``seconds``; requests still unanswered ``DRAIN_SECONDS`` later are
counted as unanswered, and each request has a 10 s timeout.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

LATE_MS = 10.0
DRAIN_SECONDS = 10.0
TIMEOUT_SECONDS = 10.0
PROBLEM = re.compile(rb'"type":"urn:caisse:problem:([\w-]+)"')


@dataclass(slots=True)
class Stream:
    """One stream's schedule and what came back."""

    name: str
    rate: float
    connections: int
    make: Callable[[int], bytes]
    due: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    late: int = 0
    lag_max_ms: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    last_done: float = 0.0

    def count(self, kind: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1


def charge_maker(spec: dict[str, Any], host: str) -> Callable[[int], bytes]:
    households, merchants = spec["households"], spec["merchants"]
    rng = random.Random(7919)

    def make(i: int) -> bytes:
        pid = f"{spec['run_tag']}_{i}"
        body = json.dumps(
            {
                "purchase_id": pid,
                "household_id": rng.choice(households),
                "category": "food",
                "amount_cents": rng.randint(100, 2000),
                "on": spec["on_day"],
                "consent_code": spec["consent_code"],
            },
            separators=(",", ":"),
        ).encode()
        head = (
            f"POST /v1/merchant/charges HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {rng.choice(merchants)}\r\n"
            f"Content-Type: application/json\r\nIdempotency-Key: key-{pid}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    return make


def read_maker(spec: dict[str, Any], host: str) -> Callable[[int], bytes]:
    households, members = spec["households"], spec["members"]
    rng = random.Random(104729)

    def make(_: int) -> bytes:
        i = rng.randrange(len(households))
        return (
            f"GET /v1/members/{households[i]}/balance HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {members[i]}\r\n\r\n"
        ).encode()

    return make


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, the server keeps the connection open)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, body, headers.get("connection", "").lower() != "close"


async def connection(
    stream: Stream, queue: asyncio.Queue[tuple[int, float] | None], host: str, port: int
) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()  # replaced by the first connection's
    writer: asyncio.StreamWriter | None = None
    while (item := await queue.get()) is not None:
        i, due = item
        request = stream.make(i)
        sent = loop.time()
        lag_ms = 1000 * (sent - due)
        stream.lag_max_ms = max(stream.lag_max_ms, lag_ms)
        if lag_ms > LATE_MS:
            stream.late += 1
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            writer.write(request)
            status, body, keep = await asyncio.wait_for(read_response(reader), TIMEOUT_SECONDS)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
            # A timeout is an answer that took at least TIMEOUT_SECONDS: it stays in the latencies.
            stream.latencies_ms.append(1000 * (loop.time() - due))
            stream.count("timeout" if isinstance(error, TimeoutError) else "socket error")
            if writer is not None:
                writer.close()
            writer = None
            continue
        done = loop.time()
        stream.latencies_ms.append(1000 * (done - due))
        stream.last_done = max(stream.last_done, done)
        kind = str(status)
        if status >= 400:
            found = PROBLEM.search(body)
            kind += ":" + (found.group(1).decode() if found else "?")
        stream.count(kind)
        if not keep and writer is not None:
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


async def schedule(
    stream: Stream, queue: asyncio.Queue[tuple[int, float] | None], t0: float, seconds: float
) -> None:
    """Put request i on the queue at ``t0 + i / rate`` (all that are due at each wake-up)."""
    loop = asyncio.get_running_loop()
    total = int(stream.rate * seconds)
    while stream.due < total:
        now = loop.time()
        while stream.due < total and t0 + stream.due / stream.rate <= now:
            queue.put_nowait((stream.due, t0 + stream.due / stream.rate))
            stream.due += 1
        if stream.due < total:
            await asyncio.sleep(max(0.0, t0 + stream.due / stream.rate - loop.time()))
    for _ in range(stream.connections):
        queue.put_nowait(None)


def percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0


def result(stream: Stream, t0: float, seconds: float) -> dict[str, Any]:
    ordered = sorted(stream.latencies_ms)
    answered = len(ordered)
    span = max(seconds, stream.last_done - t0) if answered else seconds
    return {
        "name": stream.name,
        "target_rate": stream.rate,
        "scheduled": stream.due,
        "answered": answered,
        "unanswered": stream.due - sum(stream.counts.values()),
        "achieved_rate": answered / span if span else 0.0,
        "p50_ms": percentile(ordered, 0.50),
        "p90_ms": percentile(ordered, 0.90),
        "p99_ms": percentile(ordered, 0.99),
        "max_ms": ordered[-1] if ordered else 0.0,
        "late": stream.late,
        "lag_max_ms": stream.lag_max_ms,
        "counts": stream.counts,
    }


async def run(spec: dict[str, Any]) -> list[dict[str, Any]]:
    host, port, seconds = spec["host"], int(spec["port"]), float(spec["seconds"])
    authority = f"{host}:{port}"
    streams = [
        Stream(
            "charges",
            spec["charges"]["rate"],
            spec["charges"]["connections"],
            charge_maker(spec["charges"], authority),
        )
    ]
    if spec.get("reads"):
        streams.append(
            Stream(
                "reads",
                spec["reads"]["rate"],
                spec["reads"]["connections"],
                read_maker(spec["reads"], authority),
            )
        )
    loop = asyncio.get_running_loop()
    t0 = loop.time() + 0.2
    tasks = []
    for stream in streams:
        queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
        tasks.append(asyncio.create_task(schedule(stream, queue, t0, seconds)))
        tasks += [
            asyncio.create_task(connection(stream, queue, host, port))
            for _ in range(stream.connections)
        ]
    _, pending = await asyncio.wait(tasks, timeout=seconds + 0.2 + DRAIN_SECONDS)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return [result(stream, t0, seconds) for stream in streams]


@dataclass(frozen=True, slots=True)
class OpenStream:
    """One stream's figures (latencies in ms, from each request's due time)."""

    name: str
    target_rate: float
    scheduled: int
    answered: int
    unanswered: int  # still unanswered DRAIN_SECONDS after the schedule ended
    achieved_rate: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    late: int  # sent more than LATE_MS after their due time
    lag_max_ms: float
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class OpenResult:
    charges: OpenStream
    reads: OpenStream | None
    cpu_seconds: float  # the generator process's CPU (rusage)


def start(spec_path: Path, spec: dict[str, Any]) -> subprocess.Popen[str]:
    """Write ``spec`` and start the generator (its own process; wait with ``finish``)."""
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-m", "bench.load_open", str(spec_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> OpenResult:
    """Wait for the generator, measure its CPU time (``wait4``), parse its RESULT lines."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    out = process.stdout.read() if process.stdout else ""
    err = process.stderr.read() if process.stderr else ""
    streams = [
        OpenStream(**json.loads(x.removeprefix("RESULT ")))
        for x in out.splitlines()
        if x.startswith("RESULT ")
    ]
    found = {s.name: s for s in streams}
    if "charges" not in found:
        raise RuntimeError(f"open-loop generator: no result (exit {process.returncode}): {err}")
    return OpenResult(found["charges"], found.get("reads"), usage.ru_utime + usage.ru_stime)


async def _echo_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        writer.close()


async def echo(port: int, seconds: float) -> None:
    """Answer every request at once with ``200 {}`` for ``seconds`` (the calibration)."""
    server = await asyncio.start_server(_echo_client, "127.0.0.1", port)
    async with server:
        await asyncio.sleep(seconds)


def calibration_server(port: int, seconds: float) -> subprocess.Popen[bytes]:
    """A trivial server in a process of its own: what the generator achieves against it is
    the floor its own scheduling sets on this machine at this moment."""
    return subprocess.Popen(
        [sys.executable, "-m", "bench.load_open", "--echo", str(port), str(seconds)],
        cwd=ROOT,
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[0] == "--echo":
        asyncio.run(echo(int(args[1]), float(args[2])))
        return 0
    with open(args[0], encoding="utf-8") as f:
        spec = json.load(f)
    for line in asyncio.run(run(spec)):
        print("RESULT " + json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
