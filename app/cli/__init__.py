"""The ``caisse`` command line. Each command family registers itself from its own module.

Every command builds the whole parser, so the modules of ``COMMAND_MODULES`` import the
standard library only at module level; a handler imports what its command uses (the engine,
the database, the web framework). ``caisse --help`` and the engine's commands then start
without loading FastAPI, SQLAlchemy or the cryptography (issue 12,
``tests/cli/test_cli_start.py``).

Output is JSON by default (machine-readable, stable key order); ``--text`` where offered
renders for people. Exit codes: 0 success, 1 the check failed (e.g. verification found a
disagreement), 2 bad usage or bad input (with a message naming what to fix).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable

from app.db.settings import SettingsError

# Modules that add subcommands: each defines ``register(subparsers)``.
COMMAND_MODULES = (
    "app.cli.engine_cmds",
    "app.cli.ledger_cmds",
    "app.cli.api_cmds",
    "app.cli.access_cmds",
    "app.cli.month_cmds",
    "app.cli.demo_cmds",
    "app.cli.projection_cmds",
    "app.cli.research_cmds",
    "app.cli.receipt_cmds",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="caisse",
        description="caisse: the engine of a citizen food fund (caisse alimentaire).",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name == name:
                continue  # that command family is not installed in this build
            raise
        register: Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]
        register = module.register
        register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except SettingsError as error:  # a setting of the environment: its message says all
        print(f"caisse: {error}", file=sys.stderr)
        return 2
