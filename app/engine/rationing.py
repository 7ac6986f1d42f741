"""Rationing a month's credits when the fund's budget does not cover every entitlement.

``ration`` (and ``ration_detailed``, which also returns the figures an explanation needs;
``ration_in_order`` is it for entitlements already held as ids in ascending order and amounts,
as a fund's month holds them) guarantee, for every method:

- the parts sum to exactly ``min(budget_cents, sum of entitlements)``;
- no part exceeds its entitlement and no part is negative;
- when the budget covers the total, everyone gets their entitlement;
- the result never depends on input order: households are processed by ascending id and
  every cent left over by a split goes by largest remainder, ties broken by household id
  (``app.engine.money.split_by_largest_remainder``, the one splitter of the engine).

Methods (``RationingPolicy.method``):

- ``proportional``: everyone gets ``budget / total`` of their entitlement;
- ``uniform_cut``: everyone loses the same amount, but nobody goes below
  ``min(floor_cents, entitlement)``. The losses are the water-filling of the deficit over
  what each household can lose; if the budget cannot even cover those floors, the floors
  themselves are rationed proportionally (``floors_covered`` is then false);
- ``priority_tiers``: tier 0 is served in full, then tier 1, ...; the first tier that
  cannot be served in full is rationed proportionally; later tiers get nothing;
- ``max_min``: water-filling; a common cap ``c`` with ``sum(min(e, c)) = budget``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import islice
from operator import lt

from app.engine.money import split_by_largest_remainder
from app.engine.problems import InvalidInput, Problem
from app.engine.rules.policies import RationingPolicy


@dataclass(frozen=True, slots=True)
class RationingResult:
    """The granted credits and the figures that explain them.

    - ``granted``: household id -> granted cents, in ascending id order;
    - ``rationed``: false when the budget covered every entitlement;
    - ``level``: the method's exact common figure, ``None`` when not rationed:
      ``proportional`` -> the share kept (budget / total); ``uniform_cut`` -> the amount
      every household loses unless its floor stops it; ``max_min`` -> the common cap;
      ``priority_tiers`` -> the share kept by the partly served tier;
    - ``partial_tier``: for ``priority_tiers``, the tier rationed proportionally;
    - ``floors_covered``: for ``uniform_cut``, false when the budget was below the floors.
    """

    method: str
    budget_cents: int
    total_entitlement_cents: int
    granted: Mapping[str, int]
    rationed: bool
    level: Fraction | None = None
    partial_tier: int | None = None
    floors_covered: bool = True

    @property
    def granted_total_cents(self) -> int:
        return sum(self.granted.values())


def ration(
    entitlements: Mapping[str, int],
    budget_cents: int,
    policy: RationingPolicy,
    tiers: Mapping[str, int] | None = None,
) -> dict[str, int]:
    """Granted cents per household (ascending id order); see the module's guarantees."""
    return dict(ration_detailed(entitlements, budget_cents, policy, tiers).granted)


def ration_detailed(
    entitlements: Mapping[str, int],
    budget_cents: int,
    policy: RationingPolicy,
    tiers: Mapping[str, int] | None = None,
) -> RationingResult:
    """Ration ``entitlements`` to ``budget_cents`` under ``policy``, with explanation figures."""
    ids = sorted(entitlements)
    return ration_in_order(ids, [entitlements[key] for key in ids], budget_cents, policy, tiers)


def ration_in_order(
    ids: Sequence[str],
    amounts: Sequence[int],
    budget_cents: int,
    policy: RationingPolicy,
    tiers: Mapping[str, int] | None = None,
) -> RationingResult:
    """``ration_detailed`` of the entitlements ``dict(zip(ids, amounts))`` given as their ids
    in ascending order and their amounts (how a fund's month holds them): the same result,
    without building and sorting the mapping first. ``ValueError`` if the ids are not unique
    and ascending."""
    if len(ids) != len(amounts):
        raise ValueError("ids and amounts must have the same length")
    if not all(map(lt, ids, islice(ids, 1, None))):
        raise ValueError("ids must be unique and in ascending order")
    _validate(ids, amounts, budget_cents, policy, tiers)
    total = sum(amounts)
    method = policy.method
    if budget_cents >= total:
        return RationingResult(
            method, budget_cents, total, dict(zip(ids, amounts, strict=True)), False
        )
    if method == "proportional":
        parts = split_by_largest_remainder(budget_cents, amounts, ids)
        return _result(policy, budget_cents, total, ids, parts, Fraction(budget_cents, total))
    if method == "max_min":
        parts, cap = _water_fill(ids, amounts, budget_cents)
        return _result(policy, budget_cents, total, ids, parts, cap)
    if method == "uniform_cut":
        return _uniform_cut(ids, amounts, budget_cents, policy)
    return _priority_tiers(ids, amounts, budget_cents, policy, tiers or {})


