"""The fund's tax-receipt settings: data kept in ``fund_setting`` (key ``tax_receipts``),
never code constants, so the reduction rate (66 % today) and its ceiling (20 % of taxable
income) follow the law without a release.

Guarantees: ``parse`` names every missing or wrong field with what was expected; rates are
exact decimal strings between 0 and 1 (no float).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db.session import read_only, unit_of_work
from app.db.tables_receipts import FundSetting
from app.engine.money import parse_rate
from app.engine.problems import Problem
from app.services import errors as svc

KEY = "tax_receipts"
_TEXTS = ("name", "address", "siren_rna", "object", "quality", "signatory", "place")
_RATES = ("reduction_rate", "ceiling_rate")


@dataclass(frozen=True, slots=True)
class TaxSettings:
    """What every receipt prints about the organisation and the reduction."""

    name: str  # organisme bénéficiaire
    address: str
    siren_rna: str  # SIREN or RNA number
    object: str  # the organisation's object
    quality: str  # e.g. "Association ou fondation reconnue d'intérêt général"
    signatory: str  # name and role of who signs
    place: str  # "Fait à ..."
    reduction_rate: str  # "0.66" (article 200 CGI, individuals)
    ceiling_rate: str  # "0.20" of taxable income

    def document(self) -> dict[str, str]:
        return asdict(self)


def parse(document: Any) -> TaxSettings:
    """The settings in ``document`` (every problem named at once)."""
    if not isinstance(document, dict):
        raise svc.invalid("settings", "expected an object with the receipt settings")
    problems = []
    for key in _TEXTS + _RATES:
        value = document.get(key)
        if not isinstance(value, str) or not value.strip() or len(value) > 400:
            problems.append(Problem(key, "expected a text of 1 to 400 characters"))
    for key in _RATES:
        value = document.get(key)
        if isinstance(value, str) and value.strip():
            try:
                ok = 0 < parse_rate(value) <= 1
            except ValueError:
                ok = False
            if not ok:
                problems.append(
                    Problem(
                        key,
                        f'expected a decimal rate above 0 and at most 1, such as "0.66", got {value!r}',
                    )
                )
    unknown = sorted(set(document) - set(_TEXTS + _RATES))
    problems.extend(Problem(key, "unknown setting") for key in unknown)
    if problems:
        raise svc.InvalidRequest(tuple(problems), "The tax receipt settings are not valid.")
    return TaxSettings(**{key: str(document[key]).strip() for key in _TEXTS + _RATES})


def save(engine: Engine, document: Any) -> TaxSettings:
    """Check and store the settings (the next receipts print them; issued ones keep theirs)."""
    found = parse(document)
    text = json.dumps(found.document(), sort_keys=True, ensure_ascii=False)
    with unit_of_work(engine) as session:
        row = session.get(FundSetting, KEY)
        if row is None:
            session.add(FundSetting(key=KEY, document=text))
        else:
            row.document = text
            session.add(row)
    return found


def current(session: Session) -> TaxSettings:
    """The settings in force (``Conflict`` naming what to do when none were given)."""
    row = session.get(FundSetting, KEY)
    if row is None:
        raise svc.Conflict(
            (Problem("settings", "no tax receipt settings: an operator sets them first"),),
            "The fund has no tax receipt settings yet.",
        )
    return parse(json.loads(row.document))


def load(engine: Engine) -> TaxSettings:
    with read_only(engine) as session:
        return current(session)
