"""Engine commands: ``caisse check-rules``, ``caisse assess``, ``caisse preview``.

- ``check-rules FILE``: validates a rule document (every problem with its path; exit 2 if
  invalid), then runs the property checks (exit 1 if any finding is an error, else 0).
- ``assess --rules FILE --households FILE``: one month of the fund (fund-level credits and
  rationing to ``--budget-cents`` included), with each household's explanation.
- ``preview --current FILE --proposed FILE --households FILE``: the impact of a new rule set.

Output is JSON with sorted keys by default (amounts in integer cents); ``--text`` renders
for people, in French unless ``--lang en``. Files are read here, never by the engine; the
households file format is documented in ``app.cli.engine_io``.

Start-up: ``register`` runs for every ``caisse`` command (even ``--help``), so this module
imports the standard library only; the engine, YAML and the renderers are imported by the
handlers that use them (``tests/cli/test_cli_start.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.engine import HouseholdFacts, Period, RuleSet


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = subparsers.add_parser(
        "check-rules", help="validate a rule document and check its properties"
    )
    check.add_argument("file", metavar="FILE", help="rule document (JSON or YAML)")
    check.add_argument("--households", help="households file, for the budget projection")
    check.add_argument("--period", type=_period, help="month YYYY-MM (default: effective_from)")
    check.add_argument(
        "--max-marginal-rate", type=_rate, default=Fraction(1), help='e.g. "0.5" (default "1")'
    )
    check.add_argument("--max-share", type=_rate, help='largest share of resources, e.g. "0.1"')
    check.add_argument("--budget-cents", type=_cents, help="the month's budget for credits")
    _output_options(check)
    check.set_defaults(handler=_check_rules)

    run = subparsers.add_parser("assess", help="assess households for one month")
    run.add_argument("--rules", required=True, help="rule document (JSON or YAML)")
    run.add_argument("--households", required=True, help="households file (JSON or YAML)")
    run.add_argument("--period", type=_period, help="month YYYY-MM (default: effective_from)")
    run.add_argument("--budget-cents", type=_cents, help="ration credits to this budget")
    run.add_argument("--no-explain", action="store_true", help="leave explanations out")
    _output_options(run)
    run.set_defaults(handler=_assess)

    compare = subparsers.add_parser("preview", help="impact of proposed rules against current")
    compare.add_argument("--current", help="rules in force (omit: no fund yet)")
    compare.add_argument("--proposed", required=True, help="proposed rule document")
    compare.add_argument("--households", required=True, help="households file (JSON or YAML)")
    compare.add_argument("--period", type=_period, help="month YYYY-MM (default: proposed's)")
    compare.add_argument("--budget-cents", type=_cents, help="the month's budget for credits")
    _output_options(compare)
    compare.set_defaults(handler=_preview)


def _output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--text", action="store_true", help="readable text instead of JSON")
    parser.add_argument("--lang", choices=("fr", "en"), default="fr", help="language of --text")


def _period(text: str) -> Period:
    from app.engine.period import Period

    try:
        return Period.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _rate(text: str) -> Fraction:
    from app.engine.money import parse_rate

    try:
        return parse_rate(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _cents(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number of cents, got {text!r}")
    return int(text)


def _emit(value: Any) -> None:
    print(json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False))


class _Stop(Exception):
    """Input that cannot be used: already reported, exit with ``code``."""

    def __init__(self, code: int) -> None:
        self.code = code


def _rules(path: str, args: argparse.Namespace) -> RuleSet:
    """Load and validate a rule document, reporting every problem (exit 2) if invalid."""
    from app.cli.engine_io import InputFileError, load_document
    from app.cli.engine_text import problems_text
    from app.engine import RuleSetInvalid, parse_rule_set

    try:
        return parse_rule_set(load_document(path))
    except (InputFileError, RuleSetInvalid) as error:
        problems = list(error.problems)
        if args.text:
            print(problems_text(path, problems, args.lang))
        else:
            _emit({"file": path, "valid": False, "problems": [p.as_dict() for p in problems]})
        raise _Stop(2) from None


def _households(path: str) -> list[HouseholdFacts]:
    from app.cli.engine_io import InputFileError, load_document, read_households

    try:
        return read_households(load_document(path))
    except InputFileError as error:
        for problem in error.problems:
            print(f"{path}: {problem.path}: {problem.message}", file=sys.stderr)
        raise _Stop(2) from None


def _guarded(handler: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        from app.engine import InvalidInput

        try:
            code: int = handler(args)
        except _Stop as stop:
            return stop.code
        except InvalidInput as error:
            for problem in error.problems:
                print(f"{problem.path}: {problem.message}", file=sys.stderr)
            return 2
        return code

    return run


@_guarded
def _check_rules(args: argparse.Namespace) -> int:
    from app.cli.engine_text import check_text
    from app.engine.checks import Severity, check_rules

    rules = _rules(args.file, args)
    households = _households(args.households) if args.households else None
    findings = check_rules(
        rules,
        households=households,
        period=args.period,
        max_marginal_rate=args.max_marginal_rate,
        max_share_of_resources=args.max_share,
        budget_cents=args.budget_cents,
    )
    if args.text:
        print(check_text(rules, findings, args.lang))
    else:
        _emit(
            {
                "file": args.file,
                "valid": True,
                "problems": [],
                "rule_set": rules.ref.as_dict(),
                "findings": [finding.as_dict() for finding in findings],
            }
        )
    return 1 if any(f.severity is Severity.ERROR for f in findings) else 0


@_guarded
def _assess(args: argparse.Namespace) -> int:
    from app.cli.engine_text import assess_text
    from app.engine.fund import assess_fund

    rules = _rules(args.rules, args)
    households = _households(args.households)
    period = args.period or rules.effective_from
    month = assess_fund(
        rules, households, period, budget_cents=args.budget_cents, explain=not args.no_explain
    )
    if args.text:
        print(assess_text(rules, month, args.lang))
        return 0
    totals = month.totals
    _emit(
        {
            "period": str(period),
            "rule_set": rules.ref.as_dict(),
            "budget_cents": args.budget_cents,
            "totals": {
                "households": totals.households,
                "by_status": dict(totals.by_status),
                "contributions_cents": totals.contributions_cents,
                "entitlements_cents": totals.entitlements_cents,
                "credits_cents": totals.credits_cents,
                "funder_shares_cents": totals.funder_shares_cents,
                "shortfall_cents": totals.shortfall_cents,
            },
            "assessments": [item.as_dict() for item in month.assessments],
        }
    )
    return 0


@_guarded
def _preview(args: argparse.Namespace) -> int:
    from app.cli.engine_text import preview_text
    from app.engine.preview import preview

    current = _rules(args.current, args) if args.current else None
    proposed = _rules(args.proposed, args)
    households = _households(args.households)
    period = args.period or proposed.effective_from
    result = preview(current, proposed, households, period, budget_cents=args.budget_cents)
    if args.text:
        print(preview_text(result, args.lang))
    else:
        _emit(result.as_dict())
    return 0
