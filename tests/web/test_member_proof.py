"""The member's statement page offers the proof of the statement once the month is sealed;
the downloaded file proves it offline (app.audit.inclusion) with the fund's key."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from app.audit import inclusion
from tests.web.browser import check_accessibility, no_horizontal_scroll, screenshots, sign_in
from tests.web.seed import SECRET, Fund

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
LINK = "Télécharger la preuve de mon relevé"


def test_a_sealed_month_s_statement_comes_with_its_proof(
    fund: Fund, browser: WebDriver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pem = KEY.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    (tmp_path / "seal.pem").write_bytes(pem)
    monkeypatch.setenv("CAISSE_SIGNING_KEY", str(tmp_path / "seal.pem"))
    sign_in(browser, fund.url, "amina", SECRET)
    page = f"{fund.url}/membre/releve/{fund.period}"
    browser.get(page)
    assert browser.find_elements(By.LINK_TEXT, LINK) == []  # not sealed yet: nothing to prove
    fund.ok("operator", "POST", f"/months/{fund.period}/close")
    fund.ok("operator", "POST", f"/months/{fund.period}/seal")
    browser.get(page)
    assert "Ce mois est scellé" in browser.find_element(By.TAG_NAME, "main").text
    link = browser.find_element(By.LINK_TEXT, LINK)
    assert link.get_attribute("href").endswith(f"/membre/releve/{fund.period}/preuve")
    check_accessibility(browser)
    no_horizontal_scroll(browser)
    screenshots(browser, "membre-releve-preuve")
    cookie = browser.get_cookie("caisse_session")
    assert cookie is not None
    got = httpx.get(
        link.get_attribute("href"), cookies={"caisse_session": cookie["value"]}, timeout=30
    )
    assert got.status_code == 200
    assert got.headers["content-disposition"] == (
        f'attachment; filename="preuve-releve-{fund.period}.json"'
    )
    proof = got.json()
    assert (proof["household_id"], proof["statement"]["credit_cents"]) == ("hh_a", 10_000)
    public = KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert inclusion.check(proof, public) == []
