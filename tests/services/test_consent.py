"""Consent codes: keyed hashes (the key is not in the database) and a limit on wrong codes."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import tables as t
from app.services import consent, errors
from app.services.merchants import purchase
from app.services.reads import balances
from tests.services.helpers import CODE, NOW, small_fund, w

DAY = date(2026, 11, 20)


@pytest.fixture
def fresh_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No key in the environment; the key file lives in a temporary directory."""
    monkeypatch.delenv("CAISSE_SECRET_KEY", raising=False)
    monkeypatch.setenv("CAISSE_SECRET_KEY_FILE", str(tmp_path / "keys" / "secret.key"))
    consent._cached_key.cache_clear()
    yield tmp_path / "keys" / "secret.key"
    consent._cached_key.cache_clear()


def test_the_key_file_is_created_once_readable_by_the_owner_only(fresh_key: Path) -> None:
    key = consent.secret_key()
    assert fresh_key.exists()
    assert stat.S_IMODE(fresh_key.stat().st_mode) == 0o600
    assert len(key) == 64
    consent._cached_key.cache_clear()
    assert consent.secret_key() == key  # read back, not replaced


def test_the_stored_code_is_an_hmac_under_the_key(
    fresh_key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAISSE_SECRET_KEY", "k" * 40)
    stored = consent.hash_code("hh_a", "4821")
    prefix, salt, digest = stored.split("$")
    assert prefix == "hmac_sha256"
    expected = hmac.new(b"k" * 40, f"{salt}\x00hh_a\x004821".encode(), hashlib.sha256)
    assert digest == expected.hexdigest()
    assert consent.code_matches(stored, "hh_a", "4821")
    assert not consent.code_matches(stored, "hh_a", "4822")
    assert not consent.code_matches(stored, "hh_b", "4821")  # bound to the household
    monkeypatch.setenv("CAISSE_SECRET_KEY", "x" * 40)
    assert not consent.code_matches(stored, "hh_a", "4821")  # useless without the key


def test_a_short_key_is_refused(fresh_key: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAISSE_SECRET_KEY", "short")
    with pytest.raises(RuntimeError, match="at least 32"):
        consent.secret_key()


def test_a_hash_in_the_old_weak_form_matches_no_code() -> None:
    # The old form let the row choose its work factor: 3 rounds of a code the writer chose.
    salt = "00" * 16
    digest = hashlib.pbkdf2_hmac("sha256", b"4821", bytes.fromhex(salt), 3).hex()
    stored = f"pbkdf2_sha256$3${salt}${digest}"
    assert not consent.code_matches(stored, "hh_a", "4821")
    assert not consent.code_matches(None, "hh_a", "4821")


def test_only_the_one_stored_form_matches(fresh_key: Path) -> None:
    stored = consent.hash_code("hh_a", "4821")
    assert consent.code_matches(stored, "hh_a", "4821")
    assert not consent.code_matches(stored.upper(), "hh_a", "4821")  # not lowercase hex
    assert not consent.code_matches(stored + "$", "hh_a", "4821")
    assert not consent.code_matches(stored.replace("$", "$0", 1), "hh_a", "4821")


def charge(engine: Engine, pid: str, code: str, minutes: int = 0) -> object:
    when = NOW + timedelta(minutes=minutes)
    return purchase(engine, pid, "hh_a", "shop", "food", 100, DAY, code, **w(now=when))


def attempt(engine: Engine) -> t.ConsentAttempt | None:
    with Session(engine) as session:
        return session.get(t.ConsentAttempt, "hh_a")


def test_five_wrong_codes_lock_the_household_for_fifteen_minutes(engine: Engine) -> None:
    small_fund(engine)
    for n in range(4):
        with pytest.raises(errors.Forbidden):
            charge(engine, f"p{n}", "0000", minutes=n)
    row = attempt(engine)
    assert row is not None and row.failures == 4 and row.locked_until is None
    with pytest.raises(consent.ConsentLocked) as fifth:
        charge(engine, "p4", "0000", minutes=4)
    assert fifth.value.extras == {"locked_until": "2026-11-26T10:19:00.000000Z"}
    # Locked: even the right code is refused, and nothing is charged.
    with pytest.raises(consent.ConsentLocked):
        charge(engine, "p5", CODE, minutes=18)
    assert balances(engine, "hh_a")["credit_cents"] == 10_000
    charge(engine, "p6", CODE, minutes=19)  # the lock is over
    assert balances(engine, "hh_a")["credit_cents"] == 9_900
    assert attempt(engine) is None  # the right code reset the count


def test_a_right_code_resets_the_count_of_wrong_ones(engine: Engine) -> None:
    small_fund(engine)
    for n in range(4):
        with pytest.raises(errors.Forbidden):
            charge(engine, f"p{n}", "0000")
    charge(engine, "ok", CODE)
    for n in range(4):
        with pytest.raises(errors.Forbidden):
            charge(engine, f"q{n}", "0000")
    row = attempt(engine)
    assert row is not None and row.failures == 4 and row.locked_until is None


def test_the_consent_key_is_not_stored_in_the_database(engine: Engine) -> None:
    small_fund(engine)
    key = consent.secret_key().decode()
    with Session(engine) as session:
        stored = session.get(t.Household, "hh_a")
    assert stored is not None and stored.consent_code_hash is not None
    assert stored.consent_code_hash.startswith("hmac_sha256$")
    assert key not in stored.consent_code_hash
    assert os.environ.get("CAISSE_SECRET_KEY") != stored.consent_code_hash
