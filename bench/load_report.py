"""The report of the API load test (bench/load.py), in Markdown.

Appended under "## API load" in docs/benchmarks.md with ``--write`` (the file is re-read
right before the single append, so the other sections, owned by others, are left exactly as
they are). CPU figures are in cores (CPU seconds per second of the window), split by owner
(bench/load_cpu.py): ours (server, load generator, the PostgreSQL backends of the bench's
database, this process), PostgreSQL's shared processes, and the others.
"""

from __future__ import annotations

import os
import platform
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bench.load_disk import STALL_MS
from bench.load_open import LATE_MS

if TYPE_CHECKING:
    from bench.load import Outcome
    from bench.load_costs import Costs
    from bench.load_cpu import CpuShares
    from bench.load_disk import Flushes
    from bench.load_open import OpenResult, OpenStream

ACCEPTABLE = ("200", "409:insufficient-credit")
GOAL_RATE = 500
GOAL_P99_MS = 50.0

CATEGORIES = (
    ("consent.py", "member consent code check (HMAC-SHA256, attempts)"),
    ("lock_writer", "taking the fund's writer lock (pg_advisory_xact_lock)"),
    ("check_command", "invariant checks after the command"),
    ("persist_effects", "writing entries, postings, lots and balances"),
    ("audit/journal.py", "journal append and idempotency lookup"),
    ("app/engine/books", "books core (apply)"),
    ("app/ledger/view.py", "reading the state the command needs"),
    ("authenticate", "bearer token lookup"),
    ("app/services/views/credit.py", "balance reads"),
    ("app/services/writes/execute.py", "other command plumbing (transaction, lock)"),
    ("sqlalchemy", "other SQLAlchemy work"),
    ("pydantic", "request/response validation"),
    ("uvicorn", "HTTP server"),
    ("starlette", "HTTP framework"),
    ("fastapi", "HTTP framework"),
)


def summarise_profile(raw: Path, title: str) -> str:
    """Share of the worker's sampled CPU per category (first matching category wins)."""
    shares: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        part = next((name for key, name in CATEGORIES if key in stack), "other")
        shares[part] += int(count)
    if not total:
        return "py-spy recorded no samples (ptrace not permitted?)."
    rows = [f"| {part} | {100 * n / total:.0f} % |" for part, n in shares.most_common()]
    return "\n".join(
        [
            f"Where the workers' samples go under purchase load only, {title} (py-spy, {total} "
            "samples of the worker processes; a thread waiting for the writer lock in the "
            "database driver counts as a sample):",
            "",
            "| part | share of samples |",
            "|---|---:|",
            *rows,
        ]
    )


def _errors(counts: dict[str, int]) -> str:
    bad = {k: v for k, v in counts.items() if k not in ACCEPTABLE}
    return ", ".join(f"{k}: {v}" for k, v in sorted(bad.items())) or "none"


def _cores(cpu: CpuShares) -> str:
    """server | PG backends of the bench's DB | generator | ours | PG shared | others | busy"""
    pg = "n/a" if cpu.postgres_ours is None else f"{cpu.cores(cpu.postgres_ours):.2f}"
    shared = "n/a" if cpu.postgres_shared is None else f"{cpu.cores(cpu.postgres_shared):.2f}"
    busy = 100 * cpu.busy / cpu.capacity if cpu.capacity else 0.0
    every = "n/a" if cpu.postgres_every is None else f"{cpu.cores(cpu.postgres_every):.2f}"
    return (
        f"{cpu.cores(cpu.server):.2f} | {pg} ({every}) | {cpu.cores(cpu.generators):.2f} | "
        f"**{cpu.cores(cpu.ours):.2f}** | {shared} | **{cpu.cores(cpu.others):.2f}** | "
        f"{busy:.0f} % ({cpu.cores(cpu.steal):.2f})"
    )


CPU_HEADER = (
    "server CPU (cores) | PG backends of the bench's DB (every postgres process, the old "
    "column) | load generator | ours | "
    "PG shared processes | others | machine busy (steal, cores)"
)


