"""The committee sets a merchant's kind on its merchants page, in a real browser at 360 px,
on the seeded fund (tests/web/seed.py: one merchant, Épicerie du Marais, with no kind set,
so a shop), signed in as claire (committee).

The page calls the same service as PUT /v1/merchants/{id}/kind
(app.services.research.merchant_kinds.set_kind); the indicators then group the merchant's
spending under its new kind.
"""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from app.db.session import read_only
from app.services.research import merchant_kinds
from tests.web.browser import (
    check_accessibility,
    follow,
    no_horizontal_scroll,
    screenshots,
    sign_in,
    submit,
    text,
)
from tests.web.conftest import Server
from tests.web.seed import MERCHANT, SECRET, Fund

SHOP = "Épicerie du Marais"


def check_page(driver: WebDriver, name: str) -> None:
    check_accessibility(driver)
    no_horizontal_scroll(driver)
    screenshots(driver, name)


def kind_in_books(fund: Fund) -> str:
    with read_only(fund.app.state.db_engine) as session:
        return merchant_kinds.kind_of(session, MERCHANT)


def test_the_committee_sets_a_merchants_kind_through_the_page(
    server: Server, browser: WebDriver, fund: Fund
) -> None:
    sign_in(browser, server.url, "claire", SECRET)
    follow(browser, "Commerçants")
    assert "Type : Commerce" in text(browser)  # no kind chosen yet: a shop

    # No kind chosen: the form comes back with the problem in words, nothing is written.
    Select(browser.find_element(By.ID, "commercant-type")).select_by_visible_text(
        f"{SHOP} (Commerce)"
    )
    submit(browser, "Enregistrer le type")
    page = text(browser)
    assert "Il y a un problème" in page
    assert (
        "Choisissez le type du commerçant : producteur, commerce, épicerie solidaire ou marché."
        in page
    )
    assert kind_in_books(fund) == "shop"
    check_page(browser, "committee-merchant-kind-errors")

    browser.find_element(By.CSS_SELECTOR, "label[for=type-solidarity_grocery]").click()
    submit(browser, "Enregistrer le type")
    assert browser.current_url.endswith("/comite/commercants?fait=type")
    page = text(browser)
    assert "Type enregistré" in page
    assert "Type : Épicerie solidaire" in page
    assert kind_in_books(fund) == "solidarity_grocery"
    check_page(browser, "committee-merchant-kind")

    # The API sets the same kind the page shows; the page reads it back, in English too.
    answer = fund.ok("committee", "PUT", f"/merchants/{MERCHANT}/kind", {"kind": "market"})
    assert answer == {"merchant_id": MERCHANT, "kind": "market"}
    browser.get(f"{server.url}/langue/en?suite=/comite/commercants")
    page = text(browser)
    assert "Kind: Market" in page
    assert "Change a merchant's kind" in page
    check_page(browser, "committee-merchant-kind-en")
