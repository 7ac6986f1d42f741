"""A realistic life of a small fund, through the services (the only way the app writes).

Two months: rule set, three households, a merchant, funding, payments, the month run,
purchases, a refund, a settlement, a reversal, expiry, close and a signed seal, then an
erasure and the next month's run. Expected figures are asserted by the tests that use it.
"""

from __future__ import annotations

from datetime import date

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Engine

from app.services.households import erase_member
from app.services.merchants import approve_merchant, purchase, refund
from app.services.money import record_funding, record_payment, reverse_entry, settle_merchants
from app.services.months import close_month, expire_credit, run_month
from app.services.seal import seal_month
from tests.services.helpers import CODE, adopt, enrol, w

# The fund's signing key: fixed bytes, so the tests know its public half.
SIGNING_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def live_a_year(db: Engine) -> None:
    """Commands of two months; the books end with hh_c erased and 2026-11 sealed."""
    adopt(db)
    enrol(db, "hh_a", 200_000, 1)   # contribution 5 000, credit 10 000
    enrol(db, "hh_b", 80_000, 3)    # contribution 2 000, credit 20 000
    enrol(db, "hh_c", 40_000, 2)    # contribution 1 000, credit 15 000
    approve_merchant(db, "shop", {"food": "1", "hygiene": "0.5"}, date(2026, 1, 1), **w())
    approve_merchant(db, "market", {"food": "1"}, date(2026, 1, 1), **w())
    record_funding(db, "city", "subsidy", 100_000, "SUB-1", date(2026, 11, 2), **w())
    record_funding(db, "fdn", "donation", 20_000, "DON-1", date(2026, 11, 3), **w())
    run_month(db, "2026-11", chunk_size=2, **w())
    record_payment(db, "hh_a", 5_000, "transfer", "VIR-1", date(2026, 11, 5), **w())
    record_payment(db, "hh_b", 2_000, "cash", "CASH-1", date(2026, 11, 6), **w())
    purchase(db, "p1", "hh_a", "shop", "food", 3_000, date(2026, 11, 10), CODE, **w())
    purchase(db, "p2", "hh_b", "shop", "hygiene", 1_001, date(2026, 11, 11), CODE, **w())
    purchase(db, "p3", "hh_c", "market", "food", 4_500, date(2026, 11, 12), CODE, **w())
    refund(db, "r1", "shop", "p1", 1_000, date(2026, 11, 13), **w())
    settle_merchants(db, "b1", "SEPA-11", date(2026, 11, 20), {"shop": 2_500}, **w())
    paid = record_payment(db, "hh_c", 999, "cash", "CASH-2", date(2026, 11, 21), **w())
    reverse_entry(db, f"{paid['seq']}.0", "wrong amount", "2026-11", **w())
    expire_credit(db, "2026-11", **w())
    close_month(db, "2026-11", **w())
    seal_month(db, "2026-11", signing_key=SIGNING_KEY, **w())
    erase_member(db, "hh_c", **w())
    run_month(db, "2026-12", **w())
    purchase(db, "p4", "hh_b", "market", "food", 2_000, date(2026, 12, 2), CODE, **w())
