"""Explanations by path: the steps traced once per path, each household's own numbers beside.

Households that take the same path through the rules (the same composition, the same
segment of a scale, the same side of a clamp) get steps that differ only in the numbers a
*deferred* step keeps (``Step.deferred``: raw integers, words made when read). So:

- per path, the rule nodes trace the first household met on it (``BatchPlan.explanation``:
  the nodes' own ``evaluate(ctx, trace)``) and that trace becomes the path's template
  (``PathTemplate``): its fixed steps kept as they are, each deferred step kept as its
  clause, code and parameter builder;
- per household, the numbers of its deferred steps are computed over the whole column by
  the nodes' own methods, the ones their ``evaluate`` calls (``LinearAverageRateScale.rate``
  through ``average_rates``, ``Clamp.outcome`` and ``Clamp.settled``), mapped over it,
  with the section's exact value; its rounded amount is the plan's;
- a household's ``PathExplanation`` holds its template and its numbers (the chunk's
  columns); its fields (the template's steps filled with its numbers, its facts from the
  columns) are made when first read, with no rule evaluated then.

Guarantees: a template is the nodes' trace of its path's first household, checked against
the column methods (every deferred step's numbers equal, the rounded amount the plan's),
else the path's households are traced one by one (``_ALONE``). Every household's amounts
are the plan's, which are the nodes' (``tests/engine/test_batch.py``); its explanation is
what the nodes give it alone (``tests/engine/test_batch_paths.py``). Only the node classes
of ``column_tracer`` have column methods (``Unsupported`` otherwise: the plan traces each
household, ``BatchPlan.explanation``).
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Sequence
from itertools import compress, repeat
from operator import is_, mul
from typing import TYPE_CHECKING, Any

from app.engine.assessment import explanation_inputs, usual_inputs
from app.engine.batch.columns import HouseholdColumns
from app.engine.batch.compile import INCOME_BASES, Unsupported, reads_income
from app.engine.batch.compositions import Compositions
from app.engine.collector import collector_paused
from app.engine.explain import Explanation, Step
from app.engine.resources import Context
from app.engine.rules.combinators import Clamp
from app.engine.rules.nodes import Node
from app.engine.rules.scales import LinearAverageRateScale
from app.engine.ruleset import Formula

if TYPE_CHECKING:
    from app.engine.batch.plan import BatchPlan

Args = tuple[tuple[Any, ...], ...]  # a household's deferred steps' arguments, in trace order
# Over a column of households: each one's path key within the node; per deferred step, in
# trace order, each household's arguments (``Rows``); each one's exact value, as two
# columns (numerators, denominators). Columns of whole numbers: nothing for the collector.
ColumnTrace = tuple[Sequence[int], list["Rows"], tuple[Sequence[int], Sequence[int]]]
ColumnTracer = Callable[[Sequence[int], Sequence[int]], ColumnTrace]
# Households built at a time: a chunk's objects, not a million, alive at once (and few
# enough that the collector's youngest generation rarely fills while they are read).
CHUNK = 512


def column_tracer(node: Node, compositions: Compositions) -> ColumnTracer:
    """The node's steps over a column of households (``Unsupported``: no column methods)."""
    if isinstance(node, LinearAverageRateScale) and node.base in INCOME_BASES:
        return _scale(node, _BaseFactors(node.base, compositions))
    if isinstance(node, Clamp) and node.fixed is not None and reads_income(node.of):
        return _clamp(node, column_tracer(node.of, compositions))
    raise Unsupported(node.path)


class Rows(Sequence[tuple[Any, ...]]):
    """A deferred step's arguments, household by household, kept as the columns they were
    computed in, then ``tail``, the same for every household (``Rows([a, b], tail=(c,))[j]``
    is ``(a[j], b[j], c)``)."""

    def __init__(self, *columns: Sequence[Any], tail: tuple[Any, ...] = ()) -> None:
        self.columns, self.tail = columns, tail

    def __len__(self) -> int:
        return min(len(column) for column in self.columns)

    def __getitem__(self, at: Any) -> Any:
        return (*[column[at] for column in self.columns], *self.tail)


