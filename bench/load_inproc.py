"""CPU per request of the charge and the balance read, in process: the API's own cost with
no HTTP server, no load generator and no other request kind in the way.

``python -m bench.load_inproc [--before TREE] [--after TREE] [--rounds 2] [--charges 3000]
[--reads 6000] [--database-url URL]``

For each side (a source tree: ``--before``, then ``--after``, default this one), a
PostgreSQL database of its own is seeded by that tree (bench/load_seed.py, as ``bench.load``
does). Then, per round, the sides interleaved (A B, then B A), a subprocess with the side's
tree first on PYTHONPATH:

- starts the charge writer process as ``caisse serve`` does on PostgreSQL
  (app.cli.charge_writer) and builds the whole app (``app.asgi.create_app``) on uvloop, its
  lifespan run (the reads' pool on the event loop);
- calls the app as uvicorn would (one ASGI ``scope``, ``receive`` and ``send`` per request,
  the headers ``bench.load``'s wrk scripts send), ``--reads`` balance reads kept 4 at a
  time, then ``--charges`` purchases kept 16 at a time (so groups form as under wrk);
- counts the CPU each part used over each phase: the worker (this process: its event loop
  and threads, ``resource.getrusage``), the charge writer process and the PostgreSQL
  backends of the side's database (``/proc/<pid>/stat``, bench.load_cpu).

Printed per phase: requests, CPU milliseconds per request of each part and their sum, and
that every answer was a 200. What is NOT counted: uvicorn's HTTP parsing and socket writes,
and the access log line (the same for both sides unless the server's settings change).
CPU, not wall time: on a shared machine, another tenant slows the wall clock, not the CPU a
request needs (caches and frequency aside: compare sides within one run).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.load_seed import (
    CONSENT_CODE,
    drop_postgres_database,
    reset_postgres_database,
    seed_in_tree,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# Run in the side's tree (``python -c``): argv = url, seeded json, reads, charges, tag.
CHILD = r"""
import asyncio, json, os, resource, sys, time
import psycopg
import uvloop
from sqlalchemy.engine import make_url

url, seeded, reads, charges, tag = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
os.environ["DATABASE_URL"] = url
from app.db.settings import load_settings
from app.cli.charge_writer import charge_writer_process
from app.api.app import FREEZE_ENV

def cpu_of(pid):
    try:
        fields = open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

def own_cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime

def backends(admin, name):
    with psycopg.connect(admin, autocommit=True) as c:
        rows = c.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,)).fetchall()
    return [r[0] for r in rows]

def writer_pids():
    import multiprocessing
    return [p.pid for p in multiprocessing.active_children()]

async def call(app, method, path, headers, body):
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000), "state": {}}
    sent = False
    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()
    status = [0]
    async def send(message):
        if message["type"] == "http.response.start":
            status[0] = message["status"]
    await app(scope, receive, send)
    return status[0]

def read_request(i):
    n = len(seeded["households"])
    h, secret = seeded["households"][i % n], seeded["member_secrets"][i % n]
    headers = [(b"host", b"127.0.0.1:8000"), (b"authorization", b"Bearer " + secret.encode())]
    return "GET", f"/v1/members/{h}/balance", headers, b""

def charge_request(i):
    households, merchants = seeded["households"], seeded["merchant_secrets"]
    h = households[(i * 7919) % len(households)]
    m = merchants[i % len(merchants)]
    ident = f"{tag}_{i}"
    body = json.dumps({"purchase_id": ident, "household_id": h, "category": "food",
                       "amount_cents": 100 + (i * 37) % 1900, "on": seeded["today"],
                       "consent_code": seeded["consent_code"]}, separators=(",", ":")).encode()
    headers = [(b"host", b"127.0.0.1:8000"), (b"authorization", b"Bearer " + m.encode()),
               (b"content-type", b"application/json"), (b"idempotency-key", f"key-{ident}".encode()),
               (b"content-length", str(len(body)).encode())]
    return "POST", "/v1/merchant/charges", headers, body

async def phase(app, make, count, start, concurrency):
    statuses = {}
    queue = iter(range(start, start + count))
    async def worker():
        for i in queue:
            s = await call(app, *make(i))
            statuses[s] = statuses.get(s, 0) + 1
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return statuses

