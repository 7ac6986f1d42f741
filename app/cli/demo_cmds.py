"""``caisse demo``: a living demo fund in one command (app.services.demo.fund).

``caisse demo [--database PATH] [--households 200] [--seed N] [--force] [--json]`` builds a
fund on the SQLite file PATH (default ``var/demo.db``): the CALIEN rules, the households,
merchants and funders, four months of activity ending with the current month (the three
before it closed and sealed, this one open for the till). It prints one API token per role,
the command that serves the fund and a few requests to try. An existing file is replaced
only if it is a previous demo (or with ``--force``). Exit 0 on success, 2 when refused.
The output is for people (text); ``--json`` gives the same facts as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the demo service is imported when the command runs, not at start-up
    from app.services.demo import DemoFund

DEFAULT_PATH = Path("var") / "demo.db"
BASE = "http://127.0.0.1:8000"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = subparsers.add_parser(
        "demo", help="create a demo fund (SQLite) with four months of activity and tokens"
    )
    demo.add_argument(
        "--database",
        metavar="PATH",
        type=Path,
        default=DEFAULT_PATH,
        help=f"SQLite file to create (default {DEFAULT_PATH})",
    )
    demo.add_argument(
        "--households", type=int, default=200, help="number of households (default 200)"
    )
    demo.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the made-up people and activity (default: the demo's own, fixed)",
    )
    demo.add_argument(
        "--force", action="store_true", help="replace PATH even if it is not a demo database"
    )
    demo.add_argument("--json", action="store_true", help="print the result as JSON")
    demo.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    from app.services.demo import DEFAULT_SEED, DemoRefused, create_demo

    if args.households < 1:
        print(f"--households must be at least 1, got {args.households}", file=sys.stderr)
        return 2
    print(f"Building the demo fund in {args.database} ...", file=sys.stderr)
    try:
        fund = create_demo(
            args.database,
            args.households,
            DEFAULT_SEED if args.seed is None else args.seed,
            force=args.force,
        )
    except DemoRefused as refusal:
        print(str(refusal), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(as_json(fund), indent=2, sort_keys=True, ensure_ascii=False))
    else:
        print(as_text(fund))
    return 0 if fund.verified else 1


def euros(cents: int) -> str:
    """12345 -> '123,45 €' (French notation, exact: integer arithmetic only)."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole:,}".replace(",", " ") + f",{part:02d} €"


def as_json(fund: DemoFund) -> dict[str, Any]:
    s = fund.stats
    return {
        "database_url": fund.database_url,
        "periods": list(fund.periods),
        "households": fund.households,
        "merchants": list(fund.merchants),
        "verified": fund.verified,
        "seconds": round(fund.seconds, 1),
        "member_consent_code": fund.member_consent_code,
        "member_balance_cents": fund.member_balance_cents,
        "tokens": {t.role: {"secret": t.secret, "subject_id": t.subject_id} for t in fund.tokens},
        "sign_ins": {
            person.role: {
                "login": person.login,
                "secret": person.secret,
                "name": person.display_name,
            }
            for person in fund.sign_ins
        },
        "totals": {
            "credit_granted_cents": s.credit_granted_cents,
            "contributions_cents": s.contributions_cents,
            "payment_cents": s.payment_cents,
            "funding_cents": s.funding_cents,
            "purchases": s.purchases,
            "purchases_refused": s.purchases_refused,
            "credit_spent_cents": s.credit_spent_cents,
            "refunds": s.refunds,
            "settled_cents": s.settled_cents,
        },
        "by_month": s.by_month,
        "serve": serve_command(fund),
    }


def serve_command(fund: DemoFund) -> str:
    return f"DATABASE_URL={fund.database_url} caisse serve"


def as_text(fund: DemoFund) -> str:
    s = fund.stats
    member = fund.token("member")
    lines = [
        f"Demo fund ready in {fund.seconds:.0f} s: {fund.database_url}",
        f"  rules CALIEN, {fund.households} households, {len(fund.merchants)} merchants, "
        f"months {', '.join(fund.periods[:-1])} closed and sealed, {fund.periods[-1]} run and"
        " open (this month: the till takes its credit today)",
        f"  credit granted {euros(s.credit_granted_cents)}, contributions due "
        f"{euros(s.contributions_cents)} (paid {euros(s.payment_cents)}), funders "
        f"{euros(s.funding_cents)}",
        f"  {s.purchases} purchases ({euros(s.credit_spent_cents)} from credit), "
        f"{s.purchases_refused} refused for lack of credit, {s.refunds} refund, merchants "
        f"paid {euros(s.settled_cents)}",
        f"  journal verified by replay: {'ok' if fund.verified else 'DISAGREEMENT (run caisse verify)'}",
        "",
        f"Sign in to the pages at {BASE}/connexion (one person per role; secrets shown once):",
        *(
            f"  {person.role:<10} login {person.login:<11} secret {person.secret}"
            for person in fund.sign_ins
        ),
        "",
        "API tokens (one per role; keep them, they are shown only once):",
    ]
    for token in fund.tokens:
        bound = f"  ({token.subject_id})" if token.subject_id else ""
        lines.append(f"  {token.role:<10} {token.secret}{bound}")
    lines += [
        f"  member {member.subject_id} has {euros(fund.member_balance_cents)} of credit; "
        f"its consent code is {fund.member_consent_code}",
        "",
        "Serve it:",
        f"  {serve_command(fund)}",
        f"  then open {BASE}/ (the pages) or {BASE}/docs (the API)",
        "",
        "Try:",
        *tries(fund),
    ]
    return "\n".join(lines)


def tries(fund: DemoFund) -> list[str]:
    """Requests to try: the member's balance and statement, a charge, the verifier."""
    member = fund.token("member")
    merchant = fund.token("merchant")
    return [
        f"  curl -s -H 'Authorization: Bearer {member.secret}' \\",
        f"       {BASE}/v1/members/{member.subject_id}/balance",
        f"  curl -s -H 'Authorization: Bearer {member.secret}' \\",
        f"       {BASE}/v1/members/{member.subject_id}/statements/{fund.periods[-1]}",
        f"  curl -s -X POST -H 'Authorization: Bearer {merchant.secret}' \\",
        "       -H 'content-type: application/json' -H 'Idempotency-Key: try-sale-demo-1' \\",
        f'       -d \'{{"purchase_id": "sale_demo_1", "household_id": "{member.subject_id}",'
        f' "category": "fresh", "amount_cents": 1250, "on": "2027-04-02",'
        f' "consent_code": "{fund.member_consent_code}"}}\' \\',
        f"       {BASE}/v1/merchant/charges",
        f"  curl -s -H 'Authorization: Bearer {fund.token('auditor').secret}' "
        f"{BASE}/v1/audit/verify",
    ]
