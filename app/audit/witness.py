"""The witness: an append-only file, outside the database, of signed journal heads.

Guarantees:

- every line is one JSON document ``{"format": "caisse.witness/1", "kind": "seal"|"head",
  "seq", "hash", ...}`` naming a journal record and its chained hash; a ``seal`` line also
  carries the month's signed checkpoint (with its Merkle root over the statements). Lines are
  signed (Ed25519, the fund's ``CAISSE_SIGNING_KEY``) over their canonical JSON without
  ``signature``/``public_key``; unsigned when the fund has no key;
- lines are only ever appended (``O_APPEND``, one ``write`` under an exclusive ``flock``,
  then ``fsync``), after the database committed what they name: a line never names a record
  the books may still roll back;
- ``check`` says whether the books extend every head the file holds: a record missing at a
  witnessed seq (truncation) or a different hash there (a rewrite, or a fork) is named by its
  seq. Because the hash chains every record before it, one matching head proves the whole
  prefix up to it.

What the witness cannot see: records appended behind the application's back after the last
head it holds (until a later head is witnessed, and then only if the forger did not also
control the application). A fund keeps the file (or copies: ``GET /v1/audit/checkpoints``)
where the database's administrator cannot rewrite it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from app.audit import checkpoint
from app.db import settings
from app.db import tables as t
from app.db.session import read_only
from app.engine.canonical import canonical_bytes

FORMAT = "caisse.witness/1"
KINDS = ("seal", "head")
_UNSIGNED = ("signature", "public_key")

# Per process: the highest seq this process knows the file holds (read once, then kept).
_known: dict[Path, int] = {}
_lock = threading.Lock()
log = logging.getLogger(__name__)


class WitnessError(ValueError):
    """A witness file that cannot be read as one (names the line)."""


@dataclass(frozen=True, slots=True)
class Finding:
    """Why the books do not extend a witnessed head."""

    seq: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "reason": self.reason}


def signed(document: Mapping[str, Any], key: Ed25519PrivateKey | None) -> dict[str, Any]:
    """``document`` with its signature and public key (none without a key)."""
    line = {k: v for k, v in document.items() if k not in _UNSIGNED}
    if key is not None:
        line["signature"] = key.sign(canonical_bytes(line)).hex()
        line["public_key"] = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    return line


def signature_holds(line: Mapping[str, Any], public_key: bytes | None) -> str | None:
    """Why ``line``'s signature does not hold, or ``None``. With ``public_key`` (the fund's
    own key) every line must be signed with it; without, a signed line must verify with the
    key beside it and an unsigned one passes."""
    signature, beside = line.get("signature"), line.get("public_key")
    if not signature:
        return None if public_key is None else "is not signed but a public key was given"
    try:
        key = public_key if public_key is not None else bytes.fromhex(str(beside))
        if beside and public_key is not None and bytes.fromhex(str(beside)) != public_key:
            return "was signed with another key than the one given"
        body = {k: v for k, v in line.items() if k not in _UNSIGNED}
        Ed25519PublicKey.from_public_bytes(key).verify(
            bytes.fromhex(str(signature)), canonical_bytes(body)
        )
    except Exception:  # a malformed key or signature is simply "does not verify"
        return "signature does not verify"
    return None


def append(path: Path, line: Mapping[str, Any]) -> None:
    """Append one line: one ``write`` with ``O_APPEND`` under an exclusive lock, then fsync."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)  # closing releases the lock
    with _lock:
        _known[path] = max(_known.get(path, 0), int(line["seq"]))


def read(path: Path) -> list[dict[str, Any]]:
    """Every line of the witness file, checked for shape (``WitnessError`` names the line)."""
    lines: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as stream:
        for number, text in enumerate(stream, start=1):
            if not text.strip():
                continue
            lines.append(_line(text, number, path))
    return lines


