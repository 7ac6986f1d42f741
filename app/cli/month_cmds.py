"""``caisse months status|preview|run|expire|close|seal``: the operator's month from the shell.

Every action goes through ``app.services.month_desk``, the path the pages and the API take:
months close and seal in order and only after their run, a close first expires the credit
due at the month's end, and a run that would ration asks for confirmation:

- ``run PERIOD``: when the fund's means ration the credits, the command states the share of
  entitlements and the amounts and asks ``[y/N]`` on a terminal; ``--confirm-rationing``
  answers yes beforehand (scripts). Without a terminal and without the flag it refuses
  (exit 2) and nothing is written;
- ``expire --as-of YYYY-MM-DD`` (default today): the scheduled expiry (cron on the 1st of
  each month): credit whose last month ended before that day expires, booked in the month
  before; a closed month expired its credit when it closed. ``expire PERIOD`` names the month.

Each write takes ``--key`` (default: one derived from the action and the month, so running
the same scheduled command twice does it once; ``run`` defaults to a fresh key, so a later run
credits households enrolled since). Output is JSON; refusals name the month and what is
missing (exit 2). Start-up: handlers import the services, not this module.
"""

from __future__ import annotations

import argparse
import re
import sys
import uuid
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from app.cli.api_cmds import _with_session

if TYPE_CHECKING:
    from sqlmodel import Session

ACTOR = "operator:cli"
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _period(text: str) -> str:
    if not _PERIOD.match(text):
        raise argparse.ArgumentTypeError(f"expected a month YYYY-MM, got {text!r}")
    return text


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a day YYYY-MM-DD, got {text!r}") from None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    months = subparsers.add_parser("months", help="run, expire, close and seal the fund's months")
    actions = months.add_subparsers(dest="months_command", metavar="ACTION")
    actions.required = True
    status = actions.add_parser("status", help="open, closed or sealed; what the month booked")
    status.add_argument("period", type=_period, metavar="PERIOD")
    status.set_defaults(handler=run_status)
    preview = actions.add_parser("preview", help="what a run would book (writes nothing)")
    preview.add_argument("period", type=_period, metavar="PERIOD")
    preview.set_defaults(handler=run_preview)
    run = actions.add_parser("run", help="credit every household (asks before rationing)")
    run.add_argument("period", type=_period, metavar="PERIOD")
    run.add_argument(
        "--confirm-rationing", action="store_true", help="run even if the credits are rationed"
    )
    run.add_argument("--key", help="idempotency key (default: a new one)")
    run.set_defaults(handler=run_run)
    expire = actions.add_parser("expire", help="expire the credit due (scheduled)")
    when = expire.add_mutually_exclusive_group()
    when.add_argument("period", type=_period, metavar="PERIOD", nargs="?")
    when.add_argument("--as-of", type=_day, metavar="YYYY-MM-DD", help="default: today (UTC)")
    expire.add_argument("--key", help="idempotency key (default: from the month)")
    expire.set_defaults(handler=run_expire)
    for name, text, handler in (
        ("close", "expire what is due, then close (in order, after the run)", run_close),
        ("seal", "record the closed month's checkpoint", run_seal),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("period", type=_period, metavar="PERIOD")
        action.add_argument("--key", help="idempotency key (default: from the month)")
        action.set_defaults(handler=handler)


def _writes(key: str) -> dict[str, Any]:
    return {"actor": ACTOR, "idempotency_key": key, "now": datetime.now(UTC)}


def run_status(args: argparse.Namespace) -> int:
    from app.services import views

    return _with_session(lambda s: views.month_status(s, args.period), writes=False)


def run_preview(args: argparse.Namespace) -> int:
    from app.services import month_desk

    def preview(session: Session) -> Any:
        view = month_desk.month_view(session, args.period)
        return {"period": args.period, "status": view["status"], "preview": view["preview"]}

    return _with_session(preview, writes=False)


def _ask(extras: dict[str, Any]) -> bool:
    """Ask on the terminal whether to run at the rationed rate the refusal stated."""
    if not sys.stdin.isatty():
        print("Nothing was written: run again with --confirm-rationing.", file=sys.stderr)
        return False
    answer = input(f"Run the month with {extras['percent']}% of entitlements? [y/N] ")
    return answer.strip().lower() in ("y", "yes", "o", "oui")


def run_run(args: argparse.Namespace) -> int:
    from app.services import month_desk

    key = args.key or f"cli:run:{args.period}:{uuid.uuid4().hex}"
    refused: list[dict[str, Any]] = []

    def attempt(session: Session) -> Any:
        try:
            return month_desk.run(
                session, args.period, None, confirm_any=args.confirm_rationing, **_writes(key)
            )
        except month_desk.RationingNotConfirmed as refusal:  # stated on stderr, then asked
            refused.append(refusal.extras)
            raise

    code = _with_session(attempt)
    if not refused:
        return code
    if not _ask(refused[0]):
        return 2
    # The percentage asked about is confirmed: if the figures moved since, the run asks again.
    percent = int(refused[0]["percent"] or 0)
    return _with_session(lambda s: month_desk.run(s, args.period, percent, **_writes(key)))


def run_expire(args: argparse.Namespace) -> int:
    from app.services import month_desk

    if args.period is not None:
        key = args.key or f"cli:expire:{args.period}"
        return _with_session(lambda s: month_desk.expire(s, args.period, **_writes(key)))
    as_of = args.as_of or datetime.now(UTC).date()
    key = args.key or f"cli:expire:{month_desk.expiry_month(as_of)}"
    return _with_session(lambda s: month_desk.expire_as_of(s, as_of, **_writes(key)))


def run_close(args: argparse.Namespace) -> int:
    from app.services import month_desk

    key = args.key or f"cli:close:{args.period}"
    return _with_session(lambda s: month_desk.close(s, args.period, **_writes(key)))


def run_seal(args: argparse.Namespace) -> int:
    from app.services import month_desk

    key = args.key or f"cli:seal:{args.period}"
    return _with_session(lambda s: month_desk.seal_month(s, args.period, **_writes(key)))