async def main():
    settings = load_settings()
    from app.asgi import create_app
    app = create_app(settings)
    messages = [{"type": "lifespan.startup"}]
    started = asyncio.Event()
    async def lreceive():
        if messages:
            return messages.pop()
        await asyncio.Event().wait()
    async def lsend(message):
        started.set()
    life = asyncio.ensure_future(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, lreceive, lsend))
    await started.wait()
    admin = make_url(url).set(database="postgres").render_as_string(hide_password=False).replace("+psycopg", "")
    name = make_url(url).database
    await phase(app, read_request, 300, 0, 4)
    await phase(app, charge_request, 300, 10**6, 16)
    out = {}
    for label, make, count, first, conc in (("reads", read_request, reads, 0, 4), ("charges", charge_request, charges, 0, 16)):
        pg = backends(admin, name)
        w = writer_pids()
        c0 = own_cpu(); w0 = sum(cpu_of(p) for p in w); p0 = {p: cpu_of(p) for p in pg}
        t0 = time.perf_counter()
        statuses = await phase(app, make, count, first, conc)
        wall = time.perf_counter() - t0
        c1 = own_cpu(); w1 = sum(cpu_of(p) for p in w)
        pg_after = backends(admin, name)
        pgc = sum(cpu_of(p) - p0.get(p, 0.0) for p in pg_after)
        out[label] = {"n": count, "statuses": statuses, "worker": c1 - c0, "writer": w1 - w0, "pg": pgc, "wall": wall}
    print("INPROC " + json.dumps(out), flush=True)
    os._exit(0)

os.environ[FREEZE_ENV] = "1"
with charge_writer_process(load_settings()):
    uvloop.run(main())
"""


def with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


def run_side(
    tree: Path, url: str, seeded: dict[str, Any], reads: int, charges: int, tag: str
) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, json.dumps(seeded), str(reads), str(charges), tag],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("INPROC ")), None)
    if line is None:
        raise RuntimeError(f"{tree}: {done.stderr[-3000:]}")
    found: dict[str, Any] = json.loads(line.removeprefix("INPROC "))
    return found


def one_line(label: str, round_: int, found: dict[str, Any]) -> str:
    parts = []
    for phase, m in found.items():
        n = m["n"]
        total = m["worker"] + m["writer"] + m["pg"]
        parts.append(
            f"{phase}: worker {1000 * m['worker'] / n:.3f} + writer {1000 * m['writer'] / n:.3f}"
            f" + PostgreSQL {1000 * m['pg'] / n:.3f} = {1000 * total / n:.3f} ms"
            f" ({m['statuses']})"
        )
    return f"{label} r{round_}: " + "; ".join(parts) + f"; load {os.getloadavg()[0]:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--before", type=Path, default=None)
    parser.add_argument("--after", type=Path, default=ROOT)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--reads", type=int, default=6000)
    parser.add_argument("--charges", type=int, default=3000)
    parser.add_argument("--members", type=int, default=400)
    parser.add_argument(
        "--database-url", default=os.environ.get("CAISSE_TEST_DATABASE") or DEFAULT_URL
    )
    args = parser.parse_args(argv)
    sides = [("after", args.after.resolve())]
    if args.before is not None:
        sides.insert(0, ("before", args.before.resolve()))
    names = {label: f"caisse_bench_inproc_{label}" for label, _ in sides}
    with tempfile.TemporaryDirectory(prefix="caisse_inproc_") as tmp:
        if not os.environ.get("CAISSE_SECRET_KEY"):
            os.environ["CAISSE_SECRET_KEY_FILE"] = str(Path(tmp) / "secret.key")
        seeded: dict[str, dict[str, Any]] = {}
        urls: dict[str, str] = {}
        try:
            for label, tree in sides:
                reset_postgres_database(args.database_url, names[label])
                urls[label] = with_database(args.database_url, names[label])
                s = seed_in_tree(tree, urls[label], args.members)
                seeded[label] = {
                    "households": list(s.households),
                    "member_secrets": list(s.member_secrets),
                    "merchant_secrets": list(s.merchant_secrets),
                    "today": s.today.isoformat(),
                    "consent_code": CONSENT_CODE,
                }
            for round_ in range(1, args.rounds + 1):
                order = sides if round_ % 2 else sides[::-1]
                for label, tree in order:
                    found = run_side(
                        tree, urls[label], seeded[label], args.reads, args.charges, f"r{round_}"
                    )
                    print(one_line(label, round_, found), flush=True)
        finally:
            for label in names:
                drop_postgres_database(args.database_url, names[label])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
