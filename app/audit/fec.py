"""The *fichier des écritures comptables* (FEC) of one fiscal year. (The ledger CSV in
French conventions is ``app.audit.export.export_ledger_csv`` with ``;`` and ``,``.)

The FEC is the file article A47 A-1 of the Livre des procédures fiscales asks of an
entity keeping computerised books (format: BOI-CF-IOR-60-40-20). ``write_fec`` writes it
from the stored entries (``Source.entries()``, i.e. the ``ledger_entry`` and ``posting``
tables) and the dates the journal's commands carry (``received_on``, ``on``).

Guarantees (docs/ledger.md, "Export FEC"):

- the 18 columns of ``FEC_COLUMNS`` in that order, a header line of those names, fields
  separated by a TAB (or ``|``), lines ended by ``\\r\\n``, UTF-8 without a byte-order mark;
- one line per posting; ``Debit`` and ``Credit`` both written, the other ``0,00``; amounts
  with a comma decimal and no thousands separator (``1234,56``), exact from the cents;
- one ``EcritureNum`` per balanced entry, numbered 1, 2, 3... without gap, in the order of
  (date, journal seq, index in the command); every entry's lines balance;
- the fiscal year is the calendar year: its entries are those dated in it; when the books
  hold earlier entries, the first entry (journal ``AN``, dated 1 January) carries the
  balance-sheet accounts' balances (classes 1 to 5) and the earlier years' net result to
  110 / 119 (*report à nouveau*);
- a per-party account ``CODE:party`` is ``CompteNum`` CODE with ``CompAuxNum`` the party's
  pseudonymous id; no name, memo or free text of the books is written (the wording is
  built from the entry's kind only);
- the file name is ``<SIREN>FEC<AAAAMMJJ>.txt``, the date the year's closing date.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import IO, Any, NamedTuple

from app.audit.sources import Source
from app.engine.books import accounts as acc
from app.engine.books.entries import Entry, Posting
from app.engine.money import format_cents
from app.engine.period import Period

FEC_COLUMNS = (
    "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
    "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
    "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise",
)
SEPARATORS = {"tab": "\t", "pipe": "|"}
LINE_END = "\r\n"

OPENING_CREDIT = "110"  # report à nouveau, solde créditeur
OPENING_DEBIT = "119"  # report à nouveau, solde débiteur

# Chart code -> (CompteNum, CompteLib). The FEC wants at least three digits: the fund's
# subsidies account 74 is written 740.
ACCOUNTS: dict[str, tuple[str, str]] = {
    OPENING_CREDIT: (OPENING_CREDIT, "Report à nouveau (solde créditeur)"),
    OPENING_DEBIT: (OPENING_DEBIT, "Report à nouveau (solde débiteur)"),
    acc.DEDICATED: ("194", "Fonds dédiés"),
    acc.MERCHANT: ("401", "Fournisseurs - commerçants conventionnés"),
    acc.MEMBER_DUE: ("411", "Adhérents - cotisations"),
    acc.MEMBER_CREDIT: ("419", "Adhérents - crédit alimentaire"),
    acc.SUBSIDY_RECEIVABLE: ("441", "Subventions à recevoir"),
    acc.TOP_UP_RECEIVABLE: ("4687", "Produits à recevoir - abondements"),
    acc.BANK: ("512", "Banque"),
    acc.CASH: ("530", "Caisse"),
    acc.AID_GRANTED: ("6571", "Aides alimentaires accordées"),
    acc.SUBSIDIES: ("740", "Subventions d'exploitation"),
    acc.DONATIONS: ("754", "Dons"),
    acc.CONTRIBUTIONS: ("756", "Cotisations"),
    acc.EXPIRED: ("7588", "Produits divers - crédit non utilisé"),
}
# Chart code -> wording of the party in CompAuxLib (followed by its pseudonymous id).
PARTIES = {
    acc.MEMBER_DUE: "Adhérent", acc.MEMBER_CREDIT: "Adhérent", acc.MERCHANT: "Commerçant",
    acc.SUBSIDY_RECEIVABLE: "Financeur", acc.TOP_UP_RECEIVABLE: "Financeur",
    acc.DEDICATED: "Financeur", acc.SUBSIDIES: "Financeur", acc.DONATIONS: "Financeur",
}
JOURNALS = {
    "AN": "À-nouveaux",
    "CAI": "Cotisations et crédits du mois",
    "ACH": "Achats des adhérents",
    "BQ": "Banque",
    "CA": "Caisse (espèces)",
    "OD": "Opérations diverses",
}
# Entry kind -> journal; "money" entries go to BQ or CA by the account they move (OD when
# they move neither, e.g. a subsidy notified but not yet paid).
_KIND_JOURNAL = {"contribution": "CAI", "credit": "CAI", "purchase": "ACH", "refund": "ACH"}
_MONEY_KINDS = frozenset({"payment", "funding", "settlement"})
_FUNDING_WORDS = {
    "subsidy": "Subvention reçue", "donation": "Don reçu", "top_up": "Abondement reçu",
    "subsidy awarded": "Subvention notifiée", "donation awarded": "Don notifié",
}
_FIXED_WORDS = {
    "payment": "Règlement de cotisation",
    "purchase": "Achat chez un commerçant conventionné",
    "refund": "Remboursement d'un achat",
    "settlement": "Paiement des commerçants",
}


class FecEntry(NamedTuple):
    """One balanced entry as the FEC writes it."""

    journal: str
    on: date
    piece: str
    label: str
    postings: tuple[Posting, ...]


class FecSummary(NamedTuple):
    entries: int
    lines: int
    debit_cents: int
    credit_cents: int


class _Command(NamedTuple):
    """What an entry's journal record says beyond the entry: its date and funding kind."""

    on: date | None
    funding: str | None


