"""The merchant's till pages, in a real browser, on the seeded fund (tests/web/seed.py).

Hand-computed figures: m_epicerie pays food at 100 % and hygiene at 50 % from the credit.
bruno's hh_b has 200,00 € of credit; a basket of food 150,00 € + hygiene 120,00 €: food takes
150,00 € of credit, 50,00 € are left for hygiene, which at 50 % would take 60,00 €: the credit
pays the 50,00 € left: credit 200,00 €, the member pays 0,00 € + 70,00 € = 70,00 €, and 0,00 €
of credit is left. The hygiene line is recorded at its price, 120,00 €, so the member's own
70,00 € are kept with the sale (never in the fund's accounts); refunding 20,00 € of its 50,00 €
of credit gives back 20/50 of the member's 70,00 € in cash: 28,00 €.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from app.db.session import unit_of_work
from app.services import tokens as token_service
from app.services.people import luhn_digit
from app.web import i18n, labels
from app.web.routes import till as till_routes
from tests.web.browser import (
    check_accessibility,
    click_to_next_page,
    fill,
    follow,
    no_horizontal_scroll,
    screenshots,
    sign_in,
    submit,
    text,
    wait_next_page,
)
from tests.web.seed import CODES, MERCHANT, SECRET, Fund

SPACES = re.compile(r"[\u00a0\u202f]")


def plain(driver: WebDriver) -> str:
    """The main's text with French number spaces as plain spaces."""
    return SPACES.sub(" ", text(driver))


def by_id(driver: WebDriver, element_id: str) -> str:
    return SPACES.sub(" ", driver.find_element(By.ID, element_id).text)


def page_checks(driver: WebDriver, name: str) -> None:
    check_accessibility(driver)
    no_horizontal_scroll(driver)
    screenshots(driver, f"till-{name}")


def rows(driver: WebDriver) -> list[list[str]]:
    """The quote's or receipt's table, cell texts by row (header and footer included)."""
    table = driver.find_element(By.CSS_SELECTOR, "table.quote")
    return [
        [SPACES.sub(" ", cell.text) for cell in row.find_elements(By.CSS_SELECTOR, "th, td")]
        for row in table.find_elements(By.TAG_NAME, "tr")
    ]


def sales(fund: Fund) -> list[dict[str, Any]]:
    found = fund.ok("merchant", "GET", f"/merchants/{MERCHANT}/sales")["purchases"]
    return sorted(found, key=lambda sale: sale["seq"])


def quote_basket(driver: WebDriver, fund: Fund, household: str, **amounts: str) -> None:
    driver.get(f"{fund.url}/commercant")
    fill(driver, "carte", fund.cards[household])
    submit(driver, "Continuer")
    for category, amount in amounts.items():
        fill(driver, f"montant-{category}", amount)
    submit(driver, "Calculer")


def books_verified(fund: Fund) -> None:
    state = fund.verify()
    assert state["status"] == "done" and state["result"]["ok"] is True, state


