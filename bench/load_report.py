"""Measurements and the report of the API load test (bench/load.py).

CPU accounting reads /proc (Linux): the server's process tree, the PostgreSQL processes
(every backend of the local server: other users' work during the window is included) and
the machine's busy share. The report is Markdown, appended under "## API load" in
docs/benchmarks.md (the file is re-read right before the single append, so the other
sections, owned by others, are left exactly as they are).
"""

from __future__ import annotations

import os
import platform
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bench.load_disk import STALL_MS

if TYPE_CHECKING:
    from bench.load import Outcome
    from bench.load_costs import Costs

TICK = os.sysconf("SC_CLK_TCK")
ACCEPTABLE = ("200", "409:insufficient-credit")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may contain spaces: split after it.
    return text[text.rindex(")") + 2 :].split()


def _cpu(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def _processes() -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = _stat(int(name))
            if fields is not None:
                found[int(name)] = fields
    return found


def tree_cpu(root: int) -> float:
    """CPU seconds used so far by ``root`` and its live descendants."""
    procs = _processes()
    children: dict[int, list[int]] = {}
    for pid, fields in procs.items():
        children.setdefault(int(fields[1]), []).append(pid)
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        if pid in procs:
            total += _cpu(procs[pid])
        stack.extend(children.get(pid, []))
    return total


def postgres_cpu() -> float:
    """CPU seconds used so far by every process named ``postgres``."""
    total = 0.0
    for pid in _processes():
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        fields = _stat(pid)
        if name == "postgres" and fields is not None:
            total += _cpu(fields)
    return total


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


CATEGORIES = (
    ("consent.py", "member consent code check (HMAC-SHA256, attempts)"),
    ("lock_writer", "taking the fund's writer lock (pg_advisory_xact_lock)"),
    ("check_command", "invariant checks after the command"),
    ("persist_effects", "writing entries, postings, lots and balances"),
    ("audit/journal.py", "journal append and idempotency lookup"),
    ("app/engine/books", "books core (apply)"),
    ("app/ledger/view.py", "reading the state the command needs"),
    ("authenticate", "bearer token lookup"),
    ("app/services/reads.py", "balance reads"),
    ("app/services/execute.py", "other command plumbing (transaction, lock)"),
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


def one_line(o: Outcome) -> str:
    c = o.charges
    return (
        f"{o.config.key}: {c.rate:.0f} purchases/s p50 {c.p50_ms:.1f} ms p99 {c.p99_ms:.1f} ms, "
        f"reads {o.reads.rate:.0f}/s p99 {o.reads.p99_ms:.1f} ms, counts {c.counts} "
        f"{o.reads.counts}, machine busy {100 * o.machine_busy:.0f} %"
        + "".join(f"\n  group writer: {line}" for line in o.groups)
    )


def _row(o: Outcome) -> str:
    c, r = o.charges, o.reads
    refused = c.counts.get("409:insufficient-credit", 0)
    per_request = 1000 * o.server_cpu_seconds / max(1, c.requests + r.requests)
    pg = "n/a" if o.postgres_cpu_seconds is None else f"{o.postgres_cpu_seconds / c.seconds:.2f}"
    name = describe(o)
    errors = _errors({**c.counts, **{f"read {k}": v for k, v in r.counts.items() if k != "200"}})
    if c.socket_errors or c.timeouts or r.socket_errors or r.timeouts:
        errors += (
            f"; socket errors {c.socket_errors + r.socket_errors}, "
            f"timeouts {c.timeouts + r.timeouts}"
        )
    reads = f"{r.rate:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f}" if r.requests else "— | — | —"
    return (
        f"| {name} | {c.rate:,.0f} | {c.p50_ms:.1f} | {c.p99_ms:.1f} | {refused} | "
        f"{reads} | {errors} | "
        f"{o.server_cpu_seconds / c.seconds:.2f} | {per_request:.1f} | {pg} | "
        f"{wrk_share(o):.2f} | {100 * o.machine_busy:.0f} % | {_stalls(o)} |"
    )


def _stalls(o: Outcome) -> str:
    f = o.flushes
    return f"{f.stalls} ({f.max_ms:,.0f} ms)" if f.count else "—"


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


def wrk_share(o: Outcome) -> float:
    return (o.charges.cpu_seconds + o.reads.cpu_seconds) / o.charges.seconds


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


def section(
    outcomes: list[Outcome],
    costs: dict[str, Costs],
    seconds: int,
    members: int,
    profiles: list[str],
    python: str,
) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## API load",
        "",
        f"Measured {when} by `python -m bench.load` on {platform.processor() or 'this machine'}, "
        f"{os.cpu_count()} cores, Python {python}: `caisse serve` (uvicorn, access log on, as "
        f"shipped) on 127.0.0.1, {members} members each with 20 000 € of credit, 4 merchants. "
        f"For {seconds} s per configuration (after a 2 s warm-up), one `wrk` sends purchases "
        f"(`POST /v1/merchant/charges`, consent code, fresh `Idempotency-Key`, 1-20 €) on "
        f"{16} connections while another reads balances (`GET /v1/members/{{id}}/balance`, "
        f"the member's own token) on 4 connections as fast as they are answered, or paced as "
        f"the configuration says. **The load generator, PostgreSQL and the server share the "
        f"same 2 cores**: the *machine busy* column shows how saturated they were, the last "
        f"column how the disk's flushes behaved.",
        "",
        "| configuration | purchases/s | p50 ms | p99 ms | refused: no credit | reads/s | "
        "read p50 ms | read p99 ms | other errors | server CPU (cores) | server CPU ms / "
        "request | PostgreSQL CPU (cores) | wrk CPU (cores) | machine busy | disk flushes "
        f"over {STALL_MS:.0f} ms (slowest) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
        *[_row(o) for o in outcomes],
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
            "Goal (PostgreSQL, 2 workers, reads alongside): >= 500 purchases/s with p99 < 50 ms:",
        ]
    for o in goal:
        met = o.charges.rate >= 500 and o.charges.p99_ms < 50
        lines.append(
            f"- {describe(o)}: {o.charges.rate:,.0f}/s, p99 {o.charges.p99_ms:.1f} ms "
            f"({o.reads.rate:,.0f} reads/s): **{'met' if met else 'NOT met'}**."
        )
    nowait = next((o for o in outcomes if o.config.key == "pg2-nowait"), None)
    if nowait is not None:
        lines += [
            "",
            f"What-if, the same 2 workers with reads when commits do not wait for the disk: "
            f"{nowait.charges.rate:,.0f}/s, p99 {nowait.charges.p99_ms:.1f} ms. This is NOT how "
            "caisse runs (an acknowledged purchase must survive a crash); it shows how much of "
            "the p99 is the disk's flushes rather than the server.",
        ]
    lines += [
        "",
        f"*Disk flushes*: while each configuration ran, a probe wrote 8 KiB and flushed "
        f"(`fdatasync`) every 10 ms on the database's disk; the column counts the flushes "
        f"slower than {STALL_MS:.0f} ms and gives the slowest. Every commit waits for such a "
        f"flush of PostgreSQL's log, so a purchase committed during a stall waits as long.",
    ]
    for o in outcomes:
        if o.flushes.count:
            lines.append(f"- {describe(o)}: {o.flushes.summary()}")
    grouped = [o for o in outcomes if o.groups]
    if grouped:
        lines += [
            "",
            "Charges are written in groups (docs/api.md); what each worker's group writer "
            "did over its whole run (warm-up included):",
            "",
            *[f"- {describe(o)}: {'; '.join(o.groups)}" for o in grouped],
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
