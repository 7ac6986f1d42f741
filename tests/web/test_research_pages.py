"""The research pages in a real browser: the committee's and a researcher's indicators and
projection, on the seeded fund (tests/web/seed.py; signed in as claire, committee, or rené,
a researcher made here).

By hand: the seed's month leaves a reserve of 50,86 € (docstring of test_committee_pages);
each month then owes 100,86 € of contributions (2,5 % of 2 000 €, 800 € and 1 234,56 €)
against 450,00 € of credits. Next month's budget is 50,86 + 100,86 = 151,72 €, so the
credits are rationed from the first month projected, and from the second on the budget is
the month's contributions alone: 100,86 / 450 = 22,41 % served (rounded down). Without
rationing the reserve after the twelfth run would be 50,86 − 12 × 349,14 = −4 138,82 €: the
subsidy that avoids rationing. With three households every household cell is suppressed
(fewer than 10).
"""

from __future__ import annotations

import urllib.request
from datetime import UTC, datetime

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from app.db.session import unit_of_work
from app.services import people
from app.services.tokens import Role
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
from tests.web.conftest import Server
from tests.web.seed import SECRET, Fund


def month_after(period: str, months: int = 1) -> str:
    year, month = (int(part) for part in period.split("-"))
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def check_page(driver: WebDriver, name: str) -> None:
    check_accessibility(driver)
    no_horizontal_scroll(driver)
    screenshots(driver, name)


def researcher(fund: Fund) -> str:
    with unit_of_work(fund.app.state.db_engine) as session:
        now = datetime.now(UTC)
        new = people.create_access(session, Role.RESEARCHER, None, "René Chercheur", now)
        people.activate(session, new.activation_code, "rene", SECRET, now)
    return "rene"


def test_the_committee_reads_the_indicators_and_the_projection(
    server: Server, browser: WebDriver, fund: Fund
) -> None:
    sign_in(browser, server.url, "claire", SECRET)
    follow(browser, "Indicateurs")
    page = text(browser)
    assert "Indicateurs de la caisse" in page
    assert "Seuil du secret statistique : 10 foyers." in page
    assert "Foyers actifs\n— (moins de 10 foyers)" in page
    assert "hh_a" not in browser.page_source
    check_page(browser, "research-committee-indicators")

    follow(browser, "Projection")
    page = text(browser)
    first, second = month_after(fund.period), month_after(fund.period, 2)
    assert (
        f"Le rationnement commencerait en {first} ; au plus profond ({second}) 22,41 % des"
        f" droits seraient servis. Une subvention de 4138,82 € reçue avant {first} l'éviterait."
    ) in page
    rows = browser.find_elements(By.CSS_SELECTOR, "table tbody tr")
    assert len(rows) == 12
    assert rows[0].text.endswith("0,00 €")
    assert browser.find_elements(By.CSS_SELECTOR, "svg circle.rationed")
    check_page(browser, "research-committee-projection")


def test_a_researcher_projects_with_assumptions_and_gets_the_open_data(
    server: Server, browser: WebDriver, fund: Fund, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(browser, server.url, researcher(fund), SECRET)
    assert browser.current_url == f"{server.url}/recherche"
    assert "Indicateurs de la caisse" in text(browser)
    link = browser.find_element(By.PARTIAL_LINK_TEXT, "Télécharger les données")
    cookie = browser.get_cookie("caisse_session")
    assert cookie is not None
    request = urllib.request.Request(
        str(link.get_attribute("href")), headers={"Cookie": f"caisse_session={cookie['value']}"}
    )
    with urllib.request.urlopen(request) as answer:
        assert answer.headers["Content-Type"] == "application/zip"
        assert answer.read(2) == b"PK"
    check_page(browser, "research-researcher-indicators")

    follow(browser, "Projection")
    # Three households, under the default small-cell threshold of 10: refused to a researcher.
    submit(browser, "Projeter")
    assert "Trop peu de foyers pour publier une projection" in text(browser)
    # A researcher cannot add or drop households (that would single one out): no such fields.
    assert not browser.find_elements(By.ID, "arrivees")
    assert not browser.find_elements(By.ID, "departs")
    monkeypatch.setenv("CAISSE_RESEARCH_THRESHOLD", "3")
    fill(browser, "mois", "3")
    fill(browser, "subvention_mois", month_after(fund.period))
    fill(browser, "subvention", "4 138,82")
    submit(browser, "Projeter")
    page = text(browser)
    # 349,14 € a month for 3 months less the 50,86 € held: 996,56 € is enough for three.
    assert "Aucun rationnement sur la période projetée." in page
    assert len(browser.find_elements(By.CSS_SELECTOR, "table tbody tr")) == 3
    check_page(browser, "research-researcher-projection")


def test_a_bad_assumption_is_named_next_to_its_field(
    server: Server, browser: WebDriver, fund: Fund
) -> None:
    sign_in(browser, server.url, "claire", SECRET)
    browser.get(f"{server.url}/comite/projection?depense=150&mois=0")
    summary = browser.find_element(By.ID, "erreurs").text
    assert "Écrivez un pourcentage de 0 à 100 (par exemple 2,5)." in summary
    assert "Écrivez un nombre entier de 1 à 60." in summary
    check_accessibility(browser)


def test_each_role_sees_only_its_own_research_pages(
    server: Server, browser: WebDriver, fund: Fund
) -> None:
    sign_in(browser, server.url, "claire", SECRET)
    browser.get(f"{server.url}/recherche/projection")
    assert "Page introuvable" in text(browser)
