"""What a household owes, month by month, on the member's home page and the operator's
household page, in a real browser on the seeded fund (tests/web/seed.py). Hand-computed:
hh_b (Bruno) owes 20,00 € for the month (2,5 % of 800,00 €) and has paid nothing; a
payment of 15,00 € leaves 5,00 €. The seeded rules keep crediting while unpaid (default)."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.web.browser import check_accessibility, no_horizontal_scroll, sign_in, text
from tests.web.seed import SECRET, Fund


def plain(value: str) -> str:
    return value.replace("\u00a0", " ").replace("\u202f", " ")


def rows(driver: WebDriver) -> list[list[str]]:
    """The cells of the dues table (the last table of the page's dues section)."""
    found = []
    for line in driver.find_elements(By.CSS_SELECTOR, "table tbody tr"):
        cells = [plain(c.text) for c in line.find_elements(By.TAG_NAME, "td")]
        if len(cells) == 4:
            found.append(cells)
    return found


def test_the_member_sees_what_is_owed_by_month(fund: Fund, browser: WebDriver) -> None:
    sign_in(browser, fund.url, "bruno", SECRET)
    browser.get(fund.url + "/membre")
    shown = plain(text(browser))
    assert "Cotisations, mois par mois" in shown
    assert "Chaque paiement règle d'abord le mois le plus ancien." in shown
    (line,) = rows(browser)
    assert line[1:] == ["20,00 €", "0,00 €", "20,00 €"]
    assert "Reste à payer en tout\n20,00 €" in shown
    assert "Mois passés encore impayés\n0" in shown  # this month is not yet in arrears
    assert "Impayés : le crédit continue d'être versé." in shown
    check_accessibility(browser)
    no_horizontal_scroll(browser)


def test_the_operator_sees_it_on_the_household_page(fund: Fund, browser: WebDriver) -> None:
    payment = {
        "household_id": "hh_b",
        "amount_cents": 1500,
        "method": "cash",
        "reference": "PAY-B",
        "received_on": fund.today.isoformat(),
    }
    fund.ok("operator", "POST", "/funds/payments", payment)
    sign_in(browser, fund.url, "odile", SECRET)
    browser.get(fund.url + "/operateur/foyers/hh_b")
    (line,) = rows(browser)
    assert line[1:] == ["20,00 €", "15,00 €", "5,00 €"]
    assert "Reste à payer en tout\n5,00 €" in plain(text(browser))
    check_accessibility(browser)
    no_horizontal_scroll(browser)