class _BaseFactors(dict[int, tuple[int, int]]):
    """Per composition, ``(multiplier, divisor)`` with the household's base ``Context.base``
    = ``(income × multiplier, divisor)``: the very integers, as every income base is the
    income times a number of the composition (read from a ``Context`` of income 1)."""

    def __init__(self, name: str, compositions: Compositions) -> None:
        super().__init__()
        self.name, self.contexts = name, compositions.contexts

    def __missing__(self, k: int) -> tuple[int, int]:
        ctx = self.contexts[k]
        one = dataclasses.replace(ctx.facts, income_cents=1)
        found = self[k] = Context(one, ctx.period, ctx.definitions).base(self.name)
        return found


def _scale(node: LinearAverageRateScale, factors: _BaseFactors) -> ColumnTracer:
    """The scale's one step, ``(i, num, den, rate_num, rate_den)`` (its ``average_rates``)."""

    def trace(incomes: Sequence[int], ks: Sequence[int]) -> ColumnTrace:
        per_k = list(map(factors.__getitem__, ks))
        nums = [income * multiplier for income, (multiplier, _) in zip(incomes, per_k, strict=True)]
        dens = [divisor for _, divisor in per_k]
        segments, rate_nums, rate_dens = node.average_rates(nums, dens)
        # What ``evaluate`` returns: the base times the average rate (C loops).
        values = (list(map(mul, nums, rate_nums)), list(map(mul, dens, rate_dens)))
        return segments, [Rows(segments, nums, dens, rate_nums, rate_dens)], values

    return trace


def _clamp(node: Clamp, of: ColumnTracer) -> ColumnTracer:
    """``of``'s steps, then the bounds' (``Clamp.outcome``: part of the path)."""

    def trace(incomes: Sequence[int], ks: Sequence[int]) -> ColumnTrace:
        keys, steps, (nums, dens) = of(incomes, ks)
        outcomes = list(map(node.outcome, nums, dens))
        keys = [4 * key + outcome for key, outcome in zip(keys, outcomes, strict=True)]
        if any(outcomes):  # values moved (``KEPT`` is 0, kept as they are): to their bound
            nums, dens = list(nums), list(dens)
            for at in compress(range(len(outcomes)), outcomes):
                nums[at], dens[at] = node.settled((nums[at], dens[at]), outcomes[at])
        return keys, steps, (nums, dens)

    return trace


class SectionColumns:
    """A section that reads income, over a column: each household's path key and, per
    deferred step, its arguments; the rounding step's last (the section's exact value and
    the plan's amount, the very amount the path's template was checked to round to)."""

    def __init__(self, formula: Formula, compositions: Compositions) -> None:
        self.tracer = column_tracer(formula.node, compositions)
        self.rounding = (formula.rounding.unit_cents, formula.rounding.mode.value)

    def trace(
        self, incomes: Sequence[int], ks: Sequence[int], amounts: list[int]
    ) -> tuple[Sequence[int], list[Rows]]:
        keys, steps, (nums, dens) = self.tracer(incomes, ks)
        return keys, [*steps, Rows(nums, dens, amounts, tail=self.rounding)]  # ``rounding_step``'s


class Skeleton:
    """A section's template: its steps, where each deferred one gets, per household, the same
    clause, code and parameter builder with the household's own arguments."""

    __slots__ = ("fillers", "steps")

    def __init__(self, steps: tuple[Step, ...], fillers: tuple[tuple[int, Any, Any, Any], ...]):
        # ``fillers``: per deferred step, ``(position, clause, code, build)``.
        self.steps, self.fillers = steps, fillers

    def filled(self, args: Args) -> tuple[Step, ...]:
        """The steps with one household's arguments (``args``, one per deferred step)."""
        if not self.fillers:  # a section shared by the composition: its very steps
            return self.steps
        steps = list(self.steps)
        for (position, clause, code, build), own in zip(self.fillers, args, strict=True):
            steps[position] = Step.deferred(clause, code, build, *own)
        return tuple(steps)


class PathTemplate:
    """One path's explanation, less each household's own numbers and facts."""

    __slots__ = ("composition", "contribution", "credit", "period", "rule_set")

    def __init__(self, traced: Explanation, skeletons: tuple[Skeleton, Skeleton]) -> None:
        self.rule_set, self.period = traced.rule_set, traced.period
        self.contribution, self.credit = skeletons
        self.composition = traced.composition


