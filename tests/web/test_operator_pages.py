"""The operator's pages (the fund's office), in a real browser on the seeded fund.

Hand-computed figures (tests/web/seed.py: 2,5 % of income half-up; credit 100 € + 50 € per
extra person). After the seed: bank 400,00 € subsidy + 50,00 € paid by hh_a = 450,00 €;
contributions called 50,00 + 20,00 + 30,86 = 100,86 €, of which 50,00 € paid: 50,86 € due;
credit in circulation 100 + 200 + 150 = 450,00 €; reserve 450,00 + 50,86 − 450,00 = 50,86 €.
"""

from __future__ import annotations

import re
import time

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from app.db import tables as t
from app.db.session import read_only
from app.services import consent
from tests.web.browser import (
    check_accessibility,
    click_to_next_page,
    fill,
    follow,
    no_horizontal_scroll,
    screenshots,
    sign_in,
    text,
)
from tests.web.seed import SECRET, Fund


def submit(driver: WebDriver, label: str) -> None:
    """Press the button whose text is ``label`` and wait for the next page (as
    tests.web.browser.submit, also riding out Chromium's "node does not belong to the
    document" while the old page goes away)."""
    click_to_next_page(
        driver, driver.find_element(By.XPATH, f"//button[normalize-space()={_quoted(label)}]")
    )


def _quoted(label: str) -> str:
    return f'"{label}"' if "'" in label else f"'{label}'"


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
    """The auditor's verification job, awaited (the API answers 202 Accepted, which
    ``Fund.verify`` of the shared seed does not accept)."""
    job = fund.call("auditor", "POST", "/audit/verifications")
    assert job.status_code == 202, job.text
    for _ in range(300):
        state = fund.ok("auditor", "GET", f"/audit/verifications/{job.json()['job_id']}")
        if state["status"] in ("done", "failed"):
            assert state["status"] == "done" and state["result"]["ok"] is True, state
            return
        time.sleep(0.1)
    raise AssertionError("the verification did not finish")


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
    earlier = f"{fund.today.year - 1}-12" if fund.today.month == 1 else None
    earlier = earlier or f"{fund.today.year:04d}-{fund.today.month - 1:02d}"
    browser.get(f"{fund.url}/operateur/mois/{earlier}")
    assert "Aucun barème adopté ne s'applique à ce mois" in text(browser)
    page_checks(browser, "mois-sans-bareme")
    browser.get(f"{fund.url}/langue/en?suite=/operateur")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Fund's office"
    assert "In the bank €450.00" in plain(browser)
    check_accessibility(browser)


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


def balance(fund: Fund, household_id: str) -> tuple[int, int]:
    """(credit available, contribution due) of a household, in cents, from the API."""
    found = fund.ok("operator", "GET", f"/members/{household_id}/balance")
    return int(found["credit_cents"]), int(found["due_cents"])


def households_of(fund: Fund) -> list[str]:
    found = fund.ok("operator", "GET", "/households")
    return [h["household_id"] for h in found["households"]]


def choose(driver: WebDriver, select_id: str, value: str) -> None:
    driver.find_element(By.CSS_SELECTOR, f"#{select_id} option[value='{value}']").click()


