"""RFC 9162 Merkle trees: the Certificate Transparency reference roots and audit paths (the
test vectors published with RFC 6962's reference implementation, which RFC 9162 keeps), and
properties: every leaf's path proves it, nothing else does."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.engine import merkle

# Leaves, then the tree head for each size 1..8 (size 0: SHA-256 of nothing).
LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# Audit paths in the tree of all 8 leaves (same reference).
PATHS = {
    0: [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    5: [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
HASHES = [merkle.leaf_hash(leaf) for leaf in LEAVES]


def test_the_reference_tree_heads_for_every_size() -> None:
    for size in range(len(LEAVES) + 1):
        assert merkle.root(HASHES[:size]).hex() == ROOTS[size], size


def test_the_reference_audit_paths() -> None:
    for index, expected in PATHS.items():
        path = merkle.inclusion_path(HASHES, index)
        assert [node.hex() for node in path] == expected
        assert merkle.root_from_path(HASHES[index], index, 8, path) == merkle.root(HASHES)


def test_a_path_proves_its_leaf_only_at_its_index_and_size() -> None:
    path = merkle.inclusion_path(HASHES, 5)
    root = merkle.root(HASHES)
    assert merkle.root_from_path(HASHES[4], 5, 8, path) != root  # another leaf
    assert merkle.root_from_path(HASHES[5], 4, 8, path) != root  # another index
    # Another size: 6 is refused; 7 gives the same shape of path for index 5, which is why
    # the signed checkpoint states the number of statements (app.audit.inclusion checks it).
    assert merkle.root_from_path(HASHES[5], 5, 6, path) != root
    assert merkle.root_from_path(HASHES[5], 8, 8, path) is None  # outside the tree
    assert merkle.root_from_path(HASHES[5], 5, 8, [*path, path[0]]) is None  # too long


@given(st.lists(st.binary(max_size=8), min_size=1, max_size=40), st.data())
def test_every_leaf_is_proved_and_a_changed_leaf_is_not(
    leaves: list[bytes], data: st.DataObject
) -> None:
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    root = merkle.root(hashes)
    index = data.draw(st.integers(0, len(leaves) - 1))
    path = merkle.inclusion_path(hashes, index)
    assert merkle.root_from_path(hashes[index], index, len(leaves), path) == root
    changed = merkle.leaf_hash(leaves[index] + b"!")
    assert merkle.root_from_path(changed, index, len(leaves), path) != root


def test_statement_leaves_follow_the_journal_then_the_lines() -> None:
    first = {
        "period": "2026-11",
        "rule_set_hash": "sha256:r",
        "households": [{"household_id": "hh_a", "status": "assessed", "credit_cents": 10_000}],
    }
    second = {
        "period": "2026-11",
        "rule_set_hash": "sha256:r",
        "households": [{"household_id": "hh_b", "status": "needs_data"}],
    }
    leaves = merkle.statement_leaves([first, second])
    assert [owner for owner, _ in leaves] == ["hh_a", "hh_b"]
    assert leaves[0][1] == (
        b'{"credit_cents":10000,"format":"caisse.statement/1","household_id":"hh_a",'
        b'"period":"2026-11","rule_set_hash":"sha256:r","status":"assessed"}'
    )
    root, size = merkle.month_tree([first, second])
    assert (root, size) == (merkle.root([merkle.leaf_hash(d) for _, d in leaves]).hex(), 2)