def _line(text: str, number: int, path: Path) -> dict[str, Any]:
    where = f"{path} line {number}"
    try:
        line = json.loads(text)
    except ValueError as error:
        raise WitnessError(f"{where}: not JSON ({error})") from error
    if not isinstance(line, dict) or line.get("format") != FORMAT:
        raise WitnessError(f"{where}: expected a {FORMAT} document")
    if line.get("kind") not in KINDS:
        raise WitnessError(f"{where}: kind must be one of {', '.join(KINDS)}")
    seq, hashed = line.get("seq"), line.get("hash")
    if type(seq) is not int or seq < 1:
        raise WitnessError(f"{where}: seq must be a whole number from 1, got {seq!r}")
    if not isinstance(hashed, str) or len(hashed) != 64:
        raise WitnessError(f"{where}: hash must be 64 hex digits, got {hashed!r}")
    return line


def last_seq(path: Path) -> int:
    """The highest seq the file holds (0 when it does not exist); read once per process."""
    with _lock:
        known = _known.get(path)
    if known is not None:
        return known
    highest = max((int(line["seq"]) for line in read(path)), default=0) if path.exists() else 0
    with _lock:
        _known[path] = max(_known.get(path, 0), highest)
        return _known[path]


def head_line(seq: int, hashed: str) -> dict[str, Any]:
    return signed(
        {"format": FORMAT, "kind": "head", "seq": seq, "hash": hashed},
        checkpoint.signing_key_from_env(),
    )


def seal_line(
    session: Session, period: str, key: Ed25519PrivateKey | None = None
) -> dict[str, Any]:
    """The witness line of ``period``'s seal: its record and its signed checkpoint (the line
    signed with ``key``, else the key of ``CAISSE_SIGNING_KEY`` when set)."""
    row = session.get(t.Checkpoint, period)
    if row is None:
        raise LookupError(f"month {period} has no checkpoint")
    record = session.get(t.Journal, row.seq)
    if record is None:
        raise LookupError(f"the seal of {period} has no journal record at seq {row.seq}")
    sealed = {
        **checkpoint.checkpoint_document(row),
        "signature": row.signature,
        "public_key": row.public_key,
    }
    document = {
        "format": FORMAT,
        "kind": "seal",
        "seq": row.seq,
        "hash": record.hash,
        "period": period,
        "checkpoint": sealed,
    }
    return signed(document, key if key is not None else checkpoint.signing_key_from_env())


def after_commit(
    db: Engine | Session, work: Callable[[Engine], object], once_as: str | None = None
) -> None:
    """Run ``work(engine)`` once what ``db`` holds is committed: now for an engine (its
    transaction is over), at the session's next commit for a caller's session. ``work`` reads
    what is committed through a connection of its own, so a rolled-back command is never
    witnessed. A witness that cannot be written is logged, never raised: the command it
    follows is committed already (the next head or seal covers it). ``once_as``: a name under
    which ``work`` is scheduled at most once per pending commit of a session (the many
    commands of one transaction ask for one head, not one each)."""

    def run(engine: Engine) -> None:
        try:
            work(engine)
        except (OSError, ValueError, LookupError, SQLAlchemyError) as error:
            log.warning("the witness file was not written: %s: %s", type(error).__name__, error)

    if isinstance(db, Engine):
        run(db)
        return
    bind = db.get_bind()
    if not isinstance(bind, Engine):
        return
    pending: set[str] = db.info.setdefault("caisse_witness_pending", set())
    if once_as is not None:
        if once_as in pending:
            return
        pending.add(once_as)

    done = False

    def committed(session: Session) -> None:
        nonlocal done
        # "after_commit" also fires when a savepoint is released: wait for the real commit.
        if done or session.in_nested_transaction():
            return
        done = True
        pending.discard(once_as or "")
        run(bind)

    event.listen(db, "after_commit", committed)


def seal_committed(db: Engine | Session, period: str, key: Ed25519PrivateKey | None = None) -> None:
    """Witness ``period``'s seal once it is committed (a replayed seal adds no second line)."""

    def work(engine: Engine) -> None:
        path = settings.witness_file()
        with read_only(engine) as session:
            line = seal_line(session, period, key)
        if path.exists() and any(
            old.get("kind") == "seal" and old.get("seq") == line["seq"] for old in read(path)
        ):
            return
        append(path, line)

    after_commit(db, work)


