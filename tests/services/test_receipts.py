"""Tax receipts (Cerfa 11580): amounts by hand, numbers without gaps (also under concurrent
issues), identical reprints, the Cerfa's fields in the PDF's text, no personal data in the
journal, erasure. French amounts in words by hand."""

from __future__ import annotations

import io
import json
import threading
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import col

from app.audit.sources import DbSource
from app.audit.verify import verify
from app.db import tables as t
from app.db.session import read_only
from app.engine.books.apply_receipts import reduction_cents
from app.engine.words import euros_in_words, integer_in_words
from app.services import errors as svc
from app.services.households import erase_member
from app.services.money import record_funding, reverse_entry
from app.services.receipts import donors, issue, settings
from tests.services.helpers import ACTOR, NOW, small_fund, w

SETTINGS = {
    "name": "CALIEN — Caisse alimentaire de Loos-en-Gohelle",
    "address": "12 rue de la République, 62750 Loos-en-Gohelle",
    "siren_rna": "W622012345",
    "object": "Favoriser l'accès de tous à une alimentation choisie et durable",
    "quality": "Association loi 1901 d'intérêt général",
    "signatory": "Anne Martin, trésorière",
    "place": "Loos-en-Gohelle",
    "reduction_rate": "0.66",
    "ceiling_rate": "0.20",
}
ISSUED_ON = date(2027, 1, 15)


def verified(engine: Engine) -> bool:
    """The replay verifier's verdict on the database (its read transaction closed after)."""
    source = DbSource(engine)
    try:
        return verify(source).ok
    finally:
        source.close()


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize(
    ("cents", "words"),
    [
        (0, "zéro euro"),
        (100, "un euro"),
        (101, "un euro et un centime"),
        (15_000, "cent cinquante euros"),
        (12_345, "cent vingt-trois euros et quarante-cinq centimes"),
        (7_100, "soixante et onze euros"),
        (8_000, "quatre-vingts euros"),
        (8_150, "quatre-vingt-un euros et cinquante centimes"),
        (9_999, "quatre-vingt-dix-neuf euros et quatre-vingt-dix-neuf centimes"),
        (20_000, "deux cents euros"),
        (20_100, "deux cent un euros"),
        (100_000, "mille euros"),
        (8_000_000, "quatre-vingt mille euros"),
        (20_000_000, "deux cent mille euros"),
        (100_000_000, "un million d'euros"),
        (123_456_789, "un million deux cent trente-quatre mille cinq cent soixante-sept euros et "
         "quatre-vingt-neuf centimes"),
    ],
)  # fmt: skip
def test_amounts_in_french_words(cents: int, words: str) -> None:
    assert euros_in_words(cents) == words


def test_numbers_in_words_around_the_irregular_tens() -> None:
    assert [integer_in_words(n) for n in (21, 31, 61, 70, 77, 80, 90, 91, 200_000_000)] == [
        "vingt et un",
        "trente et un",
        "soixante et un",
        "soixante-dix",
        "soixante-dix-sept",
        "quatre-vingts",
        "quatre-vingt-dix",
        "quatre-vingt-onze",
        "deux cents millions",
    ]


def test_the_reduction_is_the_rate_of_the_gift_rounded_down() -> None:
    # 150,00 € x 66 % = 99,00 €; 12,34 € x 66 % = 8,1444 € -> 8,14 €.
    assert (reduction_cents(15_000, "0.66"), reduction_cents(1_234, "0.66")) == (9_900, 814)


@pytest.fixture
def fund(engine: Engine) -> Engine:
    small_fund(engine, subsidy_cents=0)
    settings.save(engine, SETTINGS)
    donors.set_donor(
        engine, "don_martin", "Jeanne Martin", "3 rue des Fleurs, 62750 Loos", "cheque"
    )
    donors.set_donor(
        engine, "don_leroy", "Paul Leroy", "8 place Jean Jaurès, 62300 Lens", "virement"
    )
    gifts = [
        ("don_martin", 5_000, "CHQ-1", date(2026, 11, 3)),
        ("don_leroy", 2_550, "VIR-7", date(2026, 11, 5)),
        ("don_martin", 10_000, "CHQ-2", date(2026, 11, 28)),
        ("fondation", 450_000, "VIR-F", date(2026, 11, 4)),  # no identity kept: no receipt
    ]
    for donor_id, cents, reference, day in gifts:
        record_funding(engine, donor_id, "donation", cents, reference, day, **w())
    return engine


