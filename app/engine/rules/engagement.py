"""Engagement (hours of participation): conditions, contribution offsets, credit bonuses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.engine.explain import Step
from app.engine.resources import Context
from app.engine.rules.reader import Reader


@dataclass(frozen=True, slots=True)
class Engagement:
    """INTERFACE (to be completed)."""

    path: str

    def adjust_contribution(self, ctx: Context, amount_cents: int, trace: list[Step] | None) -> int:
        return amount_cents

    def adjust_credit(self, ctx: Context, amount_cents: int, trace: list[Step] | None) -> int:
        return amount_cents


def parse_engagement(reader: Reader, value: Any, path: str) -> Engagement | None:
    return Engagement(path)
