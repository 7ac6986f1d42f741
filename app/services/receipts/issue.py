"""A year's tax receipts: who gave what (from the journal), issued with numbers 1, 2, 3...
per year without gaps, recorded in the journal, reprinted identically.

Guarantees:

- The gifts of a year are the ``record_funding`` donations received that year, less those
  whose entry was reversed; one receipt per donor and year (``basis`` ``gift``) for the donors
  whose identity is recorded (app.services.receipts.donors); the others are listed, not
  receipted.
- In the months whose rules say so, a member household's contributions paid above the credit
  it was granted are gifts too (app.services.receipts.over_contributions states the exact
  rule): one receipt per household and year (``basis`` ``over_contribution``, donor id = the
  household id, identity from the member's own), after the year's gift receipts, in the same
  numbering; the receipt prints the rule and the months.
- Issuing runs in ONE transaction under the journal's writer lock: the next number is read
  under the lock, the journal record (``issue_tax_receipt``, no personal data) and the
  ``tax_receipt`` row are written together, so concurrent issues (threads, workers) never
  share or skip a number, and a failure leaves no number behind. Issuing again the same
  year receipts only the donors not receipted yet.
- ``pdf_of`` draws what the receipt printed when issued (``tax_receipt.printed``): the same
  bytes at every reprint (app.services.receipts.pdf is deterministic).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.audit import journal
from app.db import tables as t
from app.db.session import read_only, unit_of_work
from app.db.tables_receipts import TaxDonor, TaxReceipt
from app.engine.books.apply_receipts import reduction_cents
from app.engine.books.commands import Command
from app.engine.words import euros_in_words
from app.services import errors as svc
from app.services.receipts import donors, over_contributions, pdf, settings
from app.services.receipts.over_contributions import OVER_CONTRIBUTION, MonthGift
from app.services.writes.execute import execute

GIFT = "gift"
ARTICLE = "200"  # du code général des impôts: gifts of individuals


@dataclass(frozen=True, slots=True)
class Gift:
    seq: int
    day: str
    amount_cents: int


@dataclass(frozen=True, slots=True)
class Issued:
    """A receipt as listed: number, donor id, amount, days paid (no personal data)."""

    receipt_id: str
    year: int
    number: int
    donor_id: str
    amount_cents: int
    paid_on: tuple[str, ...]
    issued_on: str
    printable: bool  # False once the donor's identity was erased
    basis: str = GIFT  # gift | over_contribution


@dataclass(frozen=True, slots=True)
class Outcome:
    issued: tuple[Issued, ...]
    without_identity: tuple[str, ...]  # donors who gave that year but have no identity kept


def receipt_id(year: int, number: int) -> str:
    return f"{year}-{number:06d}"


def gifts_of_year(session: Session, year: int) -> dict[str, list[Gift]]:
    """Each donor's donations received in ``year``, oldest first (reversed ones left out)."""
    rows = session.execute(
        select(t.Journal)
        .where(col(t.Journal.kind).in_(("record_funding", "reverse_entry")))
        .order_by(col(t.Journal.seq))
    ).scalars()
    found: dict[str, tuple[str, Gift]] = {}  # entry id -> (donor, gift)
    reversed_entries: set[str] = set()
    first, last = f"{year:04d}-01-01", f"{year:04d}-12-31"
    for row in rows:
        payload = json.loads(row.payload)
        if row.kind == "reverse_entry":
            reversed_entries.add(str(payload.get("entry_id")))
            continue
        day = str(payload.get("received_on", ""))
        if payload.get("kind") != "donation" or payload.get("status") not in (None, "received"):
            continue
        if not first <= day <= last:
            continue
        entry_id = str(json.loads(row.result).get("entry_id"))
        gift = Gift(row.seq, day, int(payload["amount_cents"]))
        found[entry_id] = (str(payload["funder_id"]), gift)
    gifts: dict[str, list[Gift]] = {}
    for entry_id, (donor_id, gift) in found.items():
        if entry_id not in reversed_entries:
            gifts.setdefault(donor_id, []).append(gift)
    return {donor_id: sorted(g, key=lambda x: x.seq) for donor_id, g in sorted(gifts.items())}


