"""The committee's merchants: who is approved, for which product categories at which rate,
from when; approve one (a new one by its name, or one already known) and suspend one.

The committee types what it knows: a merchant's NAME (kept as typed in the merchant's
profile, app.services.merchant_profiles; the fund's id for a new merchant is made from it,
never typed), rates as percentages ("100 %", "12,5"), dates as days. Each
refusal is an ``InvalidRequest`` whose problems name the form's field and a ``kind``
(``Problem(field, kind)``) for the page to word; nothing is written then. The writes are
the books' own commands (app.services.merchants), under the form's idempotency key: a form
sent twice approves once.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.db import tables as t
from app.engine.money import format_rate, parse_rate
from app.engine.problems import Problem
from app.services import errors as svc
from app.services import free_text, merchant_profiles, merchants

USUAL_CATEGORIES = ("food", "hygiene")
REASON_LIMIT = 500
_PERCENT = re.compile(r"^(\d{1,3})(?:[.,](\d{1,4}))?$")
_FRENCH_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass(frozen=True, slots=True)
class MerchantRow:
    """One merchant as the committee reads it. ``state``: active | suspended |
    suspension_planned | not_yet | expired; ``rates``: category -> percent text (``"12.5"``)."""

    merchant_id: str
    name: str
    rates: tuple[tuple[str, str], ...]
    valid_from: str
    valid_until: str | None
    suspended_from: str | None
    suspension_reason: str | None
    state: str


def percent_of(rate: str) -> str:
    """``"0.5"`` -> ``"50"``, ``"0.125"`` -> ``"12.5"`` (exact)."""
    return format_rate(parse_rate(rate) * 100)


def _state(row: t.Merchant, today: date) -> str:
    day = today.isoformat()
    if row.suspended_from is not None:
        return "suspended" if row.suspended_from <= day else "suspension_planned"
    if row.valid_from > day:
        return "not_yet"
    if row.valid_until is not None and row.valid_until < day:
        return "expired"
    return "active"


def merchant_list(session: Session, today: date) -> list[MerchantRow]:
    """Every merchant the fund approved, by name (then id)."""
    rows = list(session.execute(select(t.Merchant)).scalars())
    names = merchant_profiles.names(session, [row.merchant_id for row in rows])
    found = [
        MerchantRow(
            row.merchant_id,
            names.get(row.merchant_id) or merchant_profiles.read_back(row.merchant_id),
            tuple((c, percent_of(r)) for c, r in sorted(json.loads(row.categories).items())),
            row.valid_from,
            row.valid_until,
            row.suspended_from,
            _reason(session, row),
            _state(row, today),
        )
        for row in rows
    ]
    return sorted(found, key=lambda m: (m.name.casefold(), m.merchant_id))


def _reason(session: Session, row: t.Merchant) -> str | None:
    """The suspension's reason as typed, from the erasable store (the books keep only its
    commitment; the suspension is the merchant's last record while it stands)."""
    if row.suspension_reason is None:
        return None
    texts = free_text.texts_of(session, [row.last_seq])
    return free_text.readable(row.suspension_reason, texts)


def merchants_view(session: Session, today: date) -> dict[str, Any]:
    """The committee's merchants page: every merchant and the categories to approve for."""
    return {"merchants": merchant_list(session, today), "categories": categories(session)}


def categories(session: Session) -> list[str]:
    """The product categories in use, and the usual ones."""
    known = set(USUAL_CATEGORIES)
    for text in session.execute(select(col(t.Merchant.categories))).scalars():
        known.update(json.loads(text))
    return sorted(known)


