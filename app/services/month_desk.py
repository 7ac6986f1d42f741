"""The operator's month desk: what a month would book, and the four actions on it (run,
expire unspent credit, close, seal), each under the caller's idempotency key.

This is the ONE path for month actions: the pages, the API (``/v1/months/...``) and the
command line (``caisse months ...``) all call it, so the guardrails below hold for each.

Guarantees:

- ``month_view`` writes nothing: the month's status, what it booked so far, and the preview
  of a run (contributions, credits, budget), with the share of entitlements a rationed run
  would pay in whole per cent rounded down (never promise more than the run gives);
- ``run`` refuses a run that would ration unless the caller confirmed THAT percentage
  (``RationingNotConfirmed``, whose extras state the percentage and the amounts): a run whose
  figures changed since the page was read asks again; a machine may confirm whatever the
  run pays (``confirm_any``). The same key twice runs once (the stored chunks answer);
- ``close`` refuses a month never run (``MonthNeverRun``) and a month while an earlier run
  month is still open (``EarlierMonthOpen``), before the books core's own checks; then, in
  the same transaction, it expires the credit due at the month's end (lots past their last
  month; the balance above a carry-over cap) before closing, so no closed month leaves
  credit shown as balance that the till refuses;
- ``seal`` refuses a month not closed (``MonthNotClosedYet``);
- ``expire`` and ``expire_as_of`` record an expiry only when some credit is due (no empty
  command), under the caller's key: the same key again answers the stored result.

Services flush; the caller's unit of work commits.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.audit import journal
from app.db import tables as t
from app.engine.period import Period
from app.engine.problems import Problem
from app.services import errors as svc
from app.services import months, seal, views


class RationingNotConfirmed(svc.Conflict):
    """The run would ration and the caller did not confirm the percentage it pays."""

    code = "rationing-not-confirmed"
    title = "Confirm the rationing first"


class MonthNeverRun(svc.Conflict):
    """Closing a month no household was credited for."""

    code = "month-never-run"
    title = "The month was never run"


class EarlierMonthOpen(svc.Conflict):
    """Closing a month while an earlier month that was run is still open."""

    code = "earlier-month-open"
    title = "An earlier month is still open"


class MonthNotClosedYet(svc.Conflict):
    """Sealing a month that is not closed (or already sealed)."""

    code = "month-not-closed"
    title = "Only a closed month is sealed"


def _period(text: str) -> str:
    try:
        return str(Period.parse(text))
    except ValueError as error:
        raise svc.invalid("period", str(error)) from error


def _replayed(session: Session, idempotency_key: str, kind: str) -> dict[str, Any] | None:
    """The stored result of the command of ``kind`` recorded under this key, if any."""
    stored = journal.by_key(session, idempotency_key)
    if stored is None or stored.kind != kind:
        return None
    result: dict[str, Any] = json.loads(stored.result)
    return result


def rationed_percent(credit_cents: int, entitlement_cents: int) -> int:
    """The share of entitlements a run pays, in whole per cent rounded DOWN (97,6 % -> 97)."""
    if entitlement_cents <= 0:
        return 100
    return credit_cents * 100 // entitlement_cents


def _status(session: Session, period: str) -> str:
    row = session.get(t.Month, period)
    return "open" if row is None else row.status


def _credited(session: Session, period: str) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(t.MonthCredit)
            .where(col(t.MonthCredit.period) == period)
        ).scalar_one()
    )


def month_view(session: Session, period: str) -> dict[str, Any]:
    """Status, households credited, totals booked, and the preview of a run (``None`` with
    ``no_rules`` when no adopted rule set applies to the month). Nothing is written."""
    month = _period(period)
    status = views.month_status(session, month)
    preview: dict[str, Any] | None = None
    if status["status"] == "open":
        try:
            found = months.preview_month(session, month)
        except svc.Conflict:
            found = None
        if found is not None:
            to_credit = [
                h
                for h in found["households"]
                if not h["already_credited"] and h["status"] == "assessed"
            ]
            preview = {key: value for key, value in found.items() if key != "households"} | {
                "percent": rationed_percent(found["credit_cents"], found["entitlement_cents"]),
                "households": len(found["households"]),
                "to_credit": len(to_credit),
                "needs_data": [h["household_id"] for h in found["households"] if h["problems"]],
            }
    return status | {"preview": preview, "no_rules": status["status"] == "open" and not preview}


def run(
    session: Session,
    period: str,
    confirmed_percent: int | None,
    *,
    actor: str,
    idempotency_key: str,
    now: datetime,
    confirm_any: bool = False,
) -> dict[str, Any]:
    """Run the month (see the module docstring); returns the run's figures."""
    month = _period(period)
    stored = views.run_retry(session, idempotency_key, Period.parse(month))
    if stored is not None:
        return months.preview_month(session, month) | stored | {"replayed": True}
    preview = months.preview_month(session, month)
    percent = rationed_percent(preview["credit_cents"], preview["entitlement_cents"])
    if preview["rationed"] and not confirm_any and confirmed_percent != percent:
        credit, entitled = preview["credit_cents"], preview["entitlement_cents"]
        raise RationingNotConfirmed(
            (Problem("confirm", f"the run pays {percent}% of entitlements; confirm it"),),
            f"This run would ration credits to {percent}% of entitlements:"
            f" {credit} cents credited instead of {entitled} cents"
            f" (budget {preview['budget_cents']} cents).",
            extras={
                "percent": percent,
                "credit_cents": credit,
                "entitlement_cents": entitled,
                "budget_cents": preview["budget_cents"],
            },
        )
    result = months.run_month(session, month, actor=actor, idempotency_key=idempotency_key, now=now)
    return result | {"replayed": False}


