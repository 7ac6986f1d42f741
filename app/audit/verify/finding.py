"""``Disagreement``: what every check of the verifier returns when storage and replay differ.

A finding names the journal seq where an auditor should look, the table and row that differ,
and why (``account``: the account concerned, when there is one). It is the only thing the
checks share, so it has a module of its own that imports nothing of the verifier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Disagreement:
    seq: int
    table: str
    row: str
    reason: str
    account: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"seq": self.seq, "table": self.table, "row": self.row,
                               "reason": self.reason}
        if self.account is not None:
            out["account"] = self.account
        return out
