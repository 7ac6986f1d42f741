"""What the research pages show (committee and researcher): indicators and projection.

One call per page, read-only, aggregates only (no household id ever reaches a page):

- ``indicators_page``: the period's headline figures (whole fund), the net transfer by
  decile and the spending by merchant kind, each cell from ``research.indicators.report``
  (suppressed cells stay suppressed: ``value`` is ``None``), with their two charts;
- ``projection_page``: ``projection.project_fund`` with the rules in force (or a version
  chosen from the stored rule sets) and, optionally, another version side by side, with the
  reserve chart;
- ``rule_choices``: the stored versions a form may offer (no id to type).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.db import tables as t
from app.engine.indicators import Cell
from app.engine.period import Period
from app.services.charts import research as charts
from app.services.errors import invalid
from app.services.projection import Request, assumptions_of, project_fund
from app.services.research.indicators import parse_range, report
from app.services.research.settings import ResearchSettings
from app.services.rules.rulesets import ADOPTED

HEADLINES = (
    "self_financing",
    "reserve_cents",
    "runway_months",
    "credit_granted_cents",
    "credit_spent_cents",
    "credit_expired_cents",
    "rationing_rate",
    "producer_share",
    "active_households",
    "arrivals",
    "departures",
)
KINDS = ("producer", "shop", "solidarity_grocery", "market")


def last_run_month(session: Session, today: date) -> Period:
    """The latest month run (the current month when none has been run yet)."""
    last = session.execute(select(func.max(col(t.MonthCredit.period)))).scalar_one_or_none()
    return Period(today.year, today.month) if last is None else Period.parse(last)


def indicators_page(
    session: Session,
    first: str | None,
    last: str | None,
    today: date,
    kind_labels: Mapping[str, str],
    words: tuple[charts.BarWords, charts.BarWords] = (charts.DECILE_WORDS, charts.KIND_WORDS),
) -> dict[str, Any]:
    """The period ``first..last`` (default: the last month run)."""
    if not first:
        first = last = str(last_run_month(session, today))
    start, end = parse_range(first, last)
    found = report(session, start, end)
    table = found.table
    cells = table.period if len(table.months) > 1 else table.months[0]
    by_key = {(c.indicator, c.group): c for c in cells}
    plain = [c.as_dict() for c in cells]
    deciles = charts.bars_of(
        plain, "net_transfer_per_household", "decile:", {str(d): str(d) for d in range(1, 11)}
    )
    kinds = charts.bars_of(
        plain, "spend_by_kind_cents", "kind:", {k: kind_labels.get(k, k) for k in KINDS}
    )
    label = table.label
    return {
        "from": str(start),
        "to": str(end),
        "label": label,
        "threshold": table.threshold,
        "fund": found.fund_name,
        "headlines": [by_key[(name, "all")] for name in HEADLINES if (name, "all") in by_key],
        "deciles": [
            (bar, by_key.get(("net_transfer_per_household", "decile:" + bar.label)))
            for bar in deciles
        ],
        "kinds": [(bar, _kind_share(by_key, bar, kind_labels)) for bar in kinds],
        "decile_svg": charts.bar_chart(deciles, words[0], label, table.threshold)
        if deciles
        else None,
        "kind_svg": charts.bar_chart(kinds, words[1], label, table.threshold) if kinds else None,
    }


def _kind_share(
    by_key: Mapping[tuple[str, str], Cell], bar: charts.Bar, labels: Mapping[str, str]
) -> Cell | None:
    code = next((k for k, v in labels.items() if v == bar.label), bar.label)
    return by_key.get(("spend_by_kind_share", "kind:" + code))


def rule_choices(session: Session, adopted_only: bool = False) -> list[dict[str, Any]]:
    """Every stored version (adopted or draft; adopted only for a researcher, see
    app.services.projection), newest first: what a form may offer."""
    query = select(t.RuleSet)
    if adopted_only:
        query = query.where(col(t.RuleSet.status) == ADOPTED)
    rows = session.execute(
        query.order_by(col(t.RuleSet.rule_set_id), col(t.RuleSet.version).desc())
    ).scalars()
    return [
        {"value": f"{r.rule_set_id}/{r.version}", "rule_set_id": r.rule_set_id,
         "version": r.version, "status": r.status}
        for r in rows
    ]  # fmt: skip


def _document(session: Session, choice: str | None, field: str) -> dict[str, Any] | None:
    if not choice:
        return None
    rule_set_id, _, version = choice.partition("/")
    row = session.execute(
        select(t.RuleSet).where(
            col(t.RuleSet.rule_set_id) == rule_set_id,
            col(t.RuleSet.version) == (int(version) if version.isdigit() else -1),
        )
    ).scalar_one_or_none()
    if row is None:
        raise invalid(field, f"no stored rule set {choice!r}")
    document: dict[str, Any] = json.loads(row.document)
    return document


def projection_page(
    session: Session,
    raw: Mapping[str, Any],
    rules: str | None,
    compare: str | None,
    today: date,
    words: charts.ReserveWords = charts.ReserveWords(),
    limits: ResearchSettings | None = None,
) -> dict[str, Any]:
    """The projection (and the comparison) with its chart; ``raw`` as ``assumptions_of``;
    ``limits`` for a researcher (app.services.projection)."""
    request = Request(
        assumptions_of(raw),
        rules=_document(session, rules, "rules"),
        compare=_document(session, compare, "compare"),
    )
    result = project_fund(session, request, today, limits)
    labelled: Sequence[tuple[str, Mapping[str, Any]]] = [("A", result["projection"])]
    if result["compare"] is not None:
        labelled = [*labelled, ("B", result["compare"])]
    return result | {"svg": charts.reserve_chart(labelled, words)}
