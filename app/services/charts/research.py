"""The research charts, as SVG: the reserve projected month by month (one or two rule sets
side by side), the net transfer by decile of resources, and the spending by merchant kind.

Built on ``svg_chart`` (the frame and money axis the rule impact chart uses), deterministic
and exact (cents, integer pixels). Inputs are the plain data the API and the pages already
have: a projection as ``app.services.projection.as_dict`` gives it, indicator cells as
``Cell.as_dict`` gives them. A suppressed cell (built from too few households) is drawn as
no bar, labelled "—", and the subtitle says why; nothing about a household is drawn.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any
from xml.sax.saxutils import escape

from app.engine.money import round_fraction
from app.services.charts.frame import (
    Frame,
    MoneyAxis,
    axis_titles,
    document,
    money_axis,
    money_grid,
    plot_box,
)

FRAME = Frame(760, 420, 84, 170, 56, 64)
COLOURS = ("#1565c0", "#ef6c00")
RATIONED = "#c62828"
DASH = "\u2014"


@dataclass(frozen=True, slots=True)
class ReserveWords:
    """The reserve chart's words (French by default; pages pass their reader's language)."""

    title: str = "Réserve projetée"
    heading: str = "Réserve de la caisse, mois par mois"
    description: str = (
        "Réserve libre de la caisse à la fin de chaque mois projeté, selon les hypothèses"
        " indiquées ; un cercle rouge marque un mois où les crédits seraient rationnés."
    )
    x_axis: str = "Mois"
    y_axis: str = "Réserve à la fin du mois"
    rules: str = "Règles {label}"
    rationed: str = "Mois rationné"
    subtitle: str = "À partir de {start}, {months} mois"


@dataclass(frozen=True, slots=True)
class BarWords:
    """A bar chart's words; ``suppressed``: the note under a chart with hidden cells."""

    title: str
    heading: str
    description: str
    x_axis: str
    y_axis: str
    subtitle: str
    suppressed: str = "— : moins de {threshold} foyers, chiffre masqué"


DECILE_WORDS = BarWords(
    title="Transfert net par décile",
    heading="Transfert net moyen par foyer, par décile de ressources",
    description=(
        "Crédit reçu moins participation due, en moyenne par foyer et par mois, pour chaque"
        " dixième des foyers rangés par ressources par unité de consommation."
    ),
    x_axis="Décile de ressources par unité de consommation (1 : les plus modestes)",
    y_axis="Par foyer",
    subtitle="{period}",
)
KIND_WORDS = BarWords(
    title="Dépenses par type de commerce",
    heading="Crédit dépensé par type de commerce",
    description="Crédit dépensé chez chaque type de commerce conventionné sur la période.",
    x_axis="Type de commerce",
    y_axis="Crédit dépensé",
    subtitle="{period}",
)


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its label and its value in cents (``None`` when the cell is suppressed)."""

    label: str
    cents: int | None


def _x_slots(count: int) -> list[int]:
    """The centre of each of ``count`` equal slots across the plot."""
    width = FRAME.plot_w
    return [FRAME.left + (2 * i + 1) * width // (2 * count) for i in range(count)]


def reserve_chart(
    projections: Sequence[tuple[str, Mapping[str, Any]]], words: ReserveWords = ReserveWords()
) -> str:
    """The reserve at each month's end, one line per ``(label, projection)``."""
    first = projections[0][1]
    periods = [m["period"] for m in first["months"]]
    values = [m["reserve_end_cents"] for _, p in projections for m in p["months"]]
    axis = money_axis([*values, first["reserve_cents"]])
    xs = _x_slots(len(periods))
    body = [plot_box(FRAME), *money_grid(FRAME, axis)]
    body += [_tick(x, period) for x, period in zip(xs, periods, strict=True)]
    for index, (label, projection) in enumerate(projections):
        body += _reserve_line(projection, xs, axis, COLOURS[index % len(COLOURS)], label, words)
    body += list(axis_titles(FRAME, words.x_axis, words.y_axis))
    body += list(_reserve_legend(projections, words))
    subtitle = words.subtitle.format(start=first["start"], months=len(periods))
    return document(FRAME, words.title, words.description, words.heading, subtitle, body)


