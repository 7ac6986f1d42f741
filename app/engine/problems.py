"""Structured problems and engine errors. No HTTP codes here: the shell translates.

A ``Problem`` names where (a path such as ``contribution.brackets[2].to_cents``), what was
found, and what was expected, in words a committee member can act on. Validators collect
every problem and raise once (``RuleSetInvalid``), never stopping at the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input, located by ``path``."""

    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in self.problems))


class RuleSetInvalid(EngineError):
    """A rule document failed validation; ``problems`` lists every issue found."""


class InvalidInput(EngineError):
    """Household facts or a command's input are malformed or out of bounds."""


def join_path(base: str, key: str | int) -> str:
    """Extend a problem path: ``join_path("a", "b") -> "a.b"``, ``join_path("a", 2) -> "a[2]"``."""
    if isinstance(key, int):
        return f"{base}[{key}]"
    return f"{base}.{key}" if base else key
