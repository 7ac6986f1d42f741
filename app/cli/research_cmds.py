"""``caisse indicators`` and ``caisse export indicators DIR`` (issue 13): the fund's
indicators for whole months, read from the books (writes nothing).

``--format`` text (French, for people), csv (``indicators.csv``'s columns) or json (default;
cents and exact numerator/denominator). Small cells are suppressed as for researchers
(``CAISSE_RESEARCH_THRESHOLD``). ``export indicators DIR`` writes the open data package
(CSV + Frictionless ``datapackage.json``). Exit 2 on bad input, naming what to fix.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = subparsers.add_parser("indicators", help="the fund's indicators for whole months")
    _range_arguments(cmd)
    cmd.add_argument("--format", choices=("text", "csv", "json"), default="json")
    cmd.set_defaults(handler=run_indicators)


def register_export(kinds: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``caisse export indicators DIR`` (added to ``caisse export``'s kinds)."""
    cmd = kinds.add_parser("indicators", help="the indicators as open data (CSV + datapackage)")
    cmd.add_argument("directory", metavar="DIR")
    _range_arguments(cmd)
    cmd.set_defaults(handler=run_export)


def _range_arguments(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--from", dest="first", required=True, metavar="YYYY-MM", help="first month")
    cmd.add_argument("--to", dest="last", metavar="YYYY-MM", help="last month (default: --from)")
    cmd.add_argument("--database", metavar="URL", help="database URL (default DATABASE_URL)")


def _report(args: argparse.Namespace) -> Any:
    """The report, or an int exit code after saying why there is none."""
    from app.cli.api_cmds import shown_url
    from app.db.session import make_engine, read_only
    from app.db.settings import Settings, SettingsError, load_settings
    from app.services.errors import ServiceError
    from app.services.research.indicators import parse_range, report
    from app.services.research.settings import research_settings

    url = args.database or load_settings().database_url
    print(f"caisse: reads the database {shown_url(url)}", file=sys.stderr)
    engine = make_engine(Settings(database_url=url))
    try:
        first, last = parse_range(args.first, args.last)
        with read_only(engine) as session:
            return report(session, first, last, research_settings())
    except ServiceError as error:
        lines = [error.detail] + [f"  {p.path}: {p.message}" for p in error.problems]
        print("\n".join(lines), file=sys.stderr)
        return 2
    except SettingsError as error:
        print(f"caisse: {error}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()


def run_indicators(args: argparse.Namespace) -> int:
    from app.services.research.indicators import as_json, as_text
    from app.services.research.open_data import csv_text

    found = _report(args)
    if isinstance(found, int):
        return found
    if args.format == "json":
        sys.stdout.write(json.dumps(as_json(found), indent=2, sort_keys=True, ensure_ascii=False))
        sys.stdout.write("\n")
    elif args.format == "csv":
        sys.stdout.write(csv_text(found))
    else:
        sys.stdout.write(as_text(found))
    return 0


def run_export(args: argparse.Namespace) -> int:
    from app.services.research.open_data import write_package

    found = _report(args)
    if isinstance(found, int):
        return found
    written = write_package(found, Path(args.directory))
    print(json.dumps({"ok": True, "files": [str(p) for p in written]}, indent=2))
    return 0