def test_a_basket_the_credit_covers_in_part_is_charged_then_partly_refunded(
    browser: WebDriver, fund: Fund
) -> None:
    sign_in(browser, fund.url, "epicerie", SECRET)
    assert browser.current_url == f"{fund.url}/commercant"
    page_checks(browser, "card")
    fill(browser, "carte", fund.cards["hh_b"])
    submit(browser, "Continuer")
    assert "Crédit disponible 200,00 €" in plain(browser)
    assert fund.cards["hh_b"] in plain(browser)
    assert "hh_b" not in browser.page_source and "Membre hh_b" not in browser.page_source
    page_checks(browser, "basket")
    fill(browser, "montant-food", "150,00")
    fill(browser, "montant-hygiene", "120")
    submit(browser, "Calculer")
    expected = [
        ["Catégorie", "Montant", "Crédit", "Membre"],
        ["Alimentation\n100 %", "150,00 €", "150,00 €", "0,00 €"],
        ["Hygiène\n50 %", "120,00 €", "50,00 €", "70,00 €"],
        ["Total", "270,00 €", "200,00 €", "70,00 €"],
    ]
    assert rows(browser) == expected
    assert by_id(browser, "credit-part") == "200,00 €"
    assert by_id(browser, "member-part") == "70,00 €"
    assert by_id(browser, "credit-left") == "0,00 €"
    assert "Le crédit ne suffit pas pour tout le panier" in plain(browser)
    page_checks(browser, "quote")
    fill(browser, "code", CODES["hh_b"])
    submit(browser, "Payer")

    assert browser.current_url.startswith(f"{fund.url}/commercant/recu/")
    reference = by_id(browser, "reference")
    assert re.fullmatch(r"[34679ACDEFGHJKMNPQRTUVWXY]{8}", reference)
    assert "Paiement enregistré" in plain(browser)
    assert rows(browser) == [
        ["Catégorie", "Montant", "Crédit", "Membre"],
        ["Alimentation", "150,00 €", "150,00 €", "0,00 €"],
        ["Hygiène", "120,00 €", "50,00 €", "70,00 €"],
        ["Total", "270,00 €", "200,00 €", "70,00 €"],
    ]
    assert by_id(browser, "credit-left") == "0,00 €"
    page_checks(browser, "receipt")
    assert fund.balance_cents("hh_b") == 0
    recorded = [
        (s["purchase_id"], s["category"], s["amount_cents"], s["credit_cents"]) for s in sales(fund)
    ]
    assert recorded == [
        (f"{reference}-1", "food", 15_000, 15_000),
        (f"{reference}-2", "hygiene", 12_000, 5_000),
    ]

    follow(browser, "Mes ventes du jour")
    assert by_id(browser, "sales-count") == "2"
    assert by_id(browser, "sales-credit") == "200,00 €"
    assert by_id(browser, "owed") == "200,00 €"
    page_checks(browser, "sales")
    follow(browser, "Jour précédent")
    assert "Aucune vente ce jour-là." in plain(browser)
    assert by_id(browser, "owed") == "200,00 €"
    page_checks(browser, "sales-yesterday")
    follow(browser, "Jour suivant")
    assert by_id(browser, "sales-count") == "2"
    # Seen later from the sales, a receipt shows what the books hold: each line's price,
    # its credit and the member's own part.
    browser.get(f"{fund.url}/commercant/recu/{reference}")
    assert rows(browser)[1:] == [
        ["Alimentation", "150,00 €", "150,00 €", "0,00 €"],
        ["Hygiène", "120,00 €", "50,00 €", "70,00 €"],
        ["Total", "270,00 €", "200,00 €", "70,00 €"],
    ]
    browser.get(f"{fund.url}/commercant/ventes")
    refund = f"#vente-{reference}-2 a[href$='/rembourser']"
    click_to_next_page(browser, browser.find_element(By.CSS_SELECTOR, refund))
    assert by_id(browser, "refundable") == "50,00 €"
    page_checks(browser, "refund")
    fill(browser, "montant", "60,00")
    submit(browser, "Continuer")
    assert "Vous pouvez rembourser au plus 50,00 € pour cette vente." in plain(browser)
    assert browser.find_element(By.ID, "montant").get_attribute("value") == "60,00"
    page_checks(browser, "refund-error")
    fill(browser, "montant", "20,00")
    submit(browser, "Continuer")
    assert "Rendre 20,00 € au crédit du membre ?" in plain(browser)
    assert by_id(browser, "cash-due") == (
        "Vous rendez aussi 28,00 € en espèces au membre : la même part de ce qu'il a payé "
        "en caisse."
    )
    assert fund.balance_cents("hh_b") == 0  # nothing before the confirmation
    page_checks(browser, "refund-confirm")
    submit(browser, "Confirmer le remboursement")
    assert "Remboursement enregistré : 20,00 € rendus au crédit du membre." in plain(browser)
    assert by_id(browser, "cash-back") == (
        "Rendez aussi 28,00 € en espèces au membre : sa part payée en caisse."
    )
    assert by_id(browser, "sales-refunded") == "20,00 €"
    assert by_id(browser, "owed") == "180,00 €"
    assert fund.balance_cents("hh_b") == 2_000
    browser.back()  # the confirmation page again: its key was used, nothing more is refunded
    submit(browser, "Confirmer le remboursement")
    assert fund.balance_cents("hh_b") == 2_000
    assert [s["refunded_cents"] for s in sales(fund)] == [0, 2_000]

    fund.ok(
        "operator",
        "POST",
        "/settlements",
        {
            "batch_id": "b1",
            "reference": "VIR-0001",
            "on": fund.today.isoformat(),
            "merchants": [{"merchant_id": MERCHANT, "amount_cents": 5_000}],
        },
    )
    follow(browser, "Mes règlements")
    assert by_id(browser, "owed") == "130,00 €"
    assert "VIR-0001" in plain(browser) and "50,00 €" in plain(browser)
    page_checks(browser, "settlements")
    books_verified(fund)


