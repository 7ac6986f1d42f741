"""Tax receipts' pages in a real browser: the operator issues last year's receipts and
downloads one; the member downloads the receipt whose donor they are, and gets the 404 page
for another's.

Hand-computed: amina (hh_a) gave 100,00 € and 23,45 € last year (one receipt, 123,45 €,
number 1: "cent vingt-trois euros et quarante-cinq centimes"); a foundation gave 500,00 €
but has no identity kept (no receipt).
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import httpx
from pypdf import PdfReader
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from app.services.money import record_funding
from app.services.receipts import donors, issue, settings
from tests.services.test_receipts import SETTINGS
from tests.web.browser import (
    check_accessibility,
    no_horizontal_scroll,
    screenshots,
    sign_in,
    submit,
    text,
)
from tests.web.seed import SECRET, Fund


def plain(driver: WebDriver) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[\u00a0\u202f]", " ", text(driver)))


def page_checks(driver: WebDriver, name: str) -> None:
    check_accessibility(driver)
    no_horizontal_scroll(driver)
    screenshots(driver, name)


def gifts(fund: Fund) -> int:
    """Last year's gifts; the year."""
    year = fund.today.year - 1
    db = fund.app.state.db_engine
    settings.save(db, SETTINGS)
    donors.set_donor(
        db, "don_amina", "Amina Benali", "5 rue du Marais, 62750 Loos", "especes", "hh_a"
    )
    key = iter(range(1, 100))
    for donor_id, cents, day in (
        ("don_amina", 10_000, date(year, 3, 2)),
        ("fondation", 50_000, date(year, 4, 2)),
        ("don_amina", 2_345, date(year, 10, 9)),
    ):
        record_funding(
            db, donor_id, "donation", cents, f"REF-{cents}", day,
            actor="operator:seed", idempotency_key=f"gift-{next(key)}", now=datetime.now(UTC),
        )  # fmt: skip
    return year


def download(driver: WebDriver, url: str) -> httpx.Response:
    """``url`` fetched with the browser's session cookie."""
    cookies = {c["name"]: c["value"] for c in driver.get_cookies()}
    return httpx.get(url, cookies=cookies, timeout=30)


def test_the_operator_issues_and_the_member_downloads(browser: WebDriver, fund: Fund) -> None:
    year = gifts(fund)
    sign_in(browser, fund.url, "odile", SECRET)
    browser.get(f"{fund.url}/operateur/recus")
    assert f"Reçus fiscaux de {year}" in plain(browser)
    assert browser.find_element(By.ID, "none").text == "Aucun reçu émis pour cette année."
    page_checks(browser, "operateur-recus-vide")
    submit(browser, f"Émettre les reçus de {year}")
    assert browser.find_element(By.ID, "issued").text == "1 reçu émis."
    cards = [
        " ".join(card.text.replace("\u202f", " ").replace("\u00a0", " ").split())
        for card in browser.find_elements(By.CSS_SELECTOR, "#receipts li")
    ]
    number = f"{year}-000001"
    assert cards == [
        f"Reçu {number} Donateur don_amina Montant 123,45 € Télécharger le reçu (PDF) {number}"
    ]
    page_checks(browser, "operateur-recus")
    link = browser.find_element(By.CSS_SELECTOR, "#receipts a").get_attribute("href")
    pdf = download(browser, str(link))
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content == issue.pdf_of(fund.app.state.db_engine, number)
    words = " ".join(PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().split())
    assert "cent vingt-trois euros et quarante-cinq centimes" in words
    assert "[X] Remise d'espèces" in words

    browser.delete_all_cookies()
    sign_in(browser, fund.url, "amina", SECRET)
    browser.get(f"{fund.url}/membre/recus")
    assert f"Reçu {number} · 123,45 €" in plain(browser)
    page_checks(browser, "membre-recus")
    mine = browser.find_element(By.CSS_SELECTOR, "#receipts a").get_attribute("href")
    assert download(browser, str(mine)).content == pdf.content
    other = download(browser, f"{fund.url}/membre/recus/{year}-000002.pdf")
    assert other.status_code == 404


def test_the_receipt_pages_speak_english(browser: WebDriver, fund: Fund) -> None:
    gifts(fund)
    sign_in(browser, fund.url, "amina", SECRET)
    browser.get(f"{fund.url}/langue/en?suite=/membre/recus")
    assert "My tax receipts" in plain(browser) and "No tax receipt in your name." in plain(browser)
