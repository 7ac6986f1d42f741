"""The committee's pages in a real browser, on the seeded fund (tests/web/seed.py), signed in
as claire (committee).

Hand-computed figures for the change tested (credit base 110,00 € instead of 100,00 €,
effective next month; contributions unchanged, 2,5 % of income):

| household | persons | credit before | credit after | net change |
|---|---:|---:|---:|---:|
| hh_a | 1 | 100,00 € | 110,00 € | +10,00 € |
| hh_b | 3 | 200,00 € | 210,00 € | +10,00 € |
| hh_c | 2 | 150,00 € | 160,00 € | +10,00 € |

Credits 450,00 € -> 480,00 € (+30,00 € per month); contributions 100,86 € both sides, so
the net cost goes 349,14 € -> 379,14 €. The fund's reserve: bank 450,00 € (subsidy 400,00 €
+ hh_a's payment 50,00 €) + members' dues 50,86 € (100,86 € owed − 50,00 € paid) − credit
in circulation 450,00 € = 50,86 €, which pays the extra 30,00 € for 1 whole month.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.web.browser import (
    check_accessibility,
    fill,
    follow,
    no_horizontal_scroll,
    screenshots,
    sign_in,
    submit,
    text,
    wait_for,
)
from tests.web.conftest import Server
from tests.web.seed import SECRET, Fund

DECISION = "Comité du 1er du mois, délibération 1"
SHOP = "Boulangerie du Centre-Ville — Épis d'or"
SHOP_ID = "m_boulangerie-du-centre-ville-epis-d-or"  # made from the name, never typed


def next_month(period: str) -> str:
    year, month = (int(part) for part in period.split("-"))
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def change_yaml(period: str, base_cents: int = 11_000, version: int = 2) -> str:
    """The seed's rules as the committee writes them in YAML, with a new credit base."""
    return f"""# Proposition : crédit de base relevé à 110 €
format: caisse.rules/1
id: caisse-test
version: {version}
name: Caisse des tests de pages
effective_from: "{period}"
decision: {DECISION}
contribution:
  rounding: {{unit_cents: 1, mode: half_up}}
  formula:
    kind: proportional
    base: income
    rate: 0.025
credit:
  rounding: {{unit_cents: 1, mode: half_up}}
  formula:
    kind: base_plus_extra
    base_cents: {base_cents}
    per_extra_person_cents: 5000
unspent_credit: {{policy: expire, after_months: 2}}
"""


def check_page(driver: WebDriver, name: str) -> None:
    check_accessibility(driver)
    no_horizontal_scroll(driver)
    screenshots(driver, name)


def versions(fund: Fund) -> list[tuple[int, str]]:
    found = fund.ok("committee", "GET", "/rules/versions?rule_set_id=caisse-test")["versions"]
    return [(v["version"], v["status"]) for v in found]


def verified(fund: Fund) -> bool:
    """The auditor's replay of the whole journal agrees with the books (a background job,
    awaited)."""
    started = fund.call("auditor", "POST", "/audit/verifications")
    assert started.status_code == 202, started.text
    job_id = started.json()["job_id"]
    for _ in range(300):
        job = fund.ok("auditor", "GET", f"/audit/verifications/{job_id}")
        if job["status"] in ("done", "failed"):
            return job["status"] == "done" and job["result"]["ok"] is True
        time.sleep(0.1)
    raise AssertionError("the verification did not finish")


def put_document(driver: WebDriver, document: str) -> None:
    """Replace the text area's content (as pasting a document does)."""
    area = driver.find_element(By.ID, "document")
    driver.execute_script("arguments[0].value = arguments[1];", area, document)