def _skeleton(steps: tuple[Step, ...], args: Args | None) -> Skeleton | None:
    """``steps`` (the nodes' trace of one household) as a template, when its deferred steps'
    numbers are ``args`` (the column methods'); ``None`` when they differ. A section shared
    by its composition (``args`` is ``None``) keeps its steps as they are."""
    if args is None:
        return Skeleton(steps, ())
    fillers = []
    given = iter(args)
    for position, item in enumerate(steps):
        form = item.deferred_form()
        if form is None:
            continue
        clause, code, build, own = form
        if next(given, None) != own:
            return None
        fillers.append((position, clause, code, build))
    return Skeleton(steps, tuple(fillers)) if next(given, None) is None else None


_ALONE = PathTemplate.__new__(PathTemplate)  # a path whose households are traced one by one


class _Chunk:
    """One chunk's households, as built: each one's template, and per section and deferred
    step the column of its arguments; what its ``PathExplanation``s are made from."""

    __slots__ = ("columns", "indices", "owed", "received", "templates")

    def __init__(
        self,
        columns: HouseholdColumns,
        indices: Sequence[int],
        templates: list[PathTemplate | None],
        steps: tuple[list[Rows], list[Rows]],
    ) -> None:
        self.columns, self.indices, self.templates = columns, indices, templates
        self.owed, self.received = steps

    def args(self, at: int) -> tuple[Args, Args]:
        """Household ``at``'s deferred steps' arguments, per section."""
        return tuple([item[at] for item in self.owed]), tuple([item[at] for item in self.received])

    def inputs(self, index: int) -> tuple[tuple[str, int | str], ...]:
        """Household ``index``'s ``explanation_inputs``, from the columns when they are all
        its facts (no choice: the plan has none, a loader may still give the column)."""
        columns = self.columns
        chosen = columns.chosen_contributions_cents
        if columns.facts is None and (chosen is None or chosen[index] is None):
            return usual_inputs(columns.incomes_cents[index], columns.person_counts[index])
        return explanation_inputs(columns.household(index))

    def fill(self, target: PathExplanation, at: int) -> None:
        """Set ``target``'s fields: household ``at``'s template with its own numbers."""
        template = self.templates[at]
        assert template is not None  # only households with a template are made here
        owed, received = self.args(at)
        index, columns = self.indices[at], self.columns
        for setter, value in zip(
            _SETTERS,
            (
                template.rule_set,
                template.period,
                columns.household_ids[index],
                self.inputs(index),
                template.contribution.filled(owed),
                template.credit.filled(received),
                template.composition,
            ),
            strict=True,
        ):
            setter(target, value)


class PathExplanation(Explanation):
    """An explanation the batch path built: its path's template and the household's own
    numbers (``_Chunk``); its fields are made the first time one is read, then kept. It
    equals, renders and serialises as the ``Explanation`` the nodes give the household."""

    __slots__ = ("_at", "_chunk")

    def __getattr__(self, name: str) -> Any:
        # Called only while a field is unset (a set slot is found first).
        if name not in _FIELD_NAMES:
            raise AttributeError(name)
        self._chunk.fill(self, self._at)
        return getattr(self, name)


_FIELD_NAMES = frozenset(item.name for item in dataclasses.fields(Explanation))
_SETTERS = tuple(
    getattr(Explanation, item.name).__set__ for item in dataclasses.fields(Explanation)
)
_new = object.__new__
_set_at = PathExplanation._at.__set__  # type: ignore[attr-defined]
_set_chunk = PathExplanation._chunk.__set__  # type: ignore[attr-defined]


def _made(chunk: _Chunk) -> list[PathExplanation]:
    """A ``PathExplanation`` per household of ``chunk`` (C loops: no frame per household)."""
    count = len(chunk.indices)
    made: list[PathExplanation] = list(map(_new, repeat(PathExplanation, count)))
    deque(map(_set_chunk, made, repeat(chunk, count)), 0)
    deque(map(_set_at, made, range(count)), 0)
    return made


