"""A fund's indicators for whole months ``first..last``, and their one rendering.

``report`` validates the range (calendar months ``YYYY-MM``, ``first <= last``, at most
``MAX_MONTHS``; ``InvalidRequest`` naming ``from``/``to`` otherwise), loads the months
(``books.load``) and asks the engine (``app.engine.indicators.indicator_table``).
``rows`` are the cells as plain values (exact: numerator and denominator), the same for the
CLI's CSV and JSON, the API and the open data files; ``decimal`` renders a value with six
decimals, rounded half-even, for reading only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

from sqlmodel import Session

from app.engine import ENGINE_VERSION
from app.engine.collector import collector_paused
from app.engine.indicators import Cell, IndicatorTable, indicator_table
from app.engine.money import format_cents
from app.engine.period import Period
from app.services.errors import invalid
from app.services.research.books import load
from app.services.research.settings import ResearchSettings, research_settings
from app.services.rules.documents import parse_period
from app.services.rules.rulesets import rule_set_in_force

MAX_MONTHS = 120
FIELDS = (
    "period",
    "indicator",
    "group",
    "unit",
    "numerator",
    "denominator",
    "value",
    "households",
    "suppressed",
)


@dataclass(frozen=True, slots=True)
class Report:
    """The table and what the open data says about it."""

    table: IndicatorTable
    fund_name: str
    licence: str
    rule_set_hashes: tuple[str, ...]
    engine_version: str = ENGINE_VERSION


def parse_range(first: str | None, last: str | None) -> tuple[Period, Period]:
    """The months ``first..last``, or ``InvalidRequest`` naming ``from`` or ``to``."""
    if not first:
        raise invalid("from", "give the first month, YYYY-MM")
    start = parse_period(first, "from")
    end = start if not last else parse_period(last, "to")
    if end < start:
        raise invalid("to", f"the last month {end} is before the first {start}")
    if end.index() - start.index() >= MAX_MONTHS:
        raise invalid("to", f"at most {MAX_MONTHS} months at once")
    return start, end


def report(
    session: Session, first: Period, last: Period, settings: ResearchSettings | None = None
) -> Report:
    """The indicators of ``first..last`` under the fund's research settings."""
    chosen = settings or research_settings()
    # A year of 100,000 households is 1.2 million small objects alive till the end: the
    # cyclic collector would walk them all again and again, freeing nothing.
    with collector_paused():
        loaded = load(session, first, last)
        table = indicator_table(loaded.months, chosen.threshold)
    name = chosen.fund_name
    if name is None:
        rules = rule_set_in_force(session, last)
        name = rules.name if rules is not None else "caisse"
    return Report(table, name, chosen.licence, tuple(loaded.rule_set_hashes))


def decimal(value: Fraction | None) -> str | None:
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN))


def row(cell: Cell) -> dict[str, Any]:
    found = cell.as_dict()
    found["value"] = decimal(cell.value)
    return {name: found[name] for name in FIELDS}


def rows(found: Report) -> list[dict[str, Any]]:
    """Every month's cells, then the whole period's (when it spans several months)."""
    return [row(cell) for cell in found.table.all_cells()]


def as_json(found: Report) -> dict[str, Any]:
    table = found.table
    return {
        "fund": found.fund_name,
        "from": table.first,
        "to": table.last,
        "threshold": table.threshold,
        "licence": found.licence,
        "rule_set_hashes": list(found.rule_set_hashes),
        "engine_version": found.engine_version,
        "cells": rows(found),
    }


def as_text(found: Report) -> str:
    """For people reading a terminal: one line per cell, the whole period first."""
    table = found.table
    lines = [f"{found.fund_name} — indicateurs {table.label} (seuil {table.threshold} foyers)"]
    cells = table.period if len(table.months) > 1 else table.months[0]
    for cell in cells:
        shown = "secret statistique" if cell.suppressed else _shown(cell)
        lines.append(f"  {cell.indicator} [{cell.group}] : {shown}")
    return "\n".join(lines) + "\n"


def _shown(cell: Cell) -> str:
    if cell.value is None:
        return "sans objet"
    if cell.unit == "cents":
        return f"{format_cents(int(cell.value))} €"
    whole = cell.value.denominator == 1
    return f"{cell.value.numerator if whole else decimal(cell.value)} ({cell.unit})"