def validate_siren(text: str) -> str:
    """The SIREN (9 digits); ``ValueError`` naming the field otherwise."""
    siren = text.strip()
    if len(siren) != 9 or not siren.isascii() or not siren.isdigit():
        raise ValueError(f"siren: expected 9 digits, got {text!r}")
    return siren


def validate_year(text: str) -> int:
    """A fiscal year (calendar year, 1900..9999); ``ValueError`` naming the field otherwise."""
    year = text.strip()
    if len(year) != 4 or not year.isascii() or not year.isdigit() or year < "1900":
        raise ValueError(f"year: expected a year such as 2027, got {text!r}")
    return int(year)


def closing_date(year: int) -> date:
    """The fiscal year is the calendar year."""
    return date(year, 12, 31)


def fec_file_name(siren: str, year: int) -> str:
    """``<SIREN>FEC<AAAAMMJJ>.txt``, the date being the closing date of the year."""
    return f"{validate_siren(siren)}FEC{closing_date(year):%Y%m%d}.txt"


def fec_amount(cents: int) -> str:
    """``123456 -> "1234,56"``: comma decimal, no thousands separator, never negative."""
    if cents < 0:
        raise ValueError(f"FEC amounts are written unsigned, got {cents}")
    return format_cents(cents, ",")


def _commands(source: Source) -> dict[int, _Command]:
    """Per journal seq, the date its command carries (payments, funding, purchases...)."""
    found: dict[int, _Command] = {}
    for record in source.records():
        payload: dict[str, Any] = record["payload"]
        on = payload.get("received_on") or payload.get("on")
        funding = None
        if record["kind"] == "record_funding":
            awarded = payload.get("status") == "awarded"
            funding = f"{payload.get('kind')}{' awarded' if awarded else ''}"
        if on is not None or funding is not None:
            found[int(record["seq"])] = _Command(
                None if on is None else date.fromisoformat(str(on)), funding)
    return found


def entry_date(entry: Entry, command: _Command | None) -> date:
    """The date of an entry: its command's own date (payment received, purchase, refund,
    settlement); a month run's entries on the month's first day (the month's contribution
    is due and its credit granted then); other entries (expiry, reversal) on its last."""
    if command is not None and command.on is not None:
        if Period(command.on.year, command.on.month) != entry.period:
            raise ValueError(f"entry {entry.entry_id}: dated {command.on}, outside its "
                             f"month {entry.period}")
        return command.on
    if entry.kind in ("contribution", "credit"):
        return entry.period.first_day
    return entry.period.last_day


def _journal(entry: Entry) -> str:
    if entry.kind in _MONEY_KINDS:
        codes = {acc.code_of(account) for account, _ in entry.postings}
        return "BQ" if acc.BANK in codes else "CA" if acc.CASH in codes else "OD"
    return _KIND_JOURNAL.get(entry.kind, "OD")


