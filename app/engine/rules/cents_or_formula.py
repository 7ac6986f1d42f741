"""An amount a rule may write either as whole cents or as a formula node.

Guarantees: ``<name>_cents`` and ``<name>`` are never both accepted; whole cents are read
by ``Reader.cents`` (>= 0); a formula by ``parse_node``; every problem has its path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.engine.exact import Q
from app.engine.explain import Step
from app.engine.resources import Context
from app.engine.rules.nodes import Kinds, Node, parse_node
from app.engine.rules.reader import Reader


@dataclass(frozen=True, slots=True)
class Amount:
    """An amount written either as whole cents or as a formula node."""

    cents: int | None
    node: Node | None

    def value(self, ctx: Context, trace: list[Step] | None) -> Q:
        if self.node is not None:
            return self.node.evaluate(ctx, trace)
        return (self.cents or 0, 1)


def read_amount(
    reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds, name: str
) -> tuple[bool, Amount | None]:
    """``<name>_cents`` (whole cents) or ``<name>`` (a formula); (ok, amount or None if absent)."""
    cents_key = f"{name}_cents"
    if cents_key in doc and name in doc:
        reader.add(f"{path}.{name}", f"give either {cents_key} or {name}, not both")
        return False, None
    if cents_key in doc:
        amount = reader.cents(doc, cents_key, path)
        return amount is not None, Amount(amount, None) if amount is not None else None
    if name in doc:
        node = parse_node(reader, doc[name], f"{path}.{name}", kinds)
        return node is not None, Amount(None, node) if node is not None else None
    return True, None
