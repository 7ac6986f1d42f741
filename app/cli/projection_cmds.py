"""``caisse project``: the fund's months ahead under stated assumptions (writes nothing).

The projection is ``app.services.projection.project_fund``, the path the API and the pages
take. ``--rules FILE`` projects a draft rule document instead of the rules in force,
``--compare FILE`` adds a second projection under another document, side by side. Rates are
exact decimal strings (``--income-drift 0.01`` is +1 % a month), subsidies ``YYYY-MM=CENTS``
(repeatable). ``--format`` text (French, for people), csv (one row per rule set and month)
or json (default; cents and exact fractions). Exit 2 on bad input, naming what to fix.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

CSV_FIELDS = (
    "period",
    "households",
    "arrivals",
    "departures",
    "income_factor",
    "subsidy_cents",
    "reserve_start_cents",
    "contribution_cents",
    "funder_share_cents",
    "entitlement_cents",
    "budget_cents",
    "credit_cents",
    "rationed",
    "shortfall_cents",
    "served",
    "spent_cents",
    "expired_cents",
    "reserve_end_cents",
    "credit_outstanding_cents",
)


def _subsidy(text: str) -> tuple[str, int]:
    period, sep, cents = text.partition("=")
    if not sep or not cents.isdigit():
        raise argparse.ArgumentTypeError(f"expected YYYY-MM=CENTS, got {text!r}")
    return period, int(cents)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = subparsers.add_parser("project", help="project the fund's reserve months ahead")
    cmd.add_argument("--months", type=int, default=12, help="months ahead (default 12)")
    cmd.add_argument("--start", metavar="YYYY-MM", help="first month (default: the next to run)")
    cmd.add_argument("--rules", metavar="FILE", help="a draft rule document (JSON or YAML)")
    cmd.add_argument("--compare", metavar="FILE", help="a second rule document, side by side")
    cmd.add_argument("--arrivals", type=int, default=0, help="households joining each month")
    cmd.add_argument("--departures", type=int, default=0, help="households leaving each month")
    cmd.add_argument("--income-drift", default="0", help="monthly income change, e.g. 0.01")
    cmd.add_argument("--spend-rate", default="1", help="share of credit spent a month, e.g. 0.9")
    cmd.add_argument("--subsidy", type=_subsidy, action="append", default=[],
                     metavar="YYYY-MM=CENTS", help="a subsidy received before that month's run")  # fmt: skip
    cmd.add_argument("--format", choices=("text", "csv", "json"), default="json")
    cmd.set_defaults(handler=run_project)


def raw_assumptions(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "months": args.months,
        "arrivals_per_month": args.arrivals,
        "departures_per_month": args.departures,
        "income_drift": args.income_drift,
        "spend_rate": args.spend_rate,
        "subsidies": dict(args.subsidy),
    }


def run_project(args: argparse.Namespace) -> int:
    from app.cli.api_cmds import ensure_schema, shown_url
    from app.cli.engine_io import InputFileError, load_document
    from app.db.session import make_engine, unit_of_work
    from app.db.settings import load_settings
    from app.services.errors import ServiceError
    from app.services.projection import Request, assumptions_of, project_fund
    from app.services.rules.documents import parse_period

    settings = load_settings()
    print(f"caisse: reads the database {shown_url(settings.database_url)}", file=sys.stderr)
    try:
        rules = None if args.rules is None else load_document(args.rules)
        other = None if args.compare is None else load_document(args.compare)
        start = None if args.start is None else parse_period(args.start, "start")
        request = Request(assumptions_of(raw_assumptions(args)), start, rules, other)
    except InputFileError as error:
        print(f"caisse: {error}", file=sys.stderr)
        return 2
    except ServiceError as error:
        return _refused(error)
    ensure_schema(settings)
    engine = make_engine(settings)
    try:
        with unit_of_work(engine) as session:
            result = project_fund(session, request, datetime.now(UTC).date())
    except ServiceError as error:
        return _refused(error)
    finally:
        engine.dispose()
    write(result, args.format, sys.stdout)
    return 0


def _refused(error: Any) -> int:
    lines = [error.detail] + [f"  {p.path}: {p.message}" for p in error.problems]
    print("\n".join(lines), file=sys.stderr)
    return 2


def write(result: dict[str, Any], fmt: str, out: Any) -> None:
    if fmt == "json":
        out.write(json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        _csv(result, out)
    else:
        out.write(text(result))


def _csv(result: dict[str, Any], out: Any) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("rules", "rule_set_hash", *CSV_FIELDS))
    for label, projection in _labelled(result):
        for month in projection["months"]:
            ref = month["rule_set"]
            writer.writerow((label, ref["content_hash"], *(month[f] for f in CSV_FIELDS)))


def _labelled(result: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    pairs = [("A", result["projection"])]
    if result.get("compare") is not None:
        pairs.append(("B", result["compare"]))
    return pairs


def text(result: dict[str, Any]) -> str:
    """The projection in French: the summary, a table of reserves, each month explained."""
    from app.engine.money import format_cents
    from app.engine.projection import share_percent

    lines = []
    pairs = _labelled(result)
    for label, projection in pairs:
        first = projection["months"][0]["rule_set"]
        lines.append(f"Règles {label} : {first['rule_set_id']} v{first['version']}")
        lines.append(projection["summary"]["fr"])
    header = "Mois     " + "".join(
        f"{'Réserve ' + label:>16}{'Servi ' + label:>10}" for label, _ in pairs
    )
    lines += ["", header]
    for index, month in enumerate(pairs[0][1]["months"]):
        row = f"{month['period']:<9}"
        for _, projection in pairs:
            m = projection["months"][index]
            served = share_percent(Fraction(m["served"]))
            row += f"{format_cents(m['reserve_end_cents']) + ' €':>16}{served:>10}"
        lines.append(row)
    for label, projection in pairs:
        lines += ["", f"Règles {label}, mois par mois :"]
        lines += [f"- {m['explanation']['fr']}" for m in projection["months"]]
    return "\n".join(lines) + "\n"