def test_a_year_is_receipted_with_numbers_from_one_and_exact_amounts(fund: Engine) -> None:
    outcome = issue.issue_year(fund, 2026, ISSUED_ON, actor=ACTOR, now=NOW)
    # Donors in id order: don_leroy 25,50 €, then don_martin 50,00 + 100,00 = 150,00 €.
    assert [(r.receipt_id, r.donor_id, r.amount_cents, r.paid_on) for r in outcome.issued] == [
        ("2026-000001", "don_leroy", 2_550, ("2026-11-05",)),
        ("2026-000002", "don_martin", 15_000, ("2026-11-03", "2026-11-28")),
    ]
    assert outcome.without_identity == ("fondation",)
    # Again: nothing more (each donor once a year), the numbers stay.
    again = issue.issue_year(fund, 2026, ISSUED_ON, actor=ACTOR, now=NOW)
    assert again.issued == () and again.without_identity == ("fondation",)
    assert [r.number for r in issue.receipts_of_year(fund, 2026)] == [1, 2]
    printed = issue.printed_of(fund, "2026-000002")
    assert (printed["amount_words"], printed["reduction_cents"]) == ("cent cinquante euros", 9_900)


def test_the_pdf_prints_the_cerfa_fields_and_reprints_the_same_bytes(fund: Engine) -> None:
    issue.issue_year(fund, 2026, ISSUED_ON, actor=ACTOR, now=NOW)
    first = issue.pdf_of(fund, "2026-000002")
    # The settings change afterwards: the receipt issued keeps what it printed.
    settings.save(fund, SETTINGS | {"reduction_rate": "0.75"})
    donors.set_donor(fund, "don_martin", "Jeanne Martin", "1 autre rue, 62000 Arras", "cheque")
    assert issue.pdf_of(fund, "2026-000002") == first
    assert first.startswith(b"%PDF-") and b"CreationDate (D:20270115" in first
    assert len(PdfReader(io.BytesIO(first)).pages) == 1
    text = " ".join(text_of(first).split())
    for expected in (
        "Reçu au titre des dons à certains organismes d'intérêt général",
        "Reçu numéro 2026-000002",
        "CALIEN — Caisse alimentaire de Loos-en-Gohelle",
        "12 rue de la République, 62750 Loos-en-Gohelle",
        "W622012345",
        "Favoriser l'accès de tous à une alimentation choisie et durable",
        "[X] Organisme d'intérêt général",
        "Jeanne Martin",
        "3 rue des Fleurs, 62750 Loos",
        "150,00 €",
        "cent cinquante euros",
        "03/11/2026, 28/11/2026",
        "Déclaration de don manuel",
        "Numéraire",
        "[X] Chèque",
        "[ ] Virement, prélèvement, carte bancaire",
        "article 200 du code général des impôts",
        "66 % du montant du don, soit 99,00 €, dans la limite de 20 % du revenu imposable",
        "Fait à Loos-en-Gohelle, le 15/01/2027",
        "Anne Martin, trésorière",
        "Signature",
    ):
        assert expected in text, expected


def test_the_journal_carries_no_personal_data_and_the_books_verify(fund: Engine) -> None:
    issue.issue_year(fund, 2026, ISSUED_ON, actor=ACTOR, now=NOW)
    with read_only(fund) as session:
        rows = (
            session.execute(select(t.Journal).where(col(t.Journal.kind) == "issue_tax_receipt"))
            .scalars()
            .all()
        )
        payloads = [json.loads(row.payload) for row in rows]
        text = " ".join(row.payload + row.result for row in rows)
    assert [(p["receipt_id"], p["amount_cents"], p["mode"]) for p in payloads] == [
        ("2026-000001", 2_550, "virement"),
        ("2026-000002", 15_000, "cheque"),
    ]
    assert all(len(p["donor_commitment"]) == 64 for p in payloads)
    assert "Martin" not in text and "Leroy" not in text and "rue" not in text
    assert verified(fund)


