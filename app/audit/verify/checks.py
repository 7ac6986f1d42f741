"""The checks after the walk: ONE list (``AFTER_WALK``) of functions, each comparing one part
of storage with the replay and returning the first ``Disagreement`` or ``None``.

``run`` calls them in order and stops at the first finding. A disagreement found here is
reported at the seq of the last command that touched the row, so an auditor knows where to
look in the journal. The order is part of the report: the journal's own claims first (an
export's head), then the money (balances, invariants, lots, markers, checkpoints), then the
registry tables, the re-derived month runs, and an export's manifest last (so that a changed
line is named by its content first, and by its file only if nothing else is).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.audit.checkpoint import checkpoint_document
from app.audit.sources import Source, StoredBalance, StoredLot, Tables
from app.audit.verify import tables as registry_tables
from app.audit.verify.finding import Disagreement
from app.audit.verify.rederive import Outcome
from app.audit.verify.replay import Replayed
from app.engine.books.invariants import check_invariants
from app.engine.canonical import canonical_bytes

SEAL_FIELDS = ("journal_size", "head_hash", "balances_digest", "engine_version",
               "run_fingerprint")


@dataclass(slots=True)
class After:
    """What the checks read: the source, its tables (read ahead or not), the replay, the
    fund's key, and what the report gathers (``notes``, ``outcome``). The balances, lots and
    checkpoints are read once, in this order, when it is made (the report counts them)."""

    source: Source
    tables: Tables
    state: Replayed
    public_key: bytes | None
    notes: list[str] = field(default_factory=list)
    outcome: Outcome = field(default_factory=Outcome)
    balances: dict[str, StoredBalance] = field(init=False)
    lots: dict[str, StoredLot] = field(init=False)
    checkpoints: list[dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.balances = self.tables.balances()
        self.lots = self.tables.lots()
        self.checkpoints = self.tables.checkpoints()

    @property
    def counts(self) -> tuple[int, int, int]:
        return len(self.balances), len(self.lots), len(self.checkpoints)


Check = Callable[[After], "Disagreement | None"]


def head(after: After) -> Disagreement | None:
    """An export's manifest names its head: a journal cut short ends elsewhere."""
    state, expected = after.state, after.tables.expected_head
    if expected is None or expected == state.head_hash:
        return None
    return Disagreement(state.records + 1, "journal", f"seq={state.records + 1}",
                        f"the journal ends at seq {state.records} ({state.head_hash}) but the "
                        f"export manifest says its head is {expected}")


def balances(after: After) -> Disagreement | None:
    """Every stored balance equals the replayed one (zeros and absent rows are the same)."""
    return balance_problem(after.state, {a: b.balance_cents for a, b in after.balances.items()})


def balance_problem(state: Replayed, stored: Mapping[str, int]) -> Disagreement | None:
    """The first wrong balance in journal order: the one whose last posting is earliest."""
    replayed = state.books.balances
    wrong = [a for a in sorted(set(stored) | set(replayed))
             if stored.get(a, 0) != replayed.get(a, 0)]
    if not wrong:
        return None
    seq, account = min((_last_touch(state, {a}), a) for a in wrong[:20])
    return Disagreement(seq, "balance", f"account={account}", f"stored balance is "
                        f"{stored.get(account, 0)} cents, replay gives "
                        f"{replayed.get(account, 0)}", account)


def _last_touch(state: Replayed, accounts: set[str]) -> int:
    touched = [state.books.last_seq[a] for a in accounts if a in state.books.last_seq]
    return max(touched) if touched else max(state.records, 1)


def invariants(after: After) -> Disagreement | None:
    """The replayed books' invariants (``check_invariants``)."""
    return invariant_problem(after.state)


def invariant_problem(state: Replayed) -> Disagreement | None:
    problems = check_invariants(state.books)
    if not problems:
        return None
    text = "; ".join(f"{p.path}: {p.message}" for p in problems[:5])
    return Disagreement(max(state.records, 1), "books", "replay", f"invariant broken: {text}")


def lots(after: After) -> Disagreement | None:
    """The first lot (in ``_lot_order``) that differs. Whether a lot differs does not depend
    on the others, so the lots are checked unsorted and the first of those that differ is taken
    (a year holds over 100,000 lots, and usually none differs)."""
    state, stored = after.state, after.lots
    open_lots = {lot.lot_id: lot for held in state.books.open_lots.values()
                 for lot in held.values()}
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