def test_a_household_is_enrolled_then_the_next_month_is_run_once_and_closed(
    fund: Fund, browser: WebDriver
) -> None:
    """Enrolment with a bad birth date first (answers kept, nothing written), a subsidy,
    then next month: 4 households, contributions 50,00 + 20,00 + 30,86 + 37,50 = 138,36 €,
    credits 100 + 200 + 150 + 150 = 600,00 €; means 450,00 + 50,86 − 450,00 (reserve)
    + 500,00 (subsidy) + 138,36 = 689,22 € >= 600,00 €: no rationing."""
    later = next_month(fund.period)
    sign_in(browser, fund.url, "odile", SECRET)
    browser.get(f"{fund.url}/operateur/foyers/nouveau")
    page_checks(browser, "inscription")
    fill(browser, "full_name", "Chloé Martin")
    choose(browser, "from_period", later)
    fill(browser, "income", "1 500,00")
    fill(browser, "birth_1", "12/03/1985")
    browser.find_element(By.XPATH, "//button[normalize-space()='Ajouter une personne']").click()
    fill(browser, "birth_2", "31/02/2015")
    fill(browser, "consent_code", "2468")
    fill(browser, "consent_code_again", "2468")
    submit(browser, "Inscrire le foyer")
    assert summary_links(browser) == {
        "Cette date de naissance n'est pas possible : écrivez-la comme 17/05/1980.": "birth_2"
    }
    assert browser.find_element(By.ID, "full_name").get_attribute("value") == "Chloé Martin"
    assert browser.find_element(By.ID, "income").get_attribute("value") == "1 500,00"
    assert browser.find_element(By.ID, "birth_1").get_attribute("value") == "12/03/1985"
    assert browser.find_element(By.ID, "from_period").get_attribute("value") == later
    page_checks(browser, "inscription-erreur")
    assert households_of(fund) == ["hh_a", "hh_b", "hh_c"]  # nothing written
    fill(browser, "birth_2", "28/02/2015")
    fill(browser, "consent_code", "2468")
    fill(browser, "consent_code_again", "2468")
    submit(browser, "Inscrire le foyer")
    assert "Le foyer est inscrit" in text(browser)
    household = browser.current_url.split("/operateur/foyers/")[1].split("?")[0]
    assert re.fullmatch(r"hh_[a-z2-7]{10}", household)
    assert households_of(fund) == sorted(["hh_a", "hh_b", "hh_c", household])
    profile = fund.ok("operator", "GET", f"/members/{household}/export")
    assert profile["identity"]["full_name"] == "Chloé Martin"
    assert profile["facts"][0]["from_period"] == later
    assert profile["facts"][0]["income_cents"] == 150_000
    assert [p["birth_on"] for p in profile["facts"][0]["persons"]] == ["1985-03-12", "2015-02-28"]
    page_checks(browser, "foyer-inscrit")

    # A subsidy of 500,00 €, received today.
    browser.get(f"{fund.url}/operateur/paiements")
    page_checks(browser, "paiements")
    fill(browser, "funder", "Ville de Loos-en-Gohelle")
    choose(browser, "kind", "subsidy")
    fill(browser, "funding_amount", "500")
    fill(browser, "funding_reference", "SUB-2")
    submit(browser, "Enregistrer le financement")
    assert "Le financement est enregistré" in text(browser)

    # Next month: the preview, then the run.
    browser.get(f"{fund.url}/operateur/mois/{later}")
    page = plain(browser)
    assert "Foyers à créditer 4 sur 4" in page
    assert "Cotisations appelées 138,36 €" in page
    assert "Crédits dus selon le barème 600,00 €" in page
    assert "Crédits versés 600,00 €" in page
    assert "Moyens de la caisse pour ce mois 689,22 €" in page
    assert "ne suffisent pas" not in page
    page_checks(browser, "mois-apercu")
    submit(browser, "Lancer le mois")
    assert "4 foyers crédités" in plain(browser)
    page_checks(browser, "mois-lance")
    status = fund.ok("operator", "GET", f"/months/{later}")
    assert status["households_credited"] == 4
    assert status["totals_cents"]["credit"] == 60_000
    assert balance(fund, "hh_a") == (20_000, 5_000)  # hh_a paid this month's 50,00 €
    assert balance(fund, household) == (15_000, 3_750)

    # Months close in order: next month first is refused, in French.
    follow(browser, "Retour au mois")
    submit(browser, "Clôturer le mois")
    month_name = browser.find_element(By.CSS_SELECTOR, ".error-summary").text
    assert "est encore ouvert : clôturez-le d'abord." in month_name
    assert summary_links(browser)[month_name.split("\n")[1]] == "clore"
    page_checks(browser, "mois-refus")
    browser.get(f"{fund.url}/operateur/mois/{fund.period}")
    submit(browser, "Faire expirer le crédit échu")
    assert "Le crédit arrivé à échéance a expiré" in text(browser)
    assert fund.ok("operator", "GET", "/funds/position")["expired_credit_cents"] == 0  # 2 months
    submit(browser, "Clôturer le mois")
    assert "Le mois est clôturé" in text(browser)
    browser.get(f"{fund.url}/operateur/mois/{later}")
    submit(browser, "Clôturer le mois")
    assert "Le mois est clôturé" in text(browser)
    submit(browser, "Sceller le mois")
    assert "Le mois est scellé" in text(browser)
    page_checks(browser, "mois-scelle")
    assert fund.ok("operator", "GET", f"/months/{later}")["status"] == "sealed"
    # A month never run cannot be closed.
    browser.get(f"{fund.url}/operateur/mois/{next_month(later)}")
    submit(browser, "Clôturer le mois")
    assert "Ce mois n'a jamais été lancé : lancez-le avant de le clôturer." in text(browser)

    position = fund.ok("operator", "GET", "/funds/position")
    assert position["bank_cents"] == 45_000 + 50_000
    assert position["members_due_cents"] == 5_086 + 13_836
    # Closing the later month expired the first month's 450,00 € left (their last month):
    # what stays in circulation is the later month's 600,00 €, what the till accepts.
    assert position["expired_credit_cents"] == 45_000
    assert position["credit_in_circulation_cents"] == 60_000
    assert position["reserve_cents"] == 95_000 + 18_922 - 60_000
    books_verified(fund)


