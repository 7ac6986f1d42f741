"""A fund's month of assessments held as columns, each ``Assessment`` built when read.

The batch engine gives a month as columns (``BatchResult``: ids, contributions, credits,
and an ``Assessment`` for each household that went through the nodes one at a time). A
fund's month changes a few of them (the mean of contributions, arrears, rationing). The
sums, the credit column and rationing need only the columns; the month run, a statement
and the committee's preview read every ``Assessment``. ``MonthAssessments`` is both: a
sequence of ``Assessment`` (by position, ascending id) whose columns are read without
building one per household. A 12-month projection of 100,000 households built 1.2 million
of them only to sum them.

Guarantees: ``month[i]`` is ``changed[i]`` where a step changed household ``i``, else the
batch result's own ``assessment(i)``; every column (``statuses``, ``credits_cents``...) is
that sequence's attribute, position by position; two months are equal when their
assessments are.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, overload

from app.engine.assessment import Assessment, Status
from app.engine.batch import BatchResult


class MonthAssessments(Sequence[Assessment]):
    """A month's assessments: a batch result's columns, with the households a fund-level
    step changed held as their own ``Assessment`` (``changed``, by position)."""

    __slots__ = ("batch", "changed")

    def __init__(self, batch: BatchResult, changed: Mapping[int, Assessment] | None = None):
        self.batch = batch
        # The households that went node by node are ``Assessment`` values already.
        self.changed: dict[int, Assessment] = {**batch.fallback, **(changed or {})}

    def with_changes(self, changes: Mapping[int, Assessment]) -> MonthAssessments:
        """The same month with these households' assessments replaced."""
        return MonthAssessments(self.batch, {**self.changed, **changes}) if changes else self

    def __len__(self) -> int:
        return len(self.batch.household_ids)

    @overload
    def __getitem__(self, index: int) -> Assessment: ...

    @overload
    def __getitem__(self, index: slice) -> list[Assessment]: ...

    def __getitem__(self, index: int | slice) -> Assessment | list[Assessment]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        index = range(len(self))[index]  # a negative index counts from the end
        found = self.changed.get(index)
        return found if found is not None else self.batch.assessment(index)

    def __iter__(self) -> Iterator[Assessment]:
        # Every household in order: the batch builds them in one pass (and its explanations
        # by path, in order), then the changed ones are put in their places.
        built = self.batch.assessments()
        for index, assessment in self.changed.items():
            built[index] = assessment
        return iter(built)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and list(self) == list(other)

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"MonthAssessments({len(self)} households, {len(self.changed)} changed)"

    # Columns, position by position: the batch's, then each changed household's own value.

    def household_ids(self) -> Sequence[str]:
        return self.batch.household_ids

    def statuses(self) -> list[Status]:
        return self._column([Status.ASSESSED] * len(self), "status")

    def contributions_cents(self) -> list[int | None]:
        return self._column(list(self.batch.contributions_cents), "contribution_cents")

    def credits_cents(self) -> list[int | None]:
        return self._column(list(self.batch.credits_cents), "credit_cents")

    def funder_shares_cents(self) -> list[int]:
        return self._column([0] * len(self), "funder_share_cents")

    def pending(self) -> list[int]:
        """The positions whose credit the fund decides (``credit_pending_fund``), ascending."""
        return sorted(i for i, a in self.changed.items() if a.credit_pending_fund)

    def _column(self, column: list[Any], name: str) -> list[Any]:
        for index, assessment in self.changed.items():
            column[index] = getattr(assessment, name)
        return column