def test_a_credit_change_uploaded_in_yaml_is_checked_previewed_and_adopted(
    server: Server, browser: WebDriver, fund: Fund, tmp_path: Path
) -> None:
    sign_in(browser, server.url, "claire", SECRET)
    assert browser.current_url == f"{server.url}/comite"
    page = text(browser)
    assert "Caisse des tests de pages" in page
    assert "2,5 % des ressources du foyer" in page
    assert "100,00 € pour le foyer, plus 50,00 € par personne en plus" in page
    # The engine's examples: 2,5 % of 1 000 € and 2 000 €; 100 € + 3 × 50 € for four people.
    assert "Une personne seule, 1 000 € de ressources par mois 25,00 € 100,00 €" in page
    assert "Un couple avec deux enfants, 2 000 € de ressources par mois 50,00 € 250,00 €" in page
    check_page(browser, "committee-overview")

    follow(browser, "Nouvelle version")
    start = browser.find_element(By.ID, "document").get_attribute("value") or ""
    assert "version: 2" in start and f"effective_from: {next_month(fund.period)}" in start
    check_page(browser, "committee-new-rules")

    upload = tmp_path / "credit-110.yaml"
    upload.write_text(change_yaml(next_month(fund.period)), encoding="utf-8")
    browser.find_element(By.ID, "fichier").send_keys(str(upload))
    submit(browser, "Vérifier")
    page = text(browser)
    assert "Le document est valable" in page
    assert "Aucune remarque" in page
    kept = browser.find_element(By.ID, "document").get_attribute("value") or ""
    assert "base_cents: 11000" in kept  # the uploaded file is now in the text area
    assert versions(fund) == [(1, "adopted")]  # checking writes nothing
    check_page(browser, "committee-new-rules-checked")

    submit(browser, "Enregistrer le brouillon")
    assert browser.current_url.endswith("/comite/regles/caisse-test/2?brouillon=1")
    assert versions(fund) == [(1, "adopted"), (2, "draft")]
    page = text(browser)
    assert "Brouillon enregistré" in page
    assert "-    base_cents: 10000" in page and "+    base_cents: 11000" in page
    assert "Crédits 450,00 € 480,00 € +30,00 €" in page
    assert "Participations 100,86 € 100,86 € 0,00 €" in page
    assert "Coût net pour la caisse 349,14 € 379,14 € +30,00 €" in page
    assert "50,86 €" in page  # the fund's reserve
    assert "La réserve actuelle paie ce surcoût pendant 1 mois." in page
    assert "3 foyers gagnent de 5 à 20 €" in page
    for household, before, after in (
        ("hh_a", "100,00 €", "110,00 €"),
        ("hh_b", "200,00 €", "210,00 €"),
        ("hh_c", "150,00 €", "160,00 €"),
    ):
        assert f"{before} → {after} +10,00 €" in page, household
    chart = browser.find_element(By.CSS_SELECTOR, "figure.chart svg")
    assert "Ressources mensuelles par unité de consommation" in chart.text
    check_page(browser, "committee-version-draft")

    options = Select(browser.find_element(By.ID, "decision")).options
    assert [o.text for o in options] == [DECISION]
    submit(browser, "Adopter cette version")
    assert "Confirmer l'adoption" in text(browser)
    assert "+30,00 €" in text(browser)
    assert versions(fund) == [(1, "adopted"), (2, "draft")]  # not before the confirmation
    check_page(browser, "committee-confirm-adoption")

    submit(browser, "Confirmer l'adoption")
    assert browser.current_url.endswith("/comite/regles/caisse-test/2?adoptee=1")
    assert "Version adoptée" in text(browser)
    assert versions(fund) == [(1, "adopted"), (2, "adopted")]
    assert "Adopter cette version" not in text(browser)
    check_page(browser, "committee-version-adopted")

    browser.back()  # the confirmation page, sent again: nothing is done twice
    submit(browser, "Confirmer l'adoption")
    assert "Version adoptée" in text(browser)
    journal = fund.ok("auditor", "GET", "/audit/journal?limit=1000")["records"]
    assert [r["kind"] for r in journal].count("adopt_rule_set") == 2  # v1 (seed) and v2 once

    in_force = fund.ok("committee", "GET", f"/rules/in-force?period={next_month(fund.period)}")
    assert in_force["version"] == 2
    assert in_force["document"]["credit"]["formula"]["base_cents"] == 11_000
    for household, credit_cents in (("hh_a", 10_000), ("hh_b", 20_000), ("hh_c", 15_000)):
        balance = fund.ok("operator", "GET", f"/members/{household}/balance")
        assert balance["credit_cents"] == credit_cents  # this month's credit is untouched
    assert verified(fund)


