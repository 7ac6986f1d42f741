"""Free text out of the append-only journal: references and reasons (issue 10).

A payment's or a settlement's bank reference often carries a payer's name; a reason is
whatever an operator typed. The journal cannot forget, so it never sees them:

- ``seal(db, key, {"reference": text})`` gives each field a salted commitment,
  ``content_hash({"salt", "text"})`` (``sha256:<hex>``, the engine's one canonical hash),
  which the command's payload carries instead of the text. The text and its salt are kept in
  ``free_text`` (app.db.tables_free_text) by ``keep``, the command's ``side`` write, in the
  command's own transaction, keyed by its journal record and field.
- A retry with the same idempotency key and the same text gets the same salt back (read from
  the record the key wrote), so the same payload and the journal's replay; another text under
  the key is another payload, refused as any reused key is (409).
- ``reveal`` gives the text of a record's field when it is still kept and matches its
  commitment; ``readable`` puts the texts back into a line that quotes commitments (an
  entry's memo). ``erase`` deletes the text and the salt: the record still verifies (the
  replay reads only the commitment), and nobody can test a guess against it any more.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlmodel import Session, col

from app.db import tables as t
from app.db.session import read_only
from app.db.tables_free_text import FreeText
from app.engine.canonical import content_hash
from app.services.writes.execute import Db

ERASED = "[effacé]"  # what a line shows where an erased text was
COMMITMENT = re.compile(r"sha256:[0-9a-f]{64}")


def commitment(salt: str, text: str) -> str:
    """The commitment a payload carries for ``text``."""
    return content_hash({"salt": salt, "text": text})


@dataclass(frozen=True, slots=True)
class Sealed:
    """The texts of one command: ``payload`` fields (commitments) and what ``keep`` writes."""

    commitments: dict[str, str]
    kept: dict[str, tuple[str, str]]  # field -> (salt, text)

    def keep(self, session: Session, seq: int) -> None:
        """The command's ``side`` write: the texts and salts, keyed by its record."""
        for field, (salt, text) in sorted(self.kept.items()):
            session.merge(FreeText(seq=seq, field=field, salt=salt, text=text))


def seal(db: Db, idempotency_key: str, texts: Mapping[str, str]) -> Sealed:
    """Commitments for ``texts`` (field -> text), reusing the salts of the record this
    idempotency key already wrote when its texts are the same (a retry)."""
    earlier = _kept_under(db, idempotency_key)
    commitments: dict[str, str] = {}
    kept: dict[str, tuple[str, str]] = {}
    for field, text in texts.items():
        previous = earlier.get(field)
        salt = (
            previous[0] if previous is not None and previous[1] == text else secrets.token_hex(16)
        )
        commitments[field] = commitment(salt, text)
        kept[field] = (salt, text)
    return Sealed(commitments, kept)


def _kept_under(db: Db, idempotency_key: str) -> dict[str, tuple[str, str]]:
    statement = (
        select(col(FreeText.field), col(FreeText.salt), col(FreeText.text))
        .join(t.Journal, col(t.Journal.seq) == col(FreeText.seq))
        .where(col(t.Journal.idempotency_key) == idempotency_key)
    )
    if isinstance(db, Session):
        rows = db.execute(statement).all()
    else:
        with read_only(db) as session:
            rows = session.execute(statement).all()
    return {str(field): (str(salt), str(text)) for field, salt, text in rows}


def reveal(session: Session, seq: int, field: str, committed: str) -> str | None:
    """The text of ``field`` of record ``seq`` if still kept and matching ``committed``."""
    row = session.get(FreeText, (seq, field))
    if row is None or commitment(row.salt, row.text) != committed:
        return None
    return row.text


def texts_of(session: Session, seqs: list[int]) -> dict[str, str]:
    """Commitment -> text for every text still kept for the records ``seqs``."""
    if not seqs:
        return {}
    rows = session.execute(select(FreeText).where(col(FreeText.seq).in_(sorted(set(seqs)))))
    return {commitment(row.salt, row.text): row.text for row in rows.scalars()}


def readable(line: str, texts: Mapping[str, str]) -> str:
    """``line`` with each commitment it quotes replaced by its text (``ERASED`` if gone)."""
    return COMMITMENT.sub(lambda found: texts.get(found.group(), ERASED), line)


def readable_in(session: Session) -> Callable[[str, int], str]:
    """``readable`` for lines of many records, reading each record's texts once."""
    cache: dict[int, dict[str, str]] = {}

    def show(line: str, seq: int) -> str:
        if COMMITMENT.search(line) is None:
            return line
        if seq not in cache:
            cache[seq] = texts_of(session, [seq])
        return readable(line, cache[seq])

    return show


def erase(session: Session, seq: int, field: str | None = None) -> int:
    """Forget the text(s) and salt(s) of record ``seq`` (one ``field`` or all); how many."""
    statement = delete(FreeText).where(col(FreeText.seq) == seq)
    if field is not None:
        statement = statement.where(col(FreeText.field) == field)
    result = session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


def erase_household(session: Session, household_id: str) -> int:
    """Forget every text of the records that moved the household's accounts (its payments'
    references, the reasons of their reversals): part of erasing a member."""
    accounts = [f"411:{household_id}", f"419:{household_id}"]
    seqs = select(col(t.Posting.seq)).where(col(t.Posting.account).in_(accounts))
    result = session.execute(delete(FreeText).where(col(FreeText.seq).in_(seqs)))
    return int(getattr(result, "rowcount", 0) or 0)