def _stalls(f: Flushes) -> str:
    return f"{f.stalls} ({f.max_ms:,.0f} ms)" if f.count else "—"


def closed_met(o: Outcome) -> bool:
    return o.charges.rate >= GOAL_RATE and o.charges.p99_ms < GOAL_P99_MS


def open_met(s: OpenStream) -> bool:
    answered_all = s.unanswered == 0 and s.answered == s.scheduled
    return s.achieved_rate >= GOAL_RATE * 0.98 and s.p99_ms < GOAL_P99_MS and answered_all


def one_line(o: Outcome) -> str:
    c = o.charges
    text = (
        f"{o.side} r{o.round} {o.config.key}: closed {c.rate:.0f}/s p50 {c.p50_ms:.1f} "
        f"p99 {c.p99_ms:.1f} max {c.max_ms:.0f} ms, reads {o.reads.rate:.0f}/s, "
        f"counts {c.counts} {o.reads.counts}; cores ours {o.cpu.cores(o.cpu.ours):.2f} "
        f"others {o.cpu.cores(o.cpu.others):.2f}; disk {_stalls(o.flushes)}"
    )
    if o.open is not None:
        s = o.open.charges
        text += (
            f"\n  open {s.achieved_rate:.0f}/{s.target_rate:.0f}/s p50 {s.p50_ms:.1f} p99 "
            f"{s.p99_ms:.1f} max {s.max_ms:.0f} ms late {s.late} unanswered {s.unanswered} "
            f"{s.counts}; cores ours {o.open_cpu.cores(o.open_cpu.ours):.2f} others "
            f"{o.open_cpu.cores(o.open_cpu.others):.2f}; disk {_stalls(o.open_flushes)}"
        )
    return text + "".join(f"\n  group writer: {line}" for line in o.groups)


def _closed_row(o: Outcome) -> str:
    c, r = o.charges, o.reads
    per_request = 1000 * o.cpu.server / max(1, c.requests + r.requests)
    errors = _errors({**c.counts, **{f"read {k}": v for k, v in r.counts.items() if k != "200"}})
    if c.socket_errors or c.timeouts or r.socket_errors or r.timeouts:
        errors += (
            f"; socket errors {c.socket_errors + r.socket_errors}, "
            f"timeouts {c.timeouts + r.timeouts}"
        )
    reads = f"{r.rate:,.0f} | {r.p99_ms:.1f}" if r.requests else "— | —"
    return (
        f"| {o.round} | {o.side} | {describe(o)} | {c.rate:,.0f} | {c.p50_ms:.1f} | "
        f"{c.p99_ms:.1f} | {c.max_ms:,.0f} | {reads} | {errors} | {per_request:.2f} | "
        f"{_cores(o.cpu)} | {_stalls(o.flushes)} |"
    )


def _open_row(o: Outcome) -> str:
    if o.open is None:
        return ""
    s, r = o.open.charges, o.open.reads
    errors = _errors(
        {**s.counts, **({f"read {k}": v for k, v in r.counts.items() if k != "200"} if r else {})}
    )
    reads = f"{r.achieved_rate:,.0f} | {r.p99_ms:.1f} | {r.late}" if r else "— | — | —"
    return (
        f"| {o.round} | {o.side} | {describe(o)} | {s.target_rate:,.0f} | "
        f"{s.achieved_rate:,.0f} | {s.p50_ms:.1f} | {s.p99_ms:.1f} | {s.max_ms:,.0f} | "
        f"{s.late} ({s.lag_max_ms:,.0f} ms) | {s.unanswered} | {reads} | {errors} | "
        f"{_cores(o.open_cpu)} | {_stalls(o.open_flushes)} |"
    )


def label(database: str, workers: int, cheap_consent: bool) -> str:
    text = f"{'PostgreSQL' if database == 'postgresql' else 'SQLite'}, {workers} worker" + (
        "s" if workers > 1 else ""
    )
    if cheap_consent:
        text = f"*what-if:* {text}, consent codes hashed with 1 PBKDF2 round"
    return text


