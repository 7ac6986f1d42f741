"""``caisse access create|list|reset|revoke``: people's accesses to the pages, from the shell.

The fund's first operator cannot be created from a page (nobody can sign in yet): ``caisse
access create --role operator --name "..."`` prints a one-time activation code and the link
``/activer?code=...`` to open on the site. Operators then create everyone else's access from
their pages. Output is JSON (the code is shown once; only its hash is stored). Each command
names on standard error the database it uses; ``create`` refuses a ``--household`` that is not
enrolled, a ``--merchant`` that is not approved, and either one given for a role that has
none (``tokens.ensure_subject_exists``).

Start-up: ``register`` runs for every ``caisse`` command, so the services are imported by the
handlers only.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from app.cli.api_cmds import ROLES, _with_session

if TYPE_CHECKING:
    from sqlmodel import Session

    from app.db.tables_people import PersonAccess
    from app.services.people import NewAccess


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    access = subparsers.add_parser(
        "access", help="create, list, reset and revoke people's accesses to the pages"
    )
    actions = access.add_subparsers(dest="access_command", metavar="ACTION")
    actions.required = True
    create = actions.add_parser("create", help="a new access; its activation code is printed once")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--name", required=True, help="the person's name, as the pages greet them")
    create.add_argument("--household", help="a member's household id")
    create.add_argument("--merchant", help="a merchant's id")
    create.add_argument(
        "--site", default="http://127.0.0.1:8000", help="the site's address, for the link"
    )
    create.set_defaults(handler=run_create)
    listing = actions.add_parser("list", help="every access (never a secret)")
    listing.set_defaults(handler=run_list)
    reset = actions.add_parser("reset", help="a new activation code (forgotten secret, lock)")
    reset.add_argument("access_id", metavar="ID")
    reset.add_argument("--site", default="http://127.0.0.1:8000")
    reset.set_defaults(handler=run_reset)
    revoke = actions.add_parser("revoke", help="end an access and its sessions")
    revoke.add_argument("access_id", metavar="ID")
    revoke.set_defaults(handler=run_revoke)


def _now() -> datetime:
    return datetime.now(UTC)


def _activation(new: NewAccess, site: str) -> dict[str, Any]:
    code = new.activation_code
    return {
        "access_id": new.access_id,
        "activation_code": code,
        "activation_link": f"{site.rstrip('/')}/activer?code={code}",
        "expires_at": new.expires_at,
    }


def run_create(args: argparse.Namespace) -> int:
    from app.services import people
    from app.services.errors import invalid
    from app.services.tokens import Role, ensure_subject_exists

    role = Role(args.role)
    subject = args.household if role is Role.MEMBER else args.merchant

    def create(session: Session) -> dict[str, Any]:
        if args.household is not None and role is not Role.MEMBER:
            raise invalid("household_id", f"only a member access has a household, not {role}")
        if args.merchant is not None and role is not Role.MERCHANT:
            raise invalid("merchant_id", f"only a merchant access has a merchant, not {role}")
        ensure_subject_exists(session, role, subject)
        new = people.create_access(session, role, subject, args.name, _now())
        return _activation(new, args.site)

    code = _with_session(create)
    if code == 0:
        print("Hand the code over now: it is shown only once.", file=sys.stderr)
    return code


def run_list(_args: argparse.Namespace) -> int:
    from app.services import people

    return _with_session(
        lambda session: [_row(row) for row in people.list_accesses(session)], writes=False
    )


def run_reset(args: argparse.Namespace) -> int:
    from app.services import people

    return _with_session(
        lambda session: _activation(people.reset_access(session, args.access_id, _now()), args.site)
    )


def run_revoke(args: argparse.Namespace) -> int:
    from app.services import people

    def revoke(session: Session) -> dict[str, Any]:
        people.revoke_access(session, args.access_id, _now())
        return _row(people.access(session, args.access_id))

    return _with_session(revoke)


def _row(row: PersonAccess) -> dict[str, Any]:
    return {
        "access_id": row.access_id,
        "role": row.role,
        "name": row.display_name,
        "subject_id": row.subject_id,
        "activated": row.secret_hash is not None,
        "login": row.login,
        "locked_until": row.locked_until,
        "created_at": row.created_at,
        "revoked_at": row.revoked_at,
    }
