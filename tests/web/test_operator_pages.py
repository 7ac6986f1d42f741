"""The operator's pages (the fund's office), in a real browser on the seeded fund.

Hand-computed figures (tests/web/seed.py: 2,5 % of income half-up; credit 100 € + 50 € per
extra person). After the seed: bank 400,00 € subsidy + 50,00 € paid by hh_a = 450,00 €;
contributions called 50,00 + 20,00 + 30,86 = 100,86 €, of which 50,00 € paid: 50,86 € due;
credit in circulation 100 + 200 + 150 = 450,00 €; reserve 450,00 + 50,86 − 450,00 = 50,86 €.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from app.db import tables as t
from app.db.session import read_only
from app.services import consent
from tests.web.browser import (
    check_accessibility,
    fill,
    follow,
    no_horizontal_scroll,
    screenshots,
    sign_in,
    submit,
    text,
)
from tests.web.seed import SECRET, Fund


def plain(driver: WebDriver) -> str:
    """The main text on one line: line breaks and the narrow and non-breaking spaces of
    French amounts as plain spaces."""
    return re.sub(r"\s+", " ", re.sub(r"[\u00a0\u202f]", " ", text(driver)))


def page_checks(driver: WebDriver, name: str) -> None:
    check_accessibility(driver)
    no_horizontal_scroll(driver)
    screenshots(driver, f"operateur-{name}")


def next_month(period: str) -> str:
    year, month = (int(part) for part in period.split("-"))
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def books_verified(fund: Fund) -> None:
    state = fund.verify()
    assert state["status"] == "done" and state["result"]["ok"] is True, state


def summary_links(driver: WebDriver) -> dict[str, str]:
    """The error summary's messages -> the field each links to."""
    summary = driver.find_element(By.CSS_SELECTOR, ".error-summary")
    return {
        link.text: str(link.get_attribute("href")).rsplit("#", 1)[1]
        for link in summary.find_elements(By.CSS_SELECTOR, "a")
    }


def test_the_desk_shows_the_month_and_the_fund_in_euros(fund: Fund, browser: WebDriver) -> None:
    sign_in(browser, fund.url, "odile", SECRET)
    assert browser.current_url == f"{fund.url}/operateur"
    page = plain(browser)
    assert "Foyers crédités ce mois-ci : 3 sur 3 inscrits." in page
    assert "En banque 450,00 €" in page
    assert "Cotisations dues par les membres 50,86 €" in page
    assert "Crédit en circulation 450,00 €" in page
    assert "Dû aux commerçants 0,00 €" in page
    assert "Réserve (ce que la caisse a, moins ce qu'elle doit) 50,86 €" in page
    page_checks(browser, "bureau")
    follow(browser, "Voir les foyers")
    assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, "tbody a")] == [
        "Membre hh_a",
        "Membre hh_b",
        "Membre hh_c",
    ]
    page_checks(browser, "foyers")
    follow(browser, "Membre hh_b")
    page = plain(browser)
    assert "Crédit disponible 200,00 €" in page and "Cotisation due 20,00 €" in page
    assert fund.cards["hh_b"] in page
    page_checks(browser, "foyer")


def test_other_roles_get_404_and_strangers_go_to_sign_in(fund: Fund) -> None:
    pages = ("/operateur", "/operateur/foyers/hh_a", f"/operateur/mois/{fund.period}")
    with httpx.Client(base_url=fund.url) as client:
        away = client.get("/operateur/foyers")
        assert away.status_code == 303
        assert away.headers["location"] == "/connexion?suite=/operateur/foyers"
    for login in ("amina", "epicerie", "claire", "aurele"):
        with httpx.Client(base_url=fund.url) as client:
            page = client.get("/connexion")
            token = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert token is not None
            data = {"login": login, "secret": SECRET, "csrf": token.group(1)}
            assert client.post("/connexion", data=data).status_code == 303
            for path in pages:
                answer = client.get(path)
                assert answer.status_code == 404 and "Page introuvable" in answer.text, path
            # A write is refused the same way, before its form is even read.
            refused = client.post(f"/operateur/mois/{fund.period}/clore", data={})
            assert refused.status_code == 404
    status = fund.ok("operator", "GET", f"/months/{fund.period}")
    assert status["status"] == "open"
