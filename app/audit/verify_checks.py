"""The verifier's comparisons: entries, seals, balances, lots, markers, checkpoints.

Each check returns the first ``Disagreement`` (seq, table, row, reason) or ``None``. A
disagreement found after the walk (balances, lots...) is reported at the seq of the last
command that touched the row, so an auditor knows where to look in the journal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.audit.checkpoint import checkpoint_document
from app.audit.sources import StoredLot, Tables
from app.db import tables as t
from app.engine.books.digest import RunFingerprint, balances_digest, month_tree_problem
from app.engine.books.entries import Entry
from app.engine.books.invariants import check_invariants, check_totals
from app.engine.canonical import canonical_bytes

if TYPE_CHECKING:
    from app.audit.verify import Replayed

SEAL_FIELDS = ("journal_size", "head_hash", "balances_digest", "engine_version",
               "run_fingerprint")


@dataclass(frozen=True, slots=True)
class Disagreement:
    seq: int
    table: str
    row: str
    reason: str
    account: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"seq": self.seq, "table": self.table, "row": self.row,
                               "reason": self.reason}
        if self.account is not None:
            out["account"] = self.account
        return out


def entries_differ(seq: int, stored: tuple[Entry, ...],
                   replayed: tuple[Entry, ...]) -> Disagreement:
    """Which stored row differs from the replay: an entry header or one posting line."""
    for mine, theirs in zip(replayed, stored, strict=False):
        if mine == theirs:
            continue
        row = f"entry_id={theirs.entry_id}"
        for name in ("entry_id", "seq", "period", "kind", "memo", "reverses"):
            if getattr(mine, name) != getattr(theirs, name):
                return Disagreement(seq, "ledger_entry", row, f"{name} is "
                                    f"{getattr(theirs, name)!r}, replay gives "
                                    f"{getattr(mine, name)!r}")
        return _postings_differ(seq, theirs, mine)
    if len(stored) > len(replayed):
        extra = stored[len(replayed)]
        return Disagreement(seq, "ledger_entry", f"entry_id={extra.entry_id}",
                            f"{len(stored)} stored entries, replay produces {len(replayed)}")
    missing = replayed[len(stored)]
    return Disagreement(seq, "ledger_entry", f"entry_id={missing.entry_id}",
                        f"entry missing: replay produces {len(replayed)}, "
                        f"{len(stored)} stored")


def _postings_differ(seq: int, stored: Entry, replayed: Entry) -> Disagreement:
    for line in range(max(len(stored.postings), len(replayed.postings))):
        theirs = stored.postings[line] if line < len(stored.postings) else None
        mine = replayed.postings[line] if line < len(replayed.postings) else None
        if theirs != mine:
            account = (theirs or mine or ("", 0))[0]
            return Disagreement(seq, "posting", f"entry_id={stored.entry_id} line={line}",
                                f"stored posting {theirs!r}, replay gives {mine!r}", account)
    return Disagreement(seq, "ledger_entry", f"entry_id={stored.entry_id}", "entry differs")


def seal_record(state: Replayed, payload: Mapping[str, Any], seq: int) -> Disagreement | None:
    """A ``seal_month`` record's values against the replay just before it."""
    row = f"seq={seq}"
    books = state.books
    if payload.get("journal_size") != seq - 1:
        return Disagreement(seq, "journal", row, f"seal journal_size is "
                            f"{payload.get('journal_size')!r}, expected {seq - 1}")
    if payload.get("head_hash") != state.head_hash:
        return Disagreement(seq, "journal", row, "seal head_hash is not the hash of the "
                            f"record before it ({state.head_hash})")
    digest = balances_digest(books.balances)
    if payload.get("balances_digest") != digest:
        return Disagreement(seq, "journal", row, "seal balances_digest differs from the "
                            f"replayed balances ({digest})")
    period = str(payload.get("period"))
    run = state.fingerprints.get(period, RunFingerprint())
    fingerprint = run.value()
    if payload.get("run_fingerprint") != fingerprint:
        return Disagreement(seq, "journal", row, "seal run_fingerprint differs from the "
                            f"replayed run of {period} ({fingerprint})")
    tree = month_tree_problem(payload, run)
    if tree is not None:
        return Disagreement(seq, "journal", row, tree)
    problems = check_totals(books.code_totals)
    if problems:
        return Disagreement(seq, "journal", row, "invariant broken before the seal: "
                            + "; ".join(p.message for p in problems))
    return None


