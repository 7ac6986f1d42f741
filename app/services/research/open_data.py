"""Open data: a fund's indicators as CSV files with a Frictionless ``datapackage.json``.

Every fund writes the same three files with the same columns, so researchers can put funds
side by side: ``indicators.csv`` (one row per cell: each month's, then the whole period's),
``definitions.csv`` (what each indicator means, its unit) and ``datapackage.json`` (fields,
types, units, the licence, the fund, the period, the suppression threshold, the rule-set
hashes the months' runs used, the engine version). Exact values are the integer
``numerator`` and ``denominator``; ``value`` is the same rounded to six decimals for
reading. A suppressed cell has empty ``numerator``, ``denominator``, ``value`` and
``households``. Deterministic: the same books give the same bytes (no time is written; zip
entries carry a fixed date).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from app.engine.indicators.cells import (
    CENTS,
    CENTS_PER_HOUSEHOLD,
    HOURS,
    HOUSEHOLDS,
    MONTHS,
    RATIO,
)
from app.services.research.indicators import FIELDS, Report, rows
from app.services.research.settings import LICENCES

LAYOUT_VERSION = "1.0.0"
ZIP_DATE = (2026, 1, 1, 0, 0, 0)
DEFINITIONS: dict[str, tuple[str, str]] = {
    "active_households": (
        HOUSEHOLDS,
        "Households assessed by the month run (distinct over a period).",
    ),
    "arrivals": (HOUSEHOLDS, "Households enrolled from the month."),
    "departures": (HOUSEHOLDS, "Households active the month before and not this month."),
    "engagement_hours": (HOURS, "Hours of engagement declared by active households."),
    "contributions_due_cents": (CENTS, "Contributions the rules asked of active households."),
    "contributions_received_cents": (CENTS, "Contributions paid by households."),
    "credit_granted_cents": (CENTS, "Food credit granted by the month runs."),
    "credit_spent_cents": (CENTS, "Credit spent at merchants, net of refunds."),
    "credit_expired_cents": (CENTS, "Unspent credit expired back to the fund."),
    "credit_spent_share": (
        RATIO,
        "Credit spent over credit available (held at the start plus granted).",
    ),
    "credit_expired_share": (RATIO, "Credit expired over credit available."),
    "credit_carried_share": (RATIO, "Credit still held at the end over credit available."),
    "rationing_rate": (RATIO, "Credit withheld by rationing over credit the rules entitled."),
    "self_financing": (RATIO, "Contributions received over credit granted."),
    "self_financing_due": (RATIO, "Contributions due over credit granted."),
    "funding_cents": (CENTS, "Money received by source: contributions, subsidy, donation, top-up."),
    "funding_share": (RATIO, "A source's share of all money received."),
    "funding_by_funder_cents": (CENTS, "Subsidies and top-ups received, by funder."),
    "reserve_cents": (CENTS, "The bank at the end of the period."),
    "runway_months": (
        MONTHS,
        "Months of credit the reserve covers at the pace of the last three months.",
    ),
    "net_transfer": (CENTS, "Credit granted minus contributions due."),
    "net_transfer_by_decile": (CENTS, "Net transfer by decile of resources per consumption unit."),
    "net_transfer_by_size": (CENTS, "Net transfer by household size (persons; 6+ pooled)."),
    "net_transfer_per_household": (CENTS_PER_HOUSEHOLD, "Net transfer per household-month."),
    "net_transfer_per_household_by_decile": (
        CENTS_PER_HOUSEHOLD,
        "Net transfer per household-month, by decile.",
    ),
    "net_transfer_per_household_by_size": (
        CENTS_PER_HOUSEHOLD,
        "Net transfer per household-month, by size.",
    ),
    "contribution_income_share": (
        RATIO,
        "Contributions due over declared income (households with known income).",
    ),
    "contribution_income_share_by_decile": (RATIO, "Contribution share of income, by decile."),
    "contribution_income_share_by_size": (
        RATIO,
        "Contribution share of income, by household size.",
    ),
    "spend_by_category_cents": (CENTS, "Credit spent by product category."),
    "spend_by_kind_cents": (
        CENTS,
        "Credit spent by merchant kind (producer, shop, solidarity_grocery, market).",
    ),
    "spend_by_kind_share": (RATIO, "A merchant kind's share of credit spent."),
    "producer_share": (RATIO, "Share of credit spent with producers."),
    "merchant_top3_share": (RATIO, "Share of credit spent at the three largest merchants."),
    "merchant_hhi": (
        RATIO,
        "Herfindahl-Hirschman index of merchants' shares of credit spent (exact).",
    ),
}
UNITS = (CENTS, RATIO, HOUSEHOLDS, MONTHS, HOURS, CENTS_PER_HOUSEHOLD)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_text(found: Report) -> str:
    """``indicators.csv``: the header ``FIELDS`` then one row per cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for cell in rows(found):
        writer.writerow([_text(cell[name]) for name in FIELDS])
    return out.getvalue()


