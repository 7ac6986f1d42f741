"""Donors' identities as receipts print them: personal data in ``tax_donor``, erasable.

Guarantees: the journal never sees a name or an address, only ``commitment`` (sha256 over a
random salt kept with the identity and the identity's canonical text); erasing a donor
deletes the identity and what its receipts printed, and every journal record still verifies.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.db import tables as t
from app.db.session import read_only, unit_of_work
from app.db.tables_receipts import TaxDonor, TaxReceipt
from app.engine.books.apply_receipts import MODES
from app.engine.books.commands import _ID_RE
from app.engine.problems import Problem
from app.services import errors as svc


@dataclass(frozen=True, slots=True)
class Donor:
    donor_id: str
    name: str
    address: str
    mode: str
    household_id: str | None


def commitment(row: TaxDonor) -> str:
    """The salted commitment to the identity a receipt prints (64 hex digits)."""
    identity = json.dumps([row.name, row.address], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{row.salt}\n{identity}".encode()).hexdigest()


def _check(donor_id: str, name: str, address: str, mode: str, household_id: str | None) -> None:
    problems = []
    if not _ID_RE.match(donor_id):
        problems.append(Problem("donor_id", "expected the donor's id as its gifts are recorded"))
    if not name.strip() or len(name) > 200 or "\n" in name:
        problems.append(
            Problem("name", "expected the donor's name, 1 to 200 characters on one line")
        )
    if not address.strip() or len(address) > 400:
        problems.append(
            Problem("address", "expected the donor's postal address, 1 to 400 characters")
        )
    if mode not in MODES:
        problems.append(Problem("mode", f"expected one of {', '.join(MODES)}, got {mode!r}"))
    if household_id is not None and not _ID_RE.match(household_id):
        problems.append(Problem("household_id", "expected a household id"))
    if problems:
        raise svc.InvalidRequest(tuple(problems), "The donor's identity is not valid.")


def set_donor(
    engine: Engine,
    donor_id: str,
    name: str,
    address: str,
    mode: str,
    household_id: str | None = None,
) -> Donor:
    """Record or correct a donor's identity (receipts already issued keep what they printed)."""
    _check(donor_id, name, address, mode, household_id)
    with unit_of_work(engine) as session:
        row = session.get(TaxDonor, donor_id)
        if row is None:
            row = TaxDonor(
                donor_id=donor_id, name="", address="", mode=mode, salt=secrets.token_hex(32)
            )
        row.name, row.address, row.mode = name.strip(), address.strip(), mode
        row.household_id = household_id
        session.add(row)
    return Donor(donor_id, name.strip(), address.strip(), mode, household_id)


def donor_row(session: Session, donor_id: str) -> TaxDonor | None:
    return session.get(TaxDonor, donor_id)


def donor(engine: Engine, donor_id: str) -> Donor:
    with read_only(engine) as session:
        row = session.get(TaxDonor, donor_id)
        if row is None:
            raise svc.not_found("donor", donor_id)
        return Donor(row.donor_id, row.name, row.address, row.mode, row.household_id)


def erase(engine: Engine, donor_id: str) -> None:
    """Forget the donor's identity and what its receipts printed (they cannot be reprinted;
    their numbers, amounts and journal records stay)."""
    with unit_of_work(engine) as session:
        row = session.get(TaxDonor, donor_id)
        if row is None:
            raise svc.not_found("donor", donor_id)
        session.delete(row)
        session.execute(
            update(TaxReceipt).where(col(TaxReceipt.donor_id) == donor_id).values(printed=None)
        )


def erase_household(session: Session, household_id: str) -> None:
    """A member's erasure (app.services.households.erase_member) also forgets the donor
    identities linked to the household and what their receipts printed, in its transaction."""
    linked = list(
        session.execute(
            select(TaxDonor).where(col(TaxDonor.household_id) == household_id)
        ).scalars()
    )
    for row in linked:
        session.execute(
            update(TaxReceipt).where(col(TaxReceipt.donor_id) == row.donor_id).values(printed=None)
        )
        session.delete(row)


def member_donor(session: Session, household_id: str, mode: str) -> TaxDonor | None:
    """The member household as the donor of its over-contributions (donor id = household
    id): its identity is the member's own (``member_identity``: account holder's name and
    postal address), copied into ``tax_donor`` (linked to the household, so the member's
    erasure forgets it) and refreshed at each issue; ``None`` without a name and an address.
    A mode set by an operator (``set_donor``) is kept; otherwise ``mode``."""
    identity = session.get(t.MemberIdentity, household_id)
    if identity is None or not identity.full_name.strip() or not (identity.address or "").strip():
        return None
    row = session.get(TaxDonor, household_id)
    if row is None:
        row = TaxDonor(
            donor_id=household_id, name="", address="", mode=mode, salt=secrets.token_hex(32)
        )
    row.name, row.address = identity.full_name.strip(), (identity.address or "").strip()
    row.household_id = household_id
    session.add(row)
    session.flush()
    return row
