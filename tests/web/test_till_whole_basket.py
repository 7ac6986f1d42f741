"""A till line the credit pays nothing of is still a sale, in a real browser (issue 12).

By hand, on the seeded fund (tests/web/seed.py): bruno's hh_b holds 200,00 €; m_epicerie pays
food at 100 % and hygiene at 50 %. Basket: food 250,00 € + hygiene 10,00 €. Food takes the
200,00 € held (the member pays 50,00 €); nothing is left for hygiene, so the member pays all
its 10,00 €. Both lines are recorded: food 250,00 € with 200,00 € of credit, hygiene 10,00 €
with 0,00 € of credit (no ledger entry, nothing to refund). The day: 2 sales, 200,00 € paid
by the credit, 200,00 € owed to the shop.
"""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.web.browser import fill, follow, sign_in, submit
from tests.web.seed import CODES, SECRET, Fund
from tests.web.test_till_pages import books_verified, by_id, page_checks, quote_basket, rows, sales


def test_a_line_without_credit_left_is_recorded_with_its_member_part(
    browser: WebDriver, fund: Fund
) -> None:
    sign_in(browser, fund.url, "epicerie", SECRET)
    quote_basket(browser, fund, "hh_b", food="250,00", hygiene="10,00")
    expected = [
        ["Catégorie", "Montant", "Crédit", "Membre"],
        ["Alimentation\n100 %", "250,00 €", "200,00 €", "50,00 €"],
        ["Hygiène\n50 %", "10,00 €", "0,00 €", "10,00 €"],
        ["Total", "260,00 €", "200,00 €", "60,00 €"],
    ]
    assert rows(browser) == expected
    fill(browser, "code", CODES["hh_b"])
    submit(browser, "Payer")
    reference = by_id(browser, "reference")
    assert rows(browser)[1:] == [
        ["Alimentation", "250,00 €", "200,00 €", "50,00 €"],
        ["Hygiène", "10,00 €", "0,00 €", "10,00 €"],
        ["Total", "260,00 €", "200,00 €", "60,00 €"],
    ]
    recorded = [
        (s["purchase_id"], s["category"], s["amount_cents"], s["credit_cents"]) for s in sales(fund)
    ]
    assert recorded == [
        (f"{reference}-1", "food", 25_000, 20_000),
        (f"{reference}-2", "hygiene", 1_000, 0),
    ]
    follow(browser, "Mes ventes du jour")
    assert by_id(browser, "sales-count") == "2"
    assert by_id(browser, "sales-credit") == "200,00 €"
    assert by_id(browser, "owed") == "200,00 €"
    hygiene = browser.find_element(By.ID, f"vente-{reference}-2")
    # Nothing of the fund's to give back: no refund link, and not "fully refunded" either.
    assert hygiene.find_elements(By.CSS_SELECTOR, "a[href$='/rembourser']") == []
    assert "remboursée" not in hygiene.text
    page_checks(browser, "sales-whole-basket")
    assert fund.balance_cents("hh_b") == 0
    books_verified(fund)
