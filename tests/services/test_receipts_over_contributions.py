"""Over-contributions as gifts (issue 12): in a fund whose rules say so
(``tax_receipts: {over_contribution_is_gift: true}``), the part of a household's contribution
PAID above the credit granted for the same month is receipted, with the household as donor.

By hand (tests/services/helpers.py's rules: contribution 2,5 % of income; credit 100,00 € +
50,00 € per extra person; months 2026-11 and 2026-12 run):

- hh_rich (6 000,00 €, 1 person): owes 150,00 € a month, granted 100,00 €. Pays 150,00 €
  on 2026-11-10 (transfer) and 70,00 € on 2026-12-10 (cash): by 31 December November is
  paid 150,00 € (gift 50,00 €), December 70,00 € (below its credit: gift 0). A payment of
  80,00 € on 2027-01-05 counts for no 2026 month. Gift 50,00 €, reduction 66 % = 33,00 €.
- hh_pair (4 800,00 €, 2 persons): owes 120,00 €, granted 150,00 €; pays everything: 0.
- hh_nomail (6 000,00 €, 1 person, no postal address): pays 150,00 € in November, gift
  50,00 €, but no address to print: listed, not receipted.
- don_martin gives 100,00 € on 2026-11-20: the gift receipt comes first (2026-000001), the
  over-contribution after it (2026-000002).
"""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import col

from app.db import tables as t
from app.db.session import read_only
from app.engine.problems import RuleSetInvalid
from app.engine.rules.tax_receipts import over_contribution_cents
from app.engine.ruleset import parse_rule_set
from app.services.households import Facts, Identity, enrol_household, erase_member
from app.services.money import record_funding, record_payment, reverse_entry
from app.services.months import run_month
from app.services.receipts import donors, issue, over_contributions, settings
from tests.services.helpers import ACTOR, CODE, NOW, RULES, adopt, w
from tests.services.test_receipts import SETTINGS, verified

ISSUED_ON = date(2027, 1, 15)
ON = {"tax_receipts": {"over_contribution_is_gift": True}}


def _enrol(engine: Engine, household_id: str, income: int, persons: int, address: Any) -> None:
    facts = Facts(income_cents=income, persons=(date(1980, 5, 17),) * persons)
    identity = Identity(full_name=f"Membre {household_id}", address=address)
    enrol_household(engine, household_id, "2026-11", identity, facts, CODE, **w())


def _fund(engine: Engine, rules: dict[str, Any]) -> Engine:
    adopt(engine, rules)
    _enrol(engine, "hh_rich", 600_000, 1, "4 rue des Mineurs, 62750 Loos-en-Gohelle")
    _enrol(engine, "hh_pair", 480_000, 2, "9 rue Basly, 62750 Loos-en-Gohelle")
    _enrol(engine, "hh_nomail", 600_000, 1, None)
    record_funding(engine, "city", "subsidy", 200_000, "SUB-1", date(2026, 11, 2), **w())
    record_funding(engine, "don_martin", "donation", 10_000, "CHQ-1", date(2026, 11, 20), **w())
    run_month(engine, "2026-11", **w())
    run_month(engine, "2026-12", **w())
    payments = [
        ("hh_rich", 15_000, "transfer", date(2026, 11, 10)),
        ("hh_rich", 7_000, "cash", date(2026, 12, 10)),
        ("hh_rich", 8_000, "transfer", date(2027, 1, 5)),
        ("hh_pair", 12_000, "transfer", date(2026, 11, 10)),
        ("hh_pair", 12_000, "transfer", date(2026, 12, 10)),
        ("hh_nomail", 15_000, "direct_debit", date(2026, 11, 10)),
    ]
    for number, (household_id, cents, method, day) in enumerate(payments):
        record_payment(engine, household_id, cents, method, f"P-{number}", day, **w())
    settings.save(engine, SETTINGS)
    donors.set_donor(engine, "don_martin", "Jeanne Martin", "3 rue des Fleurs", "cheque")
    return engine


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_gift_part_of_a_month() -> None:
    assert over_contribution_cents(15_000, 10_000) == 5_000
    assert over_contribution_cents(7_000, 10_000) == 0
    assert over_contribution_cents(15_000, 0) == 15_000
    assert over_contribution_cents(0, 0) == 0


def test_the_rule_document_field_is_read_and_checked() -> None:
    assert not parse_rule_set(RULES).tax_receipts.over_contribution_is_gift
    assert parse_rule_set(RULES | ON).tax_receipts.over_contribution_is_gift
    with pytest.raises(RuleSetInvalid) as refused:
        parse_rule_set(RULES | {"tax_receipts": {"over_contribution_is_gift": "yes", "x": 1}})
    paths = sorted(found.path for found in refused.value.problems)
    assert paths == ["tax_receipts.over_contribution_is_gift", "tax_receipts.x"]


