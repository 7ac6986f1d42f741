"""Tax receipts (*reçus fiscaux*, Cerfa 11580): the receipts issued, the donors' identities
and the fund's own receipt settings.

- ``tax_receipt`` is what was issued: the year and its gapless number, the pseudonymous donor
  id, the amount, the days paid, the mode, the issue day and the journal record; the same
  facts (with a salted commitment to the donor's identity) are in the journal. Its
  ``printed`` column is every fact the PDF prints (so a reissue is the same bytes, whatever
  changed since): it holds the donor's name and address, so erasing the donor clears it.
- ``tax_donor`` is personal data (name and postal address as the receipt prints them) and
  erasable: erase the row and every journalled commitment still verifies, but the receipt
  can no longer be reprinted.
- ``fund_setting`` holds the fund's settings as JSON documents by key (``tax_receipts``: the
  organisation's name, address, SIREN/RNA, object, quality, the reduction rate and ceiling):
  data, not code, so a fund (or a change of the law) changes them without a release.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db.tables import cents


class TaxReceipt(SQLModel, table=True):
    """One issued receipt; ``number`` runs 1, 2, 3... without gaps within ``year``
    (app.services.receipts issues under the journal's writer lock, in the journal's
    transaction, so a failed issue leaves no number behind)."""

    __tablename__ = "tax_receipt"
    __table_args__ = (UniqueConstraint("year", "donor_id", "basis"),)

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    number: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    donor_id: str = Field(max_length=80, index=True)
    basis: str = Field(max_length=20)  # gift | over_contribution
    amount_cents: int = cents("amount given, receipted")
    paid_on: str = Field(sa_type=Text)  # JSON list of ISO days, oldest first
    mode: str = Field(max_length=20)  # cheque | virement | especes
    issued_on: str = Field(max_length=10)
    seq: int = Field(sa_type=BigInteger)
    printed: str | None = Field(default=None, sa_type=Text, nullable=True)  # JSON; erasable


class TaxDonor(SQLModel, table=True):
    """A donor's identity as receipts print it (personal data, erasable), the member's
    household when the donor is one (so the member can download the receipt) and how the
    donor pays. ``salt`` makes the journal's commitment to the identity unguessable."""

    __tablename__ = "tax_donor"

    donor_id: str = Field(max_length=80, primary_key=True)
    name: str = Field(max_length=200)
    address: str = Field(max_length=400)
    household_id: str | None = Field(default=None, max_length=80, nullable=True, index=True)
    mode: str = Field(max_length=20)  # how the donor pays: cheque | virement | especes
    salt: str = Field(max_length=64)


class FundSetting(SQLModel, table=True):
    """One of the fund's settings, a JSON document under its key."""

    __tablename__ = "fund_setting"

    key: str = Field(max_length=80, primary_key=True)
    document: str = Field(sa_type=Text)
