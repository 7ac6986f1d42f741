"""``caisse receipts settings|donor|issue|list|show``: tax receipts (Cerfa 11580) from the
shell, for the fund's operators.

- ``settings FILE``: the organisation's facts, the reduction rate and its ceiling (a JSON or
  YAML document, app.services.receipts.settings);
- ``donor ID --name --address --mode [--household]``: a donor's identity (personal data);
- ``issue --year 2027 [--on DAY]``: the year's receipts not issued yet, numbered without gaps;
- ``list --year 2027``: the year's receipts (no personal data);
- ``show 2027-000001 [--out FILE]``: the receipt's PDF, the same bytes at every reprint.

Output is JSON (the PDF goes to ``--out`` or to standard output as bytes). Refusals name the
field and exit 2. Start-up: the services are imported by the handlers only.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli.api_cmds import ensure_schema, shown_url
from app.db.settings import load_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

ACTOR = "operator:cli"
MODES = ("cheque", "virement", "especes")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    receipts = subparsers.add_parser("receipts", help="tax receipts (reçus fiscaux) for gifts")
    actions = receipts.add_subparsers(dest="receipts_command", metavar="ACTION")
    actions.required = True
    settings = actions.add_parser("settings", help="set the receipts' settings from a file")
    settings.add_argument("file", metavar="FILE", type=Path, help="JSON or YAML document")
    settings.set_defaults(handler=run_settings)
    donor = actions.add_parser("donor", help="record or correct a donor's identity")
    donor.add_argument("donor_id", metavar="ID", help="the donor's id as its gifts are recorded")
    donor.add_argument("--name", required=True)
    donor.add_argument("--address", required=True)
    donor.add_argument("--mode", required=True, choices=MODES)
    donor.add_argument("--household", help="the member's household, when the donor is one")
    donor.set_defaults(handler=run_donor)
    issue = actions.add_parser("issue", help="issue a year's receipts not issued yet")
    issue.add_argument("--year", required=True, type=int)
    issue.add_argument("--on", type=date.fromisoformat, help="issue day (default: today)")
    issue.set_defaults(handler=run_issue)
    listing = actions.add_parser("list", help="a year's receipts")
    listing.add_argument("--year", required=True, type=int)
    listing.set_defaults(handler=run_list)
    show = actions.add_parser("show", help="a receipt's PDF")
    show.add_argument("receipt_id", metavar="N", help="the receipt's number, e.g. 2027-000001")
    show.add_argument("--out", type=Path, help="write the PDF there (default: standard output)")
    show.set_defaults(handler=run_show)


def _run(action: Callable[[Engine], Any], *, writes: bool = True) -> int:
    """``action(engine)``'s JSON, or its refusal on standard error (exit 2)."""
    from app.db.session import make_engine
    from app.services.errors import ServiceError

    settings = load_settings()
    verb = "writes to" if writes else "reads"
    print(f"caisse: {verb} the database {shown_url(settings.database_url)}", file=sys.stderr)
    ensure_schema(settings)
    engine = make_engine(settings)
    try:
        result = action(engine)
    except ServiceError as error:
        lines = [error.detail] + [f"  {p.path}: {p.message}" for p in error.problems]
        print("\n".join(lines), file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    if result is not None:
        print(json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False))
    return 0


def run_settings(args: argparse.Namespace) -> int:
    import yaml

    from app.services.receipts import settings

    try:
        document = yaml.safe_load(args.file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        print(f"caisse: cannot read {args.file}: {error}", file=sys.stderr)
        return 2
    return _run(lambda engine: settings.save(engine, document).document())


def run_donor(args: argparse.Namespace) -> int:
    from app.services.receipts import donors

    def record(engine: Engine) -> dict[str, Any]:
        found = donors.set_donor(
            engine, args.donor_id, args.name, args.address, args.mode, args.household
        )
        return asdict(found)

    return _run(record)


def run_issue(args: argparse.Namespace) -> int:
    from app.services.receipts import issue

    now = datetime.now(UTC)
    on = args.on or now.date()

    def issue_year(engine: Engine) -> dict[str, Any]:
        outcome = issue.issue_year(engine, args.year, on, actor=ACTOR, now=now)
        return {
            "issued": [asdict(found) for found in outcome.issued],
            "without_identity": list(outcome.without_identity),
        }

    return _run(issue_year)


def run_list(args: argparse.Namespace) -> int:
    from app.services.receipts import issue

    return _run(
        lambda engine: [asdict(found) for found in issue.receipts_of_year(engine, args.year)],
        writes=False,
    )


def run_show(args: argparse.Namespace) -> int:
    from app.services.receipts import issue

    def show(engine: Engine) -> dict[str, Any] | None:
        document = issue.pdf_of(engine, args.receipt_id)
        if args.out is None:
            sys.stdout.buffer.write(document)
            sys.stdout.buffer.flush()
            return None
        args.out.write_bytes(document)
        return {"receipt_id": args.receipt_id, "file": str(args.out), "bytes": len(document)}

    return _run(show, writes=False)
