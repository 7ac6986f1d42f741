"""The node protocol: a rule formula is a tree of nodes compiled from the document.

A node turns one household's ``Context`` into an exact amount (``Q``, in cents). Nodes are
frozen values built once per rule set; ``evaluate`` is the per-household hot path, so it
works on integers and appends explanation ``Step``s only when ``trace`` is a list.

Kinds register a parser in ``CONTRIBUTION_KINDS`` or ``CREDIT_KINDS`` (or both); the parser
reads its part of the document through a ``Reader`` (collecting every problem) and returns
a node, or ``None`` when the part is invalid.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from app.engine.exact import Q
from app.engine.explain import Step
from app.engine.problems import Problem
from app.engine.resources import Context
from app.engine.rules.reader import Reader


class Node(Protocol):
    """An amount-producing clause of a rule set."""

    @property
    def path(self) -> str:
        """Where the clause sits in the document, e.g. ``contribution.formula.of``."""
        ...

    def evaluate(self, ctx: Context, trace: list[Step] | None) -> Q:
        """The exact amount in cents for this household; may raise ``NeedsData`` or ``Rejected``."""
        ...


class Rejected(Exception):
    """The household's own input is refused by a clause (e.g. a free choice out of bounds)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(f"{problem.path}: {problem.message}")


NodeParser = Callable[[Reader, Mapping[str, Any], str, "Kinds"], "Node | None"]
Kinds = dict[str, NodeParser]

CONTRIBUTION_KINDS: Kinds = {}
CREDIT_KINDS: Kinds = {}


def parse_node(reader: Reader, value: Any, path: str, kinds: Kinds) -> Node | None:
    """Parse one formula node, dispatching on its ``kind``; problems go to ``reader``."""
    doc = reader.mapping(value, path)
    if doc is None:
        return None
    kind = doc.get("kind")
    if not isinstance(kind, str) or kind not in kinds:
        allowed = ", ".join(sorted(kinds))
        reader.add(f"{path}.kind", f"expected one of {allowed}; got {kind!r}")
        return None
    return kinds[kind](reader, doc, path, kinds)
