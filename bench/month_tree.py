"""Cost of a sealed month's Merkle tree (app.engine.merkle): what a seal (and the verifier at
each seal) adds, and what one member's proof costs to build and to check.

N household lines in one month's ``run_month`` payloads (chunks of 1 000, the lines a real
run carries): the month root and count (``month_tree``: canonical JSON of each line, leaf
hashes, the RFC 9162 tree), then one inclusion path and its verification.

    .venv/bin/python -m bench.month_tree [N ...]
"""

from __future__ import annotations

import sys
import time
from typing import Any

from app.engine import merkle

CHUNK = 1_000


def payloads(households: int) -> list[dict[str, Any]]:
    lines = [
        {
            "household_id": f"hh{i:07d}",
            "status": "assessed",
            "contribution_cents": 1_000 + i % 5_000,
            "credit_cents": 10_000 + i % 20_000,
            "funder_share_cents": 0,
            "facts_commitment": "sha256:" + f"{i:064x}",
        }
        for i in range(households)
    ]
    return [
        {
            "period": "2026-11",
            "rule_set_hash": "sha256:" + "ab" * 32,
            "chunk": n,
            "households": lines[start : start + CHUNK],
        }
        for n, start in enumerate(range(0, households, CHUNK))
    ]


def measure(households: int) -> dict[str, float]:
    month = payloads(households)
    started = time.perf_counter()
    root, size = merkle.month_tree(month)
    tree = time.perf_counter() - started
    started = time.perf_counter()
    leaves = merkle.statement_leaves(month)
    hashes = [merkle.leaf_hash(data) for _, data in leaves]
    index = size // 3
    path = merkle.inclusion_path(hashes, index)
    proof = time.perf_counter() - started
    started = time.perf_counter()
    again = merkle.root_from_path(hashes[index], index, size, path)
    check = time.perf_counter() - started
    assert again is not None and again.hex() == root
    return {"tree_s": tree, "proof_s": proof, "check_ms": check * 1000, "path": len(path)}


def main(argv: list[str]) -> None:
    for households in [int(a) for a in argv] or [10_000, 100_000]:
        for run in (1, 2):
            found = measure(households)
            print(
                f"N={households} run {run}: month_tree {found['tree_s']:.3f} s, "
                f"proof (leaves + path) {found['proof_s']:.3f} s, "
                f"check {found['check_ms']:.3f} ms, path {found['path']:.0f} nodes"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
