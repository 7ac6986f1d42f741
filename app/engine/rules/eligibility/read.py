"""Reading leaf eligibility conditions from a rule document, every problem with its path.

A mapping with two bounds (``persons_at_least`` and ``persons_at_most``, or ``at_least`` and
``at_most`` on a base) gives two leaves that must both hold; ``base: persons`` is read as a
persons bound, since the persons count is not money.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from app.engine.resources import BASES
from app.engine.rules.eligibility.leaves import (
    AttributeIn,
    BaseBound,
    ChildrenAtLeast,
    Leaf,
    PersonsBound,
)
from app.engine.rules.reader import Reader

LEAF_KEYS = (
    "children_at_least",
    "child_age_below",
    "persons_at_least",
    "persons_at_most",
    "base",
    "at_least",
    "at_most",
    "attribute",
    "equals",
    "in",
)


def parse_leaf(reader: Reader, doc: Mapping[str, Any], path: str) -> list[Leaf] | None:
    """The leaf condition(s) of one mapping (a pair of bounds gives two, both required), or
    None (with problems reported) when malformed."""
    if "children_at_least" in doc:
        return _parse_children(reader, doc, path)
    if "persons_at_least" in doc or "persons_at_most" in doc:
        reader.only_keys(doc, ("persons_at_least", "persons_at_most"), path)
        return _persons(reader, doc, path, "persons_at_least", "persons_at_most")
    if "base" in doc:
        return _parse_base(reader, doc, path)
    if "attribute" in doc:
        return _parse_attribute(reader, doc, path)
    forms = (
        "all_of, any_of, not, children_at_least, persons_at_least, persons_at_most, base, attribute"
    )
    reader.add(path, f"unknown condition; expected one of: {forms}")
    return None


def _parse_children(reader: Reader, doc: Mapping[str, Any], path: str) -> list[Leaf] | None:
    reader.only_keys(doc, ("children_at_least", "child_age_below"), path)
    minimum = reader.integer(doc, "children_at_least", path, minimum=0)
    below = reader.integer(doc, "child_age_below", path, minimum=1, maximum=30)
    if minimum is None or below is None:
        return None
    return [ChildrenAtLeast(f"{path}.children_at_least", minimum, below)]


def _persons(
    reader: Reader, doc: Mapping[str, Any], path: str, low: str, high: str
) -> list[Leaf] | None:
    """Persons bounds, written ``persons_at_least``/``at_most`` or on ``base: persons``."""
    return _bounds(reader, doc, path, (low, high), PersonsBound)


def _bounds(
    reader: Reader,
    doc: Mapping[str, Any],
    path: str,
    keys: tuple[str, str],
    build: Callable[[str, int, bool], Leaf],
) -> list[Leaf] | None:
    """One leaf per bound given, ``keys`` being the at-least and at-most fields: each bound a
    whole number >= 0, its leaf at its own field's path; None if one cannot be read."""
    leaves: list[Leaf] = []
    for key, at_least in ((keys[0], True), (keys[1], False)):
        if key in doc:
            bound = reader.integer(doc, key, path, minimum=0)
            if bound is None:
                return None
            leaves.append(build(f"{path}.{key}", bound, at_least))
    return leaves


def _parse_base(reader: Reader, doc: Mapping[str, Any], path: str) -> list[Leaf] | None:
    reader.only_keys(doc, ("base", "at_least", "at_most"), path)
    base = reader.text(doc, "base", path, choices=BASES)
    if "at_least" not in doc and "at_most" not in doc:
        reader.add(path, "a base condition needs at_least, at_most, or both")
        return None
    if base is None:
        return None
    if base == "persons":
        return _persons(reader, doc, path, "at_least", "at_most")

    def build(where: str, bound: int, at_least: bool) -> Leaf:
        return BaseBound(where, base, bound, at_least)

    return _bounds(reader, doc, path, ("at_least", "at_most"), build)


def _parse_attribute(reader: Reader, doc: Mapping[str, Any], path: str) -> list[Leaf] | None:
    reader.only_keys(doc, ("attribute", "equals", "in"), path)
    name = reader.text(doc, "attribute", path)
    if ("equals" in doc) == ("in" in doc):
        reader.add(path, "an attribute condition needs either equals or in (exactly one)")
        return None
    if "equals" in doc:
        value = reader.text(doc, "equals", path)
        allowed: tuple[str, ...] | None = (value,) if value is not None else None
        where = f"{path}.equals"
    else:
        allowed = _texts(reader, doc["in"], f"{path}.in")
        where = f"{path}.in"
    if name is None or allowed is None:
        return None
    return [AttributeIn(where, name, allowed)]


def _texts(reader: Reader, value: Any, path: str) -> tuple[str, ...] | None:
    items = reader.sequence(value, path, min_items=1)
    if items is None:
        return None
    ok = True
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            reader.add(f"{path}[{index}]", f"expected a non-empty text, got {item!r}")
            ok = False
    return tuple(items) if ok else None
