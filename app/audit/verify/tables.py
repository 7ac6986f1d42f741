"""The registry tables compared with the replay (database source): every table that decides
money or access and is not compared elsewhere.

- ``household``: each row read as the books read it (``app.db.row_states``) equals the
  replayed state (pseudonymous id, first month, facts commitment, erased); its consent-code
  hash is in the one accepted form (``app.db.consent_hash``; its value is keyed by the
  server's secret, which the verifier does not hold, so only the form is checked);
- ``merchant``, ``month`` (status and unspent-credit policy), ``purchase`` (amounts,
  refunds, the expiry the refund lots inherit): each row equals the replayed state, and no
  row is missing or extra;
- ``rule_set``: every adopted row is an ``adopt_rule_set`` record (id, version, hash, month,
  decision, seq) and its stored document hashes to that record's hash; drafts are never read
  by a run (``rule_set_in_force`` reads adopted rows only) and are not compared;
- ``journal.request_hash``: recomputed from the record (``journal.request_digest``), since it
  decides whether a retried key returns the stored result or a conflict; the stored
  ``result``'s ``seq`` is the record's (the rest of a result is what a retried request is
  told, not money: the effects it describes are compared as entries and balances).

A disagreement is reported at the row's ``last_seq`` (a missing row: at the end of the walk).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from app.audit.verify.finding import Disagreement
from app.db.consent_hash import well_formed
from app.db.row_states import household_state, merchant_state, purchase_state, unspent_policy
from app.engine.books.state import MonthState
from app.engine.canonical import content_hash
from app.engine.period import Period

if TYPE_CHECKING:
    from app.audit.verify.replay import Replayed

TABLES = ("household", "merchant", "month", "purchase", "rule_set")


def registry(rows: Mapping[str, list[Any]], state: Replayed) -> Disagreement | None:
    """The first stored registry row that differs from the replay, table by table."""
    books = state.books
    end = max(state.records, 1)
    return (
        _consent(rows["household"])
        or _compare(
            "household",
            rows["household"],
            books.households,
            lambda r: r.household_id,
            household_state,
            end,
        )
        or _compare(
            "merchant",
            rows["merchant"],
            books.merchants,
            lambda r: r.merchant_id,
            merchant_state,
            end,
        )
        or _compare(
            "month",
            rows["month"],
            books.months,
            lambda r: Period.parse(r.period),
            lambda r: MonthState(Period.parse(r.period), r.status, unspent_policy(r)),
            end,
        )
        or _compare(
            "purchase",
            rows["purchase"],
            books.purchases,
            lambda r: (r.merchant_id, r.purchase_id),
            purchase_state,
            end,
        )
        or _rule_sets(rows["rule_set"], state)
    )


def _consent(rows: Iterable[Any]) -> Disagreement | None:
    for row in rows:
        if not well_formed(row.consent_code_hash):
            return Disagreement(
                int(row.last_seq),
                "household",
                f"household_id={row.household_id}",
                "consent_code_hash is not in the one accepted form (hmac_sha256$<32 hex>$<64 hex>)",
            )
    return None


def _compare(
    table: str,
    rows: Iterable[Any],
    replayed: Mapping[Any, Any],
    key: Callable[[Any], Hashable],
    state_of: Callable[[Any], Any],
    end: int,
) -> Disagreement | None:
    """Rows against replayed states by key; the earliest (by stored ``last_seq``) that
    differs, or a row missing from storage (reported at ``end``)."""
    found: list[tuple[int, str, str]] = []
    seen = set()
    for row in rows:
        k = key(row)
        seen.add(k)
        mine = replayed.get(k)
        stored = state_of(row)
        if mine is None:
            found.append(
                (int(row.last_seq), _name(k), "stored row was never written by the journal")
            )
        elif stored != mine:
            found.append((int(row.last_seq), _name(k), f"stored {stored!r}, replay gives {mine!r}"))
    for k in replayed:
        if k not in seen:
            found.append((end, _name(k), "written by the journal but missing from storage"))
    if not found:
        return None
    seq, name, reason = min(found)
    return Disagreement(seq, table, name, reason)


def _name(key: Any) -> str:
    if isinstance(key, tuple):
        return f"merchant_id={key[0]} purchase_id={key[1]}"
    return f"id={key}"


def _rule_sets(rows: Iterable[Any], state: Replayed) -> Disagreement | None:
    records = {(a.rule_set_id, a.version): a for a in state.rederive.adopted}
    seen = set()
    for row in rows:
        if row.status != "adopted":
            continue  # a draft is never in force
        where = f"rule_set_id={row.rule_set_id} version={row.version}"
        record = records.get((row.rule_set_id, row.version))
        seq = int(row.adopted_seq or state.records)
        if record is None:
            return Disagreement(
                seq, "rule_set", where, "adopted row has no adopt_rule_set record in the journal"
            )
        seen.add((row.rule_set_id, row.version))
        stored = (row.content_hash, row.effective_from, row.decision, row.adopted_seq)
        journal = (record.content_hash, record.effective_from, record.decision, record.seq)
        if stored != journal:
            return Disagreement(
                record.seq,
                "rule_set",
                where,
                f"(content_hash, effective_from, "
                f"decision, adopted_seq) are {stored!r}, the journal says "
                f"{journal!r}",
            )
        actual = content_hash(json.loads(row.document))
        if actual != record.content_hash:
            return Disagreement(
                record.seq,
                "rule_set",
                where,
                f"the stored document hashes to "
                f"{actual}, the journal adopted {record.content_hash}",
            )
    for key, record in sorted(records.items()):
        if key not in seen:
            return Disagreement(
                record.seq,
                "rule_set",
                f"rule_set_id={key[0]} version={key[1]}",
                "adopted by the journal but no adopted row is stored",
            )
    return None


def requests(rows: Iterable[tuple[int, str, str, str, str]]) -> Disagreement | None:
    """Each record's stored request hash and result seq against the record."""
    # Imported here: ``app.audit.journal`` loads SQLAlchemy, which an export never needs.
    from app.audit.journal import request_digest

    for seq, kind, payload, stored_hash, result in rows:
        if request_digest(kind, payload) != stored_hash:
            return Disagreement(
                seq,
                "journal",
                f"seq={seq}",
                "request_hash is not the hash of the record's kind and payload",
            )
        try:
            told = json.loads(result).get("seq")
        except (ValueError, AttributeError):
            told = None
        if told != seq:
            return Disagreement(
                seq,
                "journal",
                f"seq={seq}",
                f"the stored result says seq {told!r}, the record is seq {seq}",
            )
    return None