def test_a_wrong_code_charges_nothing_and_a_double_submit_charges_once(
    browser: WebDriver, fund: Fund
) -> None:
    sign_in(browser, fund.url, "epicerie", SECRET)
    quote_basket(browser, fund, "hh_a", food="30,00", hygiene="10,01")
    # hh_a has 100,00 €: food 30,00 € + hygiene 10,01 € x 50 % = 5,00 € (rounded down).
    assert rows(browser)[1:] == [
        ["Alimentation\n100 %", "30,00 €", "30,00 €", "0,00 €"],
        ["Hygiène\n50 %", "10,01 €", "5,00 €", "5,01 €"],
        ["Total", "40,01 €", "35,00 €", "5,01 €"],
    ]
    fill(browser, "code", "0000")
    submit(browser, "Payer")
    assert "Ce code ne correspond pas. Le membre peut réessayer : rien n'a été payé." in plain(
        browser
    )
    summary = browser.find_element(By.CSS_SELECTOR, ".error-summary a")
    assert summary.get_attribute("href").endswith("#code")
    assert browser.find_element(By.ID, "code").get_dom_attribute("aria-invalid") == "true"
    assert browser.find_element(By.ID, "code-erreur").is_displayed()
    assert (
        browser.find_element(By.ID, "code").get_dom_attribute("aria-describedby")
        == "code-aide code-erreur"
    )
    page_checks(browser, "wrong-code")
    assert fund.balance_cents("hh_a") == 10_000 and sales(fund) == []

    fill(browser, "code", CODES["hh_a"])
    # Two submits of the same quote, as a second tap or a reload would send them.
    statuses = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const form = document.querySelector('form[action=\"/commercant/payer\"]');"
        "const send = () => fetch(form.action, {method: 'POST', body: new FormData(form),"
        " redirect: 'manual'}).then(r => r.type === 'opaqueredirect' ? 303 : r.status);"
        "Promise.all([send(), send()]).then(a => send().then(b => done([...a, b])));"
    )
    assert statuses == [303, 303, 303]
    submit(browser, "Payer")  # and the button itself: the same receipt
    assert "Paiement enregistré" in plain(browser)
    assert by_id(browser, "credit-left") == "65,00 €"
    assert fund.balance_cents("hh_a") == 6_500
    assert [(s["amount_cents"], s["credit_cents"]) for s in sales(fund)] == [
        (3_000, 3_000),
        (1_001, 500),
    ]
    books_verified(fund)


def test_too_many_wrong_codes_make_this_till_wait_with_the_time(
    browser: WebDriver, fund: Fund
) -> None:
    sign_in(browser, fund.url, "epicerie", SECRET)
    quote_basket(browser, fund, "hh_c", food="12,50")
    for _ in range(3):  # two typos are free; the third makes this till wait 30 s
        fill(browser, "code", "0000")
        submit(browser, "Payer")
    message = plain(browser)
    assert "Trop de codes faux : votre caisse doit attendre" in message
    assert "(ses autres commerces ne sont pas bloqués)" in message
    assert "Rien n'a été payé." in message
    page_checks(browser, "locked")
    fill(browser, "code", CODES["hh_c"])
    submit(browser, "Payer")
    assert "votre caisse doit attendre" in plain(browser)
    assert fund.balance_cents("hh_c") == 15_000 and sales(fund) == []


def test_a_mistyped_card_number_is_an_error_on_the_field(browser: WebDriver, fund: Fund) -> None:
    sign_in(browser, fund.url, "epicerie", SECRET)
    good = fund.cards["hh_a"]
    typo = good[:9] + str((int(good[9]) + 1) % 10)
    fill(browser, "carte", typo)
    submit(browser, "Continuer")
    assert "Ce numéro de carte n'est pas valable : il a 10 chiffres." in plain(browser)
    assert browser.find_element(By.ID, "carte").get_attribute("value") == typo
    link = browser.find_element(By.CSS_SELECTOR, ".error-summary a")
    assert link.get_attribute("href").endswith("#carte")
    page_checks(browser, "card-typo")
    unknown = next(
        f"{body}{luhn_digit(body)}"
        for body in (f"{n:09d}" for n in range(100_000_000, 100_000_100))
        if f"{body}{luhn_digit(body)}" not in fund.cards.values()
    )
    fill(browser, "carte", unknown)
    submit(browser, "Continuer")
    assert "Aucune carte ne porte ce numéro." in plain(browser)
    fill(browser, "carte", f"{good[:3]} {good[3:6]} {good[6:]}")  # spaces are fine
    submit(browser, "Continuer")
    assert "Crédit disponible 100,00 €" in plain(browser)
    fill(browser, "montant-food", "douze")
    submit(browser, "Calculer")
    assert "Indiquez un montant en euros, par exemple 12,50." in plain(browser)
    assert browser.find_element(By.ID, "montant-food").get_attribute("value") == "douze"
    page_checks(browser, "basket-error")
    fill(browser, "montant-food", "")
    submit(browser, "Calculer")
    assert "Indiquez le montant d'au moins une catégorie." in plain(browser)