def test_a_fund_with_the_option_receipts_contributions_paid_above_the_credit(
    engine: Engine,
) -> None:
    fund = _fund(engine, RULES | ON)
    outcome = issue.issue_year(fund, 2026, ISSUED_ON, actor=ACTOR, now=NOW)
    found = [(r.receipt_id, r.donor_id, r.basis, r.amount_cents) for r in outcome.issued]
    assert found == [
        ("2026-000001", "don_martin", "gift", 10_000),
        ("2026-000002", "hh_rich", "over_contribution", 5_000),
    ]
    assert outcome.without_identity == ("hh_nomail",)
    assert outcome.issued[1].paid_on == ("2026-11-10", "2026-12-10")
    printed = issue.printed_of(fund, "2026-000002")
    assert printed["donor"] == {
        "name": "Membre hh_rich",
        "address": "4 rue des Mineurs, 62750 Loos-en-Gohelle",
    }
    assert printed["months"] == [
        {"period": "2026-11", "paid_cents": 15_000, "granted_cents": 10_000, "gift_cents": 5_000}
    ]
    assert (printed["reduction_cents"], printed["mode"]) == (3_300, "virement")
    assert printed["amount_words"] == "cinquante euros"
    text = _pdf_text(issue.pdf_of(fund, "2026-000002"))
    assert "50,00 €" in text and "33,00 €" in text
    assert "au-delà du crédit" in text and "novembre 2026" in text
    # The member reads it as theirs; issuing again issues nothing.
    assert [r.receipt_id for r in issue.receipts_of_household(fund, "hh_rich")] == ["2026-000002"]
    assert issue.issue_year(fund, 2026, ISSUED_ON, actor=ACTOR, now=NOW).issued == ()


def test_the_journal_names_the_household_and_no_personal_data(engine: Engine) -> None:
    fund = _fund(engine, RULES | ON)
    issue.issue_year(fund, 2026, ISSUED_ON, actor=ACTOR, now=NOW)
    with read_only(fund) as session:
        rows = session.execute(
            select(t.Journal).where(col(t.Journal.kind) == "issue_tax_receipt")
        ).scalars()
        payloads = [json.loads(row.payload) for row in rows]
    over = [p for p in payloads if p["basis"] == "over_contribution"]
    assert [(p["donor_id"], p["amount_cents"]) for p in over] == [("hh_rich", 5_000)]
    assert "Membre" not in json.dumps(payloads) and "Mineurs" not in json.dumps(payloads)
    # Erasing the member forgets the identity the receipt printed.
    erase_member(fund, "hh_rich", **w())
    assert [r.printable for r in issue.receipts_of_year(fund, 2026)] == [True, False]
    assert verified(fund)


def test_a_fund_without_the_option_receipts_gifts_only(engine: Engine) -> None:
    fund = _fund(engine, RULES)
    outcome = issue.issue_year(fund, 2026, ISSUED_ON, actor=ACTOR, now=NOW)
    assert [(r.donor_id, r.basis, r.amount_cents) for r in outcome.issued] == [
        ("don_martin", "gift", 10_000)
    ]
    assert outcome.without_identity == ()


def _entry(engine: Engine, kind: str, period: str, account: str) -> str:
    with read_only(engine) as session:
        return str(
            session.execute(
                select(col(t.LedgerEntry.entry_id))
                .join(t.Posting, col(t.Posting.entry_id) == col(t.LedgerEntry.entry_id))
                .where(
                    col(t.LedgerEntry.kind) == kind,
                    col(t.LedgerEntry.period) == period,
                    col(t.Posting.account) == account,
                )
            ).scalar_one()
        )


def test_reversals_are_never_paid_nor_granted(engine: Engine) -> None:
    # hh_rev (6 000,00 €, 1 person) owes 150,00 € and is granted 100,00 € in November and
    # December. November's contribution and credit are reversed (in December); a November
    # payment of 150,00 € is reversed too (a bounced cheque); 150,00 € paid in December.
    # November: owed 0, granted 0, paid 0 (a reversal is not a payment). December: owed
    # 150,00 €, paid 150,00 €, granted 100,00 €: gift 50,00 €.
    adopt(engine, RULES | ON)
    _enrol(engine, "hh_rev", 600_000, 1, "1 place de la Gare, 62750 Loos-en-Gohelle")
    record_funding(engine, "city", "subsidy", 100_000, "SUB-1", date(2026, 11, 2), **w())
    run_month(engine, "2026-11", **w())
    run_month(engine, "2026-12", **w())
    bounced = record_payment(engine, "hh_rev", 15_000, "transfer", "P-1", date(2026, 11, 10), **w())
    record_payment(engine, "hh_rev", 15_000, "transfer", "P-2", date(2026, 12, 10), **w())
    for entry_id in (
        _entry(engine, "contribution", "2026-11", "411:hh_rev"),
        _entry(engine, "credit", "2026-11", "419:hh_rev"),
        str(bounced["entry_id"]),
    ):
        reverse_entry(engine, entry_id, "erreur", "2026-12", **w())
    with read_only(engine) as session:
        found = over_contributions.over_contributions_of_year(session, 2026)
    assert found == {"hh_rev": [over_contributions.MonthGift("2026-12", 15_000, 10_000, 5_000)]}
    settings.save(engine, SETTINGS)
    outcome = issue.issue_year(engine, 2026, ISSUED_ON, actor=ACTOR, now=NOW)
    assert [(r.donor_id, r.amount_cents, r.paid_on) for r in outcome.issued] == [
        ("hh_rev", 5_000, ("2026-12-10",))
    ]
