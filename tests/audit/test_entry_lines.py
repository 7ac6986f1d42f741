"""The verifier compares an export's entries as text: ``entry_line`` is byte for byte what the
export writer writes, a line with other spacing or key order but the same values still
verifies, and a line whose values differ is named as before."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from app.audit.export import ExportWriter
from app.audit.sources import ExportSource, entry_line, entry_of_line
from app.audit.verify import verify
from app.engine.books.entries import Entry, Posting
from app.engine.period import Period
from bench.ledger_year import generate
from tests.audit.support import rehash_manifest

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
entries = st.builds(
    Entry,
    texts, st.integers(1, 10**9),
    st.builds(Period, st.integers(1900, 9999), st.integers(1, 12)),
    texts, texts,
    st.lists(st.builds(Posting, texts, st.integers(-(10**15), 10**15)), max_size=4).map(tuple),
    st.one_of(st.none(), texts),
)


@given(entry=entries)
def test_entry_line_is_exactly_what_the_export_writes(entry: Entry) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        writer = ExportWriter(Path(tmp))
        writer.entries([entry])
        writer.finish()
        written = (Path(tmp) / "entries.jsonl").read_bytes()
    assert written == entry_line(entry).encode("utf-8") + b"\n"
    assert entry_of_line(entry_line(entry)) == entry


def _year(tmp_path: Path) -> Path:
    directory = tmp_path / "export"
    generate(directory, households=20, months=1, purchases=2)
    return directory


def _rewrite(directory: Path, entry_id: str, change: object) -> None:
    path = directory / "entries.jsonl"
    lines = path.read_text("utf-8").splitlines()
    index = next(i for i, text in enumerate(lines) if f'"entry_id":"{entry_id}"' in text)
    lines[index] = change(lines[index])  # type: ignore[operator]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    rehash_manifest(directory, "entries.jsonl")  # the content is judged, not the bytes


def test_an_entry_line_with_other_spacing_and_key_order_but_the_same_values_verifies(
    tmp_path: Path,
) -> None:
    directory = _year(tmp_path)
    purchase = next(entry_of_line(text) for text in
                    (directory / "entries.jsonl").read_text("utf-8").splitlines()
                    if '"kind":"purchase"' in text)

    def reorder(text: str) -> str:
        data = json.loads(text)
        return json.dumps(dict(reversed(list(data.items()))), indent=None)  # seq first

    _rewrite(directory, purchase.entry_id, reorder)
    assert verify(ExportSource(directory)).ok


def test_an_entry_line_whose_memo_differs_is_named_at_its_seq(tmp_path: Path) -> None:
    directory = _year(tmp_path)
    text = next(text for text in (directory / "entries.jsonl").read_text("utf-8").splitlines()
                if '"kind":"purchase"' in text)
    entry = entry_of_line(text)
    _rewrite(directory, entry.entry_id, lambda line: line.replace('"memo":"purchase ',
                                                                  '"memo":"purchasE ', 1))
    report = verify(ExportSource(directory))
    assert report.disagreement is not None
    assert report.disagreement.seq == entry.seq
    assert report.disagreement.table == "ledger_entry"
    assert report.disagreement.row == f"entry_id={entry.entry_id}"
    assert report.disagreement.reason.startswith("memo is 'purchasE ")