def final(source: Tables, state: Replayed, public_key: bytes | None,
          notes: list[str]) -> tuple[Disagreement | None, tuple[int, int, int]]:
    """The checks after the walk; also the counts of balances, lots and checkpoints read."""
    balances = source.balances()
    lots = source.lots()
    stored_checkpoints = source.checkpoints()
    counts = (len(balances), len(lots), len(stored_checkpoints))
    bad = (
        _head(state, source.expected_head)
        or _balances(state, {a: b.balance_cents for a, b in balances.items()})
        or _invariants(state)
        or _lots(state, lots)
        or _credited(state, source.credited())
        or _checkpoints(state, stored_checkpoints, public_key, notes)
    )
    return bad, counts


def _head(state: Replayed, expected: str | None) -> Disagreement | None:
    """An export's manifest names its head: a journal cut short ends elsewhere."""
    if expected is None or expected == state.head_hash:
        return None
    return Disagreement(state.records + 1, "journal", f"seq={state.records + 1}",
                        f"the journal ends at seq {state.records} ({state.head_hash}) but the "
                        f"export manifest says its head is {expected}")


def _last_touch(state: Replayed, accounts: set[str]) -> int:
    touched = [state.books.last_seq[a] for a in accounts if a in state.books.last_seq]
    return max(touched) if touched else max(state.records, 1)


def _balances(state: Replayed, stored: Mapping[str, int]) -> Disagreement | None:
    replayed = state.books.balances
    wrong = [a for a in sorted(set(stored) | set(replayed))
             if stored.get(a, 0) != replayed.get(a, 0)]
    if not wrong:
        return None
    # The first disagreement in journal order: the one whose last posting is earliest.
    seq, account = min((_last_touch(state, {a}), a) for a in wrong[:20])
    return Disagreement(seq, "balance", f"account={account}", f"stored balance is "
                        f"{stored.get(account, 0)} cents, replay gives "
                        f"{replayed.get(account, 0)}", account)


def _invariants(state: Replayed) -> Disagreement | None:
    problems = check_invariants(state.books)
    if not problems:
        return None
    text = "; ".join(f"{p.path}: {p.message}" for p in problems[:5])
    return Disagreement(max(state.records, 1), "books", "replay", f"invariant broken: {text}")


def _lots(state: Replayed, stored: Mapping[str, StoredLot]) -> Disagreement | None:
    """The first lot (in ``_lot_order``) that differs. Whether a lot differs does not depend
    on the others, so the lots are checked unsorted and the first of those that differ is taken
    (a year holds over 100,000 lots, and usually none differs)."""
    open_lots = {lot.lot_id: lot for lots in state.books.open_lots.values()
                 for lot in lots.values()}
    granted = state.granted
    differing = [lot_id for lot_id in set(stored) | set(granted)
                 if _lot_problem(lot_id, stored, granted, open_lots) is not None]
    if not differing:
        return None
    return _lot_problem(min(differing, key=_lot_order), stored, granted, open_lots)


def _lot_problem(lot_id: str, stored: Mapping[str, StoredLot], granted: Mapping[str, int],
                 open_lots: Mapping[str, Any]) -> Disagreement | None:
    row = stored.get(lot_id)
    if row is None:
        return Disagreement(_lot_order(lot_id)[0], "credit_lot", f"lot_id={lot_id}",
                            "lot opened by the replay is missing from storage")
    if lot_id not in granted:
        return Disagreement(row.last_seq, "credit_lot", f"lot_id={lot_id}",
                            "stored lot was never opened by the journal")
    reason = _lot_reason(row, granted[lot_id], open_lots.get(lot_id))
    if reason is not None:
        return Disagreement(row.last_seq, "credit_lot", f"lot_id={lot_id}", reason,
                            f"419:{row.household_id}")
    return None


