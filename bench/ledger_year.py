"""A synthetic year of a fund, written straight into an export directory.

Commands are built here and applied through the books core (``apply`` + ``MemoryBooks``),
chained with the journal functions (``build_record``), and written with the export writer
(``app.audit.export.ExportWriter``): the same bytes ``caisse export journal`` would write for
a database holding these commands. The verifier reads exports, so this is a legitimate and
fast way to get a year (about 1.1M journal records for 10 000 households) to verify.

Each household has real facts (``facts_of``: income and persons, a salt) and the journal a
real commitment to them; the run's lines are computed by the engine as the month run computes
them (``assess_fund`` + ``run_line``), so the verifier re-derives them given the facts file
(``generate(..., facts=PATH)`` writes it, as ``caisse export facts`` would).

Each month: a subsidy, the run (chunks of 1 000), every household's contribution payment,
``purchases`` purchases per household (food at rate 1, some hygiene at 0.5), a few refunds,
the merchants' settlement, expiry of the previous month's lots, close and a signed seal.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.audit import sources as s
from app.audit.checkpoint import checkpoint_document
from app.audit.export import ExportWriter
from app.db import tables as t
from app.engine import ENGINE_VERSION
from app.engine.books.commands import Command
from app.engine.books.core import apply
from app.engine.books.digest import RunFingerprint, balances_digest
from app.engine.books.journal import GENESIS_HASH, build_record
from app.engine.books.memory import MemoryBooks
from app.engine.books.state import MarkCredited
from app.engine.canonical import canonical_bytes, content_hash
from app.engine.commitment import committed_facts, facts_commitment, preimage
from app.engine.fund import assess_fund
from app.engine.month_run import run_line
from app.engine.period import Period
from app.engine.ruleset import parse_rule_set
from bench.ledger_fund import RULES, facts_of

RECORDED_AT = "2026-12-31T23:00:00.000000Z"
SIGNING_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
MERCHANTS = 50


@dataclass
class Year:
    """The generator's state: the books, the chain head and the projections' extra columns."""

    writer: ExportWriter
    books: MemoryBooks = field(default_factory=MemoryBooks)
    seq: int = 0
    head: str = GENESIS_HASH
    last_seq: dict[str, int] = field(default_factory=dict)
    lots: dict[str, list[Any]] = field(default_factory=dict)
    credited: dict[tuple[str, str], int] = field(default_factory=dict)
    fingerprints: dict[str, RunFingerprint] = field(default_factory=dict)
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    commitments: dict[str, str] = field(default_factory=dict)

    def do(self, kind: str, payload: Mapping[str, Any]) -> None:
        seq = self.seq + 1
        effects = apply(self.books, Command(kind, payload), seq)
        record = build_record(seq=seq, prev_hash=self.head, recorded_at=RECORDED_AT,
                              actor="operator:bench", kind=kind,
                              idempotency_key=f"k{seq}", payload=payload)
        self.books.commit(effects)
        self.writer.record(record)
        self.writer.entries(effects.entries)
        for entry in effects.entries:
            for account, _ in entry.postings:
                self.last_seq[account] = seq
        for c in effects.lot_changes:
            if c.kind == "open":
                self.lots[c.lot_id] = [c.household_id, str(c.period), c.amount_cents,
                                       None if c.expires is None else str(c.expires), seq]
            else:
                self.lots[c.lot_id][4] = seq
        for change in effects.registry:
            if isinstance(change, MarkCredited):
                self.credited[(change.household_id, str(change.period))] = seq
        if kind == "run_month":
            self.fingerprints.setdefault(payload["period"], RunFingerprint()).add(payload)
        self.seq, self.head = seq, str(record["hash"])


def household_ids(count: int) -> list[str]:
    return [f"hh_{i:06d}" for i in range(count)]


def committed(index: int) -> dict[str, Any]:
    """A household's committed facts (``app.engine.commitment``): the month-run bench's."""
    return facts_of(index).as_dict()


def generate(directory: Path, households: int = 10_000, months: int = 12,
             purchases: int = 8, seed: int = 7, facts: Path | None = None) -> dict[str, Any]:
    """Write the year into ``directory`` (and its facts file into ``facts``, if given);
    returns the export manifest."""
    year = Year(ExportWriter(directory))
    rng = random.Random(seed)
    ids = household_ids(households)
    year.do("adopt_rule_set", {"rule_set_id": RULES["id"], "version": 1,
                               "content_hash": content_hash(RULES), "effective_from": "2026-01",
                               "decision": RULES["decision"], "document": RULES})
    lines = []
    for index, hh in enumerate(ids):
        salt = f"{index:032x}"
        commitment = facts_commitment(salt, hh, "2026-01", committed(index))
        year.commitments[hh] = commitment
        lines.append(canonical_bytes(preimage(salt, hh, "2026-01", committed(index))) + b"\n")
        year.do("enrol_household", {"household_id": hh, "from_period": "2026-01",
                                    "facts_commitment": commitment})
    if facts is not None:
        facts.write_bytes(b"".join(lines))
    for m in range(MERCHANTS):
        year.do("approve_merchant", {"merchant_id": f"m{m:02d}", "valid_from": "2026-01-01",
                                     "valid_until": None,
                                     "categories": {"food": "1", "hygiene": "0.5"}})
    for month in range(1, months + 1):
        _month(year, Period(2026, month), ids, purchases, rng)
    _projections(year)
    return year.writer.finish()


def _month(year: Year, period: Period, ids: list[str], purchases: int,
           rng: random.Random) -> None:
    day = period.first_day.isoformat()
    year.do("record_funding", {"funder_id": "city", "kind": "subsidy", "reference": f"S{period}",
                               "amount_cents": 250 * 10_000 * len(ids), "received_on": day,
                               "dedicated": False})
    contributions: dict[str, int] = {}
    for chunk, lines in enumerate(_run_lines(year, period, ids)):
        year.do("run_month", {"period": str(period), "rule_set_hash": content_hash(RULES),
                              "chunk": chunk, "rationing": None, "households": lines,
                              "unspent_credit": {"policy": "expire", "after_months": 2,
                                                 "cap_cents": None}})
        contributions.update((x["household_id"], x["contribution_cents"]) for x in lines)
    for index, hh in enumerate(ids):
        year.do("record_payment", {"household_id": hh, "amount_cents": contributions[hh],
                                   "method": "direct_debit", "reference": f"DD{period}{index}",
                                   "received_on": day})
    for kind, payload in _purchases(period, ids, purchases, rng):
        year.do(kind, payload)
    owed = {m: -cents for a, cents in year.books.balances.items()
            if a.startswith("401:") and cents < 0 for m in (a[4:],)}
    year.do("settle_merchants", {"batch_id": f"b{period}", "reference": f"SEPA{period}",
                                 "on": period.last_day.isoformat(),
                                 "merchants": [{"merchant_id": m, "amount_cents": owed[m]}
                                               for m in sorted(owed)]})
    year.do("expire_credit", {"period": str(period), "household_ids": ids})
    year.do("close_month", {"period": str(period)})
    _seal(year, period)


def _run_lines(year: Year, period: Period, ids: list[str]) -> Iterator[list[dict[str, Any]]]:
    """The run's lines as the month run makes them (budget ample: no rationing)."""
    rules = parse_rule_set(RULES)
    facts = [committed_facts(hh, committed(index)) for index, hh in enumerate(ids)]
    lines = [run_line(a, year.commitments[a.household_id])
             for a in assess_fund(rules, facts, period, explain=False).assessments]
    for start in range(0, len(lines), 1000):
        yield lines[start : start + 1000]


