"""What every chart of the pages and the API shares: the frame, the money axis, the words.

Hand-written SVG (no plotting library), deterministic: the same figures give the same bytes.
Coordinates are computed from integers (cents) with floor division, so no float is
involved. The money axis runs from a "nice" floor (0, or minus a nice ceiling when a value
is negative) to a nice ceiling, labelled in whole euros with a thin space between thousands.
Used by ``impact_chart`` (the committee's rule impact) and ``research_charts`` (the reserve
projection, redistribution by decile, spending by merchant kind).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

TICKS = 5


@dataclass(frozen=True, slots=True)
class Frame:
    """The drawing's size and the plot area's margins, in pixels."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int

    @property
    def plot_w(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> int:
        return self.height - self.top - self.bottom


@dataclass(frozen=True, slots=True)
class MoneyAxis:
    """A vertical axis from ``low_cents`` (0 or below) to ``high_cents`` (above ``low``)."""

    low_cents: int
    high_cents: int

    def y(self, frame: Frame, cents: int) -> int:
        span = self.high_cents - self.low_cents
        return frame.top + frame.plot_h - ((cents - self.low_cents) * frame.plot_h) // span

    def ticks(self) -> list[int]:
        span = self.high_cents - self.low_cents
        return [self.low_cents + span * i // TICKS for i in range(TICKS + 1)]


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10^k at least ``value`` (at least 100 cents)."""
    step = 100
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def money_axis(values: Iterable[int]) -> MoneyAxis:
    """An axis holding every value, zero included: nice bounds, zero on a tick when the
    values have both signs (the bounds are then ± the same nice ceiling)."""
    seen = list(values)
    high, low = max(seen, default=0), min(seen, default=0)
    if low >= 0:
        return MoneyAxis(0, nice_ceiling(high))
    if high <= 0:
        return MoneyAxis(-nice_ceiling(-low), 0)
    bound = nice_ceiling(max(high, -low))
    return MoneyAxis(-bound, bound)


def euros(cents: int) -> str:
    """Whole euros with a thin space between thousands: ``123456 -> "1 234 €"``."""
    whole = cents // 100 if cents >= 0 else -(-cents // 100)
    return f"{whole:,}".replace(",", "\u202f").replace("-", "\u2212") + "\u00a0€"


def money_grid(frame: Frame, axis: MoneyAxis) -> Iterable[str]:
    """Horizontal grid lines and their euro labels, left of the plot."""
    for value in axis.ticks():
        y = axis.y(frame, value)
        colour = "#888" if value == 0 and axis.low_cents < 0 else "#eee"
        yield f'<line x1="{frame.left}" y1="{y}" x2="{frame.left + frame.plot_w}" y2="{y}" stroke="{colour}"/>'
        yield (
            f'<text x="{frame.left - 6}" y="{y + 4}" text-anchor="end" font-size="11">'
            f"{euros(value)}</text>"
        )


def plot_box(frame: Frame) -> str:
    return (
        f'<rect x="{frame.left}" y="{frame.top}" width="{frame.plot_w}" height="{frame.plot_h}" '
        'fill="#fff" stroke="#444"/>'
    )


def axis_titles(frame: Frame, x_title: str, y_title: str) -> Iterable[str]:
    middle = frame.top + frame.plot_h // 2
    yield (
        f'<text x="{frame.left + frame.plot_w // 2}" y="{frame.height - 12}" '
        f'text-anchor="middle" font-size="12">{escape(x_title)}</text>'
    )
    yield (
        f'<text x="18" y="{middle}" text-anchor="middle" font-size="12" '
        f'transform="rotate(-90 18 {middle})">{escape(y_title)}</text>'
    )


def document(
    frame: Frame, title: str, description: str, heading: str, subtitle: str, body: Sequence[str]
) -> str:
    """The SVG document: an image with a title and description for screen readers."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{frame.width}" height="{frame.height}" '
        f'viewBox="0 0 {frame.width} {frame.height}" font-family="sans-serif" role="img">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(description)}</desc>",
        f'<text x="{frame.left}" y="22" font-size="15" font-weight="bold">{escape(heading)}</text>',
        f'<text x="{frame.left}" y="40" font-size="12" fill="#555">{escape(subtitle)}</text>',
        *body,
        "</svg>",
    ]
    return "\n".join(parts) + "\n"
