"""What the operator's page modules share: who may open them, the forms' idempotency keys,
reading dates and months from a form, and French messages for the services' refusals.

Every writing form carries a hidden key made when the page was rendered (``new_key``); the
services get it scoped to the person (``keyed``), so a double click replays the first
request, and two people's keys never meet."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from fastapi import Depends
from starlette.datastructures import FormData

from app.services import errors as svc
from app.services.people import Person
from app.services.tokens import Role
from app.web.i18n import _
from app.web.pages import FormErrors, FormExpired, form_of, now, signed_in, text_of

OperatorDep = Annotated[Person, Depends(signed_in(Role.OPERATOR))]
FormDep = Annotated[FormData, Depends(form_of)]
KEY_FIELD = "cle"
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_DAY = re.compile(r"^(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})$")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def new_key() -> str:
    """A fresh idempotency key for one rendered form."""
    return secrets.token_urlsafe(18)


def scoped(key: str, person: Person) -> str:
    """A form's key scoped to the person (a key that is not well formed is refused like a
    forged form: nothing is done)."""
    if not _KEY.match(key):
        raise FormExpired()
    return f"{person.access_id}:web:{key}"


def key_of(form: FormData, person: Person) -> str:
    """The posted form's key, scoped to the person."""
    return scoped(text_of(form, KEY_FIELD), person)


def writes(form: FormData, person: Person) -> dict[str, Any]:
    """The keyword arguments of a recording service: actor, scoped key, clock."""
    return {
        "actor": person.principal.actor,
        "idempotency_key": key_of(form, person),
        "now": now(),
    }


def parse_day(text: str) -> date | None:
    """A day as typed: ``17/05/1980`` (also with ``-``, ``.`` or spaces) or ``1980-05-17``."""
    cleaned = text.strip()
    found = _DAY.match(cleaned)
    try:
        if found:
            return date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
        iso = _ISO_DAY.match(cleaned)
        if iso:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    except ValueError:
        return None
    return None


def day_input(value: date) -> str:
    """The value to put back in a day field: ``17/05/1980``."""
    return value.strftime("%d/%m/%Y")


def this_month() -> str:
    today = now().date()
    return f"{today.year:04d}-{today.month:02d}"


def shift_month(period: str, months: int) -> str:
    year, month = (int(part) for part in period.split("-"))
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_choices(before: int = 2, after: int = 12) -> list[str]:
    """Months a form offers, from ``before`` months ago to ``after`` months ahead."""
    current = this_month()
    return [shift_month(current, step) for step in range(-before, after + 1)]


def errors_of(error: svc.ServiceError, messages: Mapping[str, str], fallback: str) -> FormErrors:
    """French messages for a refusal: each problem's path (its form field) mapped through
    ``messages`` (French msgids, translated here, at request time); a problem about no
    field of the form gets ``fallback``, linked to the summary itself."""
    errors = FormErrors()
    for problem in error.problems:
        field = problem.path.split(".")[0].split("[")[0]
        if field in messages:
            errors.add(field, _(messages[field]))
        else:
            errors.add("erreurs", _(fallback))
    if not errors:
        errors.add("erreurs", _(fallback))
    return errors


# French msgids, marked for the catalogue here and translated again where they are used
# (module constants are made before any request, in French).
GENERIC_REFUSAL = _("La caisse a refusé cette demande ; rien n'a été enregistré.")