def credited(after: After) -> Disagreement | None:
    """Every exactly-once marker (household, month credited) against the replay's."""
    state, stored = after.state, after.tables.credited()
    replayed = {(hh, str(period)) for hh, period in state.books.credited_pairs}
    for key in sorted(set(stored) ^ replayed):
        seq = stored.get(key, state.records)
        where = "stored but never credited by the journal" if key in stored \
            else "credited by the journal but the marker is missing"
        return Disagreement(seq, "month_credit", f"household_id={key[0]} period={key[1]}",
                            where)
    return None


def checkpoints(after: After) -> Disagreement | None:
    """Every stored checkpoint equals its ``seal_month`` record, and its signature holds."""
    state = after.state
    by_seq = {int(row["seq"]): row for row in after.checkpoints}
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
        reason = signature_problem(row, after.public_key, after.notes)
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
        document = checkpoint_document(row)
        key = Ed25519PublicKey.from_public_bytes(public_key)
        key.verify(bytes.fromhex(str(row["signature"])), canonical_bytes(document))
    except Exception:  # any malformed key or signature is simply "does not verify"
        return False
    return True


def registry(after: After) -> Disagreement | None:
    """The registry tables and the journal's request hashes (``tables``); an export does not
    carry them, and the report says so."""
    source = after.source
    rows, requests = getattr(source, "registry_rows", None), getattr(source, "request_rows", None)
    if not callable(rows) or not callable(requests):
        after.outcome.unchecked.append(
            "registry tables (household, merchant, month, purchase, rule_set) and the journal's "
            "request hashes: compared on a database only, an export does not carry them")
        return None
    return registry_tables.registry(rows(), after.state) or registry_tables.requests(requests())


def rederived(after: After) -> Disagreement | None:
    """Every month run's amounts from the journal's rules and the facts the source gives
    (``facts_rows``; ``None``: not given, the report says which checks could not run)."""
    read = getattr(after.source, "facts_rows", None)
    rows = read() if callable(read) else None
    state, outcome = after.state, after.outcome
    erased = [h for h, s in state.books.households.items() if s.erased]
    bad, done = state.rederive.finish(rows, erased)
    outcome.households, outcome.erased, outcome.months = done.households, done.erased, done.months
    outcome.unchecked.extend(done.unchecked)
    return bad


def manifest(after: After) -> Disagreement | None:
    """An export's files against its manifest's sha256."""
    check = getattr(after.tables, "manifest_problem", None)
    problem = check() if callable(check) else None
    if problem is None:
        return None
    seq = max(after.state.records, 1)
    return Disagreement(seq, "manifest", f"file={problem[0]}", problem[1])


AFTER_WALK: tuple[Check, ...] = (
    head, balances, invariants, lots, credited, checkpoints, registry, rederived, manifest,
)


def run(after: After) -> Disagreement | None:
    """Every check of ``AFTER_WALK``, in order; the first disagreement, or ``None``."""
    for check in AFTER_WALK:
        bad = check(after)
        if bad is not None:
            return bad
    return None


# What a report's ``checks`` lists: every comparison ``verify`` makes (docs/verifier.md), in
# the walk (``replay.step``) and after it (``AFTER_WALK``).
DESCRIPTIONS = (
    "journal chain: format, gapless seq, prev_hash, hash of every record",
    "every command re-applied by the engine (a refusal is a disagreement)",
    "ledger_entry and posting: every stored entry equals the replayed one",
    "seal_month: journal size, head hash, balances digest, run fingerprint, invariants",
    "run_month: rule_set_hash is an adopted rule document's, the one in force for the month",
    "run_month: unspent-credit policy is the rule document's",
    "run_month: each household's facts commitment is the one in force in the journal",
    "run_month: every contribution, credit and funder share re-derived with the engine from "
    "the rule document and the facts behind each commitment (facts re-hashed first)",
    "balance: every stored balance equals the replayed one",
    "books invariants: trial balance, backing, no credit below zero, lots equal credit",
    "credit_lot, month_credit: every lot and exactly-once marker",
    "checkpoint: every row equals its seal_month record; signatures verify",
    "household, merchant, month, purchase (database): every row equals the replayed state, "
    "none missing or extra; consent-code hashes in the one accepted form",
    "rule_set (database): every adopted row is its adopt_rule_set record, its document "
    "hashes to the adopted hash",
    "journal request_hash and result seq (database): recomputed from each record",
    "manifest (export): every file's sha256 is the manifest's, every file listed",
)
