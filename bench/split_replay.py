"""Replay cost of the till's split purchases (``"split": true``) against plain ones.

A split purchase the credit covers gives the same effects as a plain one, but its payload
has one more field. This measures what that costs per purchase replayed: N purchases on
MemoryBooks through ``apply`` (the one path), plain then split.

    .venv/bin/python -m bench.split_replay [N]
"""

from __future__ import annotations

import sys
import time
from typing import Any

from app.engine.books import Command, MemoryBooks, apply


def _books(households: int) -> MemoryBooks:
    books = MemoryBooks()
    seq = 0

    def do(kind: str, payload: dict[str, Any]) -> None:
        nonlocal seq
        seq += 1
        books.commit(apply(books, Command(kind, payload), seq))

    for i in range(households):
        do("enrol_household", {"household_id": f"hh{i:04d}", "from_period": "2026-01",
                               "facts_commitment": "c"})  # fmt: skip
    do("approve_merchant", {"merchant_id": "m1", "categories": {"food": "1"},
                            "valid_from": "2026-01-01", "valid_until": None})  # fmt: skip
    do("record_funding", {"funder_id": "city", "kind": "subsidy", "amount_cents": 10**12,
                          "reference": "r", "received_on": "2026-01-02", "dedicated": False})  # fmt: skip
    lines = [
        {"household_id": f"hh{i:04d}", "status": "assessed", "contribution_cents": 0,
         "credit_cents": 10**7, "funder_share_cents": 0, "funder_id": None,
         "facts_commitment": "c"}
        for i in range(households)
    ]  # fmt: skip
    policy = {"policy": "none", "after_months": None, "cap_cents": None}
    do(
        "run_month",
        {
            "period": "2026-01",
            "rule_set_hash": "sha256:rules",
            "chunk": 0,
            "households": lines,
            "rationing": None,
            "unspent_credit": policy,
        },
    )
    return books


def _replay(n: int, split: bool) -> float:
    books = _books(100)
    start = time.perf_counter()
    for i in range(n):
        payload: dict[str, Any] = {
            "purchase_id": f"p{i}", "household_id": f"hh{i % 100:04d}", "merchant_id": "m1",
            "category": "food", "amount_cents": 1_000, "on": "2026-01-10", "period": "2026-01",
        }  # fmt: skip
        if split:
            payload["split"] = True
        books.commit(apply(books, Command("purchase", payload), 1_000 + i))
    return time.perf_counter() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    for split in (False, True, False, True):
        seconds = _replay(n, split)
        kind = "split" if split else "plain"
        print(f"{kind:5} N={n}: {seconds:.2f} s, {1e6 * seconds / n:.1f} µs per purchase")


if __name__ == "__main__":
    main()
