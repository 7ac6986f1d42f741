"""Consent codes: keyed hashes (the key is not in the database) and growing waits after wrong
codes, for the merchant who typed them only."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import tables as t
from app.services import consent, errors
from app.services.merchants import approve_merchant, purchase
from app.services.views import balances
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


def charge(engine: Engine, pid: str, code: str, seconds: int = 0, shop: str = "shop") -> object:
    when = NOW + timedelta(seconds=seconds)
    return purchase(engine, pid, "hh_a", shop, "food", 100, DAY, code, **w(now=when))


def attempt(engine: Engine, shop: str = "shop") -> t.ConsentAttempt | None:
    with Session(engine) as session:
        return session.get(t.ConsentAttempt, ("hh_a", shop))


def at(seconds: int) -> str:
    """NOW (2026-11-26 10:00:00 UTC) plus ``seconds``, as the journal writes times."""
    return (NOW + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def test_the_backoff_is_free_twice_then_doubles_up_to_an_hour() -> None:
    waits = [consent.BACKOFF.seconds(n) for n in range(1, 11)]
    assert waits == [0, 0, 30, 60, 120, 240, 480, 960, 1920, 3600]
    assert consent.BACKOFF.seconds(10**6) == 3600


@given(st.integers(min_value=0, max_value=10**4))
def test_a_wait_never_shrinks_with_more_failures_and_never_passes_an_hour(n: int) -> None:
    assert consent.BACKOFF.seconds(n) <= consent.BACKOFF.seconds(n + 1) <= 3600


def test_wrong_codes_make_this_merchant_wait_growing_delays(engine: Engine) -> None:
    small_fund(engine)
    for n in range(2):  # two typos cost nothing
        with pytest.raises(errors.Forbidden):
            charge(engine, f"p{n}", "0000")
    row = attempt(engine)
    assert row is not None and (row.failures, row.locked_until) == (2, None)
    with pytest.raises(consent.ConsentLocked) as third:
        charge(engine, "p2", "0000")
    assert third.value.extras == {"locked_until": at(30)}
    # While waiting, even the right code is refused, and the attempt is not counted.
    with pytest.raises(consent.ConsentLocked) as waiting:
        charge(engine, "p3", CODE, seconds=29)
    assert waiting.value.extras == {"locked_until": at(30)}
    with pytest.raises(consent.ConsentLocked) as fourth:
        charge(engine, "p4", "0000", seconds=30)
    assert fourth.value.extras == {"locked_until": at(30 + 60)}
    with pytest.raises(consent.ConsentLocked) as fifth:
        charge(engine, "p5", "0000", seconds=90)
    assert fifth.value.extras == {"locked_until": at(90 + 120)}
    row = attempt(engine)
    assert row is not None and (row.failures, row.last_failure_at) == (5, at(90))
    assert balances(engine, "hh_a")["credit_cents"] == 10_000
    charge(engine, "p6", CODE, seconds=210)  # the wait is over: the right code is charged
    assert balances(engine, "hh_a")["credit_cents"] == 9_900
    assert attempt(engine) is None  # and it reset this merchant's count


def test_a_merchant_s_wrong_codes_never_slow_the_member_s_other_merchants(
    engine: Engine,
) -> None:
    small_fund(engine)
    approve_merchant(engine, "market", {"food": "1"}, date(2026, 1, 1), **w())
    for n in range(6):  # "shop" guesses again and again
        with pytest.raises((errors.Forbidden, consent.ConsentLocked)):
            charge(engine, f"p{n}", "0000", seconds=n * 3600)
    with pytest.raises(consent.ConsentLocked):
        charge(engine, "p9", CODE, seconds=5 * 3600 + 1)
    # At the same instant the member pays at "market" with the right code.
    charge(engine, "m1", CODE, seconds=5 * 3600 + 1, shop="market")
    assert balances(engine, "hh_a")["credit_cents"] == 9_900
    # And "market"'s own typo is counted on its own.
    with pytest.raises(errors.Forbidden):
        charge(engine, "m2", "0000", seconds=5 * 3600 + 2, shop="market")
    row = attempt(engine, "market")
    assert row is not None and (row.failures, row.locked_until) == (1, None)


def test_a_right_code_resets_the_count_and_a_day_forgets_it(engine: Engine) -> None:
    small_fund(engine)
    for n in range(2):
        with pytest.raises(errors.Forbidden):
            charge(engine, f"p{n}", "0000")
    charge(engine, "ok", CODE)
    for n in range(2):
        with pytest.raises(errors.Forbidden):
            charge(engine, f"q{n}", "0000")
    row = attempt(engine)
    assert row is not None and (row.failures, row.locked_until) == (2, None)
    # A day after the last wrong code the run is forgotten: this one is the first again.
    with pytest.raises(errors.Forbidden):
        charge(engine, "r0", "0000", seconds=consent.FORGET_SECONDS + 1)
    row = attempt(engine)
    assert row is not None and (row.failures, row.locked_until) == (1, None)


def test_the_consent_key_is_not_stored_in_the_database(engine: Engine) -> None:
    small_fund(engine)
    key = consent.secret_key().decode()
    with Session(engine) as session:
        stored = session.get(t.Household, "hh_a")
    assert stored is not None and stored.consent_code_hash is not None
    assert stored.consent_code_hash.startswith("hmac_sha256$")
    assert key not in stored.consent_code_hash
    assert os.environ.get("CAISSE_SECRET_KEY") != stored.consent_code_hash
