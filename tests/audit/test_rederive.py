"""Re-derivation (issue 10): ``caisse verify`` recomputes every month run's contributions and
credits from the journal's rule document and the facts behind each salted commitment, on the
database and on an export with or without the operator's facts file; tampering with the facts
(change, delete, insert, swap) or the rules is named by household and month."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from app.engine.commitment import facts_commitment
from app.services.households import Facts, change_facts
from app.services.money import reverse_entry
from app.services.months import run_month
from tests.audit.books import live_a_year
from tests.audit.support import run_cli, scalar, tamper
from tests.services.helpers import small_fund, w

REDERIVE_CHECK = (
    "run_month: every contribution, credit and funder share re-derived with the engine from "
    "the rule document and the facts behind each commitment (facts re-hashed first)"
)

REGISTRY_NOTE = (
    "registry tables (household, merchant, month, purchase, rule_set) and the journal's "
    "request hashes: compared on a database only, an export does not carry them"
)
NO_FACTS_NOTE = (
    "amounts not re-derived: no facts given (the journal's rules and commitments were "
    "checked; pass --facts FILE from `caisse export facts` to re-derive)"
)


@pytest.fixture()
def year(engine: Engine, db_url: str) -> str:
    live_a_year(engine)
    return db_url


def _verify(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    return run_cli(capsys, "verify", *argv)


def _run_seq(url: str, period: str, household: str) -> int:
    """The seq of the run_month record of ``period`` that holds ``household``'s line."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT seq, payload FROM journal WHERE kind = 'run_month' ORDER BY seq")
            ).all()
    finally:
        engine.dispose()
    for seq, payload in rows:
        data = json.loads(payload)
        if data["period"] == period and any(
            h["household_id"] == household for h in data["households"]
        ):
            return int(seq)
    raise AssertionError(f"no run of {period} holds {household}")


