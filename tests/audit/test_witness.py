"""The witness file: every seal's signed checkpoint (and a signed head every
``CAISSE_WITNESS_EVERY`` records) is appended outside the database; the books must extend
every head it holds. Truncation, a rewritten record and a fork are named by their seq."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from app.audit import witness
from app.db.session import unit_of_work
from app.db.settings import SettingsError, witness_every
from app.engine.books.journal import record_hash
from app.services.merchants import approve_merchant
from app.services.months import close_month, expire_credit
from app.services.seal import seal_month
from tests.audit.books import SIGNING_KEY
from tests.audit.support import run_cli, scalar, tamper
from tests.services.helpers import PERIOD, small_fund, w

PUBLIC_HEX = SIGNING_KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


@pytest.fixture()
def witness_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "kept" / "witness.jsonl"
    monkeypatch.setenv("CAISSE_WITNESS_FILE", str(path))
    monkeypatch.setenv("CAISSE_WITNESS_EVERY", "0")
    return path


def _sealed(engine: Engine) -> int:
    """A small fund whose month 2026-11 is run, closed and sealed (signed); the seal's seq."""
    small_fund(engine)
    expire_credit(engine, PERIOD, **w())
    close_month(engine, PERIOD, **w())
    return int(seal_month(engine, PERIOD, signing_key=SIGNING_KEY, **w())["seq"])


def _check(db_url: str, path: Path, key: bytes | None = None) -> witness.Finding | None:
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        return witness.check(witness.read(path), witness.database_hashes(engine), key)
    finally:
        engine.dispose()


def test_a_seal_is_witnessed_once_with_its_signed_checkpoint(
    engine: Engine, db_url: str, witness_file: Path
) -> None:
    seal_seq = _sealed(engine)
    lines = witness.read(witness_file)
    assert [(line["kind"], line["seq"], line["period"]) for line in lines] == [
        ("seal", seal_seq, PERIOD)
    ]
    (line,) = lines
    assert line["hash"] == scalar(db_url, "SELECT hash FROM journal WHERE seq = :s", s=seal_seq)
    sealed = line["checkpoint"]
    assert sealed["journal_size"] == seal_seq - 1
    assert sealed["month_statements"] == 2  # hh_a and hh_b
    assert sealed["public_key"] == PUBLIC_HEX
    assert witness.signature_holds(line, bytes.fromhex(PUBLIC_HEX)) is None
    first = scalar(db_url, "SELECT idempotency_key FROM journal WHERE seq = :s", s=seal_seq)
    again = seal_month(engine, PERIOD, signing_key=SIGNING_KEY, **w(idempotency_key=first))
    assert again["seq"] == seal_seq
    assert len(witness.read(witness_file)) == 1  # a replayed seal is not witnessed twice


def test_honest_growth_extends_the_kept_head(
    engine: Engine, db_url: str, witness_file: Path
) -> None:
    _sealed(engine)
    kept = witness_file.read_text(encoding="utf-8")
    approve_merchant(engine, "market", {"food": "1"}, date(2026, 12, 1), **w())
    auditors_copy = witness_file.with_name("copy.jsonl")
    auditors_copy.write_text(kept, encoding="utf-8")
    assert _check(db_url, auditors_copy, bytes.fromhex(PUBLIC_HEX)) is None
    assert _check(db_url, witness_file) is None