def _result(
    policy: RationingPolicy,
    budget_cents: int,
    total: int,
    ids: Sequence[str],
    parts: Sequence[int],
    level: Fraction | None,
    *,
    partial_tier: int | None = None,
    floors_covered: bool = True,
) -> RationingResult:
    granted = dict(zip(ids, parts, strict=True))
    return RationingResult(
        policy.method, budget_cents, total, granted, True, level, partial_tier, floors_covered
    )


def _validate(
    ids: Sequence[str],
    amounts: Sequence[int],
    budget_cents: int,
    policy: RationingPolicy,
    tiers: Mapping[str, int] | None,
) -> None:
    problems: list[Problem] = []
    if isinstance(budget_cents, bool) or not isinstance(budget_cents, int) or budget_cents < 0:
        problems.append(
            Problem("budget_cents", f"expected zero or more cents, got {budget_cents!r}")
        )
    # The common case in one pass at C speed (every amount a plain int, none negative); only
    # otherwise is each amount examined, to name every problem or accept an int subclass.
    plain = not amounts or (set(map(type, amounts)) == {int} and min(amounts) >= 0)
    for key, amount in () if plain else zip(ids, amounts, strict=True):
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            problems.append(
                Problem(f"entitlements.{key}", f"expected zero or more cents, got {amount!r}")
            )
    if policy.method == "priority_tiers":
        given = tiers or {}
        for key in ids:
            tier = given.get(key)
            if tier is None:
                problems.append(
                    Problem(f"tiers.{key}", "needs data: no priority tier for this household")
                )
            elif isinstance(tier, bool) or not isinstance(tier, int) or tier < 0:
                problems.append(
                    Problem(f"tiers.{key}", f"expected a tier 0, 1, 2..., got {tier!r}")
                )
    if problems:
        raise InvalidInput(problems)


def _water_fill(
    ids: Sequence[str], amounts: Sequence[int], budget_cents: int
) -> tuple[list[int], Fraction]:
    """Max-min split of a budget below the total: ``min(e, cap)`` each, cents by remainder.

    Entitlements are visited from the smallest (ties by id): each one that fits under an
    equal share of what is left is served in full; the rest share the remainder equally.
    """
    order = sorted(range(len(ids)), key=lambda i: (amounts[i], ids[i]))
    left = budget_cents
    count = len(order)
    # If every entitlement fits (budget == total), the cap is the largest: all served.
    cap_num, cap_den = max(amounts, default=0), 1
    for position, index in enumerate(order):
        if amounts[index] * (count - position) > left:
            cap_num, cap_den = left, count - position
            break
        left -= amounts[index]
    # Weights min(e, cap) scaled by the cap's denominator: whole numbers, same shares.
    weights = [min(amount * cap_den, cap_num) for amount in amounts]
    return split_by_largest_remainder(budget_cents, weights, ids), Fraction(cap_num, cap_den)


def _uniform_cut(
    ids: Sequence[str], amounts: Sequence[int], budget_cents: int, policy: RationingPolicy
) -> RationingResult:
    """Everyone loses the same amount, stopped by each household's floor.

    The loss of each household is ``min(cut, entitlement - floor)``: the water-filling of the
    deficit over what each can lose, so the losses sum to the deficit exactly.
    """
    floor = policy.floor_cents or 0
    floors = [min(floor, amount) for amount in amounts]
    total = sum(amounts)
    if budget_cents < sum(floors):
        # The floors cannot all be honoured: they are cut in proportion, nobody gets more.
        parts = split_by_largest_remainder(budget_cents, floors, ids)
        return _result(policy, budget_cents, total, ids, parts, None, floors_covered=False)
    losable = [amount - low for amount, low in zip(amounts, floors, strict=True)]
    losses, cut = _water_fill(ids, losable, total - budget_cents)
    parts = [amount - loss for amount, loss in zip(amounts, losses, strict=True)]
    return _result(policy, budget_cents, total, ids, parts, cut)


def _priority_tiers(
    ids: Sequence[str],
    amounts: Sequence[int],
    budget_cents: int,
    policy: RationingPolicy,
    tiers: Mapping[str, int],
) -> RationingResult:
    """Serve tier 0 in full, then tier 1...; the first tier that does not fit is prorated."""
    parts = [0] * len(ids)
    left = budget_cents
    partial: int | None = None
    share: Fraction | None = None
    by_tier: dict[int, list[int]] = {}
    for index, key in enumerate(ids):
        by_tier.setdefault(tiers[key], []).append(index)
    for tier in sorted(by_tier):
        members = by_tier[tier]
        need = sum(amounts[i] for i in members)
        if need <= left:
            for i in members:
                parts[i] = amounts[i]
            left -= need
            continue
        split = split_by_largest_remainder(
            left, [amounts[i] for i in members], [ids[i] for i in members]
        )
        for i, part in zip(members, split, strict=True):
            parts[i] = part
        partial, share, left = tier, Fraction(left, need), 0
        break
    return _result(policy, budget_cents, sum(amounts), ids, parts, share, partial_tier=partial)
