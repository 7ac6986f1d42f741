"""A member's statement proof: downloaded from the API once the month is sealed, checked
offline with ``caisse verify-proof``; a changed statement or path, or another key, is
refused. The witness file is served to auditors as JSON lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.audit import inclusion
from app.engine import merkle
from app.engine.canonical import canonical_bytes
from tests.api.fund_support import PERIOD, call, close, seal, seed
from tests.api.support import OTHER_HOUSEHOLD, OWN_HOUSEHOLD, Tokens, assert_problem
from tests.audit.support import run_cli

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC_HEX = KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
PROOF = f"/v1/members/{OWN_HOUSEHOLD}/statements/{PERIOD}/proof"


@pytest.fixture()
def signed_fund(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fund signs with KEY (``CAISSE_SIGNING_KEY``); its witness file is returned."""
    pem = tmp_path / "fund.pem"
    pem.write_bytes(KEY.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    monkeypatch.setenv("CAISSE_SIGNING_KEY", str(pem))
    path = tmp_path / "witness.jsonl"
    monkeypatch.setenv("CAISSE_WITNESS_FILE", str(path))
    monkeypatch.setenv("CAISSE_WITNESS_EVERY", "0")
    return path


def _sealed_proof(api: FastAPI, client: TestClient, tokens: Tokens) -> dict[str, object]:
    seed(api)
    close(api)
    seal(api)
    response = call(client, tokens, "member", "GET", PROOF)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_the_member_downloads_a_proof_that_verifies_offline(
    api: FastAPI,
    client: TestClient,
    tokens: Tokens,
    signed_fund: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    proof = _sealed_proof(api, client, tokens)
    statement = proof["statement"]
    assert isinstance(statement, dict)
    # hh_own: income 200 000 cents at 2.5 % -> 5 000; one person -> base credit 10 000.
    assert (
        statement["household_id"],
        statement["contribution_cents"],
        statement["credit_cents"],
        statement["status"],
    ) == (OWN_HOUSEHOLD, 5_000, 10_000, "assessed")
    assert (proof["tree_size"], proof["leaf_index"]) == (2, 1)  # hh_other, hh_own (sorted)
    checkpoint = proof["checkpoint"]
    assert isinstance(checkpoint, dict)
    assert checkpoint["public_key"] == PUBLIC_HEX
    assert checkpoint["month_statements"] == 2
    saved = tmp_path / "proof.json"
    saved.write_text(json.dumps(proof), encoding="utf-8")
    code, report = run_cli(capsys, "verify-proof", str(saved), "--public-key", PUBLIC_HEX)
    assert (code, report["ok"], report["problems"]) == (0, True, [])
    assert report["statement"]["credit_cents"] == 10_000


def test_a_changed_statement_or_path_or_key_is_refused(
    api: FastAPI,
    client: TestClient,
    tokens: Tokens,
    signed_fund: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    proof = _sealed_proof(api, client, tokens)
    richer = json.loads(json.dumps(proof))
    richer["statement"]["credit_cents"] = 20_000
    saved = tmp_path / "forged.json"
    saved.write_text(json.dumps(richer), encoding="utf-8")
    code, report = run_cli(capsys, "verify-proof", str(saved), "--public-key", PUBLIC_HEX)
    assert code == 1
    assert report["problems"] == [
        "the statement and its audit path do not give the checkpoint's month_root "
        f"{proof['checkpoint']['month_root']!r}: the statement or the proof was changed"  # type: ignore[index]
    ]
    bent = json.loads(json.dumps(proof))
    bent["audit_path"][0] = "00" * 32
    assert inclusion.check(bent, bytes.fromhex(PUBLIC_HEX))[0].startswith(
        "the statement and its audit path do not give"
    )
    moved = json.loads(json.dumps(proof))
    moved["leaf_index"] = 0
    assert inclusion.check(moved)[0].startswith("the statement and its audit path")
    other = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    other_hex = other.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    assert inclusion.check(proof, bytes.fromhex(other_hex)) == [
        "the checkpoint was signed with another key than the one given"
    ]
    # A root changed with the statement: the signature no longer holds.
    rerooted = json.loads(json.dumps(richer))
    leaf = merkle.leaf_hash(canonical_bytes(rerooted["statement"]))
    sibling = bytes.fromhex(rerooted["audit_path"][0])
    rerooted["checkpoint"]["month_root"] = merkle.node_hash(sibling, leaf).hex()
    assert inclusion.check(rerooted) == ["the checkpoint signature does not verify"]


def test_proofs_are_for_sealed_months_and_own_households(
    api: FastAPI, client: TestClient, tokens: Tokens, signed_fund: Path
) -> None:
    seed(api)
    assert_problem(call(client, tokens, "member", "GET", PROOF), 404, "not-found")
    close(api)
    seal(api)
    assert call(client, tokens, "member", "GET", PROOF).status_code == 200
    other = f"/v1/members/{OTHER_HOUSEHOLD}/statements/{PERIOD}/proof"
    assert_problem(call(client, tokens, "member", "GET", other), 404, "not-found")
    assert call(client, tokens, "auditor", "GET", other).status_code == 200


def test_auditors_copy_the_witness_file(
    api: FastAPI, client: TestClient, tokens: Tokens, signed_fund: Path
) -> None:
    assert call(client, tokens, "auditor", "GET", "/v1/audit/checkpoints.jsonl").content == b""
    seed(api)
    close(api)
    seal(api)  # through a caller's session: witnessed when that session commits
    response = call(client, tokens, "auditor", "GET", "/v1/audit/checkpoints.jsonl")
    assert response.headers["content-type"].startswith("application/jsonl")
    assert response.content == signed_fund.read_bytes()
    (line,) = [json.loads(text) for text in response.text.splitlines()]
    assert (line["kind"], line["period"], line["public_key"]) == ("seal", PERIOD, PUBLIC_HEX)
    assert (
        line["checkpoint"]["month_root"]
        == call(client, tokens, "member", "GET", PROOF).json()["checkpoint"]["month_root"]
    )