def test_every_run_is_rederived_on_the_database_and_erased_facts_are_not_a_failure(
    year: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = _verify(capsys, "--database", year)
    assert code == 0, report["first_disagreement"]
    # 2026-11: hh_a, hh_b re-derived, hh_c erased after the month; 2026-12: hh_a, hh_b.
    assert report["rederived"]["households"] == 4
    assert report["rederived"]["erased"] == 1
    assert report["rederived"]["months"] == 2
    assert REDERIVE_CHECK in report["checks"]
    assert report["not_checked"] == []


def test_an_export_without_facts_says_it_did_not_rederive_and_with_them_it_does(
    year: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export, facts = tmp_path / "export", tmp_path / "facts.jsonl"
    assert run_cli(capsys, "export", "journal", str(export), "--database", year)[0] == 0
    code, written = run_cli(capsys, "export", "facts", str(facts), "--database", year)
    assert (code, written["households_facts"]) == (0, 2)  # hh_a, hh_b (hh_c erased)
    code, report = _verify(capsys, "--export", str(export))
    assert code == 0
    assert report["rederived"]["households"] == 0
    assert report["not_checked"] == [REGISTRY_NOTE, NO_FACTS_NOTE]
    code, report = _verify(capsys, "--export", str(export), "--facts", str(facts))
    assert code == 0, report["first_disagreement"]
    assert (report["rederived"]["households"], report["rederived"]["erased"]) == (4, 1)
    assert report["not_checked"] == [REGISTRY_NOTE]


def test_a_changed_fact_in_the_facts_file_is_named_by_household(
    year: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export, facts = tmp_path / "export", tmp_path / "facts.jsonl"
    run_cli(capsys, "export", "journal", str(export), "--database", year)
    run_cli(capsys, "export", "facts", str(facts), "--database", year)
    lines = [json.loads(x) for x in facts.read_text("utf-8").splitlines()]
    changed = next(x for x in lines if x["household_id"] == "hh_a")
    changed["facts"]["income_cents"] += 1
    facts.write_text("".join(json.dumps(x) + "\n" for x in lines), "utf-8")
    code, report = _verify(capsys, "--export", str(export), "--facts", str(facts))
    first = report["first_disagreement"]
    assert code == 1
    assert (first["seq"], first["table"], first["row"]) == (
        _run_seq(year, "2026-11", "hh_a"),
        "household_facts",
        "household_id=hh_a",
    )
    assert "facts.jsonl line" in first["reason"]


def test_a_facts_file_line_that_is_not_a_preimage_cannot_be_read(
    year: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export, facts = tmp_path / "export", tmp_path / "facts.jsonl"
    run_cli(capsys, "export", "journal", str(export), "--database", year)
    facts.write_text('{"household_id": "hh_a"}\n', "utf-8")
    code, report = _verify(capsys, "--export", str(export), "--facts", str(facts))
    assert code == 2
    assert "line 1: expected an object with household_id" in report["error"]


@pytest.mark.parametrize(
    ("kind", "sql"),
    [
        (
            "change",
            "UPDATE household_facts SET income_cents = income_cents + 100 "
            "WHERE household_id = 'hh_b'",
        ),
        ("delete", "DELETE FROM household_facts WHERE household_id = 'hh_b'"),
        (
            "swap",
            "UPDATE household_facts SET income_cents = CASE household_id "
            "WHEN 'hh_a' THEN 80000 ELSE 200000 END "
            "WHERE household_id IN ('hh_a', 'hh_b')",
        ),
    ],
)
def test_tampered_facts_on_the_database_are_named_by_household(
    year: str, kind: str, sql: str, capsys: pytest.CaptureFixture[str]
) -> None:
    tamper(year, "household_facts", sql)
    code, report = _verify(capsys, "--database", year)
    first = report["first_disagreement"]
    assert code == 1, kind
    # hh_a sorts first in its run: a swap names hh_a, a change or delete of hh_b names hh_b.
    household = "hh_a" if kind == "swap" else "hh_b"
    assert (first["seq"], first["table"], first["row"]) == (
        _run_seq(year, "2026-11", household),
        "household_facts",
        f"household_id={household}",
    )
    assert "hash to the commitment" in first["reason"]


def test_an_inserted_facts_row_used_by_a_later_run_is_named_by_household_and_month(
    engine: Engine, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    small_fund(engine)
    # A forged row, consistent with itself (its own salt and commitment), later than the
    # journal's: the next run uses it, but the journal never committed to it.
    facts = {
        "income_cents": 1,
        "persons": ["1980-05-17"],
        "chosen_contribution_cents": None,
        "engagement_minutes": None,
        "attributes": {},
        "active_from": None,
        "active_until": None,
        "priority_tier": None,
    }
    forged = facts_commitment("00" * 16, "hh_a", "2026-12", facts)
    tamper(
        db_url,
        "household_facts",
        "INSERT INTO household_facts (household_id, from_period, seq, income_cents, persons, "
        "attributes, salt, commitment, erased) VALUES ('hh_a', '2026-12', 999, 1, "
        "'[\"1980-05-17\"]', '{}', :salt, :c, false)",
        salt="00" * 16,
        c=forged,
    )
    run_month(engine, "2026-12", **w())
    code, report = _verify(capsys, "--database", db_url)
    first = report["first_disagreement"]
    assert code == 1
    assert (first["seq"], first["table"], first["row"]) == (
        _run_seq(db_url, "2026-12", "hh_a"),
        "run_month",
        "period=2026-12 household_id=hh_a",
    )
    assert first["reason"].startswith(f"facts_commitment {forged} is not the household's")


def _unguard_rule_set(url: str, sql: str, **params: Any) -> None:
    """Change an adopted rule_set row behind the app's back (its triggers removed)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            else:
                for name in ("rule_set_adopted_no_update", "rule_set_adopted_immutable"):
                    conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
            conn.execute(text(sql), params)
    finally:
        engine.dispose()


def test_a_rule_document_changed_in_storage_then_used_is_named_at_the_run(
    engine: Engine, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    small_fund(engine)
    document = json.loads(scalar(db_url, "SELECT document FROM rule_set"))
    document["contribution"]["formula"]["rate"] = "0.05"
    _unguard_rule_set(
        db_url,
        "UPDATE rule_set SET document = :d",
        d=json.dumps(document, sort_keys=True, separators=(",", ":")),
    )
    run_month(engine, "2026-12", **w())
    code, report = _verify(capsys, "--database", db_url)
    first = report["first_disagreement"]
    assert code == 1
    assert (first["seq"], first["table"]) == (_run_seq(db_url, "2026-12", "hh_a"), "run_month")
    assert first["row"] == f"period=2026-12 seq={first['seq']}"
    assert "matches no adopted rule document in the journal" in first["reason"]


def test_a_rationed_run_is_rederived_and_a_changed_fact_is_named(
    engine: Engine, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # No subsidy: budget 5 000 + 2 000 = 7 000 for 30 000 of entitlements, so the credits are
    # rationed to 2 333 (hh_a) and 4 667 (hh_b); the run records the budget it used.
    small_fund(engine, subsidy_cents=0)
    payload = json.loads(scalar(db_url, "SELECT payload FROM journal WHERE kind = 'run_month'"))
    assert payload["rationing"] == {"budget_cents": 7_000, "entitlement_total_cents": 30_000}
    assert [h["credit_cents"] for h in payload["households"]] == [2_333, 4_667]
    code, report = _verify(capsys, "--database", db_url)
    assert code == 0, report["first_disagreement"]
    assert report["rederived"]["households"] == 2
    tamper(
        db_url,
        "household_facts",
        "UPDATE household_facts SET persons = '[]' WHERE household_id = 'hh_a'",
    )
    code, report = _verify(capsys, "--database", db_url)
    assert code == 1
    assert report["first_disagreement"]["row"] == "household_id=hh_a"


def test_a_run_reversed_then_run_again_on_changed_facts_is_rederived_with_each_its_facts(
    engine: Engine, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    small_fund(engine)  # hh_b: contribution 2 000 (income 80 000), credit 20 000
    seq = _run_seq(db_url, "2026-11", "hh_b")
    reverse_entry(engine, f"{seq}.3", "wrong facts", "2026-11", **w())  # hh_b's credit
    reverse_entry(engine, f"{seq}.2", "wrong facts", "2026-11", **w())  # its contribution
    change_facts(engine, "hh_b", "2026-11", Facts(income_cents=120_000, persons=(None,) * 3), **w())
    again = run_month(engine, "2026-11", **w())
    payload = json.loads(
        scalar(db_url, "SELECT payload FROM journal WHERE seq = :s", s=again["seqs"][0])
    )
    assert [(h["household_id"], h["contribution_cents"]) for h in payload["households"]] == [
        ("hh_b", 3_000)
    ]  # 2.5 % of the new income
    code, report = _verify(capsys, "--database", db_url)
    assert code == 0, report["first_disagreement"]
    assert report["rederived"]["households"] == 3  # hh_a, hh_b, and hh_b again


def _edit_facts(kind: str, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    a = next(x for x in lines if x["household_id"] == "hh_a")
    b = next(x for x in lines if x["household_id"] == "hh_b")
    if kind == "delete":
        return [x for x in lines if x is not b]
    if kind == "swap":
        a["facts"], b["facts"] = b["facts"], a["facts"]
        return lines
    # insert: another preimage for hh_a (its own salt), which no commitment names
    forged = json.loads(json.dumps(a))
    forged["salt"], forged["facts"]["income_cents"] = "11" * 16, 1
    return [*lines, forged]


@pytest.mark.parametrize(
    ("kind", "named"), [("delete", "hh_b"), ("swap", "hh_a"), ("insert", None)]
)
def test_a_facts_file_tampered_is_named_by_household_and_an_extra_line_does_not_matter(
    year: str, tmp_path: Path, kind: str, named: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    export, facts = tmp_path / "export", tmp_path / "facts.jsonl"
    run_cli(capsys, "export", "journal", str(export), "--database", year)
    run_cli(capsys, "export", "facts", str(facts), "--database", year)
    lines = _edit_facts(kind, [json.loads(x) for x in facts.read_text("utf-8").splitlines()])
    facts.write_text("".join(json.dumps(x) + "\n" for x in lines), "utf-8")
    code, report = _verify(capsys, "--export", str(export), "--facts", str(facts))
    first = report["first_disagreement"]
    if named is None:  # only lines that hash to a journal commitment are ever used
        assert code == 0, first
        assert report["rederived"]["households"] == 4
        return
    assert code == 1
    assert (first["seq"], first["table"], first["row"]) == (
        _run_seq(year, "2026-11", named),
        "household_facts",
        f"household_id={named}",
    )
