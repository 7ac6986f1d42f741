"""Credit lots are spent oldest first (month granted, then the opening entry's seq as a
number), the same in the database as in the replay (docs/ledger.md, "Credit lots and
expiry").

Regression test for what ``caisse demo`` found: when lots were ordered by their text id,
the refund lot ``"10.0"`` sorted before the month's lot ``"5.1"`` in the database but not
in the replay, so a purchase after a refund spent different lots and the verifier reported
a disagreement on books that were otherwise right.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text

from app.audit.sources import DbSource, read_engine
from app.audit.verify import verify
from app.db.session import make_engine
from app.db.settings import Settings
from app.services import households, merchants, money, months
from app.services.rules import rulesets

NOW = datetime(2027, 1, 20, 10, 0, tzinfo=UTC)
RULES: dict[str, Any] = {
    "format": "caisse.rules/1",
    "id": "lots",
    "version": 1,
    "effective_from": "2027-01",
    "decision": "Comité du 2026-12-10, délibération 4",
    "contribution": {"formula": {"kind": "proportional", "base": "income", "rate": "0.01"}},
    "credit": {"formula": {"kind": "fixed", "amount_cents": 10000}},
}


def test_a_purchase_after_a_refund_spends_the_same_lots_as_the_replay(db_url: str) -> None:
    db = make_engine(Settings(database_url=db_url))
    keys = iter(range(1, 1000))

    def w() -> dict[str, Any]:
        return {"actor": "operator:test", "idempotency_key": f"k{next(keys)}", "now": NOW}

    try:
        rulesets.draft_rule_set(db, RULES)
        rulesets.adopt_rule_set(db, "lots", 1, **w())  # seq 1
        facts = households.Facts(income_cents=100_000, persons=(date(1980, 1, 1),))
        identity = households.Identity(full_name="Membre")
        households.enrol_household(db, "hh", "2027-01", identity, facts, "4821", **w())  # 2
        merchants.approve_merchant(db, "shop", {"food": "1"}, date(2027, 1, 1), **w())  # 3
        money.record_funding(db, "city", "subsidy", 50_000, "S", date(2027, 1, 2), **w())  # 4
        months.run_month(db, "2027-01", **w())  # 5: the month's lot, id "5.1"
        merchants.purchase(
            db, "p1", "hh", "shop", "food", 2_000, date(2027, 1, 10), "4821", **w()
        )  # 6
        for n in range(3):  # 7, 8, 9: so that the refund's lot id has two digits
            money.record_payment(db, "hh", 100, "cash", f"P{n}", date(2027, 1, 11), **w())
        merchants.refund(db, "r1", "shop", "p1", 1_000, date(2027, 1, 12), **w())  # 10: lot "10.0"
        merchants.purchase(
            db, "p2", "hh", "shop", "food", 500, date(2027, 1, 13), "4821", **w()
        )  # 11: must come from lot "5.1", the oldest
    finally:
        db.dispose()
    source = DbSource(read_engine(db_url))
    try:
        report = verify(source)
    finally:
        source.close()
        source.engine.dispose()
    assert report.ok, report.as_dict()["first_disagreement"]
    assert lots_of(db_url) == [("5.1", 10_000 - 2_000 - 500), ("10.0", 1_000)]


def lots_of(url: str) -> list[tuple[str, int]]:
    engine = make_engine(Settings(database_url=url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT lot_id, remaining_cents FROM credit_lot ORDER BY created_seq")
            )
            return [(str(lot), int(cents)) for lot, cents in rows]
    finally:
        engine.dispose()
