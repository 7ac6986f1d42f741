"""Merchants' names as people read them (``merchant_profile``, app.db.tables_people).

The books know a merchant by its id only (``m_boulangerie-du-centre``): a shop's sign is not
money, so its name is kept beside the books, never journalled, and may change at will.

- ``set_name``: the merchant's name, stripped, 1 to ``NAME_LIMIT`` characters, no control
  characters (``InvalidRequest`` on path ``name`` otherwise, ``NotFound`` for a merchant
  the books do not know); setting the same name again changes nothing;
- ``names``: merchant id -> the name people read: its profile's; where it has none, the
  display name of its oldest web access still valid (what the pages showed before
  profiles); ids with neither are left out;
- ``name_of``: one merchant's name, never empty: ``names``, else read back from its id
  (``read_back``);
- ``profile_names`` / ``own_name``: the profile's name only (``None`` without one): what a
  merchant's own till and the office's lists show, never a person's name.

Services flush; the caller's unit of work commits.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from app.db import tables as t
from app.db.tables_people import MerchantProfile, PersonAccess
from app.services import errors as svc
from app.services.people import moment

NAME_LIMIT = 120


def clean_name(name: str) -> str:
    """The name as stored: stripped; ``InvalidRequest`` when empty, longer than
    ``NAME_LIMIT`` or holding a control character (a line break, a tab...)."""
    cleaned = name.strip()
    if not cleaned or len(cleaned) > NAME_LIMIT:
        raise svc.invalid("name", f"give the merchant's name, 1 to {NAME_LIMIT} characters")
    if any(unicodedata.category(c) == "Cc" for c in cleaned):
        raise svc.invalid("name", "the merchant's name is one line of text")
    return cleaned


def set_name(session: Session, merchant_id: str, name: str, now: datetime) -> MerchantProfile:
    """Give the merchant ``name`` (see the module docstring)."""
    cleaned = clean_name(name)
    if session.get(t.Merchant, merchant_id) is None:
        raise svc.not_found("merchant", merchant_id)
    row = session.get(MerchantProfile, merchant_id)
    if row is None:
        row = MerchantProfile(merchant_id=merchant_id, name=cleaned, updated_at=moment(now))
        session.add(row)
    elif row.name != cleaned:
        row.name = cleaned
        row.updated_at = moment(now)
        session.add(row)
    session.flush()
    return row


def profile_names(session: Session, merchant_ids: Iterable[str]) -> dict[str, str]:
    """merchant id -> its profile's name, for those of ``merchant_ids`` that have one."""
    wanted = sorted(set(merchant_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(col(MerchantProfile.merchant_id), col(MerchantProfile.name)).where(
            col(MerchantProfile.merchant_id).in_(wanted)
        )
    )
    return {str(merchant): str(name) for merchant, name in rows}


def _access_names(session: Session, merchant_ids: list[str]) -> dict[str, str]:
    """merchant id -> the display name of its oldest web access still valid."""
    rows = session.execute(
        select(col(PersonAccess.subject_id), col(PersonAccess.display_name))
        .where(
            col(PersonAccess.role) == "merchant",
            col(PersonAccess.subject_id).in_(merchant_ids),
            col(PersonAccess.revoked_at).is_(None),
        )
        .order_by(col(PersonAccess.created_at).desc(), col(PersonAccess.access_id).desc())
    )
    # Newest first, so the oldest is written last and kept.
    return {str(subject): str(name) for subject, name in rows if subject and name}


def names(session: Session, merchant_ids: Iterable[str]) -> dict[str, str]:
    """merchant id -> name, for those of ``merchant_ids`` that have one (see above)."""
    wanted = sorted(set(merchant_ids))
    if not wanted:
        return {}
    return _access_names(session, wanted) | profile_names(session, wanted)


def read_back(merchant_id: str) -> str:
    """A name read back from the id a merchant was approved under: ``m_boulangerie-du-centre``
    -> ``Boulangerie du centre`` (accents and capitals are lost with the id)."""
    words = merchant_id.removeprefix("m_").replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else merchant_id


def name_of(session: Session, merchant_id: str) -> str:
    """The merchant's name, never empty (see the module docstring)."""
    return names(session, [merchant_id]).get(merchant_id) or read_back(merchant_id)


def own_name(session: Session, merchant_id: str) -> str | None:
    """The merchant's profile name, ``None`` when it has none."""
    return profile_names(session, [merchant_id]).get(merchant_id)