def _printed(
    terms: settings.TaxSettings,
    donor: TaxDonor,
    year: int,
    number: int,
    given: tuple[int, Iterable[str]],
    issued_on: date,
) -> dict[str, Any]:
    """Every fact the receipt prints (Cerfa 11580 fields); ``given`` is (amount, days)."""
    amount, days = given
    return {
        "receipt_id": receipt_id(year, number),
        "year": year,
        "number": number,
        "organisation": terms.document(),
        "donor": {"name": donor.name, "address": donor.address},
        "amount_cents": amount,
        "amount_words": euros_in_words(amount),
        "paid_on": sorted(set(days)),
        "form": "Déclaration de don manuel",
        "nature": "Numéraire",
        "mode": donor.mode,
        "article": ARTICLE,
        "reduction_rate": terms.reduction_rate,
        "ceiling_rate": terms.ceiling_rate,
        "reduction_cents": reduction_cents(amount, terms.reduction_rate),
        "issued_on": issued_on.isoformat(),
    }


def _next_number(session: Session, year: int) -> int:
    top = session.execute(
        select(func.max(TaxReceipt.number)).where(col(TaxReceipt.year) == year)
    ).scalar_one()
    return int(top or 0) + 1


def _over_printed(printed: dict[str, Any], months: list[MonthGift]) -> dict[str, Any]:
    """What an over-contribution receipt prints besides a gift's: its basis, the rule and
    each month's contribution paid, credit granted and gift."""
    return printed | {
        "basis": OVER_CONTRIBUTION,
        "rule": over_contributions.RULE_TEXT,
        "months": [
            {
                "period": m.period,
                "paid_cents": m.paid_cents,
                "granted_cents": m.granted_cents,
                "gift_cents": m.gift_cents,
            }
            for m in months
        ],
    }


def _issue_one(
    session: Session,
    donor: TaxDonor,
    printed: dict[str, Any],
    *,
    actor: str,
    now: datetime,
) -> None:
    year, number = int(printed["year"]), int(printed["number"])
    basis = str(printed.get("basis", GIFT))
    payload = {
        "receipt_id": printed["receipt_id"],
        "year": year,
        "number": number,
        "donor_id": donor.donor_id,
        "basis": basis,
        "mode": donor.mode,
        "amount_cents": printed["amount_cents"],
        "reduction_rate": printed["reduction_rate"],
        "donor_commitment": donors.commitment(donor),
        "issued_on": printed["issued_on"],
    }

    def side(session: Session, seq: int) -> None:
        session.add(
            TaxReceipt(
                year=year,
                number=number,
                donor_id=donor.donor_id,
                basis=basis,
                amount_cents=int(printed["amount_cents"]),
                paid_on=json.dumps(printed["paid_on"]),
                mode=donor.mode,
                issued_on=str(printed["issued_on"]),
                seq=seq,
                printed=json.dumps(printed, sort_keys=True, ensure_ascii=False),
            )
        )

    key = f"tax-receipt.{year}.{basis}.{donor.donor_id}"
    execute(session, Command("issue_tax_receipt", payload), actor, key, now, side=side)


def issue_year(
    engine: Engine,
    year: int,
    issued_on: date,
    *,
    actor: str,
    now: datetime,
    only: Iterable[str] | None = None,
) -> Outcome:
    """Issue ``year``'s receipts not issued yet (``only``: these donors alone)."""
    if not 2000 <= year <= 9999:
        raise svc.invalid("year", f"expected a year such as 2027, got {year}")
    if issued_on.year <= year:
        raise svc.invalid("issued_on", f"a receipt for {year} is issued from {year + 1}-01-01")
    wanted = None if only is None else set(only)
    issued: list[Issued] = []
    without: list[str] = []
    with unit_of_work(engine) as session:
        journal.lock_writer(session)  # the numbers are read and taken under the lock
        terms = settings.current(session)
        done = _receipted(session, year, GIFT)
        for donor_id, gifts in gifts_of_year(session, year).items():
            if donor_id in done or (wanted is not None and donor_id not in wanted):
                continue
            donor = donors.donor_row(session, donor_id)
            if donor is None:
                without.append(donor_id)
                continue
            number = _next_number(session, year)
            given = (sum(g.amount_cents for g in gifts), [g.day for g in gifts])
            printed = _printed(terms, donor, year, number, given, issued_on)
            _issue_one(session, donor, printed, actor=actor, now=now)
            issued.append(_issued_from(printed, donor_id, True))
        over = _issue_over_contributions(session, terms, year, issued_on, wanted, actor, now)
        issued.extend(over.issued)
        without.extend(over.without_identity)
    return Outcome(tuple(issued), tuple(without))


def _receipted(session: Session, year: int, basis: str) -> set[str]:
    """The donors already receipted for ``year`` on ``basis``."""
    return set(
        session.execute(
            select(col(TaxReceipt.donor_id)).where(
                col(TaxReceipt.year) == year, col(TaxReceipt.basis) == basis
            )
        ).scalars()
    )


