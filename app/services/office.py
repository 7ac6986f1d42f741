"""The fund's office (operators): households, people's accesses, money received.

What the office's pages need beyond the single-purpose services, each a use case:

- ``enrol`` / ``new_facts``: a household's facts from a form, every field's problem reported
  at once (``InvalidRequest`` whose problem paths are the form's fields), nothing written
  unless all are right. The household id is made here, from the request's idempotency key
  (``household_id_for``): the same request twice names the same household, so a double
  submit replays the first enrolment instead of enrolling twice;
- ``open_access``: a new access; the same form posted again (its idempotency key) gives that
  access a fresh code instead of a second access (only the last code shown works);
- ``record_payment`` / ``record_funding``: money in, with the form's problems first;
- reads for the desk and the lists (names come from the erasable identity table, and a
  merchant's from its profile, app.services.merchant_profiles).

Services flush; the caller's unit of work commits.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.db import tables as t
from app.db.tables_people import PersonAccess
from app.engine.period import Period
from app.engine.problems import Problem
from app.services import consent, households, merchant_profiles, money, people, views
from app.services import errors as svc
from app.services.tokens import Role

MAX_PERSONS = 12
OLDEST_BIRTH = date(1900, 1, 1)
PAYMENT_METHODS = ("cash", "transfer", "direct_debit")
FUNDING_KINDS = ("subsidy", "donation")


def household_id_for(idempotency_key: str) -> str:
    """``hh_`` and 10 letters or digits derived from the request's key (same key, same id)."""
    digest = hashlib.sha256(f"household\x00{idempotency_key}".encode()).digest()
    return "hh_" + base64.b32encode(digest).decode()[:10].lower()


@dataclass(frozen=True, slots=True)
class FactsForm:
    """A household's facts as read from a form: ``None`` for a field left blank (or that
    could not be read: the page says so itself)."""

    from_period: str
    income_cents: int | None
    births: tuple[date, ...]


@dataclass(frozen=True, slots=True)
class EnrolmentForm:
    full_name: str
    facts: FactsForm
    consent_code: str
    consent_code_again: str


def facts_problems(form: FactsForm, today: date) -> list[Problem]:
    """Every problem of the facts, one per field (paths: ``from_period``, ``income``,
    ``births`` when none is given, ``births[i]`` for the i-th date given)."""
    problems: list[Problem] = []
    try:
        Period.parse(form.from_period)
    except ValueError:
        problems.append(Problem("from_period", "choose the first month"))
    if form.income_cents is None:
        problems.append(Problem("income", "give the household's monthly income"))
    elif form.income_cents < 0:
        problems.append(Problem("income", "the income cannot be negative"))
    if not form.births:
        problems.append(Problem("births", "give at least one person's birth date"))
    elif len(form.births) > MAX_PERSONS:
        problems.append(Problem("births", f"at most {MAX_PERSONS} persons"))
    for index, born in enumerate(form.births):
        if born > today or born < OLDEST_BIRTH:
            problems.append(Problem(f"births[{index}]", f"not a plausible birth date: {born}"))
    return problems


def enrolment_problems(form: EnrolmentForm, today: date) -> list[Problem]:
    """Every problem of an enrolment form, in the form's order."""
    problems: list[Problem] = []
    name = form.full_name.strip()
    if not name or len(name) > 120:
        problems.append(Problem("full_name", "give the account holder's name (1 to 120)"))
    problems.extend(facts_problems(form.facts, today))
    code = form.consent_code
    if not (code.isascii() and code.isdigit() and 4 <= len(code) <= 12):
        problems.append(Problem("consent_code", "the consent code must be 4 to 12 digits"))
    elif form.consent_code_again != code:
        problems.append(Problem("consent_code_again", "the two codes differ"))
    return problems


def _facts(form: FactsForm) -> households.Facts:
    return households.Facts(income_cents=form.income_cents, persons=tuple(form.births))


def enrol(
    session: Session,
    form: EnrolmentForm,
    *,
    actor: str,
    idempotency_key: str,
    now: datetime,
) -> str:
    """Enrol the household of ``form``; returns its id (see the module docstring)."""
    problems = enrolment_problems(form, now.date())
    if problems:
        raise svc.InvalidRequest(problems, "The enrolment form has problems.")
    household_id = household_id_for(idempotency_key)
    households.enrol_household(
        session,
        household_id,
        form.facts.from_period,
        households.Identity(full_name=form.full_name.strip()),
        _facts(form.facts),
        form.consent_code,
        actor=actor,
        idempotency_key=idempotency_key,
        now=now,
    )
    return household_id


