"""Eligibility filters: who may receive credit. Failing them is an explicit outcome."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.engine.explain import Step
from app.engine.problems import Problem
from app.engine.resources import Context
from app.engine.rules.reader import Reader


@dataclass(frozen=True, slots=True)
class Eligibility:
    """INTERFACE (to be completed): ``check`` returns the reasons a household is not eligible."""

    path: str

    def check(self, ctx: Context, trace: list[Step] | None) -> tuple[Problem, ...]:
        return ()


def parse_eligibility(reader: Reader, value: Any, path: str) -> Eligibility | None:
    return Eligibility(path)
