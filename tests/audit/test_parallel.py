"""``verify(source, jobs=2)`` (a second process reads, decodes and hash-chains the journal
while this one replays) gives the same report as ``jobs=1``, byte for byte but the timing, on
an intact export and on every kind of tampering, and raises the same error where the export
cannot be read; ``read_in_child`` gives exactly the producer's items, then its error."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.audit.sources import ExportSource, read_in_child
from app.audit.verify import PARALLEL_MIN_BYTES, default_jobs, verify
from app.engine.books.journal import GENESIS_HASH, record_hash
from bench.ledger_year import generate
from tests.audit.support import rehash_manifest, run_cli

Change = Callable[[Path], None]


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("parallel") / "export"
    generate(directory, households=30, months=2, purchases=3)
    return directory


def _report(directory: Path, jobs: int) -> dict[str, Any]:
    report = verify(ExportSource(directory), jobs=jobs).as_dict()
    del report["duration_seconds"], report["records_per_second"]
    return report


def _edit(name: str, index: int, change: Callable[[str], str]) -> Change:
    def apply(directory: Path) -> None:
        path = directory / name
        lines = path.read_text("utf-8").splitlines()
        lines[index] = change(lines[index])
        path.write_text("".join(line + "\n" for line in lines), "utf-8")
    return apply


def _bump_amount(line: str) -> str:
    data = json.loads(line)
    data["payload"]["amount_cents"] += 1
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def _bump_posting(line: str) -> str:
    data = json.loads(line)
    data["postings"][0][1] += 1
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def _purchase_index(directory: Path) -> int:
    lines = (directory / "journal.jsonl").read_text("utf-8").splitlines()
    return next(i for i, line in enumerate(lines) if '"kind":"purchase"' in line)


def _rechain(directory: Path, change: Callable[[list[dict[str, Any]]], None]) -> None:
    """Change records, then recompute every hash after them, as a forger would."""
    path = directory / "journal.jsonl"
    records = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    change(records)
    prev = GENESIS_HASH
    for record in records:
        record["prev_hash"] = prev
        record["hash"] = prev = record_hash(record)
    path.write_text("".join(json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n"
                            for r in records), "utf-8")


def _overdraw(records: list[dict[str, Any]]) -> None:
    purchase = next(r for r in records if r["kind"] == "purchase")
    purchase["payload"]["amount_cents"] = 10**9


def _pay_twice_as_much(records: list[dict[str, Any]]) -> None:
    payment = next(r for r in records if r["kind"] == "record_payment")
    payment["payload"]["amount_cents"] *= 2


def _truncate(directory: Path) -> None:
    path = directory / "journal.jsonl"
    lines = path.read_text("utf-8").splitlines()
    path.write_text("".join(line + "\n" for line in lines[:-40]), "utf-8")


def _orphan(directory: Path) -> None:
    path = directory / "entries.jsonl"
    last = json.loads(path.read_text("utf-8").splitlines()[-1])
    last["seq"] += 1000
    last["entry_id"] = f"{last['seq']}.0"
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(last, sort_keys=True, separators=(",", ":")) + "\n")


TAMPERINGS: dict[str, Change] = {
    "intact": lambda directory: None,
    "a record's actor": _edit("journal.jsonl", 100, lambda x: x.replace('"actor":"', '"actor":"x', 1)),
    "a purchase amount (chain broken there)": lambda d: _edit(
        "journal.jsonl", _purchase_index(d), _bump_amount)(d),
    "a posting": _edit("entries.jsonl", 300, _bump_posting),
    "a balance": _edit("balances.jsonl", 3, lambda x: x.replace('"balance_cents":', '"balance_cents":1', 1)),
    "a lot": _edit("lots.jsonl", 2, lambda x: x.replace('"granted_cents":', '"granted_cents":1', 1)),
    "a marker": _edit("month_credits.jsonl", 1, lambda x: x.replace('"period":"', '"period":"1', 1)),
    "a checkpoint": _edit("checkpoints.jsonl", 0, lambda x: x.replace('"journal_size":', '"journal_size":1', 1)),
    "the journal cut short": _truncate,
    "a purchase over the credit, chain recomputed": lambda d: _rechain(d, _overdraw),
    "a payment doubled, chain recomputed": lambda d: _rechain(d, _pay_twice_as_much),
    "entries after the last record": _orphan,
    "a journal line respaced (same content)": lambda d: _rehashed(d, _edit(
        "journal.jsonl", 50, lambda x: json.dumps(json.loads(x), indent=None))),
}


def _rehashed(directory: Path, change: Change) -> None:
    """``change``, then the manifest's sha256 of the journal made to match (only the lines'
    content is judged, not their bytes)."""
    change(directory)
    rehash_manifest(directory, "journal.jsonl")


@pytest.mark.parametrize("name", sorted(TAMPERINGS))
def test_two_processes_give_the_report_of_one(year: Path, tmp_path: Path, name: str) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(year, copy)
    TAMPERINGS[name](copy)
    one, two = _report(copy, 1), _report(copy, 2)
    assert two == one
    assert one["ok"] == (name in ("intact", "a journal line respaced (same content)"))
    if "recomputed" in name:
        disagreement = one["first_disagreement"]
        assert disagreement["table"] == ("journal" if "purchase" in name else "posting")
        assert ("refuses this purchase" in disagreement["reason"]) == ("purchase" in name)


@pytest.mark.parametrize("name", ["journal.jsonl", "entries.jsonl", "lots.jsonl"])
def test_an_unreadable_line_raises_the_same_error_in_both(year: Path, tmp_path: Path,
                                                          name: str) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(year, copy)
    _edit(name, 200 if name != "lots.jsonl" else 1, lambda x: x[:-5])(copy)
    errors = []
    for jobs in (1, 2):
        with pytest.raises(ValueError) as caught:
            verify(ExportSource(copy), jobs=jobs)
        errors.append((type(caught.value), str(caught.value)))
    assert errors[0] == errors[1]


def _numbers(limit: int) -> Iterator[int]:
    yield from range(limit)
    raise KeyError("no more")


def test_read_in_child_yields_every_item_in_order_then_the_error() -> None:
    got: list[int] = []
    with pytest.raises(KeyError, match="no more"):
        for item in read_in_child(5000, _numbers):
            got.append(item)
    assert got == list(range(5000))


def _forever(start: int) -> Iterator[int]:
    while True:
        yield start
        start += 1


def test_closing_early_stops_the_reading_process() -> None:
    items = read_in_child(0, _forever)
    assert [next(items) for _ in range(3)] == [0, 1, 2]
    items.close()  # terminates the child: would otherwise run for minutes


def test_one_process_for_a_small_export_or_a_database(year: Path) -> None:
    assert (year / "journal.jsonl").stat().st_size < PARALLEL_MIN_BYTES
    assert default_jobs(ExportSource(year)) == 1

    class Db:
        name = "database"
        expected_head = None

    assert default_jobs(Db()) == 1  # type: ignore[arg-type]


def test_the_command_takes_jobs_and_prints_the_same_report(
    year: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(year, copy)
    _edit("entries.jsonl", 300, _bump_posting)(copy)
    reports = []
    for jobs in ("1", "2"):
        code, report = run_cli(capsys, "verify", "--export", str(copy), "--jobs", jobs)
        del report["duration_seconds"], report["records_per_second"]
        reports.append((code, report))
    assert reports[0] == reports[1]
    assert reports[0][0] == 1
    with pytest.raises(SystemExit):
        run_cli(capsys, "verify", "--export", str(copy), "--jobs", "0")


def test_a_table_read_ahead_raises_only_where_the_walk_would_read_it(
    year: Path, tmp_path: Path
) -> None:
    """A lot that differs is named before the unreadable marker file is read, in both."""
    copy = tmp_path / "copy"
    shutil.copytree(year, copy)
    _edit("lots.jsonl", 2, lambda x: x.replace('"granted_cents":', '"granted_cents":1', 1))(copy)
    _edit("month_credits.jsonl", 1, lambda x: x[:-3])(copy)
    one, two = _report(copy, 1), _report(copy, 2)
    assert two == one
    assert one["first_disagreement"]["table"] == "credit_lot"
    _edit("lots.jsonl", 2, lambda x: x.replace('"granted_cents":1', '"granted_cents":', 1))(copy)
    for jobs in (1, 2):
        with pytest.raises(ValueError, match="Expecting"):
            verify(ExportSource(copy), jobs=jobs)


def test_of_two_lots_that_differ_the_first_in_journal_order_is_named(
    year: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(year, copy)
    lots = [json.loads(x) for x in (copy / "lots.jsonl").read_text("utf-8").splitlines()]
    first, last = sorted(lots[5:40], key=lambda r: (int(r["lot_id"].split(".")[0]), r["lot_id"]))[::34]
    for row in (last, first):  # the later one first in the file
        index = lots.index(row)
        _edit("lots.jsonl", index, lambda x: x.replace('"granted_cents":', '"granted_cents":1', 1))(copy)
    for jobs in (1, 2):
        assert _report(copy, jobs)["first_disagreement"]["row"] == f"lot_id={first['lot_id']}"
