"""``issue_tax_receipt``: a tax receipt (*reçu fiscal*, Cerfa 11580) recorded in the journal.

Guarantees: no ledger entry and no balance change (a receipt is a statement about money
already booked, not money); no personal data: the donor is its pseudonymous id and a salted
commitment (sha256, 64 hex digits) to the identity printed, kept in erasable storage; the
reduction the receipt states is ``amount x rate`` rounded DOWN to the cent, with the rate a
decimal string taken from the fund's settings (data, not code). The numbering without gaps
is the service's (app.services.receipts: under the writer lock, in this record's transaction).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.engine.books.commands import Fields
from app.engine.books.state import BooksView, Effects
from app.engine.money import parse_rate

BASES = ("gift", "over_contribution")
MODES = ("cheque", "virement", "especes")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def reduction_cents(amount_cents: int, rate_text: str) -> int:
    """The income-tax reduction a gift of ``amount_cents`` gives at ``rate_text``
    (``"0.66"``), rounded down to the cent."""
    rate = parse_rate(rate_text)
    return amount_cents * rate.numerator // rate.denominator


def issue_tax_receipt(view: BooksView, payload: Mapping[str, Any], seq: int) -> Effects:
    f = Fields(payload)
    receipt_id = f.ident("receipt_id")
    year = f.integer("year", 2000)
    number = f.integer("number", 1)
    donor_id = f.ident("donor_id")
    basis = f.text("basis", BASES)
    mode = f.text("mode", MODES)
    amount = f.cents("amount_cents")
    rate = f.text("reduction_rate")
    commitment = f.text("donor_commitment")
    issued_on = f.day("issued_on")
    f.require(receipt_id == f"{year}-{number:06d}", "receipt_id", "expected YEAR-NNNNNN")
    f.require(bool(_HEX64.match(commitment)), "donor_commitment", "expected 64 hex digits")
    try:
        fraction = parse_rate(rate)
    except ValueError:
        fraction = parse_rate("-1")
    f.require(0 <= fraction <= 1, "reduction_rate", "expected a decimal rate between 0 and 1")
    reduction = reduction_cents(amount, rate) if 0 <= fraction <= 1 else 0
    f.require(issued_on.year >= year, "issued_on", f"a receipt for {year} is issued after it")
    f.done()
    result = {
        "receipt_id": receipt_id,
        "year": year,
        "number": number,
        "donor_id": donor_id,
        "basis": basis,
        "mode": mode,
        "amount_cents": amount,
        "reduction_cents": reduction,
    }
    return Effects(result=result)
