"""The FEC export follows every rule of the format (article A47 A-1 LPF, BOI-CF-IOR-60-40-20),
checked by a validator written here from the format (not from app.audit.fec): on the demo's
year, on a small fund's two months, and line by line on a tiny fund computed by hand; its
totals are the books' totals; a malformed SIREN or year is refused naming the field."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from app.audit.fec import fec_amount, fec_file_name
from app.audit.sources import DbSource, read_engine
from app.services.demo import create_demo
from app.services.merchants import approve_merchant, purchase
from app.services.money import record_funding, record_payment, settle_merchants
from app.services.months import run_month
from tests.audit.books import live_a_year
from tests.audit.support import run_cli
from tests.services.helpers import CODE, adopt, enrol, w

COLUMNS = ["JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
           "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit",
           "Credit", "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise"]
MANDATORY = ["JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum",
             "CompteLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
             "ValidDate"]
DATES = ["EcritureDate", "PieceDate", "ValidDate"]
AMOUNT = re.compile(r"\d+,\d{2}")
NAME = re.compile(r"(\d{9})FEC(\d{8})\.txt")
SIREN = "123456789"


def _day(text: str) -> date | None:
    if not re.fullmatch(r"\d{8}", text):
        return None
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def _cents(text: str) -> int:
    whole, part = text.split(",")
    return int(whole) * 100 + int(part)


def _line_problems(where: str, row: dict[str, str], first: date, closing: date) -> list[str]:
    problems = [f"{where}: {name} is empty" for name in MANDATORY if not row[name]]
    for name in DATES:
        day = _day(row[name])
        if row[name] and day is None:
            problems.append(f"{where}: {name} {row[name]!r} is not a date AAAAMMJJ")
    on = _day(row["EcritureDate"])
    if on is not None and not first <= on <= closing:
        problems.append(f"{where}: EcritureDate {on} outside the fiscal year")
    if row["DateLet"] and _day(row["DateLet"]) is None:
        problems.append(f"{where}: DateLet {row['DateLet']!r} is not a date AAAAMMJJ")
    if not re.fullmatch(r"\d{3}\w*", row["CompteNum"]):
        problems.append(f"{where}: CompteNum {row['CompteNum']!r} does not start with 3 digits")
    if bool(row["CompAuxNum"]) != bool(row["CompAuxLib"]):
        problems.append(f"{where}: CompAuxNum and CompAuxLib go together")
    if bool(row["Montantdevise"]) != bool(row["Idevise"]):
        problems.append(f"{where}: Montantdevise and Idevise go together")
    amounts = [row["Debit"], row["Credit"]]
    if not all(AMOUNT.fullmatch(a) for a in amounts):
        problems.append(f"{where}: amounts {amounts} are not written like 1234,56")
    elif (_cents(amounts[0]) == 0) == (_cents(amounts[1]) == 0):
        problems.append(f"{where}: exactly one of Debit and Credit must be non-zero")
    return problems


def _entry_problems(rows: list[tuple[int, dict[str, str]]]) -> list[str]:
    """Lines grouped by EcritureNum: contiguous, numbered 1..n, dated in order, balanced."""
    problems: list[str] = []
    groups: list[list[tuple[int, dict[str, str]]]] = []
    for number, row in rows:
        if groups and groups[-1][0][1]["EcritureNum"] == row["EcritureNum"]:
            groups[-1].append((number, row))
        else:
            groups.append([(number, row)])
    seen: set[str] = set()
    last: date | None = None
    for index, group in enumerate(groups, start=1):
        head = group[0][1]
        num = head["EcritureNum"]
        if num in seen:
            problems.append(f"line {group[0][0]}: EcritureNum {num} is not contiguous")
        seen.add(num)
        if num != str(index):
            problems.append(f"line {group[0][0]}: EcritureNum {num}, expected {index}")
        for field in ("JournalCode", "EcritureDate", "PieceRef", "ValidDate"):
            if len({row[field] for _, row in group}) != 1:
                problems.append(f"entry {num}: lines differ in {field}")
        if len(group) < 2:
            problems.append(f"entry {num}: fewer than two lines")
        debit = sum(_cents(r["Debit"]) for _, r in group if AMOUNT.fullmatch(r["Debit"]))
        credit = sum(_cents(r["Credit"]) for _, r in group if AMOUNT.fullmatch(r["Credit"]))
        if debit != credit:
            problems.append(f"entry {num}: debit {debit} != credit {credit}")
        on = _day(head["EcritureDate"])
        if on is not None and last is not None and on < last:
            problems.append(f"entry {num}: dated {on}, before the previous entry")
        last = on or last
    return problems


def fec_problems(name: str, data: bytes) -> list[str]:
    """Every way the file ``name`` holding ``data`` breaks the FEC format (empty if none)."""
    match = NAME.fullmatch(name)
    closing = None if match is None else _day(match.group(2))
    if match is None or closing is None:
        return [f"file name {name!r} is not <SIREN>FEC<AAAAMMJJ>.txt"]
    # The year opens the day after the previous closing date (a 29 February closes on the 28th).
    first = date(closing.year - 1, closing.month, min(closing.day, 28 if closing.month == 2
                                                      else closing.day)) + timedelta(days=1)
    if data.startswith(b"\xef\xbb\xbf"):
        return ["a byte-order mark precedes the header"]
    text = data.decode("utf-8")
    if not text.endswith("\r\n") or "\n" in text.replace("\r\n", ""):
        return ["lines must all end with CRLF"]
    lines = text[:-2].split("\r\n")
    separator = "\t" if "\t" in lines[0] else "|"
    if lines[0].split(separator) != COLUMNS:
        return [f"header {lines[0]!r} is not the 18 columns in order"]
    problems: list[str] = []
    rows: list[tuple[int, dict[str, str]]] = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split(separator)
        if len(fields) != len(COLUMNS):
            problems.append(f"line {number}: {len(fields)} fields, expected 18")
            continue
        row = dict(zip(COLUMNS, fields, strict=True))
        problems += _line_problems(f"line {number}", row, first, closing)
        rows.append((number, row))
    problems += _entry_problems(rows)
    if sum(_cents(r["Debit"]) for _, r in rows if AMOUNT.fullmatch(r["Debit"])) != sum(
            _cents(r["Credit"]) for _, r in rows if AMOUNT.fullmatch(r["Credit"])):
        problems.append("total debit differs from total credit")
    return problems


def rows_of(path: Path) -> list[dict[str, str]]:
    lines = path.read_bytes().decode("utf-8").split("\r\n")[:-1]
    separator = "\t" if "\t" in lines[0] else "|"
    return [dict(zip(COLUMNS, line.split(separator), strict=True)) for line in lines[1:]]


def export_fec(capsys: pytest.CaptureFixture[str], url: str, out: Path, year: int,
               *extra: str) -> Path:
    code, report = run_cli(capsys, "export", "fec", "--siren", SIREN, "--year", str(year),
                           "--database", url, *extra, str(out))
    assert code == 0, report
    path = Path(report["file"])
    assert path.parent == out and path.name == f"{SIREN}FEC{year}1231.txt"
    return path


def books_totals(url: str) -> tuple[int, dict[tuple[str, str], int]]:
    """Sum of the books' debits, and each account's balance keyed as the FEC writes it."""
    source = DbSource(read_engine(url))
    try:
        debit = sum(c for _, group in source.entries() for e in group
                    for _, c in e.postings if c > 0)
        balances = {_fec_key(a): b.balance_cents for a, b in source.balances().items()
                    if b.balance_cents}
    finally:
        source.close()
        source.engine.dispose()
    return debit, balances


def _fec_key(account: str) -> tuple[str, str]:
    code, _, party = account.partition(":")
    return ("740" if code == "74" else code), party


def fec_balances(rows: list[dict[str, str]]) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = defaultdict(int)
    for r in rows:
        found[r["CompteNum"], r["CompAuxNum"]] += _cents(r["Debit"]) - _cents(r["Credit"])
    return {k: v for k, v in found.items() if v}


# --- the demo's year ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    # Months 2027-01 to 2027-03 closed and sealed (the March close expires what January
    # granted: an OD entry), 2027-04 open up to its last day.
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    return create_demo(path, households_count=20, today=date(2027, 4, 30)).database_url


@pytest.mark.parametrize("separator", ["tab", "pipe"])
def test_the_demo_year_follows_every_rule_of_the_format(
    demo_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], separator: str
) -> None:
    path = export_fec(capsys, demo_url, tmp_path, 2027, "--separator", separator)
    assert fec_problems(path.name, path.read_bytes()) == []
    rows = rows_of(path)
    assert {r["JournalCode"] for r in rows} == {"BQ", "CA", "CAI", "ACH", "OD"}
    assert len({r["EcritureNum"] for r in rows}) > 300


def test_the_demo_year_totals_are_the_books_totals(
    demo_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = rows_of(export_fec(capsys, demo_url, tmp_path, 2027))
    debit, balances = books_totals(demo_url)
    assert sum(_cents(r["Debit"]) for r in rows) == debit
    assert sum(_cents(r["Credit"]) for r in rows) == debit
    assert fec_balances(rows) == balances


def test_a_year_without_entries_is_the_header_alone(
    demo_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = export_fec(capsys, demo_url, tmp_path, 2026)
    assert path.read_bytes() == ("\t".join(COLUMNS) + "\r\n").encode()


def test_no_name_nor_free_text_of_the_books_reaches_the_file(
    engine: Engine, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live_a_year(engine)
    path = export_fec(capsys, db_url, tmp_path, 2026)
    assert fec_problems(path.name, path.read_bytes()) == []
    text = path.read_text("utf-8")
    assert "Member" not in text and "example.org" not in text
    assert "wrong amount" not in text  # the reversal's reason, typed by an operator
    rows = rows_of(path)
    reversal = next(r for r in rows if r["EcritureLib"].startswith("Contrepassation"))
    assert reversal["JournalCode"] == "OD" and reversal["EcritureDate"] == "20261130"
    debit, balances = books_totals(db_url)
    assert sum(_cents(r["Debit"]) for r in rows) == debit
    assert fec_balances(rows) == balances


# --- a tiny fund, by hand ----------------------------------------------------------------

def tiny_fund(db: Engine) -> None:
    """seq 1 rules, 2 hh_a (contribution 50 €, credit 100 €), 3 shop, 4 subsidy 1 000 € on
    2 Nov, 5 the run of 2026-11, 6 hh_a pays 50 € cash on 5 Nov, 7 hh_a buys 30 € on 10 Nov,
    8 the shop is paid 30 € on 20 Nov; 9 a donation of 200 € on 15 Jan 2027."""
    adopt(db)
    enrol(db, "hh_a", 200_000, 1)
    approve_merchant(db, "shop", {"food": "1"}, date(2026, 1, 1), **w())
    record_funding(db, "city", "subsidy", 100_000, "SUB-1", date(2026, 11, 2), **w())
    run_month(db, "2026-11", **w())
    record_payment(db, "hh_a", 5_000, "cash", "CASH-1", date(2026, 11, 5), **w())
    purchase(db, "p1", "hh_a", "shop", "food", 3_000, date(2026, 11, 10), CODE, **w())
    settle_merchants(db, "b1", "SEPA-11", date(2026, 11, 20), {"shop": 3_000}, **w())
    record_funding(db, "fdn", "donation", 20_000, "DON-1", date(2027, 1, 15), **w())


CAI = "CAI\tCotisations et crédits du mois"
EXPECTED_2026 = [
    f"{CAI}\t1\t20261101\t411\tAdhérents - cotisations\thh_a\tAdhérent hh_a\t5.0\t20261101"
    "\tCotisation 11/2026\t50,00\t0,00\t\t\t20261101\t\t",
    f"{CAI}\t1\t20261101\t756\tCotisations\t\t\t5.0\t20261101"
    "\tCotisation 11/2026\t0,00\t50,00\t\t\t20261101\t\t",
    f"{CAI}\t2\t20261101\t6571\tAides alimentaires accordées\t\t\t5.1\t20261101"
    "\tCrédit alimentaire 11/2026\t100,00\t0,00\t\t\t20261101\t\t",
    f"{CAI}\t2\t20261101\t419\tAdhérents - crédit alimentaire\thh_a\tAdhérent hh_a\t5.1"
    "\t20261101\tCrédit alimentaire 11/2026\t0,00\t100,00\t\t\t20261101\t\t",
    "BQ\tBanque\t3\t20261102\t512\tBanque\t\t\t4.0\t20261102\tSubvention reçue"
    "\t1000,00\t0,00\t\t\t20261102\t\t",
    "BQ\tBanque\t3\t20261102\t740\tSubventions d'exploitation\tcity\tFinanceur city\t4.0"
    "\t20261102\tSubvention reçue\t0,00\t1000,00\t\t\t20261102\t\t",
    "CA\tCaisse (espèces)\t4\t20261105\t530\tCaisse\t\t\t6.0\t20261105"
    "\tRèglement de cotisation\t50,00\t0,00\t\t\t20261105\t\t",
    "CA\tCaisse (espèces)\t4\t20261105\t411\tAdhérents - cotisations\thh_a\tAdhérent hh_a"
    "\t6.0\t20261105\tRèglement de cotisation\t0,00\t50,00\t\t\t20261105\t\t",
    "ACH\tAchats des adhérents\t5\t20261110\t419\tAdhérents - crédit alimentaire\thh_a"
    "\tAdhérent hh_a\t7.0\t20261110\tAchat chez un commerçant conventionné\t30,00\t0,00"
    "\t\t\t20261110\t\t",
    "ACH\tAchats des adhérents\t5\t20261110\t401\tFournisseurs - commerçants conventionnés"
    "\tshop\tCommerçant shop\t7.0\t20261110\tAchat chez un commerçant conventionné\t0,00"
    "\t30,00\t\t\t20261110\t\t",
    "BQ\tBanque\t6\t20261120\t401\tFournisseurs - commerçants conventionnés\tshop"
    "\tCommerçant shop\t8.0\t20261120\tPaiement des commerçants\t30,00\t0,00\t\t\t20261120\t\t",
    "BQ\tBanque\t6\t20261120\t512\tBanque\t\t\t8.0\t20261120\tPaiement des commerçants"
    "\t0,00\t30,00\t\t\t20261120\t\t",
]


def test_a_tiny_fund_gives_the_lines_computed_by_hand(
    engine: Engine, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tiny_fund(engine)
    path = export_fec(capsys, db_url, tmp_path, 2026)
    expected = "\r\n".join(["\t".join(COLUMNS), *EXPECTED_2026]) + "\r\n"
    assert path.read_bytes() == expected.encode("utf-8")
    assert fec_problems(path.name, path.read_bytes()) == []


def test_the_next_year_opens_with_the_balances_carried_forward(
    engine: Engine, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before 2027: 512 = 1000 - 30 = 970 €, 530 = 50 €, 419:hh_a = -70 €; the result of
    2026 is 1000 + 50 - 100 = 950 € of surplus, carried to 110 (report à nouveau)."""
    tiny_fund(engine)
    path = export_fec(capsys, db_url, tmp_path, 2027, "--separator", "pipe")
    assert fec_problems(path.name, path.read_bytes()) == []
    an = "AN|À-nouveaux|1|20270101"
    tail = "AN2027|20270101|À-nouveaux 2027"
    assert path.read_bytes().decode("utf-8").split("\r\n")[1:-1] == [
        f"{an}|419|Adhérents - crédit alimentaire|hh_a|Adhérent hh_a|{tail}|0,00|70,00"
        "|||20270101||",
        f"{an}|512|Banque|||{tail}|970,00|0,00|||20270101||",
        f"{an}|530|Caisse|||{tail}|50,00|0,00|||20270101||",
        f"{an}|110|Report à nouveau (solde créditeur)|||{tail}|0,00|950,00|||20270101||",
        "BQ|Banque|2|20270115|512|Banque|||9.0|20270115|Don reçu|200,00|0,00|||20270115||",
        "BQ|Banque|2|20270115|754|Dons|fdn|Financeur fdn|9.0|20270115|Don reçu|0,00|200,00"
        "|||20270115||",
    ]


