"""``caisse serve`` and ``caisse token create|list|revoke``.

``serve`` migrates the schema to head (Alembic), then runs uvicorn on ``create_app`` (one engine per
worker). SQLite has a single writer, so on SQLite it always runs one worker and says so. On
PostgreSQL it also runs the charge writer process (app.cli.charge_writer) unless told not to.
``token create`` prints the secret once: only its sha256 is stored. It names on standard error
the database it writes to (password hidden) and refuses a ``--household`` that is not enrolled
or a ``--merchant`` that is not approved (``tokens.ensure_subject_exists``).

Start-up: ``register`` runs for every ``caisse`` command, so this module imports the standard
library only; the database, the services and uvicorn are imported by the handlers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.db.settings import Settings, load_settings

if TYPE_CHECKING:
    from sqlmodel import Session

    from app.services.tokens import TokenInfo

# The values of ``app.services.tokens.Role``, spelled here so that building the parser does
# not import the services (tests/cli/test_cli_start.py checks that the two agree).
ROLES = ("committee", "operator", "member", "merchant", "auditor", "researcher")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = subparsers.add_parser("serve", help="run the HTTP API (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes (PostgreSQL only; default 1)"
    )
    serve.add_argument(
        "--no-charge-writer",
        action="store_true",
        help=(
            "PostgreSQL: let each worker write its own charges instead of one charge writer"
            " process for all (docs/api.md)"
        ),
    )
    serve.set_defaults(handler=run_serve)

    token = subparsers.add_parser("token", help="create, list and revoke API tokens")
    actions = token.add_subparsers(dest="token_command", metavar="ACTION")
    actions.required = True
    create = actions.add_parser("create", help="create a token; its secret is printed once")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--household", help="household id (required for --role member)")
    create.add_argument("--merchant", help="merchant id (required for --role merchant)")
    create.add_argument("--label", default="", help="free text to recognise the token later")
    create.set_defaults(handler=run_token_create)
    listing = actions.add_parser("list", help="list tokens (never their secrets)")
    listing.set_defaults(handler=run_token_list)
    revoke = actions.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("token_id", metavar="ID")
    revoke.set_defaults(handler=run_token_revoke)


def ensure_schema(settings: Settings) -> None:
    """Bring the database to the current schema (Alembic, idempotent)."""
    from app.db.migrate import upgrade_to_head

    upgrade_to_head(settings.database_url)


def effective_workers(settings: Settings, requested: int) -> tuple[int, str | None]:
    """The number of workers to run, and why it differs from the request (if it does)."""
    if requested < 1:
        return 1, f"--workers must be at least 1, got {requested}; running 1 worker"
    if settings.is_sqlite and requested > 1:
        return 1, (
            f"SQLite has a single writer: running 1 worker instead of {requested}. "
            "Set DATABASE_URL to a PostgreSQL database for several workers."
        )
    return requested, None


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.api.app import FREEZE_ENV
    from app.cli.charge_writer import charge_writer_process

    settings = load_settings()
    workers, note = effective_workers(settings, args.workers)
    if note:
        print(note, file=sys.stderr)
    ensure_schema(settings)
    print(f"caisse API on http://{args.host}:{args.port}/docs", file=sys.stderr)
    # PostgreSQL: one process writes every worker's charges (app.services.writes.charge_link).
    one_writer = settings.database_url.startswith("postgresql") and not args.no_charge_writer
    os.environ[FREEZE_ENV] = "1"  # the workers freeze what their start-up made (app.api.app)
    with charge_writer_process(settings) if one_writer else nullcontext():
        uvicorn.run(
            "app.asgi:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=workers,
        )
    return 0


def run_token_create(args: argparse.Namespace) -> int:
    from app.services import tokens

    def create(session: Session) -> dict[str, Any]:
        role = tokens.Role(args.role)
        subject = args.household if role is tokens.Role.MEMBER else args.merchant
        if subject is not None:
            tokens.ensure_subject_exists(session, role, subject)
        issued = tokens.create_token(
            session,
            role=args.role,
            household_id=args.household,
            merchant_id=args.merchant,
            label=args.label,
        )
        return {**_info(issued.info), "secret": issued.secret}

    code = _with_session(create)
    if code == 0:
        print("Keep the secret now: it is shown only once.", file=sys.stderr)
    return code


def run_token_list(_args: argparse.Namespace) -> int:
    from app.services import tokens

    return _with_session(
        lambda session: [_info(info) for info in tokens.list_tokens(session)], writes=False
    )


def run_token_revoke(args: argparse.Namespace) -> int:
    from app.services import tokens

    return _with_session(lambda session: _info(tokens.revoke_token(session, args.token_id)))


def shown_url(database_url: str) -> str:
    """The database URL to show people: password hidden, a SQLite file as an absolute path
    (a relative one depends on the directory the command ran in)."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        url = url.set(database=str(Path(url.database or "").resolve()))
    if "password" in url.query:
        url = url.update_query_dict({"password": "***"})
    return url.render_as_string(hide_password=True)


def _with_session(action: Callable[[Session], Any], *, writes: bool = True) -> int:
    """Run ``action(session)`` in one unit of work; print its JSON, or the refusal (exit 2).

    The database is named on standard error first: a token or an access written to the
    wrong database (another ``DATABASE_URL``, another directory) would fail only later, at
    sign-in, with nothing saying why."""
    from app.db.session import make_engine, unit_of_work
    from app.services.errors import ServiceError

    settings = load_settings()
    verb = "writes to" if writes else "reads"
    print(f"caisse: {verb} the database {shown_url(settings.database_url)}", file=sys.stderr)
    ensure_schema(settings)
    engine = make_engine(settings)
    try:
        with unit_of_work(engine) as session:
            result = action(session)
    except ServiceError as error:
        lines = [error.detail] + [f"  {p.path}: {p.message}" for p in error.problems]
        print("\n".join(lines), file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False))
    return 0


def _info(info: TokenInfo) -> dict[str, Any]:
    return {
        "token_id": info.token_id,
        "role": info.role.value,
        "subject_id": info.subject_id,
        "label": info.label,
        "created_at": info.created_at,
        "revoked_at": info.revoked_at,
    }