def _purchases(period: Period, ids: list[str], per_household: int,
               rng: random.Random) -> Iterator[tuple[str, dict[str, Any]]]:
    """``per_household`` purchases each of at most 1 199 cents (8 x 1 199 stays under the
    month's 10 000-cent minimum credit), spread over the days; one in 1 000 is refunded."""
    days = period.days
    for n in range(per_household * len(ids)):
        hh = ids[n % len(ids)]  # round robin: exactly ``per_household`` each
        on = f"{period}-{1 + n * days // (per_household * len(ids)):02d}"
        pid = f"p{period}-{n}"
        hygiene = n % 5 == 0
        merchant = f"m{rng.randrange(MERCHANTS):02d}"
        yield "purchase", {"purchase_id": pid, "household_id": hh, "merchant_id": merchant,
                           "category": "hygiene" if hygiene else "food",
                           "amount_cents": rng.randrange(300, 1_200), "on": on,
                           "period": str(period)}
        if n % 1000 == 999:
            yield "refund", {"refund_id": f"r{pid}", "merchant_id": merchant, "purchase_id": pid,
                             "amount_cents": 100, "on": on}


def _seal(year: Year, period: Period) -> None:
    payload: dict[str, Any] = {
        "period": str(period), "journal_size": year.seq, "head_hash": year.head,
        "balances_digest": balances_digest(year.books.balances),
        "engine_version": ENGINE_VERSION,
        "run_fingerprint": year.fingerprints[str(period)].value(),
    }
    year.do("seal_month", payload)
    row = t.Checkpoint(seq=year.seq, **payload)
    signature = SIGNING_KEY.sign(canonical_bytes(checkpoint_document(row))).hex()
    public = SIGNING_KEY.public_key().public_bytes_raw().hex()
    year.checkpoints.append({**payload, "seq": year.seq, "signature": signature,
                             "public_key": public})


def _projections(year: Year) -> None:
    books = year.books
    open_lots = {lot_id: lot for lots in books.open_lots.values() for lot_id, lot in lots.items()}
    year.writer.rows(s.BALANCES_FILE, (
        {"account": a, "balance_cents": c, "last_seq": year.last_seq[a]}
        for a, c in sorted(books.balances.items())))
    year.writer.rows(s.LOTS_FILE, (
        {"lot_id": lot_id, "household_id": hh, "period": period, "granted_cents": granted,
         "remaining_cents": remaining, "expires_period": expires, "is_open": remaining > 0,
         "last_seq": last}
        for lot_id, (hh, period, granted, expires, last) in sorted(year.lots.items())
        for remaining in (open_lots[lot_id].remaining_cents if lot_id in open_lots else 0,)))
    year.writer.rows(s.CREDITED_FILE, ({"household_id": h, "period": p, "seq": q}
                                       for (h, p), q in sorted(year.credited.items())))
    year.writer.rows(s.CHECKPOINTS_FILE, year.checkpoints)