def run_result(session: Session, period: str, idempotency_key: str) -> dict[str, Any]:
    """What the run under ``idempotency_key`` recorded (``NotFound`` when nothing was)."""
    month = _period(period)
    stored = views.run_retry(session, idempotency_key, Period.parse(month))
    if stored is None:
        raise svc.not_found("run", idempotency_key)
    status = views.month_status(session, month)
    return stored | {"period": month, "households_credited": status["households_credited"]}


def close(
    session: Session, period: str, *, actor: str, idempotency_key: str, now: datetime
) -> dict[str, Any]:
    """Close the month after expiring the credit due in it (see the module docstring).

    The expiry is recorded under ``<key>:expire``, so a retry of the close answers the same
    ``expired_cents``."""
    month = _period(period)
    expiry_key = f"{idempotency_key}:expire"
    if _status(session, month) == "open":
        _refuse_unready_close(session, month)
        expired = _expire_due(session, month, actor=actor, idempotency_key=expiry_key, now=now)
    else:
        expired = _replayed(session, expiry_key, "expire_credit")
    result = months.close_month(
        session, month, actor=actor, idempotency_key=idempotency_key, now=now
    )
    return result | {"expired_cents": 0 if expired is None else int(expired["expired_cents"])}


def _refuse_unready_close(session: Session, month: str) -> None:
    """A month is closed only after its run, and only once every earlier run month is."""
    if _credited(session, month) == 0:
        raise MonthNeverRun(
            (Problem("period", f"no household was credited for {month}; run it first"),),
            f"The month {month} was never run: run it before closing it.",
        )
    earlier = session.execute(
        select(col(t.Month.period))
        .where(col(t.Month.period) < month, col(t.Month.status) == "open")
        .order_by(col(t.Month.period))
        .limit(1)
    ).scalar_one_or_none()
    if earlier is not None and _credited(session, earlier) > 0:
        raise EarlierMonthOpen(
            (Problem("period", f"close {earlier} first"),),
            f"The earlier month {earlier} is still open: close it before {month}.",
            extras={"earlier": earlier},
        )


