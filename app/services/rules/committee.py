"""What the committee reads and decides about its rules, for its pages.

- ``overview``: the rules in force this month (with examples the engine computes for
  typical households, so the scale reads in plain amounts), those adopted for later
  months, and every stored version;
- ``version_view``: one stored version against the rules in force at its effective month:
  the documents' differences (canonical YAML, so layout never shows as a change), the
  IMPACT on the real membership (households' facts in force that month; totals, winners
  and losers, the biggest changes, deciles, the chart) and what the change costs each
  month against the fund's real money (its position now);
- ``adopt_version``: adopt a draft on the decision written in it, refused when a month
  from its effective_from on is closed or sealed (the past is fixed: app.services.rules.rulesets)
  or a version already adopted (unless it is the retry of that very adoption: same
  idempotency key).

Nothing here computes an amount itself: the engine does (``assess``, ``preview``).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.db import tables as t
from app.engine import HouseholdFacts, Person, RuleSet, parse_rule_set
from app.engine.assess import assess
from app.engine.period import Period
from app.engine.preview import Change, Preview, preview
from app.services import errors as svc
from app.services import views
from app.services.charts import impact as impact_chart
from app.services.households import facts_in_force
from app.services.rules import drafts as rule_drafts
from app.services.rules import rulesets
from app.services.rules.text import canonical_yaml

BIGGEST = 5
# Typical households the examples are computed for: (key, adults, children, income cents).
EXAMPLES = (
    ("single_1000", 1, 0, 100_000),
    ("single_2000", 1, 0, 200_000),
    ("couple_2_children_2000", 2, 2, 200_000),
)


@dataclass(frozen=True, slots=True)
class Example:
    """What a typical household owes and receives (None: not computed for it)."""

    key: str
    contribution_cents: int | None
    credit_cents: int | None
    status: str
    credit_for_whole_fund: bool


def month_of(today: date) -> Period:
    return Period(today.year, today.month)


def _example_persons(adults: int, children: int, month: Period) -> list[Person]:
    adult = date(month.year - 40, 1, 1)
    child = date(month.year - 8, 1, 1)
    return [Person(adult)] * adults + [Person(child)] * children


def examples(rules: RuleSet, month: Period) -> list[Example]:
    """The engine's amounts for the typical households of ``EXAMPLES``."""
    found = []
    for key, adults, children, income in EXAMPLES:
        persons = tuple(_example_persons(adults, children, month))
        facts = HouseholdFacts(household_id=key, persons=persons, income_cents=income)
        outcome = assess(rules, facts, month, explain=False)
        found.append(
            Example(
                key,
                outcome.contribution_cents,
                outcome.credit_cents,
                outcome.status.value,
                outcome.credit_pending_fund,
            )
        )
    return found


def formula_facts(document: Any, section: str) -> dict[str, Any]:
    """The kind of a section's formula and its parameters, as written."""
    formula = (document.get(section) or {}).get("formula") or {}
    return dict(formula) if isinstance(formula, dict) else {}


def _row_rules(row: t.RuleSet) -> RuleSet:
    return parse_rule_set(json.loads(row.document))


def _described(rules: RuleSet, row: t.RuleSet, month: Period) -> dict[str, Any]:
    return {
        **views.version_dict(row),
        "name": rules.name,
        "contribution": formula_facts(rules.document, "contribution"),
        "credit": formula_facts(rules.document, "credit"),
        "examples": examples(rules, month),
    }


def overview(session: Session, today: date) -> dict[str, Any]:
    """The rules in force this month, those adopted for later, and every version."""
    month = month_of(today)
    in_force = rulesets.rule_set_in_force(session, month)
    current = None
    if in_force is not None:
        row = views.rule_version(session, in_force.rule_set_id, in_force.version)
        current = _described(in_force, row, month)
    versions = sorted(
        views.rule_versions(session, None),
        key=lambda v: (v["effective_from"], v["version"]),
        reverse=True,
    )
    later = [v for v in versions if v["status"] == "adopted" and v["effective_from"] > str(month)]
    return {"month": str(month), "in_force": current, "later": later, "versions": versions}


def starting_text(session: Session, today: date) -> str:
    """What a new version starts from: the rules in force next month, as YAML, with the
    next free version number of that family and next month as its first month."""
    month = month_of(today).shift(1)
    current = rulesets.rule_set_in_force(session, month)
    if current is None:
        return ""
    stored = views.rule_versions(session, current.rule_set_id)
    latest = max((v["version"] for v in stored), default=current.version)
    return rule_drafts.next_version_text(current.document, month, latest + 1)


