"""A member's pages (/membre), in a real browser on the seeded fund (tests/web/seed.py).

Hand-computed figures: hh_a (Amina) owes 50,00 € (2,5 % of 2 000,00 €), paid 50,00 €, and
gets 100,00 € of credit, usable this month and the next (expires after 2 months). A food
purchase of 42,50 € at the Épicerie du Marais (100 % from credit) leaves 57,50 €.
hh_b (Bruno) gets 200,00 €.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime
from typing import Any

import httpx
import segno
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from app.db.session import unit_of_work
from app.engine import parse_rule_set
from app.engine.assess import assess
from app.engine.facts import HouseholdFacts, Person
from app.engine.period import Period
from app.services import merchant_profiles, people
from app.services import tokens as token_service
from app.services.tokens import Role
from app.web import formats
from app.web.routes import member as member_page
from tests.web.browser import (
    check_accessibility,
    click_to_next_page,
    fill,
    no_horizontal_scroll,
    press_enter,
    screenshots,
    sign_in,
    submit,
    text,
)
from tests.web.conftest import Server
from tests.web.seed import CODES, MERCHANT, SECRET, Fund, rules

SHOP = "Épicerie du Marais — coopérative d'Amélie"


def plain(value: str) -> str:
    """Text with the no-break spaces of French amounts as plain spaces."""
    return value.replace("\u00a0", " ").replace("\u202f", " ")


def page_text(driver: WebDriver) -> str:
    return plain(text(driver))


def checked(driver: WebDriver, name: str) -> None:
    check_accessibility(driver)
    no_horizontal_scroll(driver)
    screenshots(driver, name)


def charge(fund: Fund, purchase_id: str, category: str, amount_cents: int, code: str) -> Any:
    return fund.call(
        "merchant",
        "POST",
        "/merchant/charges",
        {
            "purchase_id": purchase_id,
            "household_id": "hh_a",
            "category": category,
            "amount_cents": amount_cents,
            "on": fund.today.isoformat(),
            "consent_code": code,
        },
    )


def books_verified(fund: Fund) -> None:
    """The auditor's verification of the books (a background job, answered 202), awaited.
    (``Fund.verify`` expects a 200 the API does not give for this job.)"""
    job = fund.call("auditor", "POST", "/audit/verifications")
    assert job.status_code == 202, job.text
    state: dict[str, Any] = {}
    for _ in range(300):
        state = fund.ok("auditor", "GET", f"/audit/verifications/{job.json()['job_id']}")
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert state["status"] == "done", state
    assert state["result"]["ok"] is True, state


def credit_cents(fund: Fund, household_id: str) -> int:
    """The household's credit as the API's balance read gives it."""
    found = fund.ok("operator", "GET", f"/members/{household_id}/balance")
    return int(found["credit_cents"])


def in_words(period: str) -> str:
    return formats.month(period)


def last_day_in_words(period: str) -> str:
    return plain(formats.day(Period.parse(period).shift(1).last_day))


def test_amina_sees_her_credit_then_a_purchase_in_balance_and_history(
    fund: Fund, browser: WebDriver
) -> None:
    sign_in(browser, fund.url, "amina", SECRET)
    assert browser.current_url.endswith("/membre")
    assert plain(browser.find_element(By.ID, "credit-disponible").text) == "100,00 €"
    shown = page_text(browser)
    assert f"100,00 € expirent le {last_day_in_words(fund.period)}" in shown
    assert "Cotisation du mois\n50,00 €" in shown
    assert "Payé ce mois-ci\n50,00 €" in shown
    assert "Reste à payer\nrien, merci !" in shown
    checked(browser, "membre-accueil")

    bought = charge(fund, "t1", "food", 4_250, CODES["hh_a"])
    assert bought.status_code == 200, bought.text
    assert bought.json()["credit_cents"] == 4_250
    browser.get(fund.url + "/membre")
    assert plain(browser.find_element(By.ID, "credit-disponible").text) == "57,50 €"
    assert f"57,50 € expirent le {last_day_in_words(fund.period)}" in page_text(browser)

    click_to_next_page(browser, browser.find_element(By.LINK_TEXT, "Historique"))
    assert browser.current_url.endswith("/membre/historique")
    items = [plain(li.text) for li in browser.find_elements(By.CSS_SELECTOR, "ol.history li .what")]
    amounts = [
        plain(li.text) for li in browser.find_elements(By.CSS_SELECTOR, "ol.history li .amount")
    ]
    month = in_words(fund.period)
    assert list(zip(items, amounts, strict=True)) == [
        ("Achat chez Épicerie du Marais (alimentation)", "\u221242,50 €"),
        ("Paiement reçu", "50,00 € payé"),
        (f"Crédit de {month}", "+100,00 €"),
        (f"Cotisation de {month}", "50,00 € à payer"),
    ]
    assert "hh_a" not in page_text(browser) and "419" not in page_text(browser)
    checked(browser, "membre-historique")

    # The shop's own name (its profile) replaces its access's display name.
    with unit_of_work(fund.app.state.db_engine) as session:
        merchant_profiles.set_name(session, MERCHANT, SHOP, datetime.now(UTC))
    browser.refresh()
    items = [plain(li.text) for li in browser.find_elements(By.CSS_SELECTOR, "ol.history li .what")]
    assert items[0] == f"Achat chez {SHOP} (alimentation)"
    books_verified(fund)
    assert credit_cents(fund, "hh_a") == 5_750


def test_the_statement_explains_fifty_and_one_hundred_euros_in_words(
    fund: Fund, browser: WebDriver
) -> None:
    sign_in(browser, fund.url, "amina", SECRET)
    browser.get(fund.url + "/membre/releve")
    shown = page_text(browser)
    month = in_words(fund.period)
    assert browser.find_element(By.TAG_NAME, "h1").text == f"Mon relevé de {month}"
    assert "Pourquoi vous payez 50,00 €" in shown
    assert "Votre cotisation est de 2,5 % de votre revenu mensuel (2 000,00 €) : 50,00 €." in shown
    assert "Le montant tombe juste, sans arrondi : 50,00 €." in shown
    assert "Pourquoi vous recevez 100,00 €" in shown
    assert "100,00 € pour un foyer d'une personne : votre crédit est de 100,00 €." in shown
    assert "Revenu mensuel déclaré\n2 000,00 €" in shown
    assert "Règles appliquées : « Caisse des tests de pages », version 1" in shown
    assert "Montant fixe" not in shown and "rationn" not in shown.lower()
    link = browser.find_element(By.LINK_TEXT, month)
    assert link.get_attribute("href").endswith(f"/membre/releve/{fund.period}")
    checked(browser, "membre-releve")

    # The same statement in English (the footer's switch).
    browser.get(f"{fund.url}/langue/en?suite=/membre/releve")
    english = page_text(browser)
    assert "Why you pay €50.00" in english
    assert "Your contribution is 2.5% of your monthly income (€2,000.00): €50.00." in english
    assert "€100.00 for a one-person household: your credit is €100.00." in english
    assert "Declared monthly income\n€2,000.00" in english
    check_accessibility(browser)
    browser.get(f"{fund.url}/langue/fr?suite=/membre/releve")

    # A month not run yet: a friendly message, not an error.
    later = str(Period.parse(fund.period).shift(1))
    browser.get(f"{fund.url}/membre/releve/{later}")
    assert "Pas encore de relevé pour ce mois" in page_text(browser)
    checked(browser, "membre-releve-vide")
    # Before the membership, or not a month at all: no such page.
    for bad in ("2019-01", "abc", "2026-13", "2026-1"):
        browser.get(f"{fund.url}/membre/releve/{bad}")
        assert browser.find_element(By.TAG_NAME, "h1").text == "Page introuvable", bad


def test_bruno_s_statement_is_his_own(fund: Fund, browser: WebDriver) -> None:
    sign_in(browser, fund.url, "bruno", SECRET)
    assert plain(browser.find_element(By.ID, "credit-disponible").text) == "200,00 €"
    browser.get(f"{fund.url}/membre/releve/{fund.period}")
    shown = page_text(browser)
    assert "Pourquoi vous payez 20,00 €" in shown
    assert (
        "100,00 € pour la première personne, plus 50,00 € pour chacune des 2 autres"
        " personnes : votre crédit est de 200,00 €." in shown
    )
    assert "2 000,00 €" not in shown


def test_the_card_shows_the_number_in_groups_and_its_qr_code(
    fund: Fund, browser: WebDriver
) -> None:
    number = fund.cards["hh_a"]
    sign_in(browser, fund.url, "amina", SECRET)
    browser.get(fund.url + "/membre/carte")
    grouped = f"{number[:3]} {number[3:6]} {number[6:9]} {number[9]}"
    assert browser.find_element(By.CSS_SELECTOR, ".card-number").text == grouped
    image = browser.find_element(By.CSS_SELECTOR, ".qr img")
    assert image.get_attribute("src") == segno.make(number, error="m").svg_data_uri(
        scale=6, border=4
    )
    assert number in plain(image.get_attribute("alt") or "").replace(" ", "")
    assert browser.execute_script("return arguments[0].naturalWidth", image) > 0
    checked(browser, "membre-carte")


def test_a_new_consent_code_works_at_the_till_and_the_old_one_is_refused(
    fund: Fund, browser: WebDriver
) -> None:
    sign_in(browser, fund.url, "amina", SECRET)
    browser.get(fund.url + "/membre/code")
    checked(browser, "membre-code")
    # A wrong secret: the same page, the problem named, nothing changed.
    fill(browser, "secret", "pas-mon-secret")
    fill(browser, "code", "55667")
    fill(browser, "code_again", "55667")
    submit(browser, "Changer mon code")
    summary = browser.find_element(By.CSS_SELECTOR, ".error-summary")
    assert "Ce secret ne correspond pas." in summary.text
    assert summary.find_element(By.CSS_SELECTOR, "a").get_attribute("href").endswith("#secret")
    checked(browser, "membre-code-erreur")
    # Codes that are not digits, then two different codes.
    fill(browser, "secret", SECRET)
    fill(browser, "code", "12a4")
    fill(browser, "code_again", "12a4")
    submit(browser, "Changer mon code")
    assert (
        "Choisissez un code de 4 à 12 chiffres"
        in browser.find_element(By.CSS_SELECTOR, ".error-summary").text
    )
    fill(browser, "secret", SECRET)
    fill(browser, "code", "55667")
    fill(browser, "code_again", "55668")
    submit(browser, "Changer mon code")
    summary = browser.find_element(By.CSS_SELECTOR, ".error-summary")
    assert "Les deux codes ne sont pas identiques." in summary.text
    assert summary.find_element(By.CSS_SELECTOR, "a").get_attribute("href").endswith("#code_again")
    assert charge(fund, "t0", "food", 100, CODES["hh_a"]).status_code == 200  # unchanged
    # The right secret and the same code twice, with the keyboard alone (Enter).
    fill(browser, "secret", SECRET)
    fill(browser, "code", "55667")
    fill(browser, "code_again", "55667")
    press_enter(browser, "code_again")
    assert browser.current_url.endswith("/membre/code/change")
    assert "Votre code de caisse est changé" in page_text(browser)
    checked(browser, "membre-code-change")
    # A reload of the confirmation posts nothing again.
    browser.refresh()
    assert "Votre code de caisse est changé" in page_text(browser)

    old = charge(fund, "t1", "food", 1_000, CODES["hh_a"])
    assert old.status_code == 403, old.text
    new = charge(fund, "t2", "food", 1_000, "55667")
    assert new.status_code == 200, new.text
    assert new.json()["credit_cents"] == 1_000
    # 100,00 − 1,00 − 10,00 = 89,00 €
    assert credit_cents(fund, "hh_a") == 8_900
    browser.get(fund.url + "/membre")
    assert plain(browser.find_element(By.ID, "credit-disponible").text) == "89,00 €"
    books_verified(fund)


def _session_cookie(driver: WebDriver) -> dict[str, str]:
    cookie = driver.get_cookie("caisse_session")
    assert cookie is not None
    return {"caisse_session": cookie["value"]}


def test_the_data_download_holds_the_household_s_own_data(fund: Fund, browser: WebDriver) -> None:
    sign_in(browser, fund.url, "amina", SECRET)
    browser.get(fund.url + "/membre/donnees")
    assert "Ce que contient le fichier" in page_text(browser)
    link = browser.find_element(By.LINK_TEXT, "Télécharger mes données")
    assert link.get_attribute("href").endswith("/membre/donnees/telecharger")
    checked(browser, "membre-donnees")

    got = httpx.get(
        fund.url + "/membre/donnees/telecharger", cookies=_session_cookie(browser), timeout=30
    )
    assert got.status_code == 200
    assert got.headers["content-disposition"].startswith('attachment; filename="mes-donnees-')
    data = got.json()
    assert data["format"] == "caisse.member-export/1"
    assert data["household_id"] == "hh_a"
    assert data["identity"]["full_name"] == "Membre hh_a"
    assert data["facts"][0]["income_cents"] == 200_000
    assert data["balance"]["credit_cents"] == 10_000
    assert [s["period"] for s in data["statements"]] == [fund.period]
    assert "hh_b" not in json.dumps(data) and "hh_c" not in json.dumps(data)


def test_member_pages_are_a_member_s_own_and_nobody_else_s(fund: Fund, browser: WebDriver) -> None:
    paths = (
        "/membre",
        "/membre/historique",
        "/membre/releve",
        f"/membre/releve/{fund.period}",
        "/membre/carte",
        "/membre/code",
        "/membre/donnees",
        "/membre/donnees/telecharger",
    )
    # Not signed in: the sign-in page.
    for path in paths:
        answer = httpx.get(fund.url + path, timeout=30)
        assert answer.status_code == 303 and "/connexion" in answer.headers["location"], path
    # Another role: the 404 page, for every member page.
    for login in ("epicerie", "claire", "odile", "aurele"):
        browser.delete_all_cookies()
        sign_in(browser, fund.url, login, SECRET)
        cookies = _session_cookie(browser)
        for path in paths:
            answer = httpx.get(fund.url + path, cookies=cookies, timeout=30)
            assert answer.status_code == 404, (login, path)
    browser.get(fund.url + "/membre")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Page introuvable"
    # Bruno's pages and download are his household's only.
    browser.delete_all_cookies()
    sign_in(browser, fund.url, "bruno", SECRET)
    got = httpx.get(
        fund.url + "/membre/donnees/telecharger", cookies=_session_cookie(browser), timeout=30
    )
    assert got.json()["household_id"] == "hh_b"
    assert "hh_a" not in got.text and "Membre hh_a" not in got.text
    browser.get(fund.url + "/membre/carte")
    assert (
        browser.find_element(By.CSS_SELECTOR, ".card-number").text.replace(" ", "")
        == (fund.cards["hh_b"])
    )
    # A posted form without its anti-forgery token changes nothing.
    forged = httpx.post(
        fund.url + "/membre/code",
        cookies=_session_cookie(browser),
        data={"secret": SECRET, "code": "1111", "code_again": "1111"},
        timeout=30,
    )
    assert forged.status_code == 403
    assert charge_hh_b(fund, "f1", CODES["hh_b"]).status_code == 200


def charge_hh_b(fund: Fund, purchase_id: str, code: str) -> Any:
    return fund.call(
        "merchant",
        "POST",
        "/merchant/charges",
        {
            "purchase_id": purchase_id,
            "household_id": "hh_b",
            "category": "food",
            "amount_cents": 100,
            "on": fund.today.isoformat(),
            "consent_code": code,
        },
    )


def test_a_rationed_month_says_so_with_the_entitlement_and_the_credit(
    server: Server, browser: WebDriver
) -> None:
    """A separate, short fund: two households, no subsidy, a 80,00 € donation.

    Contributions 50,00 € (hx) + 20,00 € (hy) + 80,00 € = a 150,00 € budget for 300,00 € of
    entitlements (100,00 € + 200,00 €): proportional, each gets half: 50,00 € and 100,00 €.
    """
    today = datetime.now(UTC).date()
    period = f"{today.year:04d}-{today.month:02d}"
    short = Fund(server.url, server.app, period, today)
    with unit_of_work(server.app.state.db_engine) as session:
        for role in ("committee", "operator", "auditor"):
            short.tokens[role] = token_service.create_token(session, role=role).secret
    short.ok("committee", "POST", "/rules/drafts", rules(period))
    short.ok(
        "committee",
        "POST",
        "/rules/versions/caisse-test/1/adopt",
        {"decision": "Comité du 1er du mois, délibération 1"},
    )
    for household, income, births in (
        ("hx", 200_000, ("1980-05-17",)),
        ("hy", 80_000, ("1979-02-01", "2012-09-30", "2015-06-11")),
    ):
        short.ok(
            "operator",
            "POST",
            "/households",
            {
                "household_id": household,
                "from_period": period,
                "identity": {"full_name": f"Membre {household}"},
                "facts": {"income_cents": income, "persons": [{"birth_on": b} for b in births]},
                "consent_code": "2468",
            },
        )
    short.ok(
        "operator",
        "POST",
        "/funds/fundings",
        {
            "funder_id": "amis",
            "kind": "donation",
            "amount_cents": 8_000,
            "reference": "DON-1",
            "received_on": today.isoformat(),
        },
    )
    run = short.ok("operator", "POST", f"/months/{period}/run", {"confirm_rationing": True})
    assert run["rationed"] is True
    assert (run["entitlement_cents"], run["credit_cents"]) == (30_000, 15_000)
    with unit_of_work(server.app.state.db_engine) as session:
        new = people.create_access(session, Role.MEMBER, "hx", "Xavier", datetime.now(UTC))
        people.activate(session, new.activation_code, "xavier", SECRET, datetime.now(UTC))

    sign_in(browser, server.url, "xavier", SECRET)
    assert plain(browser.find_element(By.ID, "credit-disponible").text) == "50,00 €"
    browser.get(server.url + "/membre/releve")
    box = plain(browser.find_element(By.ID, "rationnement").text)
    assert "Ce mois-ci, la caisse a dû partager un budget trop petit" in box
    assert "le budget du mois (150,00 €) ne couvrait pas tous les droits (300,00 €)" in box
    assert "Vous aviez droit à 100,00 € ; vous avez reçu 50,00 €." in box
    assert "Chaque foyer a reçu la même part de son droit." in box
    shown = page_text(browser)
    assert "Pourquoi vous recevez 50,00 €" in shown
    assert "Après le partage du budget : 50,00 €." in shown
    checked(browser, "membre-releve-rationne")
    assert credit_cents(short, "hx") == 5_000
    assert credit_cents(short, "hy") == 10_000
    books_verified(short)


def _worded(contribution: dict[str, Any], income_cents: int) -> list[str]:
    document = rules("2027-01") | {"contribution": contribution}
    found = assess(
        parse_rule_set(document),
        HouseholdFacts(
            household_id="hh", income_cents=income_cents, persons=(Person(date(1980, 5, 17)),)
        ),
        Period.parse("2027-01"),
    ).explanation
    assert found is not None
    steps = found.contribution
    return [plain(member_page.step_words(s, steps, "contribution")) for s in steps]


def test_a_floor_is_a_minimum_and_a_cap_a_ceiling_never_a_fixed_amount() -> None:
    rounding = {"unit_cents": 1, "mode": "half_up"}
    share = {"kind": "proportional", "base": "income", "rate": "0.025"}
    floor = {
        "rounding": rounding,
        "formula": {"kind": "max", "of": [{"kind": "fixed", "amount_cents": 1_000}, share]},
    }
    cap = {
        "rounding": rounding,
        "formula": {"kind": "min", "of": [share, {"kind": "fixed", "amount_cents": 4_000}]},
    }
    # 2,5 % of 200,00 € = 5,00 €, under the 10,00 € minimum.
    assert _worded(floor, 20_000) == [
        "Minimum (plancher) : 10,00 €.",
        "Votre cotisation est de 2,5 % de votre revenu mensuel (200,00 €) : 5,00 €.",
        "Le calcul donne moins que le minimum : le plancher de 10,00 € s'applique.",
        "Le montant tombe juste, sans arrondi : 10,00 €.",
    ]
    # 2,5 % of 1 234,56 € = 30,864 €, above the minimum; rounded half-up to 30,86 €.
    assert _worded(floor, 123_456)[2:] == [
        "Le calcul dépasse le minimum : ≈ 30,86 € est retenu.",
        "Montant arrondi une seule fois, au centime près (au plus proche) : 30,86 €.",
    ]
    # 2,5 % of 2 000,00 € = 50,00 €, above the 40,00 € cap.
    assert _worded(cap, 200_000) == [
        "Votre cotisation est de 2,5 % de votre revenu mensuel (2 000,00 €) : 50,00 €.",
        "Plafond : 40,00 €.",
        "Le calcul dépasse le plafond : le plafond de 40,00 € s'applique.",
        "Le montant tombe juste, sans arrondi : 40,00 €.",
    ]