def _issue_over_contributions(
    session: Session,
    terms: settings.TaxSettings,
    year: int,
    issued_on: date,
    wanted: set[str] | None,
    actor: str,
    now: datetime,
) -> Outcome:
    """The year's over-contribution receipts not issued yet, numbered after what was issued
    (inside ``issue_year``'s transaction, under its lock)."""
    done = _receipted(session, year, OVER_CONTRIBUTION)
    pending = {
        household_id: months
        for household_id, months in over_contributions.over_contributions_of_year(
            session, year
        ).items()
        if household_id not in done and (wanted is None or household_id in wanted)
    }
    payments = over_contributions.payments_of_year(session, year, pending)
    issued: list[Issued] = []
    without: list[str] = []
    for household_id, months in pending.items():
        paid = payments.get(household_id, [])
        mode = over_contributions.mode_of(method for _day, method in paid)
        donor = donors.member_donor(session, household_id, mode)
        if donor is None:
            without.append(household_id)
            continue
        number = _next_number(session, year)
        given = (sum(m.gift_cents for m in months), [day for day, _method in paid])
        printed = _over_printed(_printed(terms, donor, year, number, given, issued_on), months)
        _issue_one(session, donor, printed, actor=actor, now=now)
        issued.append(_issued_from(printed, household_id, True))
    return Outcome(tuple(issued), tuple(without))


def _issued_from(printed: dict[str, Any], donor_id: str, printable: bool) -> Issued:
    return Issued(
        str(printed["receipt_id"]),
        int(printed["year"]),
        int(printed["number"]),
        donor_id,
        int(printed["amount_cents"]),
        tuple(printed["paid_on"]),
        str(printed["issued_on"]),
        printable,
        str(printed.get("basis", GIFT)),
    )


def _listed(row: TaxReceipt) -> Issued:
    return Issued(
        receipt_id(row.year, row.number),
        row.year,
        row.number,
        row.donor_id,
        int(row.amount_cents),
        tuple(json.loads(row.paid_on)),
        row.issued_on,
        row.printed is not None,
        row.basis,
    )


def receipts_of_year(engine: Engine, year: int) -> list[Issued]:
    """The year's receipts by number."""
    with read_only(engine) as session:
        rows = session.execute(
            select(TaxReceipt).where(col(TaxReceipt.year) == year).order_by(col(TaxReceipt.number))
        ).scalars()
        return [_listed(row) for row in rows]


def receipts_of_household(engine: Engine, household_id: str) -> list[Issued]:
    """The receipts of the donor(s) linked to a member's household, newest first."""
    with read_only(engine) as session:
        rows = session.execute(
            select(TaxReceipt)
            .join(TaxDonor, col(TaxDonor.donor_id) == col(TaxReceipt.donor_id))
            .where(col(TaxDonor.household_id) == household_id)
            .order_by(col(TaxReceipt.year).desc(), col(TaxReceipt.number).desc())
        ).scalars()
        return [_listed(row) for row in rows]


def parse_receipt_id(text: str) -> tuple[int, int]:
    """``"2027-000012"`` -> ``(2027, 12)`` (``InvalidRequest`` naming the expected form)."""
    year, _, number = text.partition("-")
    if not (len(year) == 4 and year.isdigit() and number.isdigit() and 1 <= len(number) <= 9):
        raise svc.invalid("receipt_id", f"expected YEAR-NUMBER such as 2027-000012, got {text!r}")
    return int(year), int(number)


def _row(session: Session, text: str, household_id: str | None) -> TaxReceipt:
    year, number = parse_receipt_id(text)
    row = session.get(TaxReceipt, (year, number))
    if row is not None and household_id is not None:
        donor = session.get(TaxDonor, row.donor_id)
        if donor is None or donor.household_id != household_id:
            row = None  # another member's receipt reads exactly as a missing one
    if row is None:
        raise svc.not_found("receipt", text)
    return row


def printed_of(engine: Engine, text: str, household_id: str | None = None) -> dict[str, Any]:
    """What receipt ``text`` printed (``household_id``: only if that member is the donor).
    ``Gone`` once the donor's identity was erased."""
    with read_only(engine) as session:
        row = _row(session, text, household_id)
        if row.printed is None:
            raise svc.Gone(
                detail=f"The donor of receipt {text} was erased: it cannot be reprinted."
            )
        document: dict[str, Any] = json.loads(row.printed)
        return document


def pdf_of(engine: Engine, text: str, household_id: str | None = None) -> bytes:
    """Receipt ``text`` as PDF, byte for byte as when it was issued."""
    return pdf.render(printed_of(engine, text, household_id))


def file_name(text: str) -> str:
    return f"recu-fiscal-{text}.pdf"