def test_a_reversed_gift_is_not_receipted(fund: Engine) -> None:
    recorded = record_funding(
        fund, "don_leroy", "donation", 1_000, "VIR-8", date(2026, 11, 6), **w()
    )
    reverse_entry(fund, recorded["entry_id"], "recorded twice", "2026-11", **w())
    outcome = issue.issue_year(fund, 2026, ISSUED_ON, actor=ACTOR, now=NOW, only=["don_leroy"])
    assert [(r.donor_id, r.amount_cents) for r in outcome.issued] == [("don_leroy", 2_550)]


def test_an_erased_donor_keeps_the_number_but_cannot_be_reprinted(fund: Engine) -> None:
    issue.issue_year(fund, 2026, ISSUED_ON, actor=ACTOR, now=NOW)
    donors.erase(fund, "don_martin")
    with pytest.raises(svc.Gone):
        issue.pdf_of(fund, "2026-000002")
    listed = issue.receipts_of_year(fund, 2026)
    assert [(r.number, r.printable) for r in listed] == [(1, True), (2, False)]
    assert verified(fund)


def test_erasing_a_member_forgets_their_donor_identity(fund: Engine) -> None:
    donors.set_donor(fund, "don_leroy", "Paul Leroy", "8 place Jean Jaurès", "virement", "hh_b")
    issue.issue_year(fund, 2026, ISSUED_ON, actor=ACTOR, now=NOW)
    erase_member(fund, "hh_b", **w())
    with pytest.raises(svc.NotFound):
        donors.donor(fund, "don_leroy")
    with pytest.raises(svc.Gone):
        issue.pdf_of(fund, "2026-000001")
    assert issue.pdf_of(fund, "2026-000002").startswith(b"%PDF-")  # another donor's
    assert verified(fund)


def test_a_member_reads_only_their_own_receipt(fund: Engine) -> None:
    donors.set_donor(
        fund, "don_leroy", "Paul Leroy", "8 place Jean Jaurès, 62300 Lens", "virement", "hh_a"
    )
    issue.issue_year(fund, 2026, ISSUED_ON, actor=ACTOR, now=NOW)
    assert [r.receipt_id for r in issue.receipts_of_household(fund, "hh_a")] == ["2026-000001"]
    assert issue.pdf_of(fund, "2026-000001", "hh_a") == issue.pdf_of(fund, "2026-000001")
    with pytest.raises(svc.NotFound):
        issue.pdf_of(fund, "2026-000002", "hh_a")
    with pytest.raises(svc.NotFound):
        issue.pdf_of(fund, "2026-000001", "hh_b")


def test_bad_settings_and_dates_are_named(engine: Engine) -> None:
    with pytest.raises(svc.InvalidRequest) as bad:
        settings.save(engine, SETTINGS | {"reduction_rate": "66 %", "siren_rna": "", "x": "1"})
    assert sorted(p.path for p in bad.value.problems) == ["reduction_rate", "siren_rna", "x"]
    with pytest.raises(svc.Conflict):  # no settings yet
        issue.issue_year(engine, 2026, ISSUED_ON, actor=ACTOR, now=NOW)
    with pytest.raises(svc.InvalidRequest):
        issue.issue_year(engine, 2026, date(2026, 12, 31), actor=ACTOR, now=NOW)
    with pytest.raises(svc.InvalidRequest):
        issue.parse_receipt_id("2026/1")


def test_concurrent_issues_share_no_number_and_skip_none(fund: Engine) -> None:
    """Threads each issuing one donor's receipt of the same year: numbers 1..N exactly."""
    names = [f"don_{i:02d}" for i in range(8)]
    for index, donor_id in enumerate(names):
        donors.set_donor(fund, donor_id, f"Donateur {index}", "1 rue Haute, 62000 Arras", "especes")
        record_funding(
            fund, donor_id, "donation", 1_000 + index, f"ESP-{index}", date(2026, 11, 9), **w()
        )
    barrier = threading.Barrier(len(names))
    failures: list[str] = []

    def run(donor_id: str) -> None:
        barrier.wait()
        try:
            issue.issue_year(fund, 2026, ISSUED_ON, actor=ACTOR, now=NOW, only=[donor_id])
        except Exception as error:  # recorded, fails the test below
            failures.append(repr(error))

    threads = [threading.Thread(target=run, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    listed = issue.receipts_of_year(fund, 2026)
    assert [r.number for r in listed] == list(range(1, len(names) + 1))
    assert sorted(r.donor_id for r in listed) == names
    assert {r.amount_cents for r in listed} == {1_000 + i for i in range(8)}