def new_facts(
    session: Session,
    household_id: str,
    form: FactsForm,
    *,
    actor: str,
    idempotency_key: str,
    now: datetime,
) -> None:
    """The household's facts from a month on (every problem of the form at once)."""
    household(session, household_id)
    problems = facts_problems(form, now.date())
    if problems:
        raise svc.InvalidRequest(problems, "The facts form has problems.")
    households.change_facts(
        session,
        household_id,
        form.from_period,
        _facts(form),
        actor=actor,
        idempotency_key=idempotency_key,
        now=now,
    )


# --- Reads -------------------------------------------------------------------------------


def household_list(session: Session, search: str = "") -> list[dict[str, Any]]:
    """Households not erased with their holder's name, by name; ``search`` filters on
    the name or the id (any case)."""
    rows = [r for r in views.list_households(session, "", 100_000) if not r["erased"]]
    needle = search.strip().lower()
    if needle:
        rows = [
            r
            for r in rows
            if needle in (r["full_name"] or "").lower() or needle in r["household_id"].lower()
        ]
    return sorted(rows, key=lambda r: ((r["full_name"] or "").lower(), r["household_id"]))


def household(session: Session, household_id: str) -> dict[str, Any]:
    """One household for the office: identity, facts by month, card, balances, accesses."""
    row = session.get(t.Household, household_id)
    if row is None or row.erased:
        raise svc.not_found("household", household_id)
    identity = session.get(t.MemberIdentity, household_id)
    facts = session.execute(
        select(t.HouseholdFacts)
        .where(col(t.HouseholdFacts.household_id) == household_id)
        .order_by(col(t.HouseholdFacts.from_period), col(t.HouseholdFacts.seq))
    ).scalars()
    accesses = session.execute(
        select(PersonAccess).where(
            col(PersonAccess.subject_id) == household_id, col(PersonAccess.role) == "member"
        )
    ).scalars()
    return {
        "household_id": household_id,
        "member_since": row.from_period,
        "identity": None if identity is None else {"full_name": identity.full_name},
        "facts": [views.facts_dict(f) for f in facts],
        "balance": views.balances(session, household_id),
        "card_number": people.card_of(session, household_id),
        "accesses": [_access_dict(a) for a in accesses],
    }


def desk(session: Session, period: str) -> dict[str, Any]:
    """The desk: the month's status, the fund's position, counts."""
    enrolled = session.execute(
        select(func.count()).select_from(t.Household).where(col(t.Household.erased) == False)  # noqa: E712
    ).scalar_one()
    return {
        "month": views.month_status(session, period),
        "position": views.fund_position(session),
        "households": int(enrolled),
    }


# --- Accesses ----------------------------------------------------------------------------


def _access_dict(row: PersonAccess) -> dict[str, Any]:
    return {
        "access_id": row.access_id,
        "role": row.role,
        "subject_id": row.subject_id,
        "display_name": row.display_name,
        "login": row.login,
        "activated": row.secret_hash is not None,
        "pending_until": row.activation_expires_at,
        "locked_until": row.locked_until,
        "revoked_at": row.revoked_at,
        "created_at": row.created_at,
    }