def client_of(fund: Fund, driver: WebDriver) -> httpx.Client:
    """An HTTP client with the browser's session (to post a form twice, as a double click
    would)."""
    client = httpx.Client(base_url=fund.url)
    for cookie in driver.get_cookies():
        client.cookies.set(cookie["name"], cookie["value"])
    return client


def hidden_fields(driver: WebDriver, action: str) -> dict[str, str]:
    form = driver.find_element(By.CSS_SELECTOR, f"form[action='{action}']")
    return {
        str(i.get_attribute("name")): str(i.get_attribute("value"))
        for i in form.find_elements(By.CSS_SELECTOR, "input[type=hidden]")
    }


def test_a_run_that_would_ration_needs_the_percentage_confirmed_and_runs_once(
    fund: Fund, browser: WebDriver
) -> None:
    """Without a new subsidy, next month's means are the reserve 50,86 € + contributions
    100,86 € = 151,72 € against entitlements of 450,00 €: 33,7 %, shown as 33 % (rounded
    down). The budget is split in proportion to entitlements by largest remainder:
    hh_a 10000 → 33,7155… → 33,72 € (largest remainder), hh_b 67,43 €, hh_c 50,57 €."""
    later = next_month(fund.period)
    sign_in(browser, fund.url, "odile", SECRET)
    browser.get(f"{fund.url}/operateur/mois/{later}")
    page = plain(browser)
    assert "Moyens de la caisse pour ce mois 151,72 €" in page
    assert "Crédits dus selon le barème 450,00 €" in page
    assert "Crédits versés 151,72 €" in page
    assert "chaque foyer recevra 33 % du crédit que le barème lui donne" in page
    page_checks(browser, "mois-rationnement")
    form = hidden_fields(browser, f"/operateur/mois/{later}/lancer")
    submit(browser, "Lancer le mois")
    assert summary_links(browser) == {
        "Les moyens de la caisse ne suffisent pas : cochez la case pour confirmer que chaque"
        " foyer recevra 33 % de son crédit.": "confirm"
    }
    page_checks(browser, "mois-rationnement-erreur")
    assert fund.ok("operator", "GET", f"/months/{later}")["households_credited"] == 0
    browser.find_element(By.ID, "confirm").click()
    form = hidden_fields(browser, f"/operateur/mois/{later}/lancer")
    submit(browser, "Lancer le mois")
    assert "3 foyers crédités" in plain(browser)
    # The same form posted again (a double click): the run's stored figures answer.
    with client_of(fund, browser) as client:
        again = client.post(f"/operateur/mois/{later}/lancer", data=form | {"confirm": "33"})
        assert again.status_code == 303
        assert again.headers["location"] == f"/operateur/mois/{later}/lancement?cle={form['cle']}"
    status = fund.ok("operator", "GET", f"/months/{later}")
    assert status["households_credited"] == 3
    assert status["totals_cents"]["credit"] == 15_172
    assert balance(fund, "hh_a") == (10_000 + 3_372, 5_000)
    assert balance(fund, "hh_b") == (20_000 + 6_743, 4_000)
    assert balance(fund, "hh_c") == (15_000 + 5_057, 6_172)
    books_verified(fund)


