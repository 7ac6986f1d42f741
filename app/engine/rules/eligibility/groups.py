"""Eligibility filters: who may receive credit. Failing them is an explicit outcome.

A condition is ``all_of`` / ``any_of`` / ``not`` over conditions, or a leaf:
``children_at_least`` (+ ``child_age_below``), ``persons_at_least`` / ``persons_at_most``,
``base`` with ``at_least`` / ``at_most``, ``attribute`` with ``equals`` / ``in``.

Guarantees:
- ``check`` returns one ``Problem`` per failed leaf condition (path + plain message), in
  document order; an empty tuple means eligible;
- a missing fact raises ``NeedsData`` only when the answer depends on it: ``any_of`` holds
  as soon as one alternative holds, ``all_of`` fails as soon as one part fails, whatever
  facts the others lack (three-valued logic). So the outcome never depends on the order of
  the conditions;
- the hot path evaluates booleans only; problems and explanation steps are built only for
  a failing household or when a trace is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from app.engine.explain import Step, register_messages, step
from app.engine.problems import Problem
from app.engine.resources import Context, NeedsData
from app.engine.rules.eligibility.read import LEAF_KEYS, parse_leaf
from app.engine.rules.reader import Reader

register_messages(
    {
        "eligibility.eligible": {
            "fr": "Le foyer remplit les conditions d'accès à la caisse.",
            "en": "The household meets the conditions to join the fund.",
        },
        "eligibility.not_eligible": {
            "fr": "Le foyer ne remplit pas les conditions d'accès à la caisse.",
            "en": "The household does not meet the conditions to join the fund.",
        },
        "eligibility.not": {
            "fr": "La condition suivante ne doit pas être remplie :",
            "en": "The following condition must not be met:",
        },
        "eligibility.any_of.none": {
            "fr": "Aucune des {count} possibilités n'est remplie :",
            "en": "None of the {count} alternatives is met:",
        },
    }
)


class Condition(Protocol):
    """A yes/no question about one household."""

    @property
    def path(self) -> str: ...

    def holds(self, ctx: Context) -> bool:
        """True or False; raises ``NeedsData`` when the answer depends on a missing fact."""
        ...

    def explain(self, ctx: Context, trace: list[Step], outcome: bool) -> None:
        """Steps showing why the condition evaluates to ``outcome`` (which it does)."""
        ...

    def failures(self, ctx: Context, out: list[Problem]) -> None:
        """Problems naming each failed leaf; called only when the condition is False."""
        ...

    def describe(self) -> str:
        """The condition in plain English (for ``not`` messages)."""
        ...


def _outcome(condition: Condition, ctx: Context) -> bool | None:
    """True / False, or None when unknown for lack of a fact."""
    try:
        return condition.holds(ctx)
    except NeedsData:
        return None


@dataclass(frozen=True, slots=True)
class _Group:
    """``all_of`` / ``any_of``: one item with the ``decisive`` outcome (False for all_of, True
    for any_of) settles the group, whatever facts the others lack; otherwise the first missing
    fact is raised, and only when every item answered is the group ``not decisive``."""

    path: str
    items: tuple[Condition, ...]
    decisive: ClassVar[bool]
    words: ClassVar[str]

    def holds(self, ctx: Context) -> bool:
        decisive = self.decisive
        missing: NeedsData | None = None
        for item in self.items:
            try:
                if item.holds(ctx) == decisive:
                    return decisive
            except NeedsData as error:
                missing = missing or error
        if missing is not None:
            raise missing
        return not decisive

    def describe(self) -> str:
        return f"{self.words} (" + "; ".join(item.describe() for item in self.items) + ")"


@dataclass(frozen=True, slots=True)
class AllOf(_Group):
    decisive: ClassVar[bool] = False
    words: ClassVar[str] = "all of"

    def explain(self, ctx: Context, trace: list[Step], outcome: bool) -> None:
        for item in self.items:
            result = _outcome(item, ctx)
            if result is True and outcome:
                item.explain(ctx, trace, True)
            elif result is False and not outcome:
                item.explain(ctx, trace, False)

    def failures(self, ctx: Context, out: list[Problem]) -> None:
        for item in self.items:
            if _outcome(item, ctx) is False:
                item.failures(ctx, out)


@dataclass(frozen=True, slots=True)
class AnyOf(_Group):
    decisive: ClassVar[bool] = True
    words: ClassVar[str] = "any of"

    def explain(self, ctx: Context, trace: list[Step], outcome: bool) -> None:
        if outcome:
            # The first alternative that holds is the reason; the others do not matter.
            for item in self.items:
                if _outcome(item, ctx) is True:
                    item.explain(ctx, trace, True)
                    return
            return
        trace.append(step(self.path, "eligibility.any_of.none", count=len(self.items)))
        for item in self.items:
            item.explain(ctx, trace, False)

    def failures(self, ctx: Context, out: list[Problem]) -> None:
        for item in self.items:
            item.failures(ctx, out)


@dataclass(frozen=True, slots=True)
class Not:
    path: str
    item: Condition

    def holds(self, ctx: Context) -> bool:
        return not self.item.holds(ctx)

    def explain(self, ctx: Context, trace: list[Step], outcome: bool) -> None:
        trace.append(step(self.path, "eligibility.not"))
        self.item.explain(ctx, trace, not outcome)

    def failures(self, ctx: Context, out: list[Problem]) -> None:
        out.append(
            Problem(self.path, f"this must not be the case, and it is: {self.item.describe()}")
        )

    def describe(self) -> str:
        return f"not ({self.item.describe()})"


@dataclass(frozen=True, slots=True)
class Eligibility:
    """The rule set's eligibility condition."""

    path: str
    condition: Condition

    def check(self, ctx: Context, trace: list[Step] | None) -> tuple[Problem, ...]:
        """Problems naming each failed condition; empty when eligible. May raise NeedsData."""
        if self.condition.holds(ctx):
            if trace is not None:
                self.condition.explain(ctx, trace, True)
                trace.append(step(self.path, "eligibility.eligible"))
            return ()
        problems: list[Problem] = []
        self.condition.failures(ctx, problems)
        if trace is not None:
            self.condition.explain(ctx, trace, False)
            trace.append(step(self.path, "eligibility.not_eligible"))
        return tuple(problems)