def access_list(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Every access, newest first, with the household holder's name for a member's and the
    shop's name for a merchant's (as in ``merchant_choices``); a lock already over is not
    shown as a lock."""
    names = {r["household_id"]: r["full_name"] for r in household_list(session)}
    current = people.moment(now)
    rows = people.list_accesses(session)
    shops = [row.subject_id for row in rows if row.role == "merchant" and row.subject_id]
    shop_names = merchant_profiles.profile_names(session, shops)
    out = []
    for row in rows:
        found = _access_dict(row)
        if found["locked_until"] is not None and found["locked_until"] <= current:
            found["locked_until"] = None
        subject = row.subject_id or ""
        found["household_name"] = names.get(subject) if row.role == "member" else None
        found["merchant_name"] = (
            shop_names.get(subject) or merchant_profiles.read_back(subject)
            if row.role == "merchant" and subject
            else None
        )
        out.append(found)
    return out


def merchant_choices(session: Session) -> list[tuple[str, str]]:
    """Every merchant of the books as (id, name), by name then id, to choose one from a
    list: its profile's name (app.services.merchant_profiles), else its id read back (never
    the name of a person given an access to it)."""
    ids = list(session.execute(select(col(t.Merchant.merchant_id))).scalars())
    names = merchant_profiles.profile_names(session, ids)
    found = [(m, names.get(m) or merchant_profiles.read_back(m)) for m in ids]
    return sorted(found, key=lambda pair: (pair[1].casefold(), pair[0]))


def open_access(
    session: Session,
    role: str,
    subject_id: str | None,
    display_name: str,
    now: datetime,
    request_key: str,
) -> tuple[people.NewAccess, PersonAccess]:
    """A new access (or the same request's, with a fresh code: see the module docstring)."""
    try:
        chosen = Role(role)
    except ValueError:
        raise svc.invalid("role", f"unknown role {role!r}") from None
    if chosen not in (Role.MEMBER, Role.MERCHANT):
        subject_id = None
    problems: list[Problem] = []
    if chosen is Role.MEMBER and not subject_id:
        problems.append(Problem("household_id", "choose the household"))
    if chosen is Role.MERCHANT and not subject_id:
        problems.append(Problem("merchant_id", "choose the merchant"))
    name = display_name.strip()
    if not name or len(name) > 120:
        problems.append(Problem("display_name", "give the person's name, 1 to 120 characters"))
    if problems:
        raise svc.InvalidRequest(problems, "The access form has problems.")
    new = people.create_access(session, chosen, subject_id, name, now, request_key=request_key)
    return new, people.access(session, new.access_id)


def reset_access(
    session: Session, access_id: str, now: datetime
) -> tuple[people.NewAccess, PersonAccess]:
    """A fresh activation code for the access (the old secret and sessions end)."""
    new = people.reset_access(session, access_id, now)
    return new, people.access(session, access_id)


def card_for(session: Session, row: PersonAccess) -> str | None:
    """The till card number of a member's access (None for other roles)."""
    if row.role != Role.MEMBER.value or row.subject_id is None:
        return None
    return people.card_of(session, row.subject_id)


def change_consent_code(session: Session, household_id: str, code: str, again: str) -> None:
    """The member's new till consent code, typed twice (``consent.change_code``)."""
    household(session, household_id)
    if not (code.isascii() and code.isdigit() and 4 <= len(code) <= 12):
        raise svc.invalid("consent_code", "the consent code must be 4 to 12 digits")
    if again != code:
        raise svc.invalid("consent_code_again", "the two codes differ")
    consent.change_code(session, household_id, code)


# --- Money in ----------------------------------------------------------------------------


def funder_id_of(name: str) -> str:
    """A funder's id from its name as typed: ``Ville de Loos`` -> ``ville-de-loos``."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:80]


def funders(session: Session) -> list[str]:
    """Funder ids already in the books (their income or receivable accounts)."""
    accounts = session.execute(
        select(col(t.Balance.account)).where(
            col(t.Balance.account).like("74:%")
            | col(t.Balance.account).like("754:%")
            | col(t.Balance.account).like("441:%")
            | col(t.Balance.account).like("194:%")
        )
    ).scalars()
    return sorted({account.split(":", 1)[1] for account in accounts})


def _money_problems(
    amount_cents: int | None, received_on: date | None, today: date
) -> list[Problem]:
    problems = []
    if amount_cents is None or amount_cents <= 0:
        problems.append(Problem("amount", "give an amount above zero"))
    if received_on is None:
        problems.append(Problem("received_on", "give the day the money was received"))
    elif received_on > today:
        problems.append(Problem("received_on", "the day is in the future"))
    return problems


def record_payment(
    session: Session,
    household_id: str,
    amount_cents: int | None,
    method: str,
    reference: str,
    received_on: date | None,
    *,
    actor: str,
    idempotency_key: str,
    now: datetime,
) -> dict[str, Any]:
    """A member's contribution received (every problem of the form at once)."""
    problems: list[Problem] = []
    row = session.get(t.Household, household_id) if household_id else None
    if row is None or row.erased:
        problems.append(Problem("household_id", "choose the household"))
    problems.extend(_money_problems(amount_cents, received_on, now.date()))
    if method not in PAYMENT_METHODS:
        problems.append(Problem("method", "choose how the money was paid"))
    if problems or amount_cents is None or received_on is None:
        raise svc.InvalidRequest(problems, "The payment form has problems.")
    return money.record_payment(
        session,
        household_id,
        amount_cents,
        method,
        reference.strip() or f"bureau {received_on.isoformat()}",
        received_on,
        actor=actor,
        idempotency_key=idempotency_key,
        now=now,
    )


def record_funding(
    session: Session,
    funder_name: str,
    kind: str,
    amount_cents: int | None,
    reference: str,
    received_on: date | None,
    *,
    actor: str,
    idempotency_key: str,
    now: datetime,
) -> dict[str, Any]:
    """A funder's subsidy or donation received (every problem of the form at once)."""
    problems: list[Problem] = []
    funder_id = funder_id_of(funder_name)
    if not funder_id:
        problems.append(Problem("funder", "give the funder's name"))
    if kind not in FUNDING_KINDS:
        problems.append(Problem("kind", "choose subsidy or donation"))
    problems.extend(_money_problems(amount_cents, received_on, now.date()))
    if problems or amount_cents is None or received_on is None:
        raise svc.InvalidRequest(problems, "The funding form has problems.")
    return money.record_funding(
        session,
        funder_id,
        kind,
        amount_cents,
        reference.strip() or f"bureau {received_on.isoformat()}",
        received_on,
        actor=actor,
        idempotency_key=idempotency_key,
        now=now,
    )
