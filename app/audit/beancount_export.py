"""The ledger as a beancount journal that ``bean-check`` accepts.

Guarantees:

- every chart code maps to one of beancount's five roots (``ROOTS``): ``512`` ->
  ``Assets:Bank:512``, ``419:hh_a`` -> ``Liabilities:Members:419:Phh-ua``...;
- a party id (letters, digits, ``_``, ``.``, ``-``) becomes a valid account component
  (``party_component``) by an injective escape: prefix ``P``, ``-`` -> ``-h``, ``_`` ->
  ``-u``, ``.`` -> ``-d``; the original id is kept as ``caisse_account`` metadata on the
  ``open`` directive;
- one ``open`` per account, dated the first day of the earliest month in the books;
- one transaction per entry, dated the first day of its month, with its postings in EUR
  (exact: cents written as a 2-decimal number) and metadata ``caisse_seq``,
  ``caisse_entry`` (and ``caisse_reverses``) linking it to the journal.
"""

from __future__ import annotations

from typing import IO

from app.audit.export import euros
from app.audit.sources import Source
from app.engine.books import accounts as acc
from app.engine.books.entries import Entry
from app.engine.period import Period

ROOTS = {
    acc.BANK: "Assets:Bank",
    acc.CASH: "Assets:Cash",
    acc.MEMBER_DUE: "Assets:Members",
    acc.TOP_UP_RECEIVABLE: "Assets:TopUps",
    acc.SUBSIDY_RECEIVABLE: "Assets:Subsidies",
    acc.MEMBER_CREDIT: "Liabilities:Members",
    acc.MERCHANT: "Liabilities:Merchants",
    acc.DEDICATED: "Liabilities:DedicatedFunds",
    acc.CONTRIBUTIONS: "Income:Contributions",
    acc.SUBSIDIES: "Income:Subsidies",
    acc.DONATIONS: "Income:Donations",
    acc.EXPIRED: "Income:ExpiredCredit",
    acc.AID_GRANTED: "Expenses:FoodAid",
}
_ESCAPES = {"-": "-h", "_": "-u", ".": "-d"}


def party_component(party: str) -> str:
    """A beancount account component for a party id (injective, see the module doc)."""
    out = ["P"]
    for char in party:
        if char.isascii() and char.isalnum():
            out.append(char)
        elif char in _ESCAPES:
            out.append(_ESCAPES[char])
        else:
            out.append(f"-x{ord(char):04x}")
    return "".join(out)


def beancount_account(account: str) -> str:
    """``"419:hh_a" -> "Liabilities:Members:419:Phh-ua"``; raises ``KeyError`` off the chart."""
    code = acc.code_of(account)
    name = f"{ROOTS[code]}:{code}"
    party = acc.party_of(account)
    return name if party is None else f"{name}:{party_component(party)}"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _transaction(entry: Entry, names: dict[str, str]) -> str:
    lines = [f"{entry.period.first_day.isoformat()} * {_quoted(entry.kind)} "
             f"{_quoted(entry.memo or entry.kind)}",
             f'  caisse_seq: "{entry.seq}"', f'  caisse_entry: "{entry.entry_id}"']
    if entry.reverses:
        lines.append(f'  caisse_reverses: "{entry.reverses}"')
    for account, cents in entry.postings:
        name = names.get(account)
        if name is None:
            name = names[account] = beancount_account(account)
        lines.append(f"  {name}  {euros(cents)} EUR")
    return "\n".join(lines) + "\n\n"


def export_beancount(source: Source, out: IO[str], title: str = "caisse") -> int:
    """Write the whole ledger of ``source``; returns the number of transactions."""
    out.write(f'option "title" {_quoted(title)}\noption "operating_currency" "EUR"\n\n')
    names: dict[str, str] = {}
    first: Period | None = None
    count = 0
    for _, group in source.entries():
        for entry in group:
            if first is None or entry.period < first:
                first = entry.period
            out.write(_transaction(entry, names))
            count += 1
    opened_on = (first or Period(2000, 1)).first_day.isoformat()
    # beancount sorts directives by date, so the opens may follow the transactions.
    for account in sorted(names):
        out.write(f"{opened_on} open {names[account]} EUR\n"
                  f"  caisse_account: {_quoted(account)}\n")
    return count