def _lot_order(lot_id: str) -> tuple[int, str]:
    head = lot_id.split(".", 1)[0]
    return (int(head) if head.isdigit() else 0), lot_id


def _lot_reason(row: StoredLot, granted: int, lot: Any) -> str | None:
    remaining = 0 if lot is None else lot.remaining_cents
    if row.granted_cents != granted:
        return f"granted_cents is {row.granted_cents}, replay gives {granted}"
    if row.remaining_cents != remaining:
        return f"remaining_cents is {row.remaining_cents}, replay gives {remaining}"
    if row.is_open != (remaining > 0):
        return f"is_open is {row.is_open}, replay gives {remaining > 0}"
    if lot is not None:
        expires = None if lot.expires is None else str(lot.expires)
        if (row.household_id, row.period, row.expires_period) != (
                lot.household_id, str(lot.period), expires):
            return (f"household/period/expiry are {row.household_id}/{row.period}/"
                    f"{row.expires_period}, replay gives {lot.household_id}/{lot.period}/"
                    f"{expires}")
    return None


def _credited(state: Replayed, stored: Mapping[tuple[str, str], int]) -> Disagreement | None:
    replayed = {(hh, str(period)) for hh, period in state.books.credited_pairs}
    for key in sorted(set(stored) ^ replayed):
        seq = stored.get(key, state.records)
        where = "stored but never credited by the journal" if key in stored \
            else "credited by the journal but the marker is missing"
        return Disagreement(seq, "month_credit", f"household_id={key[0]} period={key[1]}",
                            where)
    return None


def _checkpoints(state: Replayed, stored: list[dict[str, Any]], public_key: bytes | None,
                 notes: list[str]) -> Disagreement | None:
    by_seq = {int(row["seq"]): row for row in stored}
    for seq in sorted(set(by_seq) | set(state.seals)):
        row, seal = by_seq.get(seq), state.seals.get(seq)
        where = f"period={(row or seal or {}).get('period')} seq={seq}"
        if row is None or seal is None:
            what = "no stored checkpoint" if row is None else "no seal_month record at its seq"
            return Disagreement(seq, "checkpoint", where, f"sealed month has {what}")
        for name in ("period", *SEAL_FIELDS):
            if row[name] != seal[name]:
                return Disagreement(seq, "checkpoint", where, f"{name} is {row[name]!r}, "
                                    f"the journal's seal says {seal[name]!r}")
        reason = signature_problem(row, public_key, notes)
        if reason is not None:
            return Disagreement(seq, "checkpoint", where, reason)
    return None


def signature_problem(row: Mapping[str, Any], public_key: bytes | None,
                      notes: list[str]) -> str | None:
    """Why the checkpoint's signature does not hold (``public_key``: the fund's own key)."""
    signature, stored_key = row.get("signature"), row.get("public_key")
    if public_key is None:
        if signature:
            if not stored_key or not _valid(bytes.fromhex(stored_key), row):
                return "signature does not verify with the public key stored beside it"
            note = ("signatures verified with the keys stored beside them; pass "
                    "--public-key to check them against the fund's own key")
            if note not in notes:
                notes.append(note)
        return None
    if not signature:
        return "checkpoint is not signed but a public key was given"
    if stored_key and bytes.fromhex(stored_key) != public_key:
        return "checkpoint was signed with another key than the one given"
    if not _valid(public_key, row):
        return "signature does not verify with the given public key"
    return None


def _valid(public_key: bytes, row: Mapping[str, Any]) -> bool:
    try:
        document = checkpoint_document(t.Checkpoint(**dict(row)))
        key = Ed25519PublicKey.from_public_bytes(public_key)
        key.verify(bytes.fromhex(str(row["signature"])), canonical_bytes(document))
    except Exception:  # any malformed key or signature is simply "does not verify"
        return False
    return True
