"""The research charts: exact pixels from cents, suppressed cells drawn as "—", no household.

Frame: 760 × 420, plot from x = 84 (506 wide) and y = 56 (300 high).
"""

from __future__ import annotations

from typing import Any

from app.services.charts.frame import euros, money_axis
from app.services.charts.research import (
    DECILE_WORDS,
    Bar,
    bar_chart,
    bars_of,
    reserve_chart,
)


def month(period: str, reserve_end_cents: int, rationed: bool = False) -> dict[str, Any]:
    return {"period": period, "reserve_end_cents": reserve_end_cents, "rationed": rationed}


PROJECTION = {
    "start": "2026-11",
    "reserve_cents": 100_000,
    "months": [month("2026-11", 67_500), month("2026-12", 40_000, rationed=True)],
}


def test_the_reserve_line_is_placed_exactly_from_the_cents() -> None:
    svg = reserve_chart([("A", PROJECTION)])
    # Axis 0..100 000 cents; two slots centred at 84 + 506/4 and 84 + 3 × 506/4 (floored);
    # y = 356 − cents × 300 // 100 000: 67 500 -> 154, 40 000 -> 236.
    assert '<polyline points="210,154 463,236"' in svg
    assert svg.count('class="rationed"') == 1
    assert "<title>Réserve projetée</title>" in svg
    assert "1\u202f000\u00a0€" in svg  # the top tick


def test_two_rule_sets_are_two_lines_with_a_legend() -> None:
    other = PROJECTION | {"months": [month("2026-11", 80_000), month("2026-12", 70_000)]}
    svg = reserve_chart([("A", PROJECTION), ("B", other)])
    assert svg.count("<polyline") == 2
    assert "Règles A" in svg and "Règles B" in svg


def test_negative_bars_hang_below_zero_and_suppressed_cells_show_a_dash() -> None:
    bars = [Bar("1", 2_000), Bar("2", None), Bar("3", -1_000)]
    svg = bar_chart(bars, DECILE_WORDS, "2026-11", 10)
    # Axis −2 000..2 000: zero at y = 356 − 2 000 × 300 // 4 000 = 206; 2 000 -> 56; −1 000 -> 281.
    assert 'y="56" width=' in svg and 'height="150"' in svg
    assert 'y="206" width=' in svg and 'height="75"' in svg
    assert svg.count('class="suppressed">\u2014<') == 1
    assert "moins de 10 foyers" in svg


def test_bars_follow_the_given_order_and_round_a_mean_to_the_cent() -> None:
    cells = [
        {"indicator": "net", "group": "decile:2", "numerator": 10, "denominator": 3,
         "suppressed": False},
        {"indicator": "net", "group": "decile:1", "numerator": None, "denominator": None,
         "suppressed": True},
        {"indicator": "other", "group": "decile:1", "numerator": 1, "denominator": 1,
         "suppressed": False},
    ]  # fmt: skip
    assert bars_of(cells, "net", "decile:", {"1": "1", "2": "2"}) == [Bar("1", None), Bar("2", 3)]


def test_money_axis_and_euros() -> None:
    assert money_axis([0, 12_345]).high_cents == 20_000
    assert money_axis([-12_345, 0]).low_cents == -20_000
    assert euros(-150_000) == "\u22121\u202f500\u00a0€"
