"""Pages' load: time to first byte and weight of the member page (``/membre``) and of the till
page (``/commercant``) of ``caisse serve`` on 127.0.0.1, on SQLite and on PostgreSQL.

``python -m bench.pages [--members 200] [--sessions 50] [--seconds 20] [--think 1]
[--workers 1] [--only sqlite,postgresql] [--write]``

For each database:

1. seeds a fund through the services (bench/load_seed.py: rules, ``--members`` households,
   4 merchants, a subsidy, the month run) in a temporary SQLite file, or in a schema of its
   own of the ``test`` database on 127.0.0.1:5432 (dropped at the end); then one web access
   per household and per merchant, activated, and ``--sessions`` signed-in sessions of each
   page's people (app.services.people), so every simulated browser has its own cookie;
2. starts ``caisse serve`` (``--workers``, default one) on a free port of 127.0.0.1 and
   waits for health;
3. measures each page's weight once: its HTML plus every stylesheet, script, icon and image
   it links to (what a first visit downloads, uncompressed);
4. for each page, ``--sessions`` concurrent sessions (asyncio + httpx, one client and one
   cookie each) GET it for ``--seconds`` after a 2 s warm-up: first *paced* (each session
   waits ``--think`` seconds on average between its pages, as people do, the sessions out
   of step: the bounded load the goal is about), then *unpaced* (each asks again as soon
   as answered: the server's capacity, where the latency is mostly waiting in line). Time
   to first byte is measured to the response's headers; every answer must be the page
   itself (200, not a redirect to sign-in).

Goal: p99 time to first byte < 100 ms under the paced load, and < 100 KB per page. Bounded:
fixed durations, the server stopped and the schema dropped in ``finally``; it only talks to
127.0.0.1. With ``--write`` the table is appended to docs/benchmarks.md ("Pages (issue 9)").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from app.db.session import make_engine, unit_of_work
from app.db.settings import Settings
from app.services import people
from app.services.tokens import Role
from bench.load_seed import MERCHANTS, Seeded, seed
from bench.load_server import free_port, start_server, stop_server, wait_healthy

ROOT = Path(__file__).resolve().parents[1]
PG_TEST = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SESSION_COOKIE = "caisse_session"
SECRET = "bench-pages-secret"
PAGES = (("membre", "/membre", Role.MEMBER), ("commercant", "/commercant", Role.MERCHANT))
WARMUP_SECONDS = 2.0
GOAL_P99_MS = 100.0
GOAL_KB = 100.0


@dataclass(frozen=True, slots=True)
class Weight:
    html_bytes: int
    assets: tuple[tuple[str, int], ...]  # (path, bytes) of each asset the page links to

    @property
    def total_bytes(self) -> int:
        return self.html_bytes + sum(size for _, size in self.assets)


@dataclass(frozen=True, slots=True)
class Run:
    database: str
    page: str
    paced: bool
    requests: int
    errors: int
    seconds: float
    ttfb_ms: tuple[float, float, float]  # p50, p95, p99
    full_ms: tuple[float, float, float]  # the same to the last byte
    load_average: float  # the machine's 1-minute load average at the end of the run


class Assets(HTMLParser):
    """The URLs of what a page makes the browser download: stylesheets, icons, scripts,
    images."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and (values.get("rel") or "") in ("stylesheet", "icon"):
            self.found.append(values.get("href") or "")
        elif tag in ("script", "img") and values.get("src"):
            self.found.append(values.get("src") or "")


# --- the database and the people -------------------------------------------------------------


def postgres_schema_url(schema: str) -> str:
    admin = create_engine(PG_TEST, poolclass=NullPool)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    finally:
        admin.dispose()
    return f"{PG_TEST}?options=-csearch_path%3D{schema}"


def drop_postgres_schema(schema: str) -> None:
    admin = create_engine(PG_TEST, poolclass=NullPool)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    finally:
        admin.dispose()


def signed_in_sessions(url: str, seeded: Seeded, sessions: int) -> dict[Role, list[str]]:
    """One activated web access per household and per merchant; ``sessions`` session
    cookies for each page's people (members: the first ``sessions`` households, one each;
    merchants: spread over the 4 shops, as several tills of a shop would be)."""
    now = datetime.now(UTC)
    engine = make_engine(Settings(database_url=url))
    cookies: dict[Role, list[str]] = {Role.MEMBER: [], Role.MERCHANT: []}
    try:
        with unit_of_work(engine) as session:
            members = [
                _activated(session, Role.MEMBER, household, f"member{i}", now)
                for i, household in enumerate(seeded.households)
            ]
            shops = [
                _activated(session, Role.MERCHANT, shop, f"shop{i}", now)
                for i, shop in enumerate(MERCHANTS)
            ]
            for i in range(sessions):
                member, shop = members[i % len(members)], shops[i % len(shops)]
                cookies[Role.MEMBER].append(people.open_session(session, member, now))
                cookies[Role.MERCHANT].append(people.open_session(session, shop, now))
    finally:
        engine.dispose()
    return cookies


