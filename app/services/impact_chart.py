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

WIDTH, HEIGHT = 760, 440
LEFT, RIGHT, TOP, BOTTOM = 80, 190, 56, 56
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
TICKS = 5
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


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10^k at least ``value`` (at least 100 cents)."""
    step = 100
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def euros(cents: int) -> str:
    """Whole euros with a thin space between thousands: ``123456 -> "1 234 €"``."""
    whole = cents // 100
    return f"{whole:,}".replace(",", "\u202f") + "\u00a0€"


def _x(value: Fraction, top: int) -> int:
    return LEFT + int(value * PLOT_W / top)


def _y(value: int, top: int) -> int:
    return TOP + PLOT_H - (value * PLOT_H) // top


def _axes(x_top: int, y_top: int, words: Words) -> Iterable[str]:
    yield (
        f'<rect x="{LEFT}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}" fill="#fff" stroke="#444"/>'
    )
    for i in range(TICKS + 1):
        yv, xv = y_top * i // TICKS, x_top * i // TICKS
        y, x = _y(yv, y_top), _x(Fraction(xv), x_top)
        yield f'<line x1="{LEFT}" y1="{y}" x2="{LEFT + PLOT_W}" y2="{y}" stroke="#eee"/>'
        yield (
            f'<text x="{LEFT - 6}" y="{y + 4}" text-anchor="end" font-size="11">{euros(yv)}</text>'
        )
        yield (
            f'<text x="{x}" y="{TOP + PLOT_H + 16}" text-anchor="middle" font-size="11">'
            f"{euros(xv)}</text>"
        )
    yield (
        f'<text x="{LEFT + PLOT_W // 2}" y="{HEIGHT - 12}" text-anchor="middle" '
        'font-size="12">' + escape(words.x_axis) + "</text>"
    )
    yield (
        f'<text x="18" y="{TOP + PLOT_H // 2}" text-anchor="middle" font-size="12" '
        f'transform="rotate(-90 18 {TOP + PLOT_H // 2})">{escape(words.y_axis)}</text>'
    )


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
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" role="img">',
        f"<title>{escape(words.title)}</title>",
        f"<desc>{escape(words.description)}</desc>",
        f'<text x="{LEFT}" y="22" font-size="15" font-weight="bold">{escape(words.heading)}</text>',
        f'<text x="{LEFT}" y="40" font-size="12" fill="#555">{escape(subtitle)}</text>',
        *_axes(x_top, y_top, words),
        *_series(points, x_top, y_top, current, words),
        *_legend(current, words),
        "</svg>",
    ]
    return "\n".join(parts) + "\n"