def test_a_yaml_document_with_errors_shows_each_problem_at_its_line(
    server: Server, browser: WebDriver, fund: Fund
) -> None:
    sign_in(browser, server.url, "claire", SECRET)
    browser.get(f"{server.url}/comite/regles/nouvelle")
    document = change_yaml(next_month(fund.period), version=3)
    document = document.replace("base_cents: 11000", "base_cents: cent euros")
    document = document.replace(
        "per_extra_person_cents: 5000", "per_extra_person_cents: 5000\n    plafond: 30000"
    )
    document = document.replace(
        f'effective_from: "{next_month(fund.period)}"', "effective_from: janvier"
    )
    put_document(browser, document)
    submit(browser, "Enregistrer le brouillon")
    page = text(browser)
    assert "Le document a 3 problèmes" in page
    assert (
        "Ligne 6 (effective_from) : Un mois s'écrit AAAA-MM (par exemple 2027-01) ; écrit : janvier."
        in page
    )
    # The rule reader's problems in the engine's own words, by their message code (the API's).
    assert (
        "Ligne 18 (credit.formula.base_cents) : attendu un nombre entier de centimes"
        " (par exemple 1250 pour 12,50 €), reçu 'cent euros'" in page
    )
    assert "Ligne 20 (credit.formula.plafond) : champ inconnu 'plafond' ; champs permis ici" in page
    assert "Écrit : base_cents: cent euros" in page
    kept = browser.find_element(By.ID, "document").get_attribute("value") or ""
    assert kept.replace("\r\n", "\n") == document
    assert browser.title.startswith("Erreur")
    assert versions(fund) == [(1, "adopted")]  # nothing written
    check_page(browser, "committee-new-rules-errors")

    # The problem's link puts the cursor on its line (committee.js).
    browser.find_element(By.CSS_SELECTOR, "a[data-line='18']").click()
    selected = browser.execute_script(
        "const a = document.getElementById('document');"
        " return a.value.substring(a.selectionStart, a.selectionEnd);"
    )
    assert selected == "    base_cents: cent euros"


def test_a_json_document_is_checked_and_saved_like_yaml(
    server: Server, browser: WebDriver, fund: Fund
) -> None:
    sign_in(browser, server.url, "claire", SECRET)
    browser.get(f"{server.url}/comite/regles/nouvelle")
    month = next_month(fund.period)
    document = (
        "{\n"
        '  "format": "caisse.rules/1",\n'
        '  "id": "caisse-test",\n'
        '  "version": 2,\n'
        '  "name": "Caisse des tests de pages",\n'
        f'  "effective_from": "{month}",\n'
        f'  "decision": "{DECISION}",\n'
        '  "contribution": {\n'
        '    "formula": {"kind": "proportional", "base": "income", "rate": "0.025"}\n'
        "  },\n"
        '  "credit": {\n'
        '    "formula": {\n'
        '      "kind": "base_plus_extra",\n'
        '      "base_cents": -5,\n'
        '      "per_extra_person_cents": 5000\n'
        "    }\n"
        "  },\n"
        '  "unspent_credit": {"policy": "expire", "after_months": 2}\n'
        "}\n"
    )
    put_document(browser, document)
    submit(browser, "Vérifier")
    page = text(browser)
    assert "Le document a 1 problème" in page
    assert "Ligne 14 (credit.formula.base_cents) : attendu au moins 0, reçu -5" in page
    check_page(browser, "committee-new-rules-json-error")

    put_document(browser, document.replace('"base_cents": -5', '"base_cents": 10000'))
    submit(browser, "Enregistrer le brouillon")
    assert browser.current_url.endswith("/comite/regles/caisse-test/2?brouillon=1")
    page = text(browser)
    # Same rules as in force, but for the month: the diff shows only the month and version.
    assert "Crédits 450,00 € 450,00 € 0,00 €" in page
    assert "3 foyers sans changement" in page
    assert versions(fund) == [(1, "adopted"), (2, "draft")]

    # A syntax error is located too, and the text kept.
    browser.get(f"{server.url}/comite/regles/nouvelle")
    wait_for(browser, "#document")
    put_document(browser, '{\n  "id": "caisse-test",\n  "version": 2,,\n}')
    submit(browser, "Vérifier")
    assert "Ligne 3 : Ce texte ne se lit pas comme du YAML ou du JSON" in text(browser)
    assert verified(fund)


def test_adopting_a_version_of_a_closed_month_is_refused_in_words(
    server: Server, browser: WebDriver, fund: Fund
) -> None:
    sign_in(browser, server.url, "claire", SECRET)
    browser.get(f"{server.url}/comite/regles/nouvelle")
    put_document(browser, change_yaml(fund.period))  # this month, already run
    submit(browser, "Enregistrer le brouillon")
    assert browser.current_url.endswith("/comite/regles/caisse-test/2?brouillon=1")
    fund.ok("operator", "POST", f"/months/{fund.period}/close")
    submit(browser, "Adopter cette version")
    submit(browser, "Confirmer l'adoption")
    page = text(browser)
    assert "est déjà clos : le passé ne change plus" in page
    assert versions(fund) == [(1, "adopted"), (2, "draft")]
    check_page(browser, "committee-version-closed-refused")

    browser.get(f"{server.url}/comite/regles/caisse-test/2")
    assert "ne peut plus être adoptée" in text(browser)
    assert not browser.find_elements(By.ID, "decision")
    assert verified(fund)


