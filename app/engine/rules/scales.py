"""Scales over thresholds of one base: marginal rate, marginal amount, linear average rate.

Thresholds (``from``) are whole numbers in the base's unit, strictly increasing, the first
0, so every base value >= 0 is covered (checked by ``scales_read``). At parse time rates are put over one common
denominator and cumulative sums per threshold are computed, so evaluating a household is
one ``bisect`` plus O(1) integer work; the per-slice detail is built only for explanations.

- ``marginal_rate_scale``: sum over slices of rate × the part of the base in the slice
  (continuous, and non-decreasing in the base since rates are >= 0).
- ``marginal_amount_scale``: sum of the amounts of every threshold at or below the base.
- ``linear_average_rate_scale``: the average rate moves linearly between consecutive
  thresholds (the last rate beyond the last one); contribution = base × average rate.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache, partial
from typing import Any

from app.engine.exact import Q
from app.engine.explain import Params, Step, register_messages, sorted_params, step
from app.engine.resources import Context
from app.engine.rules.bases import (
    base_params,
    base_text,
    count_variant,
    with_count_variants,
)
from app.engine.rules.combinators import q_cents
from app.engine.rules.nodes import CONTRIBUTION_KINDS, Kinds, Node, NodeParser
from app.engine.rules.reader import Reader
from app.engine.rules.scales_read import read_rate_scale, read_scale

register_messages(
    {
        "marginal_rate_scale.slice": {
            "fr": "Tranche {range_fr} : {slice_rate} de {part_cents} = {amount_cents}.",
            "en": "Slice {range_en}: {slice_rate} of {part_cents} = {amount_cents}.",
        },
        "marginal_rate_scale": {
            "fr": "{base_fr} ({base_cents}) : somme des tranches, {result_cents}.",
            "en": "{base_en} ({base_cents}): sum of the slices, {result_cents}.",
        },
        "marginal_amount_scale.threshold": {
            "fr": "Seuil de {threshold_fr} atteint : + {amount_cents}.",
            "en": "Threshold of {threshold_en} reached: + {amount_cents}.",
        },
        "linear_average_rate_scale": {
            "fr": "{base_fr} ({base_cents}) : taux moyen de {average_rate} (de {from_rate} à {from_fr} jusqu'à {to_rate} à {to_fr}) ; participation : {result_cents}.",
            "en": "{base_en} ({base_cents}): average rate of {average_rate} (from {from_rate} at {from_en} up to {to_rate} at {to_en}); contribution: {result_cents}.",
        },
        "linear_average_rate_scale.beyond": {
            "fr": "{base_fr} ({base_cents}) atteint au moins {from_fr} : taux de {average_rate} ; participation : {result_cents}.",
            "en": "{base_en} ({base_cents}) is at least {from_en}: rate of {average_rate}; contribution: {result_cents}.",
        },
    }
)
register_messages(
    with_count_variants(
        {
            "marginal_amount_scale": {
                "fr": "{base_fr} ({base_cents}) : somme des montants des seuils atteints, {result_cents}.",
                "en": "{base_en} ({base_cents}): sum of the amounts of the thresholds reached, {result_cents}.",
            },
        }
    )
)


@dataclass(frozen=True, slots=True)
class _RateScale:
    """The fields every scale of rates holds: thresholds of one base and, per threshold, its
    rate both exact (for explanations) and over one common ``denominator`` (for evaluation)."""

    path: str
    base: str
    starts: tuple[int, ...]
    rates: tuple[Fraction, ...]
    numerators: tuple[int, ...]  # rate_i × denominator
    denominator: int


@dataclass(frozen=True, slots=True)
class MarginalRateScale(_RateScale):
    """Σ rate_i × part of the base in [from_i, from_{i+1}); rates over the common ``denominator``."""

    # Σ_{j<i} rate_j × width_j, × denominator: derived from the thresholds, so not compared.
    cumulative: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        cumulative = [0]
        for i in range(len(self.starts) - 1):
            width = self.starts[i + 1] - self.starts[i]
            cumulative.append(cumulative[-1] + self.numerators[i] * width)
        object.__setattr__(self, "cumulative", tuple(cumulative))

    def evaluate(self, ctx: Context, trace: list[Step] | None) -> Q:
        num, den = ctx.base(self.base)
        i = bisect_right(self.starts, num // den) - 1
        value = (
            self.cumulative[i] * den + self.numerators[i] * (num - self.starts[i] * den),
            self.denominator * den,
        )
        if trace is not None:
            self._explain((num, den), i, value, trace)
        return value

    def _explain(self, base: Q, last: int, value: Q, trace: list[Step]) -> None:
        num, den = base
        for i in range(last + 1):
            end = self.starts[i + 1] * den if i < last else num
            part = (end - self.starts[i] * den, den)
            trace.append(
                Step.deferred(
                    f"{self.path}.thresholds[{i}]",
                    "marginal_rate_scale.slice",
                    _slice_params,
                    self,
                    i,
                    part,
                )
            )
        trace.append(
            Step.deferred(self.path, "marginal_rate_scale", _total_params, self.base, base, value)
        )


def _slice_params(scale: MarginalRateScale, i: int, part: Q) -> Params:
    rate = scale.rates[i]
    return sorted_params(
        slice_rate=rate,
        part_cents=q_cents(part),
        amount_cents=q_cents((part[0] * rate.numerator, part[1] * rate.denominator)),
        range_fr=_slice_text(scale.base, scale.starts, i, "fr"),
        range_en=_slice_text(scale.base, scale.starts, i, "en"),
    )


def _total_params(base: str, base_value: Q, value: Q | int) -> Params:
    result = value if isinstance(value, int) else q_cents(value)
    return sorted_params(result_cents=result, **base_params(base, base_value))


@dataclass(frozen=True, slots=True)
class MarginalAmountScale:
    """Σ amount_i over the thresholds with from_i <= base (cumulative sums precomputed)."""

    path: str
    base: str
    starts: tuple[int, ...]
    amounts_cents: tuple[int, ...]
    cumulative_cents: tuple[int, ...]

    def evaluate(self, ctx: Context, trace: list[Step] | None) -> Q:
        num, den = ctx.base(self.base)
        # Thresholds are whole numbers, so base >= from exactly when floor(base) >= from.
        i = bisect_right(self.starts, num // den) - 1
        total = self.cumulative_cents[i]
        if trace is not None:
            trace.extend(_threshold_steps(self, i + 1))
            trace.append(
                Step.deferred(
                    self.path,
                    count_variant("marginal_amount_scale", self.base),
                    _total_params,
                    self.base,
                    (num, den),
                    total,
                )
            )
        return (total, 1)


@lru_cache(maxsize=4096)  # a rule's own thresholds only: the same words for every household
def _threshold_steps(scale: MarginalAmountScale, count: int) -> tuple[Step, ...]:
    return tuple(
        step(
            f"{scale.path}.thresholds[{j}]",
            "marginal_amount_scale.threshold",
            amount_cents=scale.amounts_cents[j],
            threshold_fr=base_text(scale.base, scale.starts[j], "fr"),
            threshold_en=base_text(scale.base, scale.starts[j], "en"),
        )
        for j in range(count)
    )


@dataclass(frozen=True, slots=True)
class LinearAverageRateScale(_RateScale):
    """base × average rate; the average rate is linear between thresholds, flat after the last."""

    # Per segment, the step's clause, code and parameter builder, so a household's step
    # keeps only its own integers: its segment, base and average rate (``rate``).
    labels: tuple[tuple[str, str, Callable[..., Params]], ...] = field(
        init=False, repr=False, compare=False
    )
    # Per segment ``i``: ``(constant, rise, scaled)`` with the average rate, for a base
    # ``num / den`` in it, ``(constant·den + rise·num) / (scaled·den)``; one more at the end,
    # read as ``pieces[-1]``, for a base below the first threshold (0: a negative income).
    pieces: tuple[tuple[int, int, int], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        last = len(self.starts) - 1
        build = partial(_linear_params, self)
        labels = tuple(
            (
                f"{self.path}.thresholds[{i}]",
                "linear_average_rate_scale.beyond" if i == last else "linear_average_rate_scale",
                build,
            )
            for i in range(last + 1)
        )
        object.__setattr__(self, "labels", labels)
        starts, numerators, denominator = self.starts, self.numerators, self.denominator
        pieces = []
        for i in (*range(last), -1):  # between thresholds i and i + 1: the rate moves linearly
            width = starts[i + 1] - starts[i]
            rise = numerators[i + 1] - numerators[i]
            constant = numerators[i] * width - rise * starts[i]
            pieces.append((constant, rise, denominator * width))
        pieces.insert(last, (numerators[last], 0, denominator))  # beyond the last: flat
        object.__setattr__(self, "pieces", tuple(pieces))

    def evaluate(self, ctx: Context, trace: list[Step] | None) -> Q:
        num, den = ctx.base(self.base)
        i, rate_num, rate_den = self.rate(num, den)
        if trace is not None:
            clause, code, build = self.labels[i]
            # Deferred: only integers are kept; Fractions and words are made when read.
            trace.append(Step.deferred(clause, code, build, i, num, den, rate_num, rate_den))
        return (num * rate_num, den * rate_den)

    def rate(self, num: int, den: int) -> tuple[int, int, int]:
        """The base ``num / den``'s segment ``i`` and exact average rate ``rate_num /
        rate_den``: the node's arithmetic, written once (``evaluate`` and ``average_rates``)."""
        i = bisect_right(self.starts, num // den) - 1
        constant, rise, scaled = self.pieces[i]
        return i, constant * den + rise * num, scaled * den

    def average_rates(
        self, nums: Sequence[int], dens: Sequence[int]
    ) -> tuple[Sequence[int], Sequence[int], Sequence[int]]:
        """``rate`` over a column of bases ``nums[j] / dens[j]``, as three columns (segments,
        rate numerators, rate denominators): the batch path's explanations read a whole
        column's rates from here (``app.engine.batch.paths``)."""
        if not nums:
            return (), (), ()
        segments, rate_nums, rate_dens = zip(*map(self.rate, nums, dens), strict=True)
        return segments, rate_nums, rate_dens


def _linear_params(
    scale: LinearAverageRateScale, i: int, num: int, den: int, rate_num: int, rate_den: int
) -> Params:
    # ``i`` is the segment (the step's clause and code say it too).
    return sorted_params(
        average_rate=Fraction(rate_num, rate_den),
        result_cents=q_cents((num * rate_num, den * rate_den)),
        **_segment_params(scale.base, scale.starts, scale.rates, i),
        **base_params(scale.base, (num, den)),
    )


@lru_cache(maxsize=4096)  # a rule's own segments only: explanations reuse them
def _segment_params(
    base: str, starts: tuple[int, ...], rates: tuple[Fraction, ...], i: int
) -> dict[str, Any]:
    """The fixed words of segment ``i`` (its thresholds and rates); callers must not mutate."""
    params: dict[str, Any] = {
        "from_fr": base_text(base, starts[i], "fr"),
        "from_en": base_text(base, starts[i], "en"),
        "from_rate": rates[i],
    }
    if i < len(starts) - 1:
        params["to_fr"] = base_text(base, starts[i + 1], "fr")
        params["to_en"] = base_text(base, starts[i + 1], "en")
        params["to_rate"] = rates[i + 1]
    return params


@lru_cache(maxsize=4096)  # a rule's own slices only: explanations reuse them
def _slice_text(base: str, starts: tuple[int, ...], i: int, lang: str) -> str:
    low = base_text(base, starts[i], lang)
    if i == len(starts) - 1:
        return f"au-delà de {low}" if lang == "fr" else f"above {low}"
    high = base_text(base, starts[i + 1], lang)
    return f"de {low} à {high}" if lang == "fr" else f"from {low} to {high}"


def _rate_scale_parser(build: Callable[..., Node]) -> NodeParser:
    """The parser of a scale of rates (``build`` takes a ``_RateScale``'s fields in order)."""

    def parse(reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds) -> Node | None:
        read = read_rate_scale(reader, doc, path)
        return build(path, *read) if read is not None else None

    return parse


def _parse_marginal_amount(
    reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds
) -> Node | None:
    read = read_scale(reader, doc, path, "amount_cents", money_only=False)
    if read is None:
        return None
    base, starts, amounts = read
    cumulative: list[int] = []
    for amount in amounts:
        cumulative.append((cumulative[-1] if cumulative else 0) + amount)
    return MarginalAmountScale(path, base, starts, amounts, tuple(cumulative))


CONTRIBUTION_KINDS["marginal_rate_scale"] = _rate_scale_parser(MarginalRateScale)
CONTRIBUTION_KINDS["marginal_amount_scale"] = _parse_marginal_amount
CONTRIBUTION_KINDS["linear_average_rate_scale"] = _rate_scale_parser(LinearAverageRateScale)
