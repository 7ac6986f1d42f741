"""Free text kept out of the journal (app.services.free_text): payment and settlement
references, reasons for a reversal or a suspension. Bank references often carry a payer's
name; the append-only journal must not.

``free_text`` holds, per journal record and field, the text and the salt of its commitment;
the journal's payload holds only the commitment (``sha256:<hex>``). Erasing a row removes
the text and the salt: the record still verifies, and nobody can test a guess against the
commitment any more.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Text
from sqlmodel import Field, SQLModel


class FreeText(SQLModel, table=True):
    """One field's text of one journal record, with its commitment's salt. Erasable."""

    __tablename__ = "free_text"

    seq: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    field: str = Field(max_length=40, primary_key=True)
    salt: str = Field(max_length=64)
    text: str = Field(sa_type=Text)
