"""Engine benchmark: households/s and peak memory, caisse and OpenFisca side by side.

    python -m bench.engine --sizes 100000,1000000 [--seed 20261126] [--rounds 2]
        [--modes batch,batch_explain] [--baseline /tmp/base] [--no-write]

For each size N, one seed gives one dataset of N households (1-6 persons, incomes, birth
dates; ``bench.common``) written to a temporary folder as int64 columns. Each measurement
then runs in its own single-threaded child process (so its peak RSS is its own):

- ``batch``: the compiled plan over ``HouseholdColumns`` built from the columns
  (``assess_columns``; no explanations; identical to ``assess``), or, for an engine
  without columnar input (``--baseline`` of the session's start), ``assess_batch`` over
  ``HouseholdFacts`` built from the columns;
- ``batch_explain``: the same with ``explain=True``, on all N households (explanations built
  when read);
- ``explain_read``: ``batch_explain`` and then every explanation read (built: by path, its
  template and its own numbers, ``app.engine.batch.paths``);
- ``explain_fields``: ``explain_read`` and each explanation's fields made too (its steps
  and inputs: what ``as_dict`` and ``render`` start from; their words still made then);
- ``batch_facts``: ``assess_batch`` over ``HouseholdFacts`` built from the columns (what
  ``assess_fund`` does today);
- ``assess``: the general ``assess(explain=False)`` one by one (at most ``--sample``);
- ``explain``: ``assess(explain=True)`` one by one (at most ``--sample``);
- ``ration``: the month's credits rationed to 90 % of their total (the split alone);
- ``fund``: the whole month, ``app.engine.fund.assess_fund`` (no explanations) with that
  budget: assessments, rationing, totals;
- ``openfisca``: the same rule in OpenFisca (``bench/openfisca_engine.py``, own venv).

Like for like: caisse's rates count building its inputs from the columns (``build_columns``:
``HouseholdColumns``; ``build_facts``: ``HouseholdFacts``, for ``batch_facts``, the other
modes and an engine without columns), as OpenFisca's count building its simulation from the
same columns.
``--baseline DIR`` measures an earlier source tree's ``app`` with this measuring code too,
each mode in turn (before, after), ``--rounds`` times; each figure is the round with the
least CPU. Results go to ``docs/benchmarks.md`` (section "Engine"), unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from array import array
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime
from itertools import accumulate, chain
from pathlib import Path
from typing import Any

from bench.common import (
    HOUSEHOLD_ID,
    PERIOD_TEXT,
    RULES,
    Dataset,
    generate,
    read_dataset,
    write_dataset,
)

ROOT = Path(__file__).resolve().parent.parent
OPENFISCA_PYTHON = ROOT / "bench" / ".venv-openfisca" / "bin" / "python"
# The OpenFisca release the page's figures were measured with (never a project dependency).
OPENFISCA_REQUIREMENT = "openfisca-core==46.0.1"
MODES = (
    "batch",
    "batch_explain",
    "explain_read",
    "explain_fields",
    "batch_facts",
    "assess",
    "explain",
    "ration",
    "fund",
)
SINGLE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def build_facts(data: Dataset) -> list[Any]:
    """``HouseholdFacts`` from the columns, as a loader builds them (and counted as its work):
    one ``Person`` per distinct birth date, shared; each household's persons are a slice of
    one tuple (the columns hold a household's persons together, in household order); the
    identifiers are formatted here. The one constructor, positional, as any caller's. The
    cyclic collector is paused meanwhile, as the month run's loader pauses it (the objects
    are acyclic; its full collections would walk every one built so far, freeing nothing)."""
    from app.engine.collector import collector_paused
    from app.engine.facts import HouseholdFacts, Person

    with collector_paused():
        return _facts(data, HouseholdFacts, Person)


def _facts(data: Dataset, facts: Any, person: Any) -> list[Any]:
    owners, ordinals = data.person_household, data.person_birth_ordinal
    people = _People(person)
    flat = tuple(map(people.__getitem__, ordinals))
    # A household's persons are together, in household order (``Dataset``); were they not,
    # the comparison with OpenFisca, which joins them by ``person_household``, would say so.
    counts = Counter(owners)
    ends = list(accumulate(map(counts.__getitem__, range(data.size))))
    persons = list(map(flat.__getitem__, map(slice, chain((0,), ends), ends)))
    ids = list(map(HOUSEHOLD_ID.__mod__, range(data.size)))
    return list(map(facts, ids, persons, data.incomes_cents))


def build_columns(data: Dataset) -> Any:
    """``HouseholdColumns`` from the columns, as a loader of stored columns builds them (and
    counted as its work): persons per household counted from each person's household (one
    C pass: ``Counter``), identifiers numbered (``NumberedIds``: formatted when read, as
    OpenFisca's simulation, which has none, never formats them); incomes and birth days are
    the stored int64 columns themselves. ``None`` for a tree whose engine has no columnar
    input (the session's start)."""
    try:
        from app.engine.batch.columns import HouseholdColumns
    except ImportError:
        return None
    counts = Counter(data.person_household)
    # Persons are in household order (``Dataset``), so the counts are too when every
    # household has persons (a ``Counter`` keeps the order it met its keys in).
    ordered = len(counts) == data.size and next(reversed(counts), None) == data.size - 1
    return HouseholdColumns(
        _ids(data.size),
        data.incomes_cents,
        array("q", counts.values() if ordered else map(counts.__getitem__, range(data.size))),
        data.person_birth_ordinal,
    )


def _ids(size: int) -> Sequence[str]:
    """The households' identifiers: numbered where the engine can take them so (the tree
    of an earlier engine takes a list, formatted here)."""
    try:
        from app.engine.batch.columns import NumberedIds
    except ImportError:
        return list(map(HOUSEHOLD_ID.__mod__, range(size)))
    return NumberedIds(HOUSEHOLD_ID, size)


def _inputs(data: Dataset, mode: str) -> tuple[Any, Any]:
    """``(columns, None)``, or ``(None, facts)`` for ``batch_facts`` and for an engine
    without columns (the session's start), whose one input was ``HouseholdFacts``."""
    columns = build_columns(data) if mode in COLUMN_MODES else None
    return (columns, None) if columns is not None else (None, build_facts(data))


COLUMN_MODES = ("batch", "batch_explain", "explain_read", "explain_fields")


def _run(rules: Any, period: Any, inputs: tuple[Any, Any], explain: bool) -> Any:
    from app.engine.batch import assess_batch

    columns, facts = inputs
    if columns is None:
        return assess_batch(rules, facts, period, explain=explain)
    from app.engine.batch import assess_columns

    return assess_columns(rules, columns, period, explain=explain)


class _People(dict[int, Any]):
    """One ``Person`` per birth date (an ordinal), made when first asked for."""

    def __init__(self, person: Any) -> None:
        super().__init__()
        self.person = person

    def __missing__(self, ordinal: int) -> Any:
        found = self[ordinal] = self.person(date.fromordinal(ordinal))
        return found


def child(mode: str, folder: Path, sample: int) -> dict[str, Any]:
    """One measurement, in this (child) process. ``seconds`` counts building the facts from
    the columns and the engine (``facts_seconds`` of it the facts), as OpenFisca's rate counts
    building its simulation from the same columns."""
    from app.engine import Period, assess, parse_rule_set
    from app.engine.batch import assess_batch
    from app.engine.fund import assess_fund
    from app.engine.rationing import ration

    rules = parse_rule_set(RULES)
    period = Period.parse(PERIOD_TEXT)
    data = read_dataset(folder)
    if mode in ("assess", "explain") and sample < data.size:
        data = data.head(sample)
    result: dict[str, Any] = {"households": data.size}
    started, wall = time.process_time(), time.perf_counter()
    if mode in (*COLUMN_MODES, "batch_facts"):
        inputs = _inputs(data, mode)
    else:
        inputs = (None, build_facts(data))
    facts = inputs[1]
    result["facts_seconds"] = time.process_time() - started
    result["columnar"] = inputs[0] is not None
    if mode in ("batch", "batch_facts"):
        batch = _run(rules, period, inputs, explain=False)
        result["seconds"] = time.process_time() - started
        owed = array("q", (-1 if c is None else c for c in batch.contributions_cents))
        owed.tofile((folder / f"caisse_{mode}_contribution_cents.i64").open("wb"))
        result["fallback"] = len(batch.fallback)
    elif mode in ("batch_explain", "explain_read", "explain_fields"):
        batch = _run(rules, period, inputs, explain=True)
        if mode == "explain_read":  # every explanation built (not rendered)
            result["explained"] = sum(1 for item in batch.explanations if item is not None)
        elif mode == "explain_fields":  # and its fields made (steps, inputs; not rendered)
            result["explained"] = sum(
                len(item.contribution) > 0 for item in batch.explanations if item is not None
            )
        result["seconds"] = time.process_time() - started
        result["fallback"] = len(batch.fallback)
    elif mode in ("assess", "explain"):
        explain = mode == "explain"
        outcomes = [assess(rules, item, period, explain=explain) for item in facts]
        result["seconds"] = time.process_time() - started
        result["assessed"] = sum(1 for o in outcomes if o.credit_cents is not None)
    elif mode == "ration":
        batch = assess_batch(rules, facts, period)
        entitlements = {
            batch.household_ids[i]: c for i, c in enumerate(batch.credits_cents) if c is not None
        }
        budget = sum(entitlements.values()) * 9 // 10
        started, wall = time.process_time(), time.perf_counter()
        granted = ration(entitlements, budget, rules.rationing)
        result["seconds"] = time.process_time() - started
        result["facts_seconds"] = 0.0  # the split alone
        result["exact"] = sum(granted.values()) == budget
    elif mode == "fund":
        budget = _budget(rules, facts, period)
        started2 = time.process_time()
        month = assess_fund(rules, facts, period, budget_cents=budget, explain=False)
        result["seconds"] = time.process_time() - started2 + result["facts_seconds"]
        result["exact"] = month.totals.credits_cents == budget
    result["wall_seconds"] = time.perf_counter() - wall
    result["rate"] = result["households"] / result["seconds"]
    engine = result["seconds"] - result["facts_seconds"]
    result["engine_rate"] = result["households"] / engine if engine > 0 else 0.0
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _budget(rules: Any, facts: list[Any], period: Any) -> int:
    """90 % of the month's credits, so that rationing is needed."""
    from app.engine.batch import assess_batch

    credits = assess_batch(rules, facts, period).credits_cents
    return sum(c for c in credits if c is not None) * 9 // 10


def spawn(
    args: list[str], python: Path | str = sys.executable, tree: Path = ROOT
) -> dict[str, Any]:
    """Run ``python ARGS`` in ``tree`` (its ``app`` and ``bench`` first on the path); the JSON
    it prints last, with the machine's one-minute load average when it ended."""
    env = {**os.environ, **SINGLE_THREAD, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [str(python), *args], cwd=tree, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{args}: {done.stderr[-2000:]}")
    parsed: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return parsed | {"load_1min": round(os.getloadavg()[0], 1)}


def baseline_tree(baseline: Path, into: Path) -> Path:
    """A folder whose ``app`` is the baseline's and whose ``bench`` is this one: the same
    measuring code (and the same construction of the facts) over the earlier engine."""
    (into / "app").symlink_to(baseline.resolve() / "app")
    (into / "bench").symlink_to(ROOT / "bench")
    return into


def compare(folder: Path) -> int:
    """Households whose OpenFisca contribution differs from caisse's exact one."""
    ours = array("q")
    ours.frombytes((folder / "caisse_batch_contribution_cents.i64").read_bytes())
    theirs = array("q")
    theirs.frombytes((folder / "openfisca_contribution_cents.i64").read_bytes())
    return sum(1 for a, b in zip(ours, theirs, strict=True) if a != b)


def _best(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the least CPU (the least disturbed by the other tenants)."""
    return min(results, key=lambda item: item["seconds"]) | {"rounds": len(results)}


def measure(
    size: int,
    seed: int,
    sample: int,
    *,
    modes: tuple[str, ...] = MODES,
    rounds: int = 1,
    openfisca: bool = True,
    baseline: Path | None = None,
) -> dict[str, Any]:
    """Every mode on one dataset of ``size`` households, ``rounds`` times in turn (and, with
    ``baseline``, the earlier engine just before this one each time), then OpenFisca."""
    with tempfile.TemporaryDirectory(prefix="caisse-bench-") as tmp:
        folder = Path(tmp) / "data"
        write_dataset(generate(size, seed), folder)
        trees = {"after": ROOT}
        if baseline is not None:
            (Path(tmp) / "before").mkdir()
            trees = {"before": baseline_tree(baseline, Path(tmp) / "before"), **trees}
        runs: dict[str, dict[str, list[dict[str, Any]]]] = {side: {} for side in trees}
        for _ in range(rounds):
            for mode in modes:
                for side, tree in trees.items():
                    args = ["-m", "bench.engine", "--child", mode, "--data", str(folder)]
                    done = spawn([*args, "--sample", str(sample)], tree=tree)
                    runs[side].setdefault(mode, []).append(done)
                    print(size, side, mode, json.dumps(done), flush=True)
        row: dict[str, Any] = {"size": size}
        for side, found in runs.items():
            row[side] = {mode: _best(results) for mode, results in found.items()}
        if openfisca and OPENFISCA_PYTHON.exists():
            fisca = [
                spawn(
                    [
                        "-m",
                        "bench.openfisca_engine",
                        "--data",
                        str(folder),
                        "--period",
                        PERIOD_TEXT,
                    ],
                    OPENFISCA_PYTHON,
                )
                for _ in range(rounds)
            ]
            row["openfisca"] = min(fisca, key=lambda item: item["seconds"])
            if "batch" in modes:
                row["openfisca"]["differs"] = compare(folder)
            print(size, "-", "openfisca", json.dumps(row["openfisca"]), flush=True)
        return row


def rows_from_log(path: Path) -> list[dict[str, Any]]:
    """The rows of a run, from the lines ``<size> <side> <mode> <json>`` it printed."""
    runs: dict[int, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split(" ", 3)
        if len(parts) < 4 or not parts[0].isdigit() or not parts[3].startswith("{"):
            continue
        size, side, mode, payload = int(parts[0]), parts[1], parts[2], json.loads(parts[3])
        row = runs.setdefault(size, {"size": size})
        if mode == "openfisca":
            row["openfisca"] = payload
        else:
            row.setdefault(side, {}).setdefault(mode, []).append(payload)
    for row in runs.values():
        for side in ("before", "after"):
            if side in row:
                row[side] = {mode: _best(found) for mode, found in row[side].items()}
    return [runs[size] for size in sorted(runs)]


def machine() -> dict[str, str]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def write_engine_section(
    path: Path, rows: list[dict[str, Any]], host: dict[str, str], seed: int
) -> None:
    """Replace this bench's generated block of the "## Engine" section of ``path``; the
    section's other text (dated notes written by people) and other sections are kept."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    path.write_text(replace_generated(text, render(rows, host, seed)), encoding="utf-8")


GENERATED_BEGIN = "<!-- bench.engine: generated by `python -m bench.engine`, replaced by each run -->"
GENERATED_END = "<!-- /bench.engine -->"


def replace_generated(text: str, block: str) -> str:
    """``text`` with the block between ``GENERATED_BEGIN`` and ``GENERATED_END`` replaced by
    ``block``; without them, the block (with its markers) ends the "## Engine" section, or
    starts one at the end of ``text`` when there is none. Nothing else changes: the
    section's dated notes, written by hand, survive every run."""
    fenced = f"{GENERATED_BEGIN}\n{block.strip(chr(10))}\n{GENERATED_END}"
    begin, end = text.find(GENERATED_BEGIN), text.find(GENERATED_END)
    if begin >= 0 and end > begin:
        return text[:begin] + fenced + text[end + len(GENERATED_END) :]
    found = re.search(r"^## Engine[ \t]*$", text, re.M)
    if found is None:
        return text.rstrip("\n") + "\n\n## Engine\n\n" + fenced + "\n"
    following = re.compile(r"^## ", re.M).search(text, found.end())
    cut = following.start() if following is not None else len(text)
    head, rest = text[:cut].rstrip("\n"), text[cut:]
    return head + "\n\n" + fenced + "\n" + ("\n" + rest if rest else "")


def _cell(side: dict[str, Any], mode: str, size: int, key: str = "rate") -> str:
    item = side.get(mode)
    if item is None:
        return "-"
    note = "" if item["households"] == size else f" ({item['households']:,} sampled)"
    return f"{item[key]:,.0f}{note}"


def render(rows: list[dict[str, Any]], host: dict[str, str], seed: int) -> str:
    """The generated block: the like-for-like table (this tree), before/after, goals, notes."""
    lines = [
        f"Measured {host['date']} by `python -m bench.engine` (seed {seed}) on "
        f"{host['cpu']}, {host['cores']} cores (each measurement is one single-threaded "
        f"process: one core), Python {host['python']}. Rule set `bench/common.py` `RULES`: "
        "linear average rate (1 % / 3 % at 1 000 € / 5 % from 2 500 €) on income per "
        "consumption unit, clamped 1-150 €; credit 150 € + 75 € per other person aged 14+ "
        "+ 45 € per child under 14; proportional rationing to 90 % of the credits. "
        "Households of 1-6 persons.",
        "",
        "**Like for like**: every caisse rate counts building its inputs (`HouseholdFacts` and "
        "`Person` objects) from the same int64 columns (incomes, each person's household and "
        "birth date) that OpenFisca builds its simulation from; OpenFisca's counts building "
        "its simulation, its dates included. Households per CPU second (peak RSS MiB):",
        "",
        "| N | caisse from columns, no explanations | of which the engine alone "
        "| building the inputs (columns), share of the time "
        "| caisse from columns, with explanations (built when read) | with / without "
        "| whole fund month (`assess_fund`, rationed) | `assess` one by one, no explanations "
        "| `assess`, with explanations | OpenFisca (float32) | caisse / OpenFisca "
        "| OpenFisca contribution != exact | load (1 min) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        after, fisca, size = row["after"], row.get("openfisca"), row["size"]
        batch = after.get("batch")
        ratio = "-"
        if fisca and batch:
            ratio = f"{batch['rate'] / fisca['households_per_second']:.2f}"
        differs = "-"
        if fisca and "differs" in fisca:
            differs = f"{fisca['differs']:,} ({fisca['differs'] / size:.4%})"
        fisca_rate = (
            f"{fisca['households_per_second']:,.0f} ({fisca['peak_rss_mib']:,.0f})"
            if fisca
            else "-"
        )
        explained = after.get("batch_explain")
        share = f"{explained['rate'] / batch['rate']:.2f}" if explained and batch else "-"
        loads = sorted({item["load_1min"] for item in after.values()})
        rss = f" ({batch['peak_rss_mib']:,.0f})" if batch else ""
        share_facts = f"{batch['facts_seconds'] / batch['seconds']:.0%}" if batch else "-"
        xrss = f" ({explained['peak_rss_mib']:,.0f})" if explained else ""
        lines.append(
            f"| {size:,} | {_cell(after, 'batch', size)}{rss} "
            f"| {_cell(after, 'batch', size, 'engine_rate')} | {share_facts} "
            f"| {_cell(after, 'batch_explain', size)}{xrss} | {share} "
            f"| {_cell(after, 'fund', size)} | {_cell(after, 'assess', size)} "
            f"| {_cell(after, 'explain', size)} | {fisca_rate} | {ratio} | {differs} "
            f"| {loads[0]}-{loads[-1]} |"
            if loads
            else f"| {size:,} | - |"
        )
    if any("before" in row for row in rows):
        lines += ["", *_before_after(rows)]
    lines += ["", *_goals(rows), *NOTES, ""]
    return "\n".join(lines)


def _before_after(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "Before and after in the same run (the same measuring code and facts construction; "
        "`app` of the session's start, then this tree's, in turn), households per CPU "
        "second from columns:",
        "",
        "| N | measure | before | after | after / before |",
        "|---:|---|---:|---:|---:|",
    ]
    for row in rows:
        for mode, item in row.get("after", {}).items():
            old = row.get("before", {}).get(mode)
            if old is None:
                continue
            size = row["size"]
            lines.append(
                f"| {size:,} | {mode} | {_cell(row['before'], mode, size)} "
                f"| {_cell(row['after'], mode, size)} | {item['rate'] / old['rate']:.2f} |"
            )
    return lines


def _goals(rows: list[dict[str, Any]]) -> list[str]:
    """Whether issue 11's goals are met, at the largest N measured."""
    row = rows[-1]
    after, fisca = row["after"], row.get("openfisca")
    verdict = {True: "met", False: "NOT met"}
    found = []
    if "batch" in after and fisca:
        plain, theirs = after["batch"]["rate"], fisca["households_per_second"]
        found.append(
            f"from columns, no explanations, {plain:,.0f}/s against OpenFisca's {theirs:,.0f}/s "
            f"({plain / theirs:.2f}x; goal >= 1: {verdict[plain >= theirs]})"
        )
    if "batch" in after and "batch_explain" in after:
        plain, explained = after["batch"]["rate"], after["batch_explain"]["rate"]
        full = after["batch_explain"]["households"] == row["size"]
        found.append(
            f"with explanations {explained:,.0f}/s on all {row['size']:,} households"
            f" ({explained / plain:.2f} of the plain rate; goal >= 0.5: "
            f"{verdict[full and 2 * explained >= plain]})"
        )
    return [f"Goals (issue 11) at N = {row['size']:,}: " + "; ".join(found) + ".", ""]


NOTES = [
    "- **What earlier versions of this page counted, and why it flattered caisse**: their "
    "headline rate and the *caisse batch / OpenFisca* ratio left out building "
    "`HouseholdFacts` from the columns (then 76-77 % of caisse's time from columns) while "
    "OpenFisca's rate counted building its simulation from the same columns: 1.07x at 1M "
    "there was 0.26x like for like. Their *with explanations* rate at 1M was measured on a "
    "100,000-household sample and quoted in the 1M goal line; it is now measured on all N. "
    "OpenFisca's birth-date conversion (int64 to `datetime64`) was outside its clock; it is "
    "inside now (it costs OpenFisca little: numpy).",
    "- *from columns*: the child reads the columns (not timed, on either side), then the "
    "clock starts: `bench.engine.build_facts` (one `Person` per distinct birth date, shared as "
    "a loader shares them; each household's persons a slice of one tuple; identifiers "
    "formatted; one `HouseholdFacts(...)` call a household, the one constructor, which "
    "checks its facts) and then `app.engine.batch.assess_batch`. *of which the engine "
    "alone* leaves the facts out: it is the figure earlier versions of this page "
    "quoted (see the first note).",
    "- With explanations, the steps are built by the rule nodes themselves, so they "
    "read exactly as `assess`'s (`tests/engine/test_explain_golden.py`), when each is read: "
    "*with explanations* (`batch_explain`) counts a run that can explain every household; "
    "`explain_read` also reads (builds) every explanation.",
    "- *caisse batch* is `app.engine.batch.assess_batch`: exact integer arithmetic, half-up "
    "rounding to the cent, no float anywhere. `assess` one by one is timed on at most "
    "`--sample` households (the general path; the sample is said in the cell).",
    "- *OpenFisca contribution != exact*: households whose OpenFisca contribution (float32, "
    "then rounded half-up to the cent) differs from caisse's exact result.",
    "- Rates are households per CPU second of the measuring process (`time.process_time`), "
    "the fair measure of one core on this shared machine; each figure is the best of the "
    "rounds (the least disturbed), the rounds interleaved (before, after, before, after). "
    "CPU-time rates still drop when the other core's jobs compete for caches and memory: "
    "compare figures measured in the same run. Peak memory is the process's `ru_maxrss` "
    "(dataset, facts and results included).",
]


def install_openfisca() -> None:
    """Create OpenFisca's own environment (``bench/.venv-openfisca``) from the registry."""
    venv = OPENFISCA_PYTHON.parent.parent
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(OPENFISCA_PYTHON), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, OPENFISCA_REQUIREMENT], check=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--sample", type=int, default=100_000)
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated modes")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--baseline", type=Path, help="an earlier source tree, measured too")
    parser.add_argument("--no-openfisca", action="store_true")
    parser.add_argument(
        "--install-openfisca",
        action="store_true",
        help=f"create bench/.venv-openfisca with {OPENFISCA_REQUIREMENT}, then exit",
    )
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", choices=MODES)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--from-log", type=Path, help="re-render the section from a run's log")
    args = parser.parse_args(argv)
    if args.install_openfisca:
        install_openfisca()
        return
    if not args.no_openfisca and not args.child and not OPENFISCA_PYTHON.exists():
        print(
            f"OpenFisca is not measured: {OPENFISCA_PYTHON} is missing "
            "(python -m bench.engine --install-openfisca creates it)",
            file=sys.stderr,
        )
    if args.child:
        print(json.dumps(child(args.child, args.data, args.sample)))
        return
    if args.from_log:
        rows = rows_from_log(args.from_log)
    else:
        sizes = [int(text) for text in args.sizes.split(",")]
        modes = tuple(mode for mode in args.modes.split(",") if mode)
        rows = [
            measure(
                size,
                args.seed,
                args.sample,
                modes=modes,
                rounds=args.rounds,
                openfisca=not args.no_openfisca,
                baseline=args.baseline,
            )
            for size in sizes
        ]
    if not args.no_write:
        write_engine_section(ROOT / "docs" / "benchmarks.md", rows, machine(), args.seed)


if __name__ == "__main__":
    main()
