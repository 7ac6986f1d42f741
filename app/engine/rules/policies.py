"""Fund-level policies declared in a rule set: unspent credit and rationing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.engine.rules.reader import Reader


@dataclass(frozen=True, slots=True)
class UnspentCreditPolicy:
    """INTERFACE (to be completed): policy is "none", "expire" or "carry_over_cap"."""

    policy: str = "none"
    after_months: int | None = None
    cap_cents: int | None = None


@dataclass(frozen=True, slots=True)
class RationingPolicy:
    """INTERFACE (to be completed): how credits are cut when the budget is short."""

    method: str = "proportional"


def parse_unspent_credit(reader: Reader, value: Any, path: str) -> UnspentCreditPolicy:
    return UnspentCreditPolicy()


def parse_rationing(reader: Reader, value: Any, path: str) -> RationingPolicy:
    return RationingPolicy()