def keys(driver: WebDriver, *typed: str) -> None:
    """Type into whatever has the focus (the keyboard alone), and wait if a page is sent."""
    loaded(driver)
    page = driver.find_element(By.TAG_NAME, "html")
    driver.switch_to.active_element.send_keys(*typed)
    if typed and typed[-1] == Keys.ENTER:
        wait_next_page(driver, page)
        loaded(driver)


def loaded(driver: WebDriver) -> None:
    WebDriverWait(driver, 15).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def test_the_keyboard_alone_can_charge(browser: WebDriver, fund: Fund) -> None:
    sign_in(browser, fund.url, "epicerie", SECRET)
    keys(browser, fund.cards["hh_c"], Keys.ENTER)  # the card field has the focus
    keys(browser, "12,50", Keys.TAB, "4", Keys.ENTER)  # food, then hygiene
    assert rows(browser)[-1] == ["Total", "16,50 €", "14,50 €", "2,00 €"]
    keys(browser, CODES["hh_c"], Keys.ENTER)  # the code field has the focus
    assert "Paiement enregistré" in plain(browser)
    assert by_id(browser, "credit-left") == "135,50 €"
    assert fund.balance_cents("hh_c") == 13_550
    books_verified(fund)


def test_a_merchant_never_sees_another_merchants_sale(browser: WebDriver, fund: Fund) -> None:
    fund.ok(
        "committee",
        "POST",
        "/merchants/m_autre/approve",
        {"categories": {"food": "1"}, "valid_from": f"{fund.period}-01"},
    )
    with unit_of_work(fund.app.state.db_engine) as session:
        other = token_service.create_token(session, role="merchant", merchant_id="m_autre")
    sale = {
        "purchase_id": "ABCDEFGH-1",
        "household_id": "hh_a",
        "category": "food",
        "amount_cents": 1_000,
        "consent_code": CODES["hh_a"],
    }
    answer = httpx.post(
        f"{fund.url}/v1/merchant/charges",
        json=sale,
        headers={"Authorization": f"Bearer {other.secret}", "Idempotency-Key": "autre-vente-1"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    sign_in(browser, fund.url, "epicerie", SECRET)
    for path in (
        "/commercant/ventes/ABCDEFGH-1/rembourser",
        "/commercant/recu/ABCDEFGH",
        "/commercant/recu/unknown",
    ):
        browser.get(f"{fund.url}{path}")
        assert "Page introuvable" in browser.title or "introuvable" in plain(browser).lower()
    browser.get(f"{fund.url}/commercant/ventes")
    assert by_id(browser, "sales-count") == "0"
    assert "ABCDEFGH" not in plain(browser)
    browser.delete_all_cookies()
    sign_in(browser, fund.url, "amina", SECRET)
    browser.get(f"{fund.url}/commercant")
    assert "introuvable" in plain(browser).lower()


def test_the_till_speaks_english_too(browser: WebDriver, fund: Fund) -> None:
    sign_in(browser, fund.url, "epicerie", SECRET)
    browser.get(f"{fund.url}/langue/en?suite=/commercant")
    assert "Take a payment" in plain(browser) and "Member's card number" in plain(browser)
    fill(browser, "carte", fund.cards["hh_a"])
    submit(browser, "Continue")
    assert "Paid by the credit at 50%" in plain(browser)
    page_checks(browser, "basket-en")


def test_every_till_string_has_an_english_translation() -> None:
    templates = Path(__file__).resolve().parents[2] / "app" / "web" / "templates" / "till"
    found = {
        match.group(1) or match.group(2)
        for page in templates.glob("*.html")
        for match in re.finditer(r'_\(\s*"([^"]+)"\s*\)|_\(\s*\'([^\']+)\'\s*\)', page.read_text())
    }
    found |= set(till_routes.MESSAGES.values()) | set(labels.CATEGORY_NAMES.values())
    english = i18n.catalogue("en")
    assert sorted(found - set(english)) == []
