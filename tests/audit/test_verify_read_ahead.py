"""The replay reads a plain purchase's or payment's payload ahead (``feed``, in the reading
process when there are two) and applies its values (``core.READ_AHEAD``): what ``feed``
gives for each shape of payload, and that the kinds the walk notes are never read ahead."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from app.audit.verify.replay import _NOTED, feed
from app.engine.books.core import READ_AHEAD
from app.engine.books.entries import Entry
from app.engine.books.journal import FORMAT, GENESIS_HASH, record_bytes, record_hash
from tests.engine.test_books_support import buy, payment


class _Journal:
    """Well-chained records, with their stored bytes, of these ``(kind, payload)``."""

    def __init__(self, commands: tuple[tuple[str, Any], ...]) -> None:
        self._records: list[tuple[dict[str, Any], bytes]] = []
        prev = GENESIS_HASH
        for seq, (kind, payload) in enumerate(commands, 1):
            record = {"format": FORMAT, "seq": seq, "recorded_at": "t", "actor": "a",
                      "kind": kind, "idempotency_key": f"k{seq}", "payload": payload,
                      "prev_hash": prev}
            record["hash"] = prev = record_hash(record)
            self._records.append((record, record_bytes(record)))

    def hashed_records(self) -> Iterator[tuple[dict[str, Any], bytes | None]]:
        return iter(self._records)

    def entries(self) -> Iterator[tuple[int, tuple[Entry, ...]]]:
        return iter(())


def _payloads(*commands: tuple[str, Any]) -> list[Any]:
    items = list(feed(_Journal(commands)))
    assert all(item[0] is True for item in items)  # every chain link checked, in ``feed``
    return [item[2] for item in items]


def test_a_plain_purchase_and_payment_come_as_their_values_anything_else_as_sent() -> None:
    split = {**buy("p2", "hh_a", "m1", 400), "split": True}
    late = buy("p3", "hh_a", "m1", 400, on="2026-02-01") | {"period": "2026-01"}
    odd = [1, 2]
    assert _payloads(
        ("purchase", buy("p1", "hh_a", "m1", 250, on="2026-03-04")),
        ("record_payment", payment("hh_a", 300)),
        ("purchase", split),
        ("purchase", late),
        ("purchase", odd),
        ("run_month", {"period": "2026-01"}),
    ) == [
        ("p1", "hh_a", "m1", "food", 250, "2026-03-04", "2026-03"),
        ("hh_a", 300, "transfer", "ref", "2026-01-05"),
        split,
        late,
        odd,
        {"period": "2026-01"},
    ]


def test_no_kind_the_walk_notes_is_read_ahead() -> None:
    # ``_note`` reads the payload of these kinds as a mapping, never as values.
    assert not _NOTED & READ_AHEAD.keys()
    assert set(READ_AHEAD) == {"purchase", "record_payment"}