# --- the validator finds what it is for --------------------------------------------------

GOOD = "\r\n".join(["\t".join(COLUMNS), *EXPECTED_2026]) + "\r\n"
GOOD_NAME = f"{SIREN}FEC20261231.txt"


@pytest.mark.parametrize(("name", "text", "found"), [
    ("123456789FEC20261231.csv", GOOD, "file name"),
    ("12345678FEC20261231.txt", GOOD, "file name"),
    (GOOD_NAME, GOOD.replace("\r\n", "\n"), "CRLF"),
    (GOOD_NAME, GOOD.replace("JournalLib\tEcritureNum", "EcritureNum\tJournalLib"), "header"),
    (GOOD_NAME, GOOD.replace("\t20261105\t\t", "\t20261105\t"), "17 fields"),
    (GOOD_NAME, GOOD.replace("20261102", "2026-11-02"), "not a date"),
    (GOOD_NAME, GOOD.replace("1000,00", "1000.00"), "not written like"),
    (GOOD_NAME, GOOD.replace("\t30,00\t0,00\t", "\t30,00\t30,00\t"), "exactly one"),
    (GOOD_NAME, GOOD.replace("\t50,00\t0,00\t\t\t20261101", "\t50,01\t0,00\t\t\t20261101"),
     "entry 1: debit 5001 != credit 5000"),
    (GOOD_NAME, GOOD.replace("\t6\t20261120", "\t7\t20261120"), "expected 6"),
    (GOOD_NAME, GOOD.replace("\t20261110\t\t", "\t\t\t"), "ValidDate is empty"),
    (GOOD_NAME, GOOD.replace("Paiement des commerçants", ""), "EcritureLib is empty"),
    (GOOD_NAME, GOOD.replace("20261120", "20261020"), "before the previous entry"),
    (GOOD_NAME, GOOD.replace("\tshop\tCommerçant shop", "\tshop\t"), "go together"),
    ("123456789FEC20251231.txt", GOOD, "outside the fiscal year"),
])
def test_the_validator_names_each_broken_rule(name: str, text: str, found: str) -> None:
    assert fec_problems(GOOD_NAME, GOOD.encode()) == []
    problems = fec_problems(name, text.encode())
    assert any(found in p for p in problems), problems


