"""Shared builders for the books-core tests (no tests here): a journaled MemoryBooks driver
and payload builders with sensible defaults."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.audit.verify import Replay, verify_records
from app.engine.books import Command, Effects, Entry, MemoryBooks, apply
from app.engine.books.journal import GENESIS_HASH, build_record

EXPIRE_2 = {"policy": "expire", "after_months": 2, "cap_cents": None}
NO_POLICY = {"policy": "none", "after_months": None, "cap_cents": None}


class Driver:
    """Applies commands to MemoryBooks and keeps the hash-chained journal of accepted ones."""

    def __init__(self) -> None:
        self.books = MemoryBooks()
        self.records: list[dict[str, Any]] = []

    @property
    def next_seq(self) -> int:
        return len(self.records) + 1

    @property
    def head(self) -> str:
        return str(self.records[-1]["hash"]) if self.records else GENESIS_HASH

    def do(self, kind: str, payload: dict[str, Any]) -> Effects:
        """Apply and commit; raises the BooksError (nothing recorded) on refusal."""
        seq = self.next_seq
        effects = apply(self.books, Command(kind, payload), seq)
        self.books.commit(effects)
        self.records.append(
            build_record(
                seq=seq,
                prev_hash=self.head,
                recorded_at="2026-11-26T10:00:00Z",
                actor="operator:test",
                kind=kind,
                idempotency_key=f"k{seq}",
                payload=payload,
            )
        )
        return effects

    def try_apply(self, kind: str, payload: dict[str, Any]) -> Effects:
        """Apply without committing (to test refusals and previews)."""
        return apply(self.books, Command(kind, payload), self.next_seq)


def replay(
    records: list[dict[str, Any]],
    entries: Mapping[int, Sequence[Entry]] | None = None,
    balances: Mapping[str, int] | None = None,
) -> Replay:
    """The verifier's own walk and checks (``verify_records``) over a driver's journal. Its
    runs name a rule set (``run``: ``sha256:rules``) that these journals never adopt, so
    the runs' rules and facts commitments are not looked up (tests/audit covers them)."""
    return verify_records(records, entries, balances, runs_checked=False)


def enrol(hh: str, from_period: str = "2026-01") -> dict[str, Any]:
    return {"household_id": hh, "from_period": from_period, "facts_commitment": f"c-{hh}"}


def approve(
    merchant: str,
    categories: dict[str, str] | None = None,
    valid_from: str = "2026-01-01",
    valid_until: str | None = None,
) -> dict[str, Any]:
    return {
        "merchant_id": merchant,
        "categories": categories or {"food": "1"},
        "valid_from": valid_from,
        "valid_until": valid_until,
    }


def funding(
    amount: int,
    on: str = "2026-01-02",
    kind: str = "subsidy",
    funder: str = "city",
    dedicated: bool = False,
) -> dict[str, Any]:
    return {
        "funder_id": funder,
        "kind": kind,
        "amount_cents": amount,
        "reference": "ref",
        "received_on": on,
        "dedicated": dedicated,
    }


def line(
    hh: str,
    contribution: int,
    credit: int,
    share: int = 0,
    funder: str | None = None,
    status: str = "assessed",
) -> dict[str, Any]:
    return {
        "household_id": hh,
        "status": status,
        "contribution_cents": contribution,
        "credit_cents": credit,
        "funder_share_cents": share,
        "funder_id": funder,
        "facts_commitment": f"c-{hh}",
    }


def run(
    period: str, lines: list[dict[str, Any]], policy: dict[str, Any] | None = None, chunk: int = 0
) -> dict[str, Any]:
    return {
        "period": period,
        "rule_set_hash": "sha256:rules",
        "chunk": chunk,
        "households": lines,
        "rationing": None,
        "unspent_credit": policy or NO_POLICY,
    }


def buy(
    pid: str, hh: str, merchant: str, amount: int, on: str = "2026-01-10", category: str = "food"
) -> dict[str, Any]:
    return {
        "purchase_id": pid,
        "household_id": hh,
        "merchant_id": merchant,
        "category": category,
        "amount_cents": amount,
        "on": on,
        "period": on[:7],
    }


def refund(
    rid: str, pid: str, amount: int, on: str = "2026-01-12", merchant: str = "m1"
) -> dict[str, Any]:
    return {
        "refund_id": rid,
        "merchant_id": merchant,
        "purchase_id": pid,
        "amount_cents": amount,
        "on": on,
    }


def payment(
    hh: str, amount: int, method: str = "transfer", on: str = "2026-01-05"
) -> dict[str, Any]:
    return {
        "household_id": hh,
        "amount_cents": amount,
        "method": method,
        "reference": "ref",
        "received_on": on,
    }


def settle(lines: list[tuple[str, int]], on: str = "2026-01-20") -> dict[str, Any]:
    return {
        "batch_id": "b1",
        "reference": "ref",
        "on": on,
        "merchants": [{"merchant_id": m, "amount_cents": a} for m, a in lines],
    }


def postings(effects: Effects) -> list[list[tuple[str, int]]]:
    return [[(p.account, p.amount_cents) for p in e.postings] for e in effects.entries]
