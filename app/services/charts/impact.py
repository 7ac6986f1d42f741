"""The impact chart: contribution and credit against resources, current vs proposed, as SVG.
Shared by the API (``/v1/rules/versions/.../impact.svg``) and the committee's pages.

Hand-written SVG (no plotting library), deterministic: the same preview gives the same
bytes. Coordinates are computed exactly (integers and ``Fraction``, floored to whole pixels),
so no float is involved. The x axis is the household's income per consumption unit (the
proposed rule set's scale); households whose resources or composition are unknown cannot be
placed and are counted in the subtitle. Four series, one point per household each:
contribution and credit, under the rules in force and under the proposed rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from xml.sax.saxutils import escape

from app.engine.facts import HouseholdFacts
from app.engine.period import Period
from app.engine.preview import Preview
from app.engine.resources import Context, NeedsData
from app.engine.ruleset import RuleSet
from app.services.charts.frame import (
    TICKS,
    Frame,
    MoneyAxis,
    axis_titles,
    document,
    euros,
    money_grid,
    nice_ceiling,
    plot_box,
)

FRAME = Frame(760, 440, 80, 190, 56, 56)
WIDTH, HEIGHT = FRAME.width, FRAME.height
LEFT, TOP, PLOT_W, PLOT_H = FRAME.left, FRAME.top, FRAME.plot_w, FRAME.plot_h
# (label, attribute of the change, colour, marker): contributions are squares, credits dots.
SERIES = (
    ("Participation actuelle", "contribution_before_cents", "#9e9e9e", "square"),
    ("Participation proposée", "contribution_after_cents", "#d32f2f", "square"),
    ("Crédit actuel", "credit_before_cents", "#90caf9", "circle"),
    ("Crédit proposé", "credit_after_cents", "#1565c0", "circle"),
)

Point = tuple[Fraction, str, dict[str, int | None]]


@dataclass(frozen=True, slots=True)
class Words:
    """The chart's words (French by default; a page passes its reader's language).
    ``series``: the four series' labels in ``SERIES`` order; ``placed``, ``unplaced``:
    templates with ``{count}``."""

    title: str = "Participation et crédit selon les ressources"
    heading: str = "Participation et crédit selon les ressources : règles en vigueur et proposées"
    description: str = (
        "Participation et crédit de chaque foyer selon ses ressources par unité de"
        " consommation, avec les règles en vigueur et avec les règles proposées."
    )
    x_axis: str = "Ressources mensuelles par unité de consommation"
    y_axis: str = "Montant mensuel"
    placed: str = "{count} foyers placés"
    unplaced: str = "{count} sans ressources connues"
    series: tuple[str, str, str, str] = (
        "Participation actuelle",
        "Participation proposée",
        "Crédit actuel",
        "Crédit proposé",
    )


FRENCH = Words()


def placed(
    preview: Preview, facts: Sequence[HouseholdFacts], rules: RuleSet, month: Period
) -> tuple[list[Point], int]:
    """(income per CU, id, amounts) of each household that can be placed; count of others."""
    by_id = {f.household_id: f for f in facts}
    points: list[Point] = []
    unplaced = 0
    for change in preview.changes:
        try:
            num, den = Context(by_id[change.household_id], month, rules.definitions).base(
                "income_per_cu"
            )
        except NeedsData:
            unplaced += 1
            continue
        amounts = {attr: getattr(change, attr) for _, attr, _, _ in SERIES}
        points.append((Fraction(num, den), change.household_id, amounts))
    points.sort(key=lambda p: (p[0], p[1]))
    return points, unplaced


def _x(value: Fraction, top: int) -> int:
    return LEFT + int(value * PLOT_W / top)


def _y(value: int, top: int) -> int:
    return MoneyAxis(0, top).y(FRAME, value)


def _axes(x_top: int, y_top: int, words: Words) -> Iterable[str]:
    yield plot_box(FRAME)
    yield from money_grid(FRAME, MoneyAxis(0, y_top))
    for i in range(TICKS + 1):
        xv = x_top * i // TICKS
        yield (
            f'<text x="{_x(Fraction(xv), x_top)}" y="{TOP + PLOT_H + 16}" text-anchor="middle" '
            f'font-size="11">{euros(xv)}</text>'
        )
    yield from axis_titles(FRAME, words.x_axis, words.y_axis)


def _marker(shape: str, x: int, y: int, colour: str) -> str:
    if shape == "square":
        return f'<rect x="{x - 3}" y="{y - 3}" width="6" height="6" fill="{colour}"/>'
    return f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/>'


def _series(
    points: Sequence[Point], x_top: int, y_top: int, current: bool, words: Words
) -> Iterable[str]:
    for (_, attr, colour, shape), label in zip(SERIES, words.series, strict=True):
        if attr.endswith("_before_cents") and not current:
            continue
        yield f'<g class="series" data-series="{attr}"><title>{escape(label)}</title>'
        for x, household_id, amounts in points:
            value = amounts[attr]
            if value is not None:
                mark = _marker(shape, _x(x, x_top), _y(value, y_top), colour)
                yield mark.replace("/>", f' data-household="{escape(household_id)}"/>')
        yield "</g>"


def _legend(current: bool, words: Words) -> Iterable[str]:
    y = TOP + 10
    for (_, attr, colour, shape), label in zip(SERIES, words.series, strict=True):
        if attr.endswith("_before_cents") and not current:
            continue
        yield _marker(shape, LEFT + PLOT_W + 20, y, colour)
        yield f'<text x="{LEFT + PLOT_W + 30}" y="{y + 4}" font-size="12">{escape(label)}</text>'
        y += 20


def render(
    preview: Preview,
    facts: Sequence[HouseholdFacts],
    rules: RuleSet,
    words: Words = FRENCH,
) -> str:
    """The SVG document for ``preview`` (``rules``: the proposed set, for the x scale)."""
    points, unplaced = placed(preview, facts, rules, preview.period)
    current = preview.current is not None
    amounts = [v for _, _, a in points for v in a.values() if v is not None]
    x_top = nice_ceiling(max((int(x) for x, _, _ in points), default=0) + 1)
    y_top = nice_ceiling(max(amounts, default=0))
    subtitle = f"{preview.period} · " + words.placed.format(count=len(points))
    if unplaced:
        subtitle += " · " + words.unplaced.format(count=unplaced)
    body = [
        *_axes(x_top, y_top, words),
        *_series(points, x_top, y_top, current, words),
        *_legend(current, words),
    ]
    return document(FRAME, words.title, words.description, words.heading, subtitle, body)
