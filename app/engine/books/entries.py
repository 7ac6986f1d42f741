"""Ledger entries and postings, and the one place entries are built and checked.

Guarantees: every ``Entry`` built through ``EntryBuilder`` has at least two postings, every
posting a non-zero ``int`` amount, and the postings sum to 0 (checked on every entry); its
accounts are of the chart by construction (``accounts`` builds them from validated ids);
``entry_id`` is ``f"{seq}.{n}"`` with ``n`` the 0-based index of the entry in its command.

``Posting`` and ``Entry`` are NamedTuples rather than frozen dataclasses: they are immutable
all the same, and replaying a year of a fund builds millions of them (a frozen dataclass
costs several times more to construct).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from app.engine.books.accounts import is_known
from app.engine.books.errors import UnbalancedEntry
from app.engine.period import Period
from app.engine.problems import Problem


class Posting(NamedTuple):
    """One line of an entry: positive ``amount_cents`` is a debit, negative a credit."""

    account: str
    amount_cents: int


class Entry(NamedTuple):
    """A balanced ledger entry; never updated nor deleted (a reversal is a new entry)."""

    entry_id: str
    seq: int
    period: Period
    kind: str
    memo: str
    postings: tuple[Posting, ...]
    reverses: str | None = None


def entry_problems(entry: Entry) -> list[Problem]:
    """Everything wrong with an entry's shape: postings count, types, accounts, balance."""
    path = f"entries[{entry.entry_id}]"
    problems: list[Problem] = []
    if len(entry.postings) < 2:
        problems.append(Problem(path, "an entry needs at least two postings"))
    total = 0
    for index, (account, amount) in enumerate(entry.postings):
        where = f"{path}.postings[{index}]"
        if type(amount) is not int or amount == 0:
            problems.append(
                Problem(where, f"amount must be a non-zero int of cents, got {amount!r}")
            )
            continue
        if not is_known(account):
            problems.append(Problem(where, f"account {account!r} is not in the chart"))
        total += amount
    if total != 0:
        problems.append(Problem(path, f"postings sum to {total} cents, not 0"))
    return problems


class EntryBuilder:
    """Collects the entries of one command, numbering them ``seq.0``, ``seq.1``..."""

    __slots__ = ("entries", "seq")

    def __init__(self, seq: int) -> None:
        self.seq = seq
        self.entries: list[Entry] = []

    def add(
        self,
        period: Period,
        kind: str,
        memo: str,
        postings: Sequence[tuple[str, int]],
        reverses: str | None = None,
    ) -> Entry:
        """Build, check and keep one entry; raises ``UnbalancedEntry`` on a defect."""
        # tuple.__new__ directly: the NamedTuple constructors are Python-level and this is
        # the hottest path of a replay.
        new = tuple.__new__
        built = tuple(
            [new(Posting, (account, amount)) for account, amount in postings if amount != 0]
        )
        entry: Entry = new(
            Entry,
            (f"{self.seq}.{len(self.entries)}", self.seq, period, kind, memo, built, reverses),
        )
        total = 0
        typed = True
        for _, amount in built:
            if type(amount) is not int:
                typed = False
                break
            total += amount
        if total != 0 or not typed or len(built) < 2:
            problems = entry_problems(entry)
            raise UnbalancedEntry(problems or [Problem(entry.entry_id, "unbalanced entry")])
        self.entries.append(entry)
        return entry

    def pair(
        self, period: Period, kind: str, memo: str, debit: str, credit: str, amount_cents: int
    ) -> Entry:
        """The common two-line entry: ``debit`` +amount, ``credit`` -amount (balanced by
        construction; the amount must be a positive int)."""
        if type(amount_cents) is not int or amount_cents <= 0:
            return self.add(period, kind, memo, ((debit, amount_cents), (credit, -amount_cents)))
        entry = pair_entry(f"{self.seq}.{len(self.entries)}", self.seq, period, kind, memo,
                           debit, credit, amount_cents)
        self.entries.append(entry)
        return entry

    def next_id(self) -> str:
        """The id the next added entry will get."""
        return f"{self.seq}.{len(self.entries)}"


def pair_entry(
    entry_id: str, seq: int, period: Period, kind: str, memo: str, debit: str, credit: str,
    amount_cents: int,
) -> Entry:
    """A two-line entry, ``debit`` +amount, ``credit`` -amount: balanced by construction for
    a positive ``int`` amount, which the caller guarantees (``EntryBuilder.pair`` and a
    command whose only entry it is, such as a purchase, the hottest path of a replay)."""
    new = tuple.__new__  # the NamedTuple constructors are Python-level
    postings = (new(Posting, (debit, amount_cents)), new(Posting, (credit, -amount_cents)))
    entry: Entry = new(Entry, (entry_id, seq, period, kind, memo, postings, None))
    return entry


def entry_as_dict(entry: Entry) -> dict[str, Any]:
    """The JSON form of an entry (for exports and stored-vs-replayed comparison)."""
    return {
        "entry_id": entry.entry_id,
        "seq": entry.seq,
        "period": str(entry.period),
        "kind": entry.kind,
        "memo": entry.memo,
        "postings": [[p.account, p.amount_cents] for p in entry.postings],
        "reverses": entry.reverses,
    }


def entry_from_dict(data: Mapping[str, Any]) -> Entry:
    """Inverse of ``entry_as_dict``; raises ``ValueError``/``KeyError`` on malformed input."""
    postings = tuple(Posting(str(a), int(c)) for a, c in data["postings"])
    reverses = data.get("reverses")
    return Entry(
        str(data["entry_id"]),
        int(data["seq"]),
        Period.parse(str(data["period"])),
        str(data["kind"]),
        str(data["memo"]),
        postings,
        None if reverses is None else str(reverses),
    )