def test_a_payment_posted_twice_is_recorded_once(fund: Fund, browser: WebDriver) -> None:
    sign_in(browser, fund.url, "odile", SECRET)
    browser.get(f"{fund.url}/operateur/paiements")
    fill(browser, "amount", "abc")
    submit(browser, "Enregistrer le paiement")
    assert summary_links(browser) == {
        "Choisissez le foyer qui a payé.": "household_id",
        "Indiquez un montant en euros plus grand que zéro, par exemple 20,00.": "amount",
    }
    assert browser.find_element(By.ID, "amount").get_attribute("value") == "abc"
    page_checks(browser, "paiement-erreur")
    form = hidden_fields(browser, "/operateur/paiements/cotisation")
    data = form | {
        "household_id": "hh_b",
        "amount": "15,00",
        "method": "cash",
        "received_on": fund.today.strftime("%d/%m/%Y"),
        "reference": "REÇU-7",
    }
    with client_of(fund, browser) as client:
        for _ in range(2):
            answer = client.post("/operateur/paiements/cotisation", data=data)
            assert answer.status_code == 303, answer.text
    assert balance(fund, "hh_b") == (20_000, 2_000 - 1_500)
    assert fund.ok("operator", "GET", "/funds/position")["cash_cents"] == 1_500
    # An enrolment posted twice (and as a browser without JavaScript sends it: the blank
    # person rows are ignored) enrols one household.
    browser.get(f"{fund.url}/operateur/foyers/nouveau")
    enrolment = hidden_fields(browser, "/operateur/foyers/nouveau") | {
        "full_name": "Dina Morel",
        "from_period": fund.period,
        "income": "900",
        "birth_1": "",
        "birth_5": "1992-04-30",
        "consent_code": "8080",
        "consent_code_again": "8080",
    }
    with client_of(fund, browser) as client:
        places = {client.post("/operateur/foyers/nouveau", data=enrolment).headers["location"]}
        places.add(client.post("/operateur/foyers/nouveau", data=enrolment).headers["location"])
    assert len(places) == 1
    household = places.pop().split("/operateur/foyers/")[1].split("?")[0]
    assert households_of(fund) == sorted(["hh_a", "hh_b", "hh_c", household])
    facts = fund.ok("operator", "GET", f"/members/{household}/export")["facts"]
    assert [p["birth_on"] for p in facts[0]["persons"]] == ["1992-04-30"]
    books_verified(fund)


def click_and_wait(driver: WebDriver, xpath: str) -> None:
    click_to_next_page(driver, driver.find_element(By.XPATH, xpath))


def signs_in(fund: Fund, login: str, secret: str) -> bool:
    with httpx.Client(base_url=fund.url) as client:
        page = client.get("/connexion")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token is not None
        data = {"login": login, "secret": secret, "csrf": token.group(1)}
        return client.post("/connexion", data=data).status_code == 303


