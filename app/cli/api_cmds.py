"""``caisse serve`` and ``caisse token create|list|revoke``.

``serve`` migrates the schema to head (Alembic), then runs uvicorn on ``create_app`` (one engine per
worker). SQLite has a single writer, so on SQLite it always runs one worker and says so. On
PostgreSQL it also runs the charge writer process (app.cli.charge_writer) unless told not to.
``token create`` prints the secret once: only its sha256 is stored.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import nullcontext
from typing import Any

from app.api.app import FREEZE_ENV
from app.cli.charge_writer import charge_writer_process
from app.db.migrate import upgrade_to_head
from app.db.session import make_engine, unit_of_work
from app.db.settings import Settings, load_settings
from app.services import tokens
from app.services.errors import ServiceError


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
    create.add_argument("--role", required=True, choices=[role.value for role in tokens.Role])
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

    settings = load_settings()
    workers, note = effective_workers(settings, args.workers)
    if note:
        print(note, file=sys.stderr)
    ensure_schema(settings)
    print(f"caisse API on http://{args.host}:{args.port}/docs", file=sys.stderr)
    # PostgreSQL: one process writes every worker's charges (app.services.charge_link).
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
    def create(session: Any) -> dict[str, Any]:
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
    return _with_session(lambda session: [_info(info) for info in tokens.list_tokens(session)])


def run_token_revoke(args: argparse.Namespace) -> int:
    return _with_session(lambda session: _info(tokens.revoke_token(session, args.token_id)))


def _with_session(action: Any) -> int:
    """Run ``action(session)`` in one unit of work; print its JSON, or the refusal (exit 2)."""
    settings = load_settings()
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


def _info(info: tokens.TokenInfo) -> dict[str, Any]:
    return {
        "token_id": info.token_id,
        "role": info.role.value,
        "subject_id": info.subject_id,
        "label": info.label,
        "created_at": info.created_at,
        "revoked_at": info.revoked_at,
    }