_COMPOSITES = ("all_of", "any_of", "not")


def parse_condition(reader: Reader, value: Any, path: str) -> Condition | None:
    """One condition; every problem (unknown form, bad value) goes to ``reader``."""
    doc = reader.mapping(value, path)
    if doc is None:
        return None
    forms = [key for key in _COMPOSITES if key in doc]
    if not forms:
        leaves = parse_leaf(reader, doc, path)
        if leaves is None:
            return None
        # Two bounds in one mapping (at_least and at_most) must both hold.
        return leaves[0] if len(leaves) == 1 else AllOf(path, tuple(leaves))
    if len(forms) > 1 or any(key in doc for key in LEAF_KEYS):
        reader.add(path, f"a condition has exactly one form; got {', '.join(sorted(doc))}")
        return None
    form = forms[0]
    reader.only_keys(doc, (form,), path)
    where = f"{path}.{form}"
    if form == "not":
        item = parse_condition(reader, doc["not"], where)
        return Not(where, item) if item is not None else None
    items = reader.sequence(doc[form], where, min_items=1)
    if items is None:
        return None
    parsed = [parse_condition(reader, item, f"{where}[{i}]") for i, item in enumerate(items)]
    conditions = tuple(item for item in parsed if item is not None)
    if len(conditions) != len(parsed):
        return None
    return AllOf(where, conditions) if form == "all_of" else AnyOf(where, conditions)


def parse_eligibility(reader: Reader, value: Any, path: str) -> Eligibility | None:
    condition = parse_condition(reader, value, path)
    return Eligibility(path, condition) if condition is not None else None