# --- input refused, names and amounts -----------------------------------------------------

@pytest.mark.parametrize(("argv", "field"), [
    (["--siren", "12345678", "--year", "2027"], "--siren"),
    (["--siren", "1234567890", "--year", "2027"], "--siren"),
    (["--siren", "12345678A", "--year", "2027"], "--siren"),
    (["--siren", "123456789", "--year", "27"], "--year"),
    (["--siren", "123456789", "--year", "deux"], "--year"),
])
def test_a_malformed_siren_or_year_is_refused_naming_the_field(
    argv: list[str], field: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = run_cli(capsys, "export", "fec", *argv, str(tmp_path / "out"))
    assert code == 2
    assert report["error"].startswith(field)
    assert not (tmp_path / "out").exists()


def test_the_file_is_named_after_the_siren_and_the_closing_date() -> None:
    assert fec_file_name("552100554", 2027) == "552100554FEC20271231.txt"
    with pytest.raises(ValueError, match="siren"):
        fec_file_name("55210055", 2027)


@pytest.mark.parametrize(("cents", "text"), [(0, "0,00"), (7, "0,07"), (123456, "1234,56"),
                                             (100_000_000_00, "100000000,00")])
def test_amounts_have_a_comma_and_no_thousands_separator(cents: int, text: str) -> None:
    assert fec_amount(cents) == text


def test_the_ledger_csv_in_french_conventions(
    engine: Engine, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tiny_fund(engine)
    out = tmp_path / "ledger.csv"
    code, report = run_cli(capsys, "export", "ledger", "--format", "csv-fr", "--database",
                           db_url, str(out))
    assert code == 0 and report["rows"] == 14
    lines = out.read_text("utf-8").splitlines()
    assert lines[0] == ("seq;entry_id;period;kind;memo;reverses;line;account;amount_cents;"
                        "debit_eur;credit_eur")
    # The books hold the reference's commitment, never its text (app.services.free_text).
    assert re.fullmatch(
        r"4;4\.0;2026-11;funding;subsidy sha256:[0-9a-f]{64};;0;512;100000;1000,00;", lines[1]
    )
    assert re.fullmatch(
        r"4;4\.0;2026-11;funding;subsidy sha256:[0-9a-f]{64};;1;74:city;-100000;;1000,00", lines[2]
    )