def test_truncating_the_last_seal_is_named_by_its_seq(
    engine: Engine, db_url: str, witness_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seal_seq = _sealed(engine)
    # Behind the application's back: the seal record, its checkpoint, the month back to closed.
    tamper(db_url, "journal", "DELETE FROM journal WHERE seq = :s", s=seal_seq)
    tamper(db_url, "checkpoint", "DELETE FROM checkpoint")
    tamper(db_url, "month", "UPDATE month SET status = 'closed' WHERE period = :p", p=PERIOD)
    tamper(db_url, "fund_total", "DELETE FROM fund_total")
    code, report = run_cli(capsys, "verify", "--database", db_url)
    assert (code, report["ok"]) == (0, True)  # the database alone cannot tell
    finding = _check(db_url, witness_file)
    assert finding is not None
    assert finding.seq == seal_seq
    assert finding.reason.startswith(
        f"the books end at seq {seal_seq - 1} but the witness "
        f"holds the seal of {PERIOD} at seq {seal_seq}"
    )
    assert "truncation" in finding.reason


def test_a_record_forged_after_the_last_seal_is_named(
    engine: Engine, db_url: str, witness_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAISSE_WITNESS_EVERY", "1")  # every committed head is witnessed
    seal_seq = _sealed(engine)
    approve_merchant(engine, "market", {"food": "1"}, date(2026, 12, 1), **w())
    honest = witness.read(witness_file)[-1]
    assert (honest["kind"], honest["seq"]) == ("head", seal_seq + 1)
    _forge(
        db_url, seal_seq + 1, {"merchant_id": "evil", "rates": {"food": "1"}, "since": "2026-12-01"}
    )
    finding = _check(db_url, witness_file)
    assert finding is not None
    assert finding.seq == seal_seq + 1
    assert f"witness kept {honest['hash']} for the head" in finding.reason


def test_a_fork_from_a_copy_of_the_database_is_named(
    engine: Engine, db_url: str, witness_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The books the auditor kept a head of, and another history written from the same seal:
    the first seq where they part is named."""
    monkeypatch.setenv("CAISSE_WITNESS_EVERY", "1")
    seal_seq = _sealed(engine)
    fork = witness_file.with_name("fork.jsonl")
    monkeypatch.setenv("CAISSE_WITNESS_FILE", str(fork))  # the other history's own witness
    approve_merchant(engine, "market", {"food": "1"}, date(2026, 12, 1), **w())
    approve_merchant(engine, "bakery", {"food": "1"}, date(2026, 12, 1), **w())
    # The kept history went on differently after the seal: its heads are not these books'.
    kept = [json.loads(line) for line in witness_file.read_text().splitlines()]
    other = witness.signed(
        {"format": witness.FORMAT, "kind": "head", "seq": seal_seq + 2, "hash": "0" * 64}, None
    )
    witness.append(witness_file, other)
    finding = _check(db_url, witness_file)
    assert finding is not None
    assert finding.seq == seal_seq + 2
    assert "rewritten or forked" in finding.reason
    assert all(line["seq"] <= seal_seq for line in kept)
    assert _check(db_url, fork) is None  # its own witness: consistent


def test_a_line_signed_with_another_key_is_refused(
    engine: Engine, db_url: str, witness_file: Path
) -> None:
    seal_seq = _sealed(engine)
    (line,) = witness.read(witness_file)
    other = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    witness_file.write_text(json.dumps(witness.signed(line, other)) + "\n", encoding="utf-8")
    finding = _check(db_url, witness_file, bytes.fromhex(PUBLIC_HEX))
    assert finding == witness.Finding(
        seal_seq,
        f"the witness line of seq {seal_seq} was signed with another key than the one given",
    )


def test_a_malformed_witness_line_is_named_by_its_number(tmp_path: Path) -> None:
    path = tmp_path / "w.jsonl"
    path.write_text('{"format": "caisse.witness/1", "kind": "head", "seq": 0, "hash": "x"}\n')
    with pytest.raises(witness.WitnessError, match="line 1: seq must be a whole number"):
        witness.read(path)


def test_the_interval_setting_names_a_bad_value() -> None:
    assert witness_every({}) == 1000
    assert witness_every({"CAISSE_WITNESS_EVERY": "0"}) == 0
    with pytest.raises(SettingsError, match="CAISSE_WITNESS_EVERY='ten'"):
        witness_every({"CAISSE_WITNESS_EVERY": "ten"})


def _forge(db_url: str, seq: int, payload: dict[str, object]) -> None:
    """Replace the record at ``seq`` (the last one) with another, correctly chained."""
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT * FROM journal WHERE seq = :s"), {"s": seq})
            record = dict(row.mappings().one())
    finally:
        engine.dispose()
    forged = {
        "format": "caisse.journal/1",
        "seq": seq,
        "recorded_at": record["recorded_at"],
        "actor": record["actor"],
        "kind": record["kind"],
        "idempotency_key": "forged",
        "payload": payload,
        "prev_hash": record["prev_hash"],
    }
    forged_hash = record_hash(forged)
    tamper(
        db_url,
        "journal",
        "UPDATE journal SET payload = :p, idempotency_key = 'forged', hash = :h WHERE seq = :s",
        p=json.dumps(payload, sort_keys=True, separators=(",", ":")),
        h=forged_hash,
        s=seq,
    )


def test_verify_with_the_witness_names_the_truncated_seal_on_the_database_and_an_export(
    engine: Engine,
    db_url: str,
    witness_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seal_seq = _sealed(engine)
    code, report = run_cli(
        capsys,
        "verify",
        "--database",
        db_url,
        "--witness",
        str(witness_file),
        "--public-key",
        PUBLIC_HEX,
    )
    assert (code, report["witness"]["ok"], report["witness"]["last_witnessed_seq"]) == (
        0,
        True,
        seal_seq,
    )
    tamper(db_url, "journal", "DELETE FROM journal WHERE seq = :s", s=seal_seq)
    tamper(db_url, "checkpoint", "DELETE FROM checkpoint")
    tamper(db_url, "month", "UPDATE month SET status = 'closed' WHERE period = :p", p=PERIOD)
    tamper(db_url, "fund_total", "DELETE FROM fund_total")
    export = tmp_path / "export"
    assert run_cli(capsys, "export", "journal", str(export), "--database", db_url)[0] == 0
    for where in (["--database", db_url], ["--export", str(export)]):
        code, report = run_cli(capsys, "verify", *where, "--witness", str(witness_file))
        assert code == 1
        assert report["ok"] is True  # the books alone are consistent
        assert report["witness"]["ok"] is False
        assert report["witness"]["first_disagreement"]["seq"] == seal_seq


def test_a_witness_file_that_is_not_one_is_a_usage_error(
    engine: Engine, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n", encoding="utf-8")
    code, report = run_cli(capsys, "verify", "--database", db_url, "--witness", str(bad))
    assert code == 2
    assert "line 1: not JSON" in report["error"]


def test_caisse_witness_appends_the_current_head(
    engine: Engine, db_url: str, witness_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seal_seq = _sealed(engine)
    code, report = run_cli(capsys, "witness", "--database", db_url)
    assert (code, report["witnessed"]["kind"], report["witnessed"]["seq"]) == (0, "head", seal_seq)
    assert [line["kind"] for line in witness.read(witness_file)] == ["seal", "head"]


def test_commands_of_one_transaction_are_witnessed_once_after_its_commit(
    engine: Engine, db_url: str, witness_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seal_seq = _sealed(engine)
    monkeypatch.setenv("CAISSE_WITNESS_EVERY", "1")
    with unit_of_work(engine) as session:
        approve_merchant(session, "market", {"food": "1"}, date(2026, 12, 1), **w())
        approve_merchant(session, "bakery", {"food": "1"}, date(2026, 12, 1), **w())
        assert len(witness.read(witness_file)) == 1  # nothing before the commit
    lines = witness.read(witness_file)
    assert [(line["kind"], line["seq"]) for line in lines] == [
        ("seal", seal_seq),
        ("head", seal_seq + 2),
    ]
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        approve_merchant(session, "florist", {"food": "1"}, date(2026, 12, 1), **w())
        raise RuntimeError("rolled back")
    assert len(witness.read(witness_file)) == 2  # a rolled-back command is never witnessed
    assert _check(db_url, witness_file) is None