def test_approving_and_suspending_a_merchant_through_the_page(
    server: Server, browser: WebDriver, fund: Fund
) -> None:
    sign_in(browser, server.url, "claire", SECRET)
    follow(browser, "Commerçants")
    page = text(browser)
    assert "Épicerie du Marais agréé" in page
    assert "Alimentation : 100 % payé avec le crédit" in page
    assert "Hygiène : 50 % payé avec le crédit" in page
    check_page(browser, "committee-merchants")

    # Bad answers come back, kept, with a message for each; nothing is written.
    fill(browser, "nom", SHOP)  # the name as the shop writes it: accents, capitals, dash
    browser.find_element(By.ID, "categorie-hygiene").click()
    fill(browser, "taux-hygiene", "150 %")
    submit(browser, "Agréer")
    page = text(browser)
    assert "Il y a un problème" in page
    assert "Écrivez la part payée avec le crédit en pourcentage, de 1 à 100" in page
    assert browser.find_element(By.ID, "nom").get_attribute("value") == SHOP
    assert browser.find_element(By.ID, "taux-hygiene").get_attribute("value") == "150 %"
    assert browser.find_element(By.ID, "categorie-hygiene").is_selected()
    check_page(browser, "committee-merchants-errors")

    fill(browser, "taux-hygiene", "50")
    submit(browser, "Agréer")
    assert browser.current_url.endswith("/comite/commercants?fait=agree")
    page = text(browser)
    assert "Agrément enregistré" in page
    assert f"{SHOP} agréé" in page  # shown as typed, not read back from the id
    sales = fund.ok("operator", "GET", f"/merchants/{SHOP_ID}/sales")
    assert sales["merchant_id"] == SHOP_ID

    Select(browser.find_element(By.ID, "suspendu")).select_by_visible_text(SHOP)
    submit(browser, "Suspendre")
    assert "Écrivez le motif de la suspension." in text(browser)
    fill(browser, "motif", "Contrôle des prix en cours")
    submit(browser, "Suspendre")
    assert "Suspension enregistrée" in text(browser)
    assert f"{SHOP} suspendu" in text(browser)
    # The reason as typed (the books keep only its commitment; the text is erasable).
    assert ": Contrôle des prix en cours" in text(browser)
    check_page(browser, "committee-merchants-done")
    assert verified(fund)


def test_the_committee_pages_read_in_english(
    server: Server, browser: WebDriver, fund: Fund
) -> None:
    sign_in(browser, server.url, "claire", SECRET)
    browser.get(f"{server.url}/langue/en?suite=/comite")
    page = text(browser)
    assert "The fund's rules" in page
    assert "In force in December 2026" in page or "In force in" in page
    assert "2.5 % of the household's resources" in page
    assert "A single person, €1,000 of resources a month €25.00 €100.00" in page
    check_page(browser, "committee-overview-en")

    browser.get(f"{server.url}/comite/regles/nouvelle")
    wait_for(browser, "#document")
    put_document(browser, change_yaml(next_month(fund.period), base_cents=-1))
    submit(browser, "Check")
    assert "Line 18 (credit.formula.base_cents): expected at least 0, got -1" in text(browser)
    check_page(browser, "committee-new-rules-errors-en")

    browser.get(f"{server.url}/comite/regles/caisse-test/1")
    chart = browser.find_element(By.CSS_SELECTOR, "figure.chart svg")
    assert "Monthly resources per consumption unit" in chart.text
    assert "Adopt this version" not in text(browser)  # version 1 is adopted
    check_page(browser, "committee-version-en")


@pytest.mark.parametrize("login", ["amina", "epicerie", "odile", "aurele"])
def test_other_people_get_not_found(
    server: Server, browser: WebDriver, fund: Fund, login: str
) -> None:
    sign_in(browser, server.url, login, SECRET)
    for path in (
        "/comite",
        "/comite/regles/nouvelle",
        "/comite/regles/caisse-test/1",
        "/comite/commercants",
    ):
        browser.get(f"{server.url}{path}")
        assert "introuvable" in text(browser).lower() or "existe pas" in text(browser).lower()