class PathExplainer:
    """The explanations of a plan's households, a chunk of columns at a time."""

    def __init__(self, plan: BatchPlan) -> None:
        if plan.contribution is None:  # a free choice: its bounds are the household's own
            raise Unsupported(plan.rules.contribution.node.path)
        self.plan = plan
        self.sections = tuple(
            SectionColumns(formula, plan.compositions) if reads_income(formula.node) else None
            for formula in (plan.rules.contribution, plan.rules.credit)
        )
        # By path (``_Part.build``); ``_ALONE`` for a path traced household by household.
        self.templates: dict[Any, PathTemplate] = {}

    def explanations(
        self,
        columns: HouseholdColumns,
        ks: Sequence[int],
        owed: Sequence[int | None],
        received: Sequence[int | None],
        start: int,
        stop: int,
    ) -> list[Explanation | None]:
        """Households ``start`` to ``stop``'s explanations (``None``: no amounts, it went node
        by node), in order."""
        with collector_paused():  # a chunk of acyclic objects: nothing for it to free
            part = _Part(
                self,
                columns,
                range(start, stop),
                list(ks[start:stop]),
                list(columns.incomes_cents[start:stop]),
                (list(owed[start:stop]), list(received[start:stop])),
            )
            kept: list[bool] | None = None
            if None in part.owed or None in part.received:
                kept = [
                    a is not None and b is not None
                    for a, b in zip(part.owed, part.received, strict=True)
                ]
                part.keep(kept)
            built = part.build()
        if kept is None:
            return built
        found = iter(built)
        return [next(found) if keep else None for keep in kept]

    def template(self, chunk: _Chunk, at: int, k: int, amounts: tuple[int, int]) -> PathTemplate:
        """A path's template, from the nodes' own trace of the chunk's household ``at``
        (``_ALONE`` when it is not what the column methods give it)."""
        traced = self.plan.explanation(chunk.columns.household(chunk.indices[at]), k, *amounts)
        if traced is None:
            return _ALONE
        owed, received = chunk.args(at)
        contribution = _skeleton(traced.contribution, owed if self.sections[0] else None)
        credit = _skeleton(traced.credit, received if self.sections[1] else None)
        if contribution is None or credit is None:
            return _ALONE
        return PathTemplate(traced, (contribution, credit))


class _Part:
    """One chunk's households with amounts: their columns, then their explanations."""

    def __init__(
        self,
        explainer: PathExplainer,
        columns: HouseholdColumns,
        indices: Sequence[int],
        ks: list[int],
        incomes: list[Any],
        amounts: tuple[list[Any], list[Any]],
    ) -> None:
        self.explainer, self.columns, self.indices = explainer, columns, indices
        self.ks, self.incomes = ks, incomes
        self.owed, self.received = amounts

    def keep(self, kept: list[bool]) -> None:
        """Only the households ``kept`` (those with both amounts)."""
        self.indices = list(compress(self.indices, kept))
        self.ks = list(compress(self.ks, kept))
        self.incomes = list(compress(self.incomes, kept))
        self.owed = list(compress(self.owed, kept))
        self.received = list(compress(self.received, kept))

    def build(self) -> list[Explanation | None]:
        explainer = self.explainer
        # A path: the composition, and each section's key where it reads income.
        keys: list[Sequence[int]] = [self.ks]
        steps: list[list[Rows]] = []
        for section, amounts in zip(explainer.sections, (self.owed, self.received), strict=True):
            if section is None:  # shared by the composition: its steps are the template's
                steps.append([])
            else:
                found_keys, found_steps = section.trace(self.incomes, self.ks, amounts)
                keys.append(found_keys)
                steps.append(found_steps)
        paths: list[Any] = self.ks if len(keys) == 1 else list(zip(*keys, strict=True))
        templates = explainer.templates
        found: list[PathTemplate | None] = list(map(templates.get, paths))
        chunk = _Chunk(self.columns, self.indices, found, (steps[0], steps[1]))
        if None in found:  # paths met for the first time: the nodes trace their templates
            first: dict[Any, int] = {}
            for at in compress(range(len(paths)), map(is_, found, repeat(None))):
                first.setdefault(paths[at], at)
            for path, at in first.items():
                pair = (self.owed[at], self.received[at])
                templates[path] = explainer.template(chunk, at, self.ks[at], pair)
            found[:] = map(templates.__getitem__, paths)
        built: list[Explanation | None] = list(_made(chunk))
        if _ALONE in found:  # a path whose template is not the nodes' trace (never expected)
            plan = explainer.plan
            for at, template in enumerate(found):
                if template is _ALONE:
                    facts = self.columns.household(self.indices[at])
                    built[at] = plan.explanation(
                        facts, self.ks[at], self.owed[at], self.received[at]
                    )
        return built