def describe(o: Outcome) -> str:
    name = label(o.config.database, o.config.workers, o.config.cheap_consent)
    if not o.config.reads:
        name += ", purchases only (no reads)"
    if o.config.connections != 16:
        name += f", {o.config.connections} purchase connections"
    if o.config.reads and o.config.read_delay_ms:
        name += (
            f", reads paced ({o.config.read_connections} read connections, each waiting "
            f"{o.config.read_delay_ms} ms before each read)"
        )
    if not o.config.commit_waits_for_disk:
        name += ", what-if: commits do not wait for the disk (synchronous_commit=off)"
    return name


def cost_lines(costs: dict[str, Costs]) -> list[str]:
    """The single-threaded costs, the ceilings they set, and the parts of a command."""
    lines = [
        "",
        "Single-threaded costs of ONE purchase recorded as a single command (the services' "
        "and CLI's path; no HTTP, no contention), and the ceilings they set: every command "
        "holds the fund's one writer lock (the journal is one gapless hash chain), so single "
        "commands can never exceed 1000 / (ms a purchase holds the lock) a second, however "
        "many workers; the API's charges are written in groups under one lock (docs/api.md), "
        "which is how the runs above pass that ceiling. The consent check is pure CPU: 2 "
        "cores can check at most 2000 / (its ms) codes a second.",
        "",
        "| database | consent code check ms | purchase command ms (under the lock) | SQL "
        "statements per purchase | ceiling from the lock, purchases/s | ceiling from consent "
        "checks on 2 cores |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, c in costs.items():
        lines.append(
            f"| {name} | {c.consent_check_ms:.1f} | {c.purchase_command_ms:.1f} | "
            f"{c.statements_per_purchase:.0f} | {1000 / c.purchase_command_ms:,.0f} | "
            f"{2000 / c.consent_check_ms:,.0f} |"
        )
    names = sorted({part for c in costs.values() for part in c.parts})
    lines += [
        "",
        "Inside a purchase command (cProfile, share of the command's time):",
        "",
        "| part | " + " | ".join(costs) + " |",
        "|---|" + "---:|" * len(costs),
    ]
    for part in sorted(names, key=lambda p: -max(c.parts.get(p, 0) for c in costs.values())):
        shares = " | ".join(f"{100 * c.parts.get(part, 0):.0f} %" for c in costs.values())
        lines.append(f"| {part} | {shares} |")
    return lines


def processor() -> str:
    """The CPU's model name (``platform.processor()`` is empty on Linux)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "this machine"


def section(
    outcomes: list[Outcome],
    costs: dict[str, Costs],
    seconds: int,
    members: int,
    profiles: list[str],
    python: str,
    probe_dirs: dict[str, str | None],
    calibrations: list[OpenResult] | None = None,
) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()
    lines = [
        "## API load",
        "",
        f"Measured {when} by `python -m bench.load` on {processor()}, "
        f"{os.cpu_count()} cores, Python {python}, load average at the end "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}: `caisse serve` (uvicorn, access log on, "
        f"as shipped) on 127.0.0.1, {members} members each with 20 000 € of credit, 4 "
        f"merchants, {seconds} s per window after a 2 s warm-up. **The load generator, "
        "PostgreSQL and the server share the machine's cores with other tenants**: the CPU "
        "columns say whose the busy time was (*ours*: server, load generator, the PostgreSQL "
        "backends of the bench's database; *PG shared*: PostgreSQL's WAL writer, "
        "checkpointer and other processes of no database; *others*: the rest).",
        "",
        "Closed loop (`wrk`: purchases on 16 connections, each sending again once answered; "
        "reads alongside):",
        "",
        "| round | code | configuration | purchases/s | p50 ms | p99 ms | max ms | reads/s | "
        "read p99 ms | other errors | server CPU ms / request | "
        + CPU_HEADER
        + f" | disk flushes over {STALL_MS:.0f} ms (slowest) |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---|---:|" + "---:|" * 7 + "---:|",
        *[_closed_row(o) for o in outcomes if o.charges.requests],
    ]
    opened = [o for o in outcomes if o.open is not None]
    if opened:
        lines += [
            "",
            "Open loop (bench/load_open.py: purchases due on a fixed schedule, latency from "
            f"each one's due time; *late*: sent over {LATE_MS:.0f} ms after it, with the "
            "largest delay; reads on their own schedule alongside):",
            "",
            "| round | code | configuration | purchases due/s | answered/s | p50 ms | p99 ms | "
            "max ms | late (largest delay) | unanswered | reads/s | read p99 ms | reads late | "
            "other errors | " + CPU_HEADER + f" | disk flushes over {STALL_MS:.0f} ms |",
            "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
            + "---:|" * 7
            + "---:|",
            *[_open_row(o) for o in opened],
        ]
    for when, c in zip(("before the rounds", "after them"), calibrations or [], strict=False):
        s = c.charges
        lines += [
            "",
            f"*Calibration* {when}: the same schedule against a trivial server that answers "
            f"at once (the generator's own floor on this machine then): {s.achieved_rate:,.0f} "
            f"of {s.target_rate:,.0f} purchases/s, p50 {s.p50_ms:.1f} ms, p99 {s.p99_ms:.1f} "
            f"ms, max {s.max_ms:,.0f} ms, {s.late} of {s.scheduled} late; the generator used "
            f"{c.cpu_seconds:.1f} CPU seconds.",
        ]
    goal = [
        o
        for o in outcomes
        if o.config.database == "postgresql"
        and o.config.workers == 2
        and o.config.reads
        and o.config.commit_waits_for_disk
    ]
    if goal:
        lines += [
            "",
            f"Goal (PostgreSQL, 2 workers, reads alongside): >= {GOAL_RATE} purchases/s with "
            f"p99 < {GOAL_P99_MS:.0f} ms on a quiet machine; *others* is the other tenants' "
            "CPU in the same window:",
        ]
    for o in goal:
        parts = []
        if o.charges.requests:
            parts.append(
                f"closed {o.charges.rate:,.0f}/s, p99 {o.charges.p99_ms:.1f} ms: "
                f"**{'met' if closed_met(o) else 'NOT met'}** (others "
                f"{o.cpu.cores(o.cpu.others):.2f} cores)"
            )
        if o.open is not None:
            s = o.open.charges
            parts.append(
                f"open {s.achieved_rate:,.0f} of {s.target_rate:,.0f}/s, p99 {s.p99_ms:.1f} ms: "
                f"**{'met' if open_met(s) else 'NOT met'}** (others "
                f"{o.open_cpu.cores(o.open_cpu.others):.2f} cores)"
            )
        lines.append(f"- round {o.round}, {o.side}, {describe(o)}: " + "; ".join(parts) + ".")
    lines += [
        "",
        "*Disk flushes*: while each window ran, a probe wrote 8 KiB and flushed (`fdatasync`) "
        "every 10 ms on the filesystem the database lives on ("
        + ", ".join(f"{d}: {p or 'not on this machine'}" for d, p in probe_dirs.items())
        + f"); the columns count the flushes slower than {STALL_MS:.0f} ms and give the "
        "slowest. Every commit waits for such a flush of PostgreSQL's log.",
    ]
    grouped = [o for o in outcomes if o.groups]
    if grouped:
        lines += [
            "",
            "Charges are written in groups (docs/api.md); what each worker's group writer "
            "did over its whole run (warm-up and both windows included):",
            "",
            *[
                f"- round {o.round}, {o.side}, {describe(o)}: {'; '.join(o.groups)}"
                for o in grouped
            ],
        ]
    if costs:
        lines += cost_lines(costs)
    for profile in profiles:
        lines += ["", profile]
    return "\n".join(lines) + "\n"


def append_section(path: Path, text: str) -> None:
    """Append ``text`` at the end, re-reading the file right before (one write)."""
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    separator = "" if current.endswith("\n\n") else ("\n" if current.endswith("\n") else "\n\n")
    path.write_text(current + separator + text, encoding="utf-8")
