"""An export's first walk reads no stored entries: it hashes the canonical lines of the
replayed entries and compares the digest with ``entries.jsonl``'s sha256; only when they
differ (or that walk disagrees or fails) is the export walked again, comparing each stored
line. The report is the one the precise walk alone gives, byte for byte but the timing,
on an intact export and on every tampering (``test_parallel.TAMPERINGS`` and more), in one
process and in two; and an intact export is verified without its entries being read."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from app.audit.sources import ExportSource
from app.audit.verify import verify
from app.audit.verify.replay import LinesDigest
from app.engine.books.entries import Entry, Posting
from app.engine.period import Period
from tests.audit.support import rehash_manifest
from tests.audit.test_parallel import TAMPERINGS, Change, _bump_posting, _edit, year

__all__ = ["year"]  # the fixture, shared with test_parallel


def _precise_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Verify as before the digest: no file hash, so every walk compares the stored lines."""
    monkeypatch.setattr(ExportSource, "entries_sha256", lambda self: None)


def _report(directory: Path, jobs: int) -> dict[str, Any]:
    report = verify(ExportSource(directory), jobs=jobs).as_dict()
    del report["duration_seconds"], report["records_per_second"]
    return report


def _drop_entry_line(directory: Path) -> None:
    path = directory / "entries.jsonl"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    del lines[120]
    path.write_text("".join(lines), "utf-8")


def _entries_and_journal(directory: Path) -> None:
    """A posting changed early, a record's actor late: the precise walk meets the posting
    first, while the first walk (which reads no entries) stops at the record."""
    _edit("entries.jsonl", 20, _bump_posting)(directory)
    _edit("journal.jsonl", -3, lambda x: x.replace('"actor":"', '"actor":"x', 1))(directory)


MORE: dict[str, Change] = {
    "an entry line respaced (same content)": lambda d: (
        _edit("entries.jsonl", 40, lambda x: json.dumps(json.loads(x), indent=1)
              .replace("\n", ""))(d), rehash_manifest(d, "entries.jsonl")),
    "an entry line missing": _drop_entry_line,
    "no entries file": lambda d: (d / "entries.jsonl").unlink(),
    "a blank line in the entries": lambda d: _edit("entries.jsonl", 10, lambda x: x + "\n")(d),
    "a posting early, a record late": _entries_and_journal,
}


@pytest.mark.parametrize("name", sorted({**TAMPERINGS, **MORE}))
def test_the_digest_first_gives_the_precise_walks_report(
    year: Path, tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(year, copy)
    {**TAMPERINGS, **MORE}[name](copy)
    reports = [_report(copy, 1), _report(copy, 2)]
    with monkeypatch.context() as patched:
        _precise_only(patched)
        precise = _report(copy, 1)
    assert reports == [precise, precise]
    if name == "a posting early, a record late":
        assert precise["first_disagreement"]["table"] == "posting"


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_intact_export_is_verified_without_reading_its_entries(
    year: Path, jobs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unread(self: ExportSource) -> Any:
        raise AssertionError("the stored entries were read")

    monkeypatch.setattr(ExportSource, "entry_lines", unread)
    monkeypatch.setattr(ExportSource, "entries", unread)
    assert verify(ExportSource(year), jobs=jobs).ok


def test_a_journal_line_that_cannot_be_read_raises_the_precise_walks_error(
    year: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(year, copy)
    _edit("journal.jsonl", 200, lambda x: x[:-5])(copy)
    errors = []
    for precise in (False, True):
        with monkeypatch.context() as patched:
            if precise:
                _precise_only(patched)
            with pytest.raises(ValueError) as caught:
                verify(ExportSource(copy), jobs=1)
        errors.append(str(caught.value))
    assert errors[0] == errors[1]


def test_the_digest_is_the_sha256_of_the_lines_the_export_writes(year: Path) -> None:
    assert LinesDigest().hexdigest() == hashlib.sha256(b"").hexdigest()
    entry = Entry("7.0", 7, Period(2026, 1), "purchase", "purchase p1 café",
                  (Posting("419:hh", 250), Posting("401:m", -250)))
    digest = LinesDigest()
    digest.add((entry, entry))
    line = ('{"entry_id":"7.0","kind":"purchase","memo":"purchase p1 café","period":"2026-01",'
            '"postings":[["419:hh",250],["401:m",-250]],"reverses":null,"seq":7}\n')
    assert digest.hexdigest() == hashlib.sha256((line * 2).encode("utf-8")).hexdigest()
    manifest = json.loads((year / "manifest.json").read_text("utf-8"))
    assert ExportSource(year).entries_sha256() == manifest["files"]["entries.jsonl"]
