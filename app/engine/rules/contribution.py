"""Contribution formula kinds (registered into the CONTRIBUTION_KINDS registry).

This module holds the rates on one base: ``proportional`` and ``effort_rate`` (taux
d'effort: amount bounds clamp the RESULT, resources bounds clamp the BASE before the rate).
Importing it also registers its siblings: ``amounts`` (``linear``, ``household_amount``),
``brackets``, ``scales`` (marginal and average-rate scales) and ``choice``
(``free_choice``).

Every node returns an exact ``Q`` of cents and never rounds: the section's declared rounding
is applied once, by ``assess``. Rates and bounds are turned into integers at parse time so
``evaluate`` does a few integer operations per household; explanation steps are built only
when ``trace`` is a list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from app.engine.exact import Q
from app.engine.explain import Step, register_messages, step
from app.engine.resources import Context
from app.engine.rules import amounts, brackets, choice, scales  # noqa: F401  (registration)
from app.engine.rules.bases import base_params, read_base
from app.engine.rules.combinators import q_cents
from app.engine.rules.nodes import CONTRIBUTION_KINDS, Kinds, Node
from app.engine.rules.reader import Reader

register_messages(
    {
        "proportional": {
            "fr": "{base_fr} : {base_cents} ; participation de {contribution_rate} de ce montant : {result_cents}.",
            "en": "{base_en}: {base_cents}; contribution of {contribution_rate} of it: {result_cents}.",
        },
        "effort_rate": {
            "fr": "{base_fr} : {base_cents} ; taux d'effort de {contribution_rate} appliqué à {counted_cents} : {result_cents}.",
            "en": "{base_en}: {base_cents}; effort rate of {contribution_rate} applied to {counted_cents}: {result_cents}.",
        },
        "effort_rate.resources_raised": {
            "fr": "Les ressources comptées ne descendent pas sous le plancher de {resources_floor_cents}.",
            "en": "The resources counted never go below the floor of {resources_floor_cents}.",
        },
        "effort_rate.resources_lowered": {
            "fr": "Les ressources comptées ne dépassent pas le plafond de {resources_cap_cents}.",
            "en": "The resources counted never go above the cap of {resources_cap_cents}.",
        },
        "effort_rate.raised": {
            "fr": "La participation est relevée au plancher de {floor_cents}.",
            "en": "The contribution is raised to the floor of {floor_cents}.",
        },
        "effort_rate.lowered": {
            "fr": "La participation est ramenée au plafond de {cap_cents}.",
            "en": "The contribution is lowered to the cap of {cap_cents}.",
        },
    }
)


@dataclass(frozen=True, slots=True)
class Proportional:
    """rate × base."""

    path: str
    base: str
    rate: Fraction
    rate_num: int
    rate_den: int

    def evaluate(self, ctx: Context, trace: list[Step] | None) -> Q:
        num, den = ctx.base(self.base)
        value = (num * self.rate_num, den * self.rate_den)
        if trace is not None:
            params = base_params(self.base, (num, den))
            trace.append(
                step(
                    self.path,
                    "proportional",
                    contribution_rate=self.rate,
                    result_cents=q_cents(value),
                    **params,
                )
            )
        return value


@dataclass(frozen=True, slots=True)
class EffortRate:
    """Taux d'effort: the base kept within the resources bounds, × rate, kept within the amount bounds."""

    path: str
    base: str
    rate: Fraction
    rate_num: int
    rate_den: int
    floor_cents: int | None
    cap_cents: int | None
    resources_floor_cents: int | None
    resources_cap_cents: int | None

    def evaluate(self, ctx: Context, trace: list[Step] | None) -> Q:
        base = ctx.base(self.base)
        num, den = base
        if self.resources_floor_cents is not None and num < self.resources_floor_cents * den:
            num, den = self.resources_floor_cents, 1
            if trace is not None:
                trace.append(
                    step(
                        self.path,
                        "effort_rate.resources_raised",
                        resources_floor_cents=self.resources_floor_cents,
                    )
                )
        elif self.resources_cap_cents is not None and num > self.resources_cap_cents * den:
            num, den = self.resources_cap_cents, 1
            if trace is not None:
                trace.append(
                    step(
                        self.path,
                        "effort_rate.resources_lowered",
                        resources_cap_cents=self.resources_cap_cents,
                    )
                )
        value = (num * self.rate_num, den * self.rate_den)
        if trace is not None:
            trace.append(self._step(base, (num, den), value))
        return self._bounded(value, trace)

    def _bounded(self, value: Q, trace: list[Step] | None) -> Q:
        if self.floor_cents is not None and value[0] < self.floor_cents * value[1]:
            if trace is not None:
                trace.append(step(self.path, "effort_rate.raised", floor_cents=self.floor_cents))
            return (self.floor_cents, 1)
        if self.cap_cents is not None and value[0] > self.cap_cents * value[1]:
            if trace is not None:
                trace.append(step(self.path, "effort_rate.lowered", cap_cents=self.cap_cents))
            return (self.cap_cents, 1)
        return value

    def _step(self, base: Q, counted: Q, value: Q) -> Step:
        return step(
            self.path,
            "effort_rate",
            contribution_rate=self.rate,
            counted_cents=q_cents(counted),
            result_cents=q_cents(value),
            **base_params(self.base, base),
        )


def _parse_proportional(
    reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds
) -> Node | None:
    reader.only_keys(doc, ("kind", "base", "rate"), path)
    base = read_base(reader, doc, path, money_only=True)
    rate = reader.rate(doc, "rate", path)
    if base is None or rate is None:
        return None
    return Proportional(path, base, rate, rate.numerator, rate.denominator)


_EFFORT_BOUNDS = ("floor_cents", "cap_cents", "resources_floor_cents", "resources_cap_cents")


def _parse_effort_rate(
    reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds
) -> Node | None:
    reader.only_keys(doc, ("kind", "base", "rate", *_EFFORT_BOUNDS), path)
    base = read_base(reader, doc, path, money_only=True)
    rate = reader.rate(doc, "rate", path)
    bounds = {key: reader.cents(doc, key, path, required=False) for key in _EFFORT_BOUNDS}
    failed = any(key in doc and bounds[key] is None for key in _EFFORT_BOUNDS)
    ok = _ordered(reader, path, bounds, "floor_cents", "cap_cents")
    ok = _ordered(reader, path, bounds, "resources_floor_cents", "resources_cap_cents") and ok
    if base is None or rate is None or failed or not ok:
        return None
    return EffortRate(path, base, rate, rate.numerator, rate.denominator, **bounds)


def _ordered(
    reader: Reader, path: str, bounds: Mapping[str, int | None], low: str, high: str
) -> bool:
    low_value, high_value = bounds[low], bounds[high]
    if low_value is not None and high_value is not None and low_value > high_value:
        reader.add(f"{path}.{low}", f"{low} ({low_value}) is above {high} ({high_value})")
        return False
    return True


CONTRIBUTION_KINDS["proportional"] = _parse_proportional
CONTRIBUTION_KINDS["effort_rate"] = _parse_effort_rate