def _label(entry: Entry, command: _Command | None) -> str:
    """A short French wording built from the entry's kind alone (no memo: it may hold a
    person's words, e.g. a reversal's reason)."""
    month = f"{entry.period.month:02d}/{entry.period.year}"
    if entry.kind == "contribution":
        return f"Cotisation {month}"
    if entry.kind == "credit":
        return f"Crédit alimentaire {month}"
    if entry.kind == "expiry":
        return f"Crédit non utilisé expiré {month}"
    if entry.kind == "reversal":
        return f"Contrepassation de l'écriture {entry.reverses}"
    if entry.kind == "funding":
        funding = None if command is None else command.funding
        return _FUNDING_WORDS.get(funding or "", "Financement reçu")
    return _FIXED_WORDS.get(entry.kind, "Opération diverse")


def _sort_key(item: tuple[date, Entry]) -> tuple[date, int, int]:
    on, entry = item
    return on, entry.seq, int(entry.entry_id.rpartition(".")[2])


def year_entries(source: Source, year: int) -> list[FecEntry]:
    """The year's entries in FEC order, the opening entry first when earlier books exist."""
    commands = _commands(source)
    start, end = date(year, 1, 1), closing_date(year)
    dated: list[tuple[date, Entry]] = []
    before: dict[str, int] = {}
    for _, group in source.entries():
        for entry in group:
            on = entry_date(entry, commands.get(entry.seq))
            if on < start:
                for account, cents in entry.postings:
                    before[account] = before.get(account, 0) + cents
            elif on <= end:
                dated.append((on, entry))
    dated.sort(key=_sort_key)
    out = [FecEntry(_journal(e), on, e.entry_id, _label(e, commands.get(e.seq)), e.postings)
           for on, e in dated]
    opening = opening_postings(before)
    if opening:
        out.insert(0, FecEntry("AN", start, f"AN{year}", f"À-nouveaux {year}", opening))
    return out


def opening_postings(balances: dict[str, int]) -> tuple[Posting, ...]:
    """Balance-sheet accounts (classes 1 to 5) carried forward, sorted by account; the
    earlier years' income and expenses (classes 6 and 7) as one net result to 110 / 119."""
    carried = [Posting(a, c) for a, c in sorted(balances.items())
               if c != 0 and ACCOUNTS[acc.code_of(a)][0][0] in "12345"]
    result = -sum(c for _, c in carried)  # the books balance: this is the net of 6 and 7
    if result:
        carried.append(Posting(OPENING_CREDIT if result < 0 else OPENING_DEBIT, result))
    return tuple(carried)


def fec_rows(entries: Iterable[FecEntry]) -> Iterator[tuple[str, ...]]:
    """The 18 fields of every line, entries numbered 1, 2, 3... in the given order."""
    for number, entry in enumerate(entries, start=1):
        day = f"{entry.on:%Y%m%d}"
        for account, cents in entry.postings:
            code = acc.code_of(account)
            compte, compte_lib = ACCOUNTS[code]
            party = acc.party_of(account)
            aux = ("", "") if party is None else (party, f"{PARTIES[code]} {party}")
            yield (entry.journal, JOURNALS[entry.journal], str(number), day, compte, compte_lib,
                   aux[0], aux[1], entry.piece, day, entry.label,
                   fec_amount(max(cents, 0)), fec_amount(max(-cents, 0)),
                   "", "", day, "", "")


def _field(text: str, separator: str) -> str:
    if separator in text or "\r" in text or "\n" in text:
        raise ValueError(f"a FEC field may not hold the separator or a line end: {text!r}")
    return text


def write_fec(source: Source, out: IO[str], year: int, separator: str = "tab") -> FecSummary:
    """Write the FEC of ``year`` to ``out`` (opened with ``newline=""``)."""
    sep = SEPARATORS[separator]
    out.write(sep.join(FEC_COLUMNS) + LINE_END)
    entries = year_entries(source, year)
    lines = debit = credit = 0
    for row in fec_rows(entries):
        out.write(sep.join(_field(f, sep) for f in row) + LINE_END)
        lines += 1
    for entry in entries:
        debit += sum(c for _, c in entry.postings if c > 0)
        credit -= sum(c for _, c in entry.postings if c < 0)
    return FecSummary(len(entries), lines, debit, credit)