def test_a_member_access_is_created_printed_and_activated_then_others_reset_and_revoked(
    fund: Fund, browser: WebDriver
) -> None:
    sign_in(browser, fund.url, "odile", SECRET)
    browser.get(f"{fund.url}/operateur/acces")
    page_checks(browser, "acces")
    submit(browser, "Créer l'accès")
    assert summary_links(browser) == {
        "Choisissez le foyer du membre.": "household_id",
        "Indiquez le nom de la personne (120 caractères au plus).": "display_name",
    }
    page_checks(browser, "acces-erreur")
    choose(browser, "role", "member")
    choose(browser, "household_id", "hh_c")
    fill(browser, "display_name", "Chantal Caron")
    submit(browser, "Créer l'accès")
    code = browser.find_element(By.CSS_SELECTOR, ".activation-code").text
    assert re.fullmatch(r"[34679ACDEFGHJKMNPQRTUVWXY]{4}(-[34679ACDEFGHJKMNPQRTUVWXY]{4}){2}", code)
    link = browser.find_element(By.CSS_SELECTOR, ".link-text a").get_attribute("href")
    assert link == f"{fund.url}/activer?code={code}"
    assert browser.find_elements(By.CSS_SELECTOR, "figure.qr svg")
    assert fund.cards["hh_c"] in text(browser)
    page_checks(browser, "acces-code")
    submit(browser, "Se déconnecter")
    browser.get(link)
    fill(browser, "login", "chantal")
    fill(browser, "secret", "chantal-42")
    fill(browser, "secret_again", "chantal-42")
    submit(browser, "Activer")
    assert browser.current_url == f"{fund.url}/membre"
    assert signs_in(fund, "chantal", "chantal-42")
    submit(browser, "Se déconnecter")

    # Bruno forgot his secret: a new code; his old secret stops working. Amina's access
    # is revoked.
    sign_in(browser, fund.url, "odile", SECRET)
    browser.get(f"{fund.url}/operateur/acces")
    assert "Chantal Caron Membre (un foyer) — Membre hh_c activé identifiant : chantal" in plain(
        browser
    )
    click_and_wait(browser, "//button[@aria-label='Nouveau code pour Bruno Lefebvre']")
    assert browser.find_element(By.CSS_SELECTOR, ".activation-code").text
    assert not signs_in(fund, "bruno", SECRET)
    browser.get(f"{fund.url}/operateur/acces")
    click_and_wait(browser, '//button[@aria-label="Révoquer l\'accès de Amina Benali"]')
    assert "L'accès est révoqué" in text(browser)
    assert not signs_in(fund, "amina", SECRET)
    page_checks(browser, "acces-revoque")


def test_a_members_consent_code_is_reset_typed_twice(fund: Fund, browser: WebDriver) -> None:
    sign_in(browser, fund.url, "odile", SECRET)
    browser.get(f"{fund.url}/operateur/foyers/hh_b")
    follow(browser, "Changer le code de consentement du membre")
    page_checks(browser, "code")
    fill(browser, "consent_code", "9911")
    fill(browser, "consent_code_again", "9912")
    submit(browser, "Enregistrer le code")
    assert summary_links(browser) == {
        "Les deux codes ne sont pas identiques.": "consent_code_again"
    }
    page_checks(browser, "code-erreur")
    fill(browser, "consent_code", "9911")
    fill(browser, "consent_code_again", "9911")
    submit(browser, "Enregistrer le code")
    assert "Le nouveau code de consentement est enregistré" in text(browser)
    # Bruno's household earns 1 000,00 € from next month: the form starts from its facts.
    later = next_month(fund.period)
    assert browser.find_element(By.ID, "birth_3").get_attribute("value") == "11/06/2015"
    choose(browser, "from_period", later)
    fill(browser, "income", "mille")
    submit(browser, "Enregistrer la situation")
    assert summary_links(browser) == {
        "Indiquez les ressources mensuelles du foyer en euros, par exemple 1 234,56.": "income"
    }
    assert browser.find_element(By.ID, "birth_2").get_attribute("value") == "30/09/2012"
    page_checks(browser, "situation-erreur")
    fill(browser, "income", "1 000")
    submit(browser, "Enregistrer la situation")
    assert "La situation est enregistrée" in text(browser)
    facts = fund.ok("operator", "GET", "/members/hh_b/export")["facts"]
    assert [(f["from_period"], f["income_cents"], len(f["persons"])) for f in facts] == [
        (fund.period, 80_000, 3),
        (later, 100_000, 3),
    ]
    with read_only(fund.app.state.db_engine) as session:
        row = session.get(t.Household, "hh_b")
        assert row is not None
        assert consent.code_matches(row.consent_code_hash, "hh_b", "9911")
        assert not consent.code_matches(row.consent_code_hash, "hh_b", "7350")