def _activated(
    session: Session, role: Role, subject: str, login: str, now: datetime
) -> people.Person:
    new = people.create_access(session, role, subject, f"Bench {login}", now)
    return people.activate(session, new.activation_code, login, SECRET, now)


# --- measuring -------------------------------------------------------------------------------


def page_weight(base: str, path: str, cookie: str) -> Weight:
    """The page's HTML and every asset it links to, each downloaded once (uncompressed)."""
    with httpx.Client(base_url=base, cookies={SESSION_COOKIE: cookie}, timeout=30) as client:
        page = client.get(path)
        page.raise_for_status()
        finder = Assets()
        finder.feed(page.text)
        assets = []
        for link in dict.fromkeys(finder.found):
            target = urljoin(base + path, link)
            if not target.startswith(base + "/"):
                raise RuntimeError(f"{path} links to {target}, outside 127.0.0.1")
            asset = client.get(target)
            asset.raise_for_status()
            assets.append((target[len(base) :], len(asset.content)))
    return Weight(len(page.content), tuple(assets))


async def _session(
    base: str, path: str, cookie: str, window: tuple[float, float], think: float, seed: int
) -> tuple[list[float], list[float], int]:
    """One browser: GET ``path`` until the window ends; answers from ``window[0]`` on are
    measured. Paced sessions start spread over one think time and wait 0.5x to 1.5x of it
    between pages (a fixed seed per session), so they do not ask in lockstep."""
    measure_from, until = window
    ttfb: list[float] = []
    full: list[float] = []
    errors = 0
    jitter = random.Random(seed)
    async with httpx.AsyncClient(
        base_url=base, cookies={SESSION_COOKIE: cookie}, timeout=30
    ) as client:
        if think > 0:
            await asyncio.sleep(jitter.uniform(0, think))
        while time.perf_counter() < until:
            started = time.perf_counter()
            async with client.stream("GET", path) as response:
                first = time.perf_counter()
                body = await response.aread()
            done = time.perf_counter()
            if started >= measure_from:
                if response.status_code != 200 or b"<main" not in body:
                    errors += 1
                ttfb.append(first - started)
                full.append(done - started)
            if think > 0:
                await asyncio.sleep(think * jitter.uniform(0.5, 1.5))
    return ttfb, full, errors


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 in milliseconds (nearest rank)."""
    ordered = sorted(samples)
    if not ordered:
        return (0.0, 0.0, 0.0)

    def rank(q: float) -> float:
        index = max(0, min(len(ordered) - 1, int(q * len(ordered) + 0.999999) - 1))
        return ordered[index] * 1000

    return (rank(0.50), rank(0.95), rank(0.99))


async def _drive(
    base: str, path: str, cookies: list[str], seconds: float, think: float
) -> tuple[list[float], list[float], int]:
    measure_from = time.perf_counter() + WARMUP_SECONDS
    window = (measure_from, measure_from + seconds)
    results = await asyncio.gather(
        *(_session(base, path, c, window, think, i) for i, c in enumerate(cookies))
    )
    ttfb = [t for r in results for t in r[0]]
    full = [t for r in results for t in r[1]]
    return ttfb, full, sum(r[2] for r in results)


def drive(
    database: str,
    page: str,
    base: str,
    path: str,
    cookies: list[str],
    seconds: float,
    think: float,
) -> Run:
    ttfb, full, errors = asyncio.run(_drive(base, path, cookies, seconds, think))
    return Run(
        database,
        page,
        think > 0,
        len(ttfb),
        errors,
        seconds,
        percentiles(ttfb),
        percentiles(full),
        os.getloadavg()[0],
    )


# --- one database ----------------------------------------------------------------------------


def run_database(
    database: str, url: str, args: argparse.Namespace, workdir: Path
) -> tuple[list[Run], dict[str, Weight], float]:
    seeded = seed(url, args.members)
    started = time.perf_counter()
    cookies = signed_in_sessions(url, seeded, args.sessions)
    seed_seconds = seeded.seconds + time.perf_counter() - started
    print(f"{database}: seeded in {seed_seconds:.1f} s", file=sys.stderr)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(url, port, args.workers, workdir / f"serve-{database}.log")
    runs: list[Run] = []
    weights: dict[str, Weight] = {}
    try:
        wait_healthy(base, server)
        for page, path, role in PAGES:
            weights[page] = page_weight(base, path, cookies[role][0])
            for think in (args.think, 0.0):
                run = drive(database, page, base, path, cookies[role], args.seconds, think)
                print(one_line(run), file=sys.stderr)
                runs.append(run)
    finally:
        stop_server(server)
    return runs, weights, seed_seconds


def one_line(run: Run) -> str:
    p50, p95, p99 = run.ttfb_ms
    load = "paced" if run.paced else "unpaced"
    return (
        f"{run.database} /{run.page} {load}: {run.requests} requests"
        f" ({run.requests / run.seconds:.0f}/s), {run.errors} errors,"
        f" TTFB p50 {p50:.1f} p95 {p95:.1f} p99 {p99:.1f} ms, load {run.load_average:.1f}"
    )


# --- the report ------------------------------------------------------------------------------


def machine() -> str:
    cpus, model = str(os.cpu_count() or "?"), "unknown CPU"
    try:
        cpus = subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
        described = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in described.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return f"{cpus} CPUs (nproc), {model}, Python {platform.python_version()}"


def section(
    runs: list[Run],
    weights: dict[str, dict[str, Weight]],
    seeds: dict[str, float],
    args: argparse.Namespace,
    command: str,
) -> str:
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    lines = [
        "## Pages (issue 9)",
        "",
        f"Measured {day} on {machine()}; client and server on the same machine.",
        f"Command: `{command}`.",
        "",
        f"A fund of N = {args.members} member households (web accesses activated) and 4"
        f" merchants; {args.sessions} concurrent sessions, each its own cookie, GET one page"
        f" for {args.seconds:g} s after a {WARMUP_SECONDS:g} s warm-up; `caisse serve` with"
        f" {args.workers} worker(s). Paced: each session waits {args.think:g} s on average"
        " (0.5x to 1.5x) between"
        " pages, the sessions out of step (the bounded load"
        " of the goal); unpaced: each asks again as soon as answered (capacity; the latency"
        " is then mostly queueing). Time to first byte (TTFB) is to the response headers;"
        " load avg: the machine's 1-minute load average at the end of the run (other work"
        " on the machine shares its CPUs).",
        "",
        "| database | page | load | requests | req/s | errors | TTFB p50 | p95 | p99 |"
        " to last byte p99 | load avg |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        p50, p95, p99 = run.ttfb_ms
        lines.append(
            f"| {run.database} | /{run.page} | {'paced' if run.paced else 'unpaced'}"
            f" | {run.requests} | {run.requests / run.seconds:.0f} | {run.errors}"
            f" | {p50:.1f} ms | {p95:.1f} ms | {p99:.1f} ms | {run.full_ms[2]:.1f} ms"
            f" | {run.load_average:.1f} |"
        )
    lines += ["", "Page weight (HTML + every stylesheet, script, icon and image it links to):", ""]
    lines += ["| page | HTML | assets | total | goal < 100 KB |", "|---|---:|---|---:|---|"]
    first = next(iter(weights.values()), {})
    for page, weight in first.items():
        assets = ", ".join(f"{path} {size / 1000:.1f} KB" for path, size in weight.assets)
        total_kb = weight.total_bytes / 1000
        lines.append(
            f"| /{page} | {weight.html_bytes / 1000:.1f} KB | {assets} | {total_kb:.1f} KB"
            f" | {'met' if total_kb < GOAL_KB else 'NOT met'} |"
        )
    paced = [run for run in runs if run.paced]
    worst = max((run.ttfb_ms[2] for run in paced), default=0.0)
    verdict = "met" if worst < GOAL_P99_MS else "NOT met"
    seeded = ", ".join(f"{db} {seconds:.0f} s" for db, seconds in seeds.items())
    lines += [
        "",
        f"Goal p99 TTFB < {GOAL_P99_MS:g} ms under the paced load: {verdict} (worst paced"
        f" p99 {worst:.1f} ms). Seeding (services, Argon2id activations): {seeded}.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between pages")
    parser.add_argument("--workers", type=int, default=1, help="caisse serve --workers")
    parser.add_argument("--only", default="sqlite,postgresql")
    parser.add_argument("--write", action="store_true", help="append to docs/benchmarks.md")
    args = parser.parse_args(argv)
    if args.sessions > args.members:
        parser.error("--sessions must not exceed --members (one household per session)")
    command = "python -m bench.pages " + " ".join(argv if argv is not None else sys.argv[1:])
    runs: list[Run] = []
    weights: dict[str, dict[str, Weight]] = {}
    seeds: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="caisse_pages_") as tmp:
        workdir = Path(tmp)
        # The seeding (in this process) and the server (a subprocess) share one server key.
        if not os.environ.get("CAISSE_SECRET_KEY"):
            os.environ["CAISSE_SECRET_KEY_FILE"] = str(workdir / "secret.key")
        for database in args.only.split(","):
            schema = f"bench_pages_{uuid.uuid4().hex[:12]}"
            if database == "sqlite":
                url = f"sqlite:///{workdir / 'pages.db'}"
            elif database == "postgresql":
                url = postgres_schema_url(schema)
            else:
                parser.error(f"unknown database {database!r}")
            try:
                found, weights[database], seeds[database] = run_database(
                    database, url, args, workdir
                )
                runs += found
            finally:
                if database == "postgresql":
                    drop_postgres_schema(schema)
    text_ = section(runs, weights, seeds, args, command.strip())
    print(text_)
    if args.write:
        with (ROOT / "docs" / "benchmarks.md").open("a", encoding="utf-8") as handle:
            handle.write("\n" + text_)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