def month_status(session: Session, month: Period) -> str:
    row = session.get(t.Month, str(month))
    return "open" if row is None else row.status


def _compared_with(session: Session, proposed: RuleSet) -> RuleSet | None:
    """The rules in force at the version's month, before it (an adopted version is compared
    with the rules it followed)."""
    month = proposed.effective_from
    current = rulesets.rule_set_in_force(session, month)
    if current is not None and (current.rule_set_id, current.version) == (
        proposed.rule_set_id,
        proposed.version,
    ):
        current = rulesets.rule_set_in_force(session, month.shift(-1))
    return current


def document_diff(current: RuleSet | None, proposed: RuleSet) -> list[str]:
    """Unified diff of the two documents as canonical YAML (empty: nothing to compare)."""
    before = canonical_yaml(dict(current.document)) if current is not None else ""
    after = canonical_yaml(dict(proposed.document))
    label = f"v{current.version}" if current is not None else "-"
    return list(
        difflib.unified_diff(
            before.splitlines(), after.splitlines(), label, f"v{proposed.version}", lineterm=""
        )
    )


def biggest_changes(report: Preview, count: int = BIGGEST) -> list[Change]:
    """The households whose net position (credit − contribution) changes most."""
    comparable = [c for c in report.changes if c.net_delta_cents]
    comparable.sort(key=lambda c: (-abs(c.net_delta_cents or 0), c.household_id))
    return comparable[:count]


def monthly_cost(report: Preview) -> dict[str, int | None]:
    """Net cost per month (credits − contributions − funders' shares) before and after."""
    after = report.proposed.net_cost_cents
    before = report.current.net_cost_cents if report.current is not None else None
    return {
        "before_cents": before,
        "after_cents": after,
        "change_cents": None if before is None else after - before,
    }


def months_covered(reserve_cents: int, change_cents: int | None) -> int | None:
    """How many whole months the fund's reserve pays an extra monthly cost (None: no extra)."""
    if change_cents is None or change_cents <= 0:
        return None
    return max(reserve_cents, 0) // change_cents


def decisions(session: Session, row: t.RuleSet) -> list[str]:
    """Decisions known to the fund, the version's own first."""
    known = session.execute(select(col(t.RuleSet.decision)).distinct()).scalars()
    others = sorted({d for d in known if d and d != row.decision})
    return [row.decision, *others]


def version_view(
    session: Session,
    rule_set_id: str,
    version: int,
    today: date,
    words: impact_chart.Words = impact_chart.FRENCH,
) -> dict[str, Any]:
    """One version, what it changes, its impact and cost, and whether it can be adopted."""
    row = views.rule_version(session, rule_set_id, version)
    proposed = _row_rules(row)
    current = _compared_with(session, proposed)
    month = proposed.effective_from
    facts = [f for f, _ in facts_in_force(session, month)]
    report = preview(current, proposed, facts, month)
    cost = monthly_cost(report)
    position = views.fund_position(session)
    status = month_status(session, month)
    fixed = rulesets.closed_month_from(session, str(month))
    return {
        "version": _described(proposed, row, month_of(today)),
        "document_yaml": canonical_yaml(dict(proposed.document)),
        "compared_with": None if current is None else {"version": current.version},
        "diff": document_diff(current, proposed),
        "report": report,
        "biggest": biggest_changes(report),
        "cost": cost,
        "position": position,
        "months_covered": months_covered(position["reserve_cents"], cost["change_cents"]),
        "chart_svg": impact_chart.render(report, facts, proposed, words),
        "month_status": status,
        "adoptable": row.status == rulesets.DRAFT and fixed is None,
        # The latest month from effective_from on that is closed or sealed (the past is fixed).
        "closed_month": None if fixed is None else fixed[0],
        "decisions": decisions(session, row),
    }


def adopt_version(
    session: Session,
    rule_set_id: str,
    version: int,
    decision: str,
    *,
    actor: str,
    idempotency_key: str,
    now: datetime,
) -> dict[str, Any]:
    """Adopt a stored draft on the decision written in it.

    Refused (nothing written): a decision other than the draft's (``InvalidRequest``,
    path ``decision``); an effective month already closed or sealed (``MonthClosed``); a
    version already adopted under another key (``Conflict``)."""
    row = views.rule_version(session, rule_set_id, version)
    if decision != row.decision:
        raise svc.invalid("decision", f"the draft was written for decision {row.decision!r}")
    views.ensure_adoptable(session, row, idempotency_key)
    # A month already closed or sealed from effective_from on: refused by adopt_rule_set.
    return rulesets.adopt_rule_set(
        session, rule_set_id, version, actor=actor, idempotency_key=idempotency_key, now=now
    )