def head_committed(db: Engine | Session, seq: int) -> None:
    """Called with each command's seq: once ``CAISSE_WITNESS_EVERY`` records passed since the
    last head this process knows the file holds, witness the committed head. Cheap when not
    (an environment read and two integer compares)."""
    try:
        every = settings.witness_every()
        if every <= 0 or seq - last_seq(settings.witness_file()) < every:
            return
    except (OSError, ValueError) as error:
        log.warning("the witness file was not read: %s: %s", type(error).__name__, error)
        return
    after_commit(db, witness_now, once_as="head")


def witness_now(engine: Engine) -> dict[str, Any] | None:
    """Witness the committed head now (also ``caisse witness``); ``None`` on an empty
    journal."""
    with read_only(engine) as session:
        row = session.execute(
            select(col(t.Journal.seq), col(t.Journal.hash))
            .order_by(col(t.Journal.seq).desc())
            .limit(1)  # the ORM's first() fetches every row first: 100k+ journal rows
        ).first()
    if row is None:
        return None
    line = head_line(int(row[0]), str(row[1]))
    append(settings.witness_file(), line)
    return line


HashesAt = Callable[[Sequence[int]], tuple[dict[int, str], int]]


def database_hashes(engine: Engine) -> HashesAt:
    """The journal's hashes at given seqs, and its last seq, read from the database."""

    def at(seqs: Sequence[int]) -> tuple[dict[int, str], int]:
        with engine.connect() as conn:
            last = conn.execute(select(func.max(col(t.Journal.seq)))).scalar_one_or_none()
            found: dict[int, str] = {}
            for start in range(0, len(seqs), 500):
                chunk = list(seqs[start : start + 500])
                rows = conn.execute(
                    select(col(t.Journal.seq), col(t.Journal.hash)).where(
                        col(t.Journal.seq).in_(chunk)
                    )
                )
                found.update({int(s): str(h) for s, h in rows})
        return found, int(last or 0)

    return at


def records_hashes(records: Callable[[], Iterable[Mapping[str, Any]]]) -> HashesAt:
    """The same from any journal records (an export's ``journal.jsonl``), in one pass."""

    def at(seqs: Sequence[int]) -> tuple[dict[int, str], int]:
        wanted, found, last = set(seqs), {}, 0
        for record in records():
            last = int(record["seq"])
            if last in wanted:
                found[last] = str(record["hash"])
        return found, last

    return at


def check(
    lines: Sequence[Mapping[str, Any]], hashes_at: HashesAt, public_key: bytes | None
) -> Finding | None:
    """The first witnessed head (by seq) the books do not extend, or a line whose signature
    does not hold; ``None`` when the books extend every head the file holds."""
    for line in lines:
        reason = signature_holds(line, public_key)
        if reason is not None:
            return Finding(int(line["seq"]), f"the witness line of seq {line['seq']} {reason}")
    ordered = sorted(lines, key=lambda line: int(line["seq"]))
    found, last = hashes_at([int(line["seq"]) for line in ordered])
    for line in ordered:
        seq, kept = int(line["seq"]), str(line["hash"])
        what = f"the {line['kind']}" + (f" of {line['period']}" if "period" in line else "")
        if seq > last:
            return Finding(
                seq,
                f"the books end at seq {last} but the witness holds {what} at "
                f"seq {seq} ({kept}): records were removed (truncation)",
            )
        if found.get(seq) != kept:
            return Finding(
                seq,
                f"the record at seq {seq} has hash {found.get(seq)} but the "
                f"witness kept {kept} for {what}: the books were rewritten "
                "or forked at or before it",
            )
    return None


def check_source(path: Path, source: Any, public_key: bytes | None) -> dict[str, Any]:
    """``check`` of the witness file at ``path`` against a verifier's source (the database's
    journal read by seq, or an export's journal read once), as the report's ``witness``."""
    from app.audit.sources import DbSource  # the sources module loads the verifier's readers

    lines = read(path)
    if isinstance(source, DbSource):
        hashes_at = database_hashes(source.engine)
    else:
        hashes_at = records_hashes(source.records)
    finding = check(lines, hashes_at, public_key)
    return {
        "file": str(path),
        "lines": len(lines),
        "last_witnessed_seq": max((int(line["seq"]) for line in lines), default=0),
        "ok": finding is None,
        "first_disagreement": None if finding is None else finding.as_dict(),
    }
