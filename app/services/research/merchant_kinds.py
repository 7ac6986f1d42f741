"""A merchant's kind (producer, shop, épicerie solidaire, market), set by the committee.

Kept beside the books like the merchant's name (``merchant_profile.kind``, app.db.tables_people;
not money, never journalled): the indicators read it to group spending by kind. A merchant
without one is a ``shop`` (``DEFAULT_MERCHANT_KIND``). The kind is the merchant's current
one: a period's indicators group its spending under the kind it has when they are computed.

- ``kinds``: merchant id -> kind, for the merchants whose kind is not the default;
- ``set_kind``: one of ``MERCHANT_KINDS`` (``InvalidRequest`` on ``kind`` otherwise,
  ``NotFound`` for a merchant the books do not know). A merchant without a profile gets one,
  named as ``merchant_profiles.name_of`` reads it; setting the same kind changes nothing.
Services flush; the caller's unit of work commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from app.db import tables as t
from app.db.tables_people import MerchantProfile
from app.engine.indicators import DEFAULT_MERCHANT_KIND, MERCHANT_KINDS
from app.services import errors as svc
from app.services.merchant_profiles import name_of
from app.services.people import moment


def set_kind(session: Session, merchant_id: str, kind: str, now: datetime) -> str:
    """Give the merchant ``kind``; return it (see the module docstring)."""
    if kind not in MERCHANT_KINDS:
        raise svc.invalid("kind", f"expected one of {', '.join(MERCHANT_KINDS)}, got {kind!r}")
    if session.get(t.Merchant, merchant_id) is None:
        raise svc.not_found("merchant", merchant_id)
    row = session.get(MerchantProfile, merchant_id)
    if row is None:
        name = name_of(session, merchant_id)
        row = MerchantProfile(merchant_id=merchant_id, name=name, kind=kind, updated_at=moment(now))
    elif row.kind == kind:
        return kind
    else:
        row.kind = kind
        row.updated_at = moment(now)
    session.add(row)
    session.flush()
    return kind


def kinds(session: Session) -> dict[str, str]:
    """merchant id -> its kind, for merchants whose profile names one other than ``shop``."""
    rows = session.execute(
        select(col(MerchantProfile.merchant_id), col(MerchantProfile.kind)).where(
            col(MerchantProfile.kind).is_not(None)
        )
    )
    return {str(m): str(k) for m, k in rows if k and k != DEFAULT_MERCHANT_KIND}


def kind_of(session: Session, merchant_id: str) -> str:
    """The merchant's kind (``shop`` when none was set)."""
    row = session.get(MerchantProfile, merchant_id)
    return row.kind if row is not None and row.kind else DEFAULT_MERCHANT_KIND