def definitions_text() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("indicator", "unit", "description"))
    for name in sorted(DEFINITIONS):
        unit, description = DEFINITIONS[name]
        writer.writerow((name, unit, description))
    return out.getvalue()


def _field(name: str, kind: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "description": description, **extra}


def _indicator_schema() -> dict[str, Any]:
    return {
        "fields": [
            _field("period", "string", "A month YYYY-MM, or the whole period YYYY-MM..YYYY-MM."),
            _field("indicator", "string", "The indicator (see definitions.csv).",
                   constraints={"enum": sorted(DEFINITIONS)}),
            _field("group", "string", "'all', or the group: decile:N, size:N, kind:K, category:C, source:S, subsidy:F, top_up:F."),
            _field("unit", "string", "cents (euro cents), ratio, households, months, hours or cents_per_household.",
                   constraints={"enum": list(UNITS)}),
            _field("numerator", "integer", "Exact value = numerator / denominator; empty if suppressed or undefined."),
            _field("denominator", "integer", "Exact value's denominator (1 for amounts and counts)."),
            _field("value", "number", "numerator / denominator rounded half-even to 6 decimals, for reading."),
            _field("households", "integer", "Distinct households the cell is built from; empty for the fund's or funders' figures and suppressed cells."),
            _field("suppressed", "boolean", "True when withheld by statistical confidentiality.",
                   trueValues=["true"], falseValues=["false"]),
        ],
        "primaryKey": ["period", "indicator", "group"],
        "missingValues": [""],
    }  # fmt: skip


def _resource(name: str, path: str, schema: dict[str, Any], title: str) -> dict[str, Any]:
    return {
        "name": name,
        "path": path,
        "title": title,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": schema,
    }


def descriptor(found: Report) -> dict[str, Any]:
    """The ``datapackage.json`` document (see the module docstring)."""
    table = found.table
    title, url = LICENCES[found.licence]
    definitions = {
        "fields": [
            _field("indicator", "string", "The indicator's name."),
            _field("unit", "string", "Its unit.", constraints={"enum": list(UNITS)}),
            _field("description", "string", "What it measures."),
        ],
        "primaryKey": ["indicator"],
    }
    return {
        "profile": "tabular-data-package",
        "name": "caisse-indicators",
        "title": f"{found.fund_name} — indicators {table.label}",
        "description": (
            "Indicators of a citizen food fund (caisse alimentaire), computed from its books "
            f"by caisse. Cells built from fewer than {table.threshold} households are "
            "suppressed, with complementary suppression; amounts are in euro cents."
        ),
        "version": LAYOUT_VERSION,
        "licenses": [{"name": found.licence, "title": title, "path": url}],
        "keywords": ["caisse alimentaire", "food fund", "sécurité sociale de l'alimentation"],
        "caisse": {
            "fund": found.fund_name,
            "from": table.first,
            "to": table.last,
            "threshold": table.threshold,
            "rule_set_hashes": list(found.rule_set_hashes),
            "engine_version": found.engine_version,
        },
        "resources": [
            _resource("indicators", "indicators.csv", _indicator_schema(), "Indicators"),
            _resource("definitions", "definitions.csv", definitions, "Indicator definitions"),
        ],
    }


def files(found: Report) -> dict[str, str]:
    """File name -> text, for every file of the package."""
    document = json.dumps(descriptor(found), indent=2, sort_keys=True, ensure_ascii=False)
    return {
        "datapackage.json": document + "\n",
        "definitions.csv": definitions_text(),
        "indicators.csv": csv_text(found),
    }


def write_package(found: Report, directory: Path) -> list[Path]:
    """Write the package's files into ``directory`` (created if missing); their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files(found).items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def zip_bytes(found: Report) -> bytes:
    """The package as one zip (entries in name order, a fixed date)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in sorted(files(found).items()):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()
