"""The hash chain, canonical record bytes, digests, and replay reporting the first bad seq."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.audit.verify import Disagreement
from app.engine.books.digest import balances_digest, run_fingerprint
from app.engine.books.entries import Entry, Posting, entry_as_dict, entry_from_dict
from app.engine.books.journal import (
    GENESIS_HASH,
    build_record,
    record_hash,
    verify_chain,
    verify_chain_reason,
)
from app.engine.canonical import canonical_bytes
from tests.engine.test_books_support import (
    EXPIRE_2,
    Driver,
    approve,
    buy,
    enrol,
    funding,
    line,
    payment,
    replay,
    run,
    settle,
)


def month_journal() -> Driver:
    d = Driver()
    d.do("enrol_household", enrol("hh_a"))
    d.do("enrol_household", enrol("hh_b"))
    d.do("approve_merchant", approve("m1"))
    d.do("record_funding", funding(50_000))
    d.do(
        "run_month", run("2026-01", [line("hh_a", 2000, 9000), line("hh_b", 4000, 9000)], EXPIRE_2)
    )
    d.do("purchase", buy("p1", "hh_a", "m1", 3000))
    d.do("record_payment", payment("hh_b", 4000))
    d.do("settle_merchants", settle([("m1", 3000)]))
    d.do("expire_credit", {"period": "2026-01", "household_ids": ["hh_a", "hh_b"]})
    d.do("close_month", {"period": "2026-01"})
    d.do(
        "seal_month",
        {
            "period": "2026-01",
            "journal_size": d.next_seq - 1,
            "head_hash": d.head,
            "balances_digest": balances_digest(d.books.balances),
            "engine_version": "0.1",
            "run_fingerprint": run_fingerprint("2026-01", d.records),
        },
    )
    return d


def test_record_hash_is_sha256_of_prev_hash_then_canonical_record() -> None:
    record = build_record(
        seq=1,
        prev_hash=GENESIS_HASH,
        recorded_at="2026-11-26T10:00:00Z",
        actor="operator:tok",
        kind="close_month",
        idempotency_key="k",
        payload={"period": "2026-01"},
    )
    body = {k: v for k, v in record.items() if k != "hash"}
    expected = hashlib.sha256(GENESIS_HASH.encode() + canonical_bytes(body)).hexdigest()
    assert record["hash"] == expected == record_hash(record)
    assert canonical_bytes(body).startswith(b'{"actor":"operator:tok","format":"caisse.journal/1"')


def test_an_intact_journal_verifies() -> None:
    assert verify_chain(month_journal().records) is None


def test_a_gap_in_seq_is_reported_at_the_missing_seq() -> None:
    records = month_journal().records
    assert verify_chain(records[:3] + records[4:]) == 4


def _mutations(record: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key in (
        "seq",
        "recorded_at",
        "actor",
        "kind",
        "idempotency_key",
        "prev_hash",
        "hash",
        "format",
    ):
        changed = copy.deepcopy(record)
        changed[key] = changed[key] + 1 if isinstance(changed[key], int) else changed[key] + "x"
        out.append(changed)
    for key in record["payload"]:
        changed = copy.deepcopy(record)
        value = changed["payload"][key]
        changed["payload"][key] = value + 1 if isinstance(value, int) else [value]
        out.append(changed)
    return out


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_single_modified_record_is_named_by_its_seq(data: st.DataObject) -> None:
    records = month_journal().records
    index = data.draw(st.integers(0, len(records) - 1))
    mutation = data.draw(st.sampled_from(_mutations(records[index])))
    tampered = [*records[:index], mutation, *records[index + 1 :]]
    assert verify_chain(tampered) == index + 1
    found = replay(tampered).disagreement
    assert found is not None and (found.seq, found.table) == (index + 1, "journal")


def test_chain_reason_says_what_broke() -> None:
    records = month_journal().records
    records[2] = {**records[2], "actor": "intruder"}
    bad = verify_chain_reason(records)
    assert bad is not None and bad[0] == 3 and "hash does not match" in bad[1]


def test_replay_reproduces_the_books_and_accepts_the_seal() -> None:
    d = month_journal()
    result = replay(d.records)
    assert result.ok, result.disagreement
    assert result.records == 11
    assert result.books.balances == d.books.balances
    assert result.books.entries == d.books.entries
    assert result.head_hash == d.head


def _stored(d: Driver) -> dict[int, list[Entry]]:
    stored: dict[int, list[Entry]] = {}
    for entry in d.books.entries:
        stored.setdefault(entry.seq, []).append(entry)
    return stored


def test_replay_names_the_seq_of_a_tampered_ledger_entry() -> None:
    d = month_journal()
    stored = _stored(d)
    purchase = stored[6][0]
    stored[6] = [purchase._replace(postings=(Posting("419:hh_a", 2000), Posting("401:m1", -2000)))]
    result = replay(d.records, entries=stored)
    assert result.disagreement == Disagreement(
        6, "posting", "entry_id=6.0 line=0",
        "stored posting Posting(account='419:hh_a', amount_cents=2000), "
        "replay gives Posting(account='419:hh_a', amount_cents=3000)", "419:hh_a",
    )


def test_replay_names_an_entry_without_a_journal_record() -> None:
    d = month_journal()
    stored = _stored(d)
    stored[99] = [
        Entry(
            "99.0",
            99,
            stored[6][0].period,
            "purchase",
            "x",
            (Posting("512", -1), Posting("401:m1", 1)),
        )
    ]
    assert replay(d.records, entries=stored).disagreement == Disagreement(
        99, "ledger_entry", "entry_id=99.0", "stored entries at seq 99 have no journal record"
    )


def test_replay_names_the_last_seq_touching_a_tampered_balance() -> None:
    d = month_journal()
    balances = dict(d.books.balances)
    balances["401:m1"] += 1
    result = replay(d.records, _stored(d), balances)
    # the settlement (seq 8) last touched 401:m1
    assert result.disagreement == Disagreement(
        8, "balance", "account=401:m1", "stored balance is 1 cents, replay gives 0", "401:m1"
    )


def test_a_seal_with_a_wrong_digest_is_the_first_disagreement() -> None:
    d = month_journal()
    records = d.records[:-1]
    seal = dict(d.records[-1]["payload"], balances_digest="sha256:" + "0" * 64)
    records.append(
        build_record(
            seq=11,
            prev_hash=records[-1]["hash"],
            recorded_at="t",
            actor="a",
            kind="seal_month",
            idempotency_key="k",
            payload=seal,
        )
    )
    result = replay(records)
    assert result.disagreement == Disagreement(
        11, "journal", "seq=11", "seal balances_digest differs from the replayed balances "
        f"({balances_digest(d.books.balances)})",
    )


def test_balances_digest_ignores_zero_balances_and_order() -> None:
    assert balances_digest({"512": 5, "756": -5, "411:x": 0}) == balances_digest(
        {"756": -5, "512": 5}
    )
    assert balances_digest({"512": 5, "756": -5}) != balances_digest({"512": 6, "756": -6})


def test_entries_round_trip_through_their_json_form() -> None:
    for entry in month_journal().books.entries:
        assert entry_from_dict(entry_as_dict(entry)) == entry


def _documented_payloads() -> dict[str, dict[str, Any]]:
    import json
    import re
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "journal.md").read_text(encoding="utf-8")
    examples = {}
    for section in text.split("\n### ")[1:]:
        kind = section.split("\n", 1)[0].strip()
        body = re.search(r"```json\n(.*?)```", section, flags=re.S)
        if body is not None:
            examples[kind] = json.loads(body.group(1))
    return examples


def test_every_command_kind_is_documented_with_a_well_formed_payload() -> None:
    from app.engine.books import KINDS, Command, InvalidCommand, MemoryBooks, apply
    from app.engine.books.errors import BooksError

    examples = _documented_payloads()
    assert sorted(examples) == sorted(KINDS)
    for kind, payload in examples.items():
        seq = payload["journal_size"] + 1 if kind == "seal_month" else 1
        try:
            apply(MemoryBooks(), Command(kind, payload), seq)
        except InvalidCommand as error:  # a state refusal (NotFound...) is fine here
            raise AssertionError(f"{kind}: {error}") from error
        except BooksError:
            pass


def test_invariants_of_bare_balances_name_each_broken_rule() -> None:
    from app.engine.books.invariants import check_invariants

    assert check_invariants({"512": 100, "756": -100}) == []
    paths = [p.path for p in check_invariants({"512": 100, "419:hh_a": 50, "756": -100})]
    assert paths == ["trial_balance", "419:hh_a"]
    paths = [p.path for p in check_invariants({"6571": 500, "419:hh_a": -500})]
    assert paths == ["backing"]


def test_a_well_chained_record_the_engine_refuses_is_the_first_disagreement() -> None:
    import gc

    d = month_journal()
    records = d.records[:6]  # up to the month run; the purchase at seq 6 is replaced
    overdraw = buy("p9", "hh_a", "m1", 9001)
    records[5] = build_record(
        seq=6,
        prev_hash=records[4]["hash"],
        recorded_at="t",
        actor="a",
        kind="purchase",
        idempotency_key="k",
        payload=overdraw,
    )
    result = replay(records)
    assert result.disagreement == Disagreement(
        6, "journal", "seq=6", "the engine refuses this purchase on replay: "
        "amount_cents: credit available 90,00 €, requested 90,01 €",
    )
    assert gc.isenabled()


def test_check_effects_refuses_credit_the_fund_cannot_back() -> None:
    from app.engine.books import Command, apply
    from app.engine.books.invariants import check_effects

    d = Driver()
    d.do("enrol_household", enrol("hh_a"))
    d.do("record_funding", funding(5000))
    books = d.books
    backed = apply(books, Command("run_month", run("2026-01", [line("hh_a", 0, 5000)])), 3)
    assert check_effects(books.balance_cents, books.code_totals, backed) == []
    phantom = apply(books, Command("run_month", run("2026-01", [line("hh_a", 0, 5001)])), 3)
    problems = check_effects(books.balance_cents, books.code_totals, phantom)
    assert [p.path for p in problems] == ["backing"]