def seal_month(
    session: Session, period: str, *, actor: str, idempotency_key: str, now: datetime
) -> dict[str, Any]:
    """Seal the closed month (its checkpoint; signed when the server has a key)."""
    month = _period(period)
    status = _status(session, month)
    if status != "closed" and _replayed(session, idempotency_key, "seal_month") is None:
        raise MonthNotClosedYet(
            (Problem("period", f"{month} is {status}; only a closed month is sealed"),),
            f"The month {month} is {status}: close it before sealing it.",
        )
    return seal.seal_month(session, month, actor=actor, idempotency_key=idempotency_key, now=now)


def due_holders(session: Session, month: str) -> list[str]:
    """Households holding credit due to expire at the end of ``month``: an open lot whose
    last month is ``month`` or earlier, or (under a carry-over cap) more credit granted up to
    ``month`` than the cap. The books core decides the amounts; this only spares an empty
    command for everyone else."""
    lot = t.CreditLot
    open_lots = (col(lot.is_open), col(lot.remaining_cents) > 0)
    due = set(
        session.execute(
            select(col(lot.household_id)).where(
                *open_lots, col(lot.expires_period).is_not(None), col(lot.expires_period) <= month
            )
        ).scalars()
    )
    row = session.get(t.Month, month)
    if row is not None and row.unspent_cap_cents is not None:
        held = func.sum(col(lot.remaining_cents))
        due.update(
            session.execute(
                select(col(lot.household_id))
                .where(*open_lots, col(lot.period) <= month)
                .group_by(col(lot.household_id))
                .having(held > row.unspent_cap_cents)
            ).scalars()
        )
    return sorted(due)


def _expire_due(
    session: Session, month: str, *, actor: str, idempotency_key: str, now: datetime
) -> dict[str, Any] | None:
    """Expire the credit due at the end of ``month``; ``None`` when none is due."""
    stored = _replayed(session, idempotency_key, "expire_credit")
    if stored is not None:
        return stored
    holders = due_holders(session, month)
    if not holders:
        return None
    return months.expire_credit(
        session, month, holders, actor=actor, idempotency_key=idempotency_key, now=now
    )


def expire(
    session: Session, period: str, *, actor: str, idempotency_key: str, now: datetime
) -> dict[str, Any]:
    """Expire (or cap) the unspent credit due at the end of ``period``, as its rules say.

    The holders of due lots are read when the command is built: a second click, once the
    first expired them, would build another payload, so the key's stored result answers it."""
    month = _period(period)
    done = _expire_due(session, month, actor=actor, idempotency_key=idempotency_key, now=now)
    if done is None:
        done = {"period": month, "expired_cents": 0, "entries": 0, "seq": None}
    return done | {"status": _status(session, month)}


def expiry_month(as_of: date) -> str:
    """The month whose credit is due on ``as_of``: the till takes on ``as_of`` only lots whose
    last month is ``as_of``'s month or later, so what is due was due by the end of the month
    before. ``InvalidRequest`` naming ``as_of`` when that month is outside the years a
    month can have (1900 to 9999)."""
    try:
        return str(Period(as_of.year, as_of.month).shift(-1))
    except ValueError:
        raise svc.invalid(
            "as_of", f"{as_of.isoformat()} has no month before it that caisse can book"
        ) from None


def expire_as_of(
    session: Session, as_of: date, *, actor: str, idempotency_key: str, now: datetime
) -> dict[str, Any]:
    """The scheduled expiry: expire what is due on ``as_of`` (``expiry_month``). A month
    already closed expired its due credit when it closed: nothing more is done."""
    month = expiry_month(as_of)
    status = _status(session, month)
    if status != "open" and _replayed(session, idempotency_key, "expire_credit") is None:
        return {"period": month, "status": status, "expired_cents": 0, "entries": 0, "seq": None}
    return expire(session, month, actor=actor, idempotency_key=idempotency_key, now=now)
