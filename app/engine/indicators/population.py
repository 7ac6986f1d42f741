"""The households of a table as bits: a set of households is an ``int`` bitmask.

At 100,000 households a year holds hundreds of household sets (every cell's, every month);
as Python sets of ids they took gigabytes, as bitmasks 12.5 KB each, and a union is one
``|``. ``Population`` numbers every household of the table's months in ascending id order
(so the numbering, and every result, is independent of input order); ``count`` is the
number of households in a mask.
"""

from __future__ import annotations

from collections.abc import Iterable


class Population:
    """Household id -> bit index, for every id the table may meet."""

    __slots__ = ("_bytes", "_index", "_memo")

    def __init__(self, ids: Iterable[str]) -> None:
        # Each id's byte and bit, precomputed: ``mask`` runs once per id per cell.
        ordered = sorted(set(ids))
        self._index = {hh: (i >> 3, 1 << (i & 7)) for i, hh in enumerate(ordered)}
        self._bytes = len(ordered) // 8 + 1
        self._memo: dict[int, tuple[frozenset[str], int]] = {}

    def mask(self, ids: Iterable[str]) -> int:
        """The bitmask of ``ids`` (each must belong to the population)."""
        bits = bytearray(self._bytes)
        index = self._index
        for household_id in ids:
            byte, bit = index[household_id]
            bits[byte] |= bit
        return int.from_bytes(bits, "little")

    def mask_of(self, ids: frozenset[str]) -> int:
        """``mask(ids)`` computed once for a set read by several modules."""
        found = self._memo.get(id(ids))
        if found is None or found[0] is not ids:
            found = self._memo[id(ids)] = (ids, self.mask(ids))
        return found[1]


def count(mask: int) -> int:
    return mask.bit_count()