def merchant_id_for(name: str) -> str:
    """The fund's id for a new merchant called ``name``: ``"Épicerie du Marais"`` ->
    ``"m_epicerie-du-marais"`` (ASCII letters and digits, dashes)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:60].strip("-")
    return f"m_{slug}" if slug else ""


def rate_of(percent_text: str) -> str | None:
    """A typed percentage (``"100 %"``, ``"12,5"``) as the books' rate (``"1"``,
    ``"0.125"``); None when it is not a percentage above 0 and at most 100."""
    cleaned = re.sub(r"[\s\u00a0\u202f%]", "", percent_text or "")
    match = _PERCENT.match(cleaned)
    if match is None:
        return None
    try:
        percent = Decimal(f"{match.group(1)}.{match.group(2) or '0'}")
    except InvalidOperation:
        return None
    if not 0 < percent <= 100:
        return None
    rate = (percent / 100).normalize()
    return format(rate, "f")


def day_of(text: str) -> date | None:
    """A day as a date field sends it (``2027-01-15``) or as typed (``15/01/2027``)."""
    value = (text or "").strip()
    french = _FRENCH_DAY.match(value)
    try:
        if french is not None:
            return date(int(french.group(3)), int(french.group(2)), int(french.group(1)))
        return date.fromisoformat(value)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Approval:
    """The approval form as typed: a known merchant's id (chosen from a list) or a new
    merchant's name; percent text per ticked category; the first valid day."""

    merchant_id: str
    new_name: str
    percents: Mapping[str, str]
    valid_from: str


def _name_ok(name: str) -> bool:
    try:
        merchant_profiles.clean_name(name)
    except svc.InvalidRequest:
        return False
    return bool(merchant_id_for(name))


def _approval_values(session: Session, form: Approval) -> tuple[str, dict[str, str], date]:
    problems: list[Problem] = []
    merchant_id = form.merchant_id
    if merchant_id:
        if session.get(t.Merchant, merchant_id) is None:
            problems.append(Problem("commercant", "unknown"))
    elif not form.new_name:
        problems.append(Problem("nom", "required"))
    elif not _name_ok(form.new_name):
        problems.append(Problem("nom", "name"))
    else:
        merchant_id = merchant_id_for(form.new_name)
        if session.get(t.Merchant, merchant_id) is not None:
            problems.append(Problem("nom", "exists"))
    rates: dict[str, str] = {}
    for category, typed in form.percents.items():
        rate = rate_of(typed)
        if rate is None:
            problems.append(Problem(f"taux-{category}", "rate"))
        else:
            rates[category] = rate
    if not form.percents:
        problems.append(Problem("categories", "required"))
    valid_from = day_of(form.valid_from)
    if valid_from is None:
        problems.append(Problem("debut", "date"))
    if problems or valid_from is None:
        raise svc.InvalidRequest(problems, "The approval form has problems.")
    return merchant_id, rates, valid_from


def approve(
    session: Session, form: Approval, *, actor: str, idempotency_key: str, now: datetime
) -> dict[str, Any]:
    """Approve a merchant (a new one, or re-approve a known one: rates and dates are
    replaced and a suspension lifted). A new merchant's name is kept as typed in its
    profile (app.services.merchant_profiles); its id is made from it."""
    merchant_id, rates, valid_from = _approval_values(session, form)
    approved = merchants.approve_merchant(
        session,
        merchant_id,
        rates,
        valid_from,
        actor=actor,
        idempotency_key=idempotency_key,
        now=now,
    )
    if not form.merchant_id:
        merchant_profiles.set_name(session, merchant_id, form.new_name, now)
    return approved


def suspend(
    session: Session,
    merchant_id: str,
    reason: str,
    from_text: str,
    *,
    actor: str,
    idempotency_key: str,
    now: datetime,
) -> dict[str, Any]:
    """From the day given, every charge by the merchant is refused."""
    problems: list[Problem] = []
    if session.get(t.Merchant, merchant_id) is None:
        raise svc.not_found("merchant", merchant_id)
    if not reason or len(reason) > REASON_LIMIT:
        problems.append(Problem("motif", "required" if not reason else "long"))
    from_on = day_of(from_text)
    if from_on is None:
        problems.append(Problem("depuis", "date"))
    if problems or from_on is None:
        raise svc.InvalidRequest(problems, "The suspension form has problems.")
    return merchants.suspend_merchant(
        session, merchant_id, reason, from_on, actor=actor, idempotency_key=idempotency_key, now=now
    )