def _tick(x: int, label: str) -> str:
    y = FRAME.top + FRAME.plot_h + 16
    return f'<text x="{x}" y="{y}" text-anchor="middle" font-size="10">{escape(label)}</text>'


def _reserve_line(
    projection: Mapping[str, Any],
    xs: Sequence[int],
    axis: MoneyAxis,
    colour: str,
    label: str,
    words: ReserveWords,
) -> Iterable[str]:
    points = [
        (x, axis.y(FRAME, m["reserve_end_cents"]), m)
        for x, m in zip(xs, projection["months"], strict=True)
    ]
    path = " ".join(f"{x},{y}" for x, y, _ in points)
    yield f'<g class="series" data-rules="{escape(label)}"><title>{escape(words.rules.format(label=label))}</title>'
    yield f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
    for x, y, month in points:
        yield f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/>'
        if month["rationed"]:
            yield f'<circle cx="{x}" cy="{y}" r="7" fill="none" stroke="{RATIONED}" stroke-width="2" class="rationed"/>'
    yield "</g>"


def _reserve_legend(
    projections: Sequence[tuple[str, Mapping[str, Any]]], words: ReserveWords
) -> Iterable[str]:
    x, y = FRAME.left + FRAME.plot_w + 16, FRAME.top + 10
    for index, (label, _) in enumerate(projections):
        colour = COLOURS[index % len(COLOURS)]
        yield f'<line x1="{x}" y1="{y}" x2="{x + 18}" y2="{y}" stroke="{colour}" stroke-width="2"/>'
        yield f'<text x="{x + 24}" y="{y + 4}" font-size="12">{escape(words.rules.format(label=label))}</text>'
        y += 20
    yield f'<circle cx="{x + 9}" cy="{y}" r="7" fill="none" stroke="{RATIONED}" stroke-width="2"/>'
    yield f'<text x="{x + 24}" y="{y + 4}" font-size="12">{escape(words.rationed)}</text>'


def bar_chart(bars: Sequence[Bar], words: BarWords, period: str, threshold: int) -> str:
    """Vertical bars from zero (down for a negative value); "—" for a suppressed cell."""
    axis = money_axis([b.cents for b in bars if b.cents is not None])
    xs = _x_slots(max(1, len(bars)))
    half = max(4, FRAME.plot_w // max(1, len(bars)) // 3)
    zero = axis.y(FRAME, 0)
    body = [plot_box(FRAME), *money_grid(FRAME, axis)]
    for x, bar in zip(xs, bars, strict=False):
        body.append(_tick(x, bar.label))
        if bar.cents is None:
            body.append(
                f'<text x="{x}" y="{zero - 6}" text-anchor="middle" font-size="14" '
                f'class="suppressed">{DASH}</text>'
            )
            continue
        y = axis.y(FRAME, bar.cents)
        top, height = min(y, zero), abs(zero - y)
        body.append(
            f'<rect x="{x - half}" y="{top}" width="{2 * half}" height="{height}" '
            f'fill="{COLOURS[0]}"><title>{escape(bar.label)}</title></rect>'
        )
    body += list(axis_titles(FRAME, words.x_axis, words.y_axis))
    subtitle = words.subtitle.format(period=period)
    if any(b.cents is None for b in bars):
        subtitle += " · " + words.suppressed.format(threshold=threshold)
    return document(FRAME, words.title, words.description, words.heading, subtitle, body)


def _cents(cell: Mapping[str, Any]) -> int | None:
    if cell.get("suppressed") or cell.get("numerator") is None:
        return None
    return round_fraction(Fraction(cell["numerator"], cell["denominator"]))


def bars_of(
    cells: Iterable[Mapping[str, Any]], indicator: str, prefix: str, labels: Mapping[str, str]
) -> list[Bar]:
    """The cells of ``indicator`` whose group starts with ``prefix``, in ``labels`` order
    (the label shown for each group suffix); groups not in ``labels`` follow, by name."""
    found = {
        c["group"][len(prefix) :]: _cents(c)
        for c in cells
        if c["indicator"] == indicator and c["group"].startswith(prefix)
    }
    order = [k for k in labels if k in found] + sorted(k for k in found if k not in labels)
    return [Bar(labels.get(k, k), found[k]) for k in order]
