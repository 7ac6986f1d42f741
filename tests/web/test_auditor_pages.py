"""The auditor's pages in a real browser: a verification started from the page, its report in
plain French with what was checked; an export prepared, downloaded (a zip with the journal)
and, past its retention, refused in plain French (410); the sealed months' checkpoints; and
nobody else gets any of it (404)."""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from babel.messages.pofile import read_po
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import text as sql

from app.db.session import unit_of_work
from app.db.tables_jobs import AuditJob
from app.services.auditor import requests as audit_requests
from app.services.auditor.jobs import AuditJobs
from tests.web.browser import (
    check_accessibility,
    click_to_next_page,
    fill,
    no_horizontal_scroll,
    screenshots,
    text,
)
from tests.web.seed import SECRET, Fund

ROOT = Path(__file__).resolve().parents[2]
# What the verifier checks in the seeded fund (tests/web/seed.py), by hand:
# - journal records: the rule set adopted, 3 households enrolled, the merchant approved, the
#   subsidy, the month run (one command), hh_a's payment = 8;
# - entries: the subsidy, the payment, and per household its contribution and its credit
#   (3 x 2) = 8, each of 2 postings = 16;
# - credit lots: one per household credited = 3; checkpoints: none sealed = 0.
RECORDS, ENTRIES, POSTINGS, LOTS = 8, 8, 16, 3


@pytest.fixture(autouse=True)
def export_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's own export directory (read when the app's audit worker is made)."""
    monkeypatch.setenv("CAISSE_EXPORT_DIR", str(tmp_path / "exports"))
    return tmp_path / "exports"


def _to_next_page(driver: WebDriver, element: WebElement) -> None:
    """Click and wait for the next page (as tests.web.browser's helpers do), riding out
    Chromium's transient "node does not belong to the document" while the old page goes."""
    click_to_next_page(driver, element)


def submit(driver: WebDriver, label: str) -> None:
    _to_next_page(driver, driver.find_element(By.XPATH, f"//button[normalize-space()='{label}']"))


def follow(driver: WebDriver, link_text: str) -> None:
    _to_next_page(driver, driver.find_element(By.LINK_TEXT, link_text))


def sign_in(driver: WebDriver, base: str, login: str, secret: str) -> None:
    driver.get(f"{base}/connexion")
    fill(driver, "login", login)
    fill(driver, "secret", secret)
    submit(driver, "Se connecter")


def page_checks(browser: WebDriver, name: str) -> None:
    check_accessibility(browser)
    no_horizontal_scroll(browser)
    screenshots(browser, name)


def wait_for_text(browser: WebDriver, wanted: str, seconds: float = 30) -> None:
    """The job page follows its job (auditor.js reloads it): wait until ``wanted`` shows."""
    # The page may be replaced while it is read: such a read is simply tried again.
    waiting = WebDriverWait(browser, seconds, ignored_exceptions=(WebDriverException,))
    waiting.until(lambda d: wanted in text(d))


def cookies_of(browser: WebDriver) -> dict[str, str]:
    return {c["name"]: c["value"] for c in browser.get_cookies()}


def api_report(fund: Fund) -> dict[str, Any]:
    """The verifier's report through the API's job (another job than the page's), awaited.
    (``Fund.verify`` expects 200 where the API answers 202 for a queued job.)"""
    started = fund.call("auditor", "POST", "/audit/verifications")
    assert started.status_code == 202, started.text
    for _ in range(300):
        job = fund.ok("auditor", "GET", f"/audit/verifications/{started.json()['job_id']}")
        if job["status"] in ("done", "failed"):
            assert job["status"] == "done", job
            result: dict[str, Any] = job["result"]
            return result
        time.sleep(0.1)
    raise AssertionError("the API's verification did not finish")


def test_an_auditor_verifies_the_books_and_reads_ok_with_the_counts(
    fund: Fund, browser: WebDriver
) -> None:
    sign_in(browser, fund.url, "aurele", SECRET)
    assert browser.current_url == fund.url + "/audit"
    assert "Aucune vérification n'a encore été demandée." in text(browser)
    page_checks(browser, "audit-verifications-vide")

    submit(browser, "Lancer une vérification")
    assert re.search(r"/audit/verifications/job_[0-9a-f]{16}$", browser.current_url)
    wait_for_text(browser, "Les comptes sont exacts")
    api = api_report(fund)  # the same report through the API (another job)
    assert (api["ok"], api["records_checked"], api["entries"]) == (True, RECORDS, ENTRIES)
    assert (api["postings"], api["lots"], api["checkpoints"]) == (POSTINGS, LOTS, 0)
    facts = browser.find_element(By.ID, "comptages").text.split("\n")
    shown = dict(zip(facts[::2], facts[1::2], strict=True))
    assert shown["Enregistrements du journal relus"] == str(RECORDS)
    assert shown["Écritures comparées"] == str(ENTRIES)
    assert shown["Lignes d'écriture comparées"] == str(POSTINGS)
    assert shown["Soldes comparés"] == str(api["balances"])
    assert shown["Lots de crédit comparés"] == str(LOTS)
    assert shown["Points de contrôle vérifiés"] == "0"
    assert shown["Empreinte du dernier enregistrement"] == api["head_hash"]
    assert "Demandée par\nvous" in text(browser)
    page_checks(browser, "audit-verification-ok")

    follow(browser, "Toutes les vérifications")
    rows = browser.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert len(rows) == 2  # the page's and the API's
    assert [r.find_elements(By.TAG_NAME, "td")[2].text for r in rows] == ["Comptes exacts"] * 2
    assert "par un autre auditeur" in rows[0].text and "par vous" in rows[1].text
    page_checks(browser, "audit-verifications")


def test_a_disagreement_names_the_first_record_that_differs(fund: Fund, browser: WebDriver) -> None:
    # Someone changes a stored balance behind the journal's back: the replay must see it.
    with fund.app.state.db_engine.begin() as connection:
        changed = connection.execute(
            sql("UPDATE balance SET balance_cents = balance_cents + 1 WHERE account = :a"),
            {"a": "512"},
        )
        assert changed.rowcount == 1
    api = api_report(fund)
    assert api["ok"] is False
    sign_in(browser, fund.url, "aurele", SECRET)
    submit(browser, "Lancer une vérification")
    wait_for_text(browser, "Désaccord trouvé")
    # 512 (the bank) last moved at record 8, hh_a's payment: 400,00 € + 50,00 € = 45000 cents.
    bad = api["first_disagreement"]
    assert (bad["seq"], bad["table"], bad["row"]) == (8, "balance", "account=512")
    assert bad["reason"] == "stored balance is 45001 cents, replay gives 45000"
    assert (
        "Le premier désaccord apparaît à l'enregistrement n° 8 du journal :"
        " la table « balance » ne correspond pas au journal (ligne account=512)."
    ) in text(browser)
    assert "Compte concerné : 512" in text(browser)
    assert bad["reason"] in text(browser)
    page_checks(browser, "audit-verification-desaccord")
    follow(browser, "Toutes les vérifications")
    assert "Désaccord au n° 8" in text(browser)


def test_an_auditor_exports_downloads_the_zip_and_an_expired_one_is_refused(
    fund: Fund, browser: WebDriver, export_dir: Path
) -> None:
    sign_in(browser, fund.url, "aurele", SECRET)
    follow(browser, "Exports")
    assert "Aucun export n'a encore été demandé." in text(browser)
    page_checks(browser, "audit-exports-vide")
    submit(browser, "Préparer un export")
    wait_for_text(browser, "Télécharger l'archive")
    job_id = browser.current_url.rsplit("/", 1)[1]
    assert f"Enregistrements du journal\n{RECORDS}" in text(browser)
    page_checks(browser, "audit-export")

    link = browser.find_element(By.LINK_TEXT, "Télécharger l'archive").get_attribute("href")
    assert link == f"{fund.url}/audit/exports/{job_id}/archive"
    got = httpx.get(link, cookies=cookies_of(browser), timeout=30)
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/zip"
    assert re.fullmatch(
        r'attachment; filename="caisse-export-\d{4}-\d{2}-\d{2}-[0-9a-f]{16}\.zip"',
        got.headers["content-disposition"],
    )
    assert (export_dir / f"{job_id}.zip").read_bytes() == got.content
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        journal = archive.read("caisse-export/journal.jsonl").decode().splitlines()
        manifest = json.loads(archive.read("caisse-export/manifest.json"))
    assert [json.loads(line)["seq"] for line in journal] == list(range(1, RECORDS + 1))
    assert manifest["head_hash"] == json.loads(journal[-1])["hash"]
    assert hashlib.sha256(got.content).hexdigest() in text(browser)
    # Without the auditor's session the archive is nobody's.
    assert httpx.get(link, timeout=30, follow_redirects=False).status_code == 303

    follow(browser, "Tous les exports")
    row = browser.find_element(By.CSS_SELECTOR, "tbody tr")
    assert "Terminée" in row.text and "Télécharger" in row.text
    page_checks(browser, "audit-exports")

    # 31 days later the archive is past its retention (30 days): deleted, and said so.
    jobs: AuditJobs = fund.app.state.audit_jobs
    later = datetime.now(UTC) + timedelta(days=31)
    jobs.clock = lambda: later
    browser.get(link)
    assert "Cette archive ne peut pas être téléchargée" in text(browser)
    assert "Elle a été supprimée le" in text(browser)
    assert not (export_dir / f"{job_id}.zip").exists()
    assert httpx.get(link, cookies=cookies_of(browser), timeout=30).status_code == 410
    page_checks(browser, "audit-export-supprime")
    browser.get(f"{fund.url}/audit/exports")
    assert "Supprimée le" in text(browser) and "Télécharger" not in text(browser)


def test_the_same_form_posted_twice_starts_one_job(
    fund: Fund, browser: WebDriver, export_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The app's audit worker, held asleep: the first job stays queued while the form is
    # posted again (as a double click does).
    jobs = audit_requests.jobs_of(fund.app.state, export_dir, lambda: datetime.now(UTC))
    wake = jobs._worker.put
    monkeypatch.setattr(jobs._worker, "put", lambda item: None)
    sign_in(browser, fund.url, "aurele", SECRET)
    browser.get(f"{fund.url}/audit/exports")
    token = browser.find_element(By.NAME, "csrf").get_attribute("value")
    with httpx.Client(base_url=fund.url, cookies=cookies_of(browser), timeout=30) as client:
        first = client.post("/audit/exports", data={"csrf": token})
        second = client.post("/audit/exports", data={"csrf": token})
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert len(fund.ok("auditor", "GET", "/audit/exports")["jobs"]) == 1

    browser.get(fund.url + first.headers["location"])
    assert "L'export attend son tour" in text(browser)
    assert "Cette page se met à jour toute seule pendant le travail." in text(browser)
    page_checks(browser, "audit-export-en-attente")
    not_ready = httpx.get(
        fund.url + first.headers["location"] + "/archive", cookies=cookies_of(browser)
    )
    assert not_ready.status_code == 409
    assert "L'archive n'est pas encore prête" in html.unescape(not_ready.text)
    monkeypatch.setattr(jobs._worker, "put", wake)
    wake(None)  # the worker wakes; the page sees the job done and reloads itself
    wait_for_text(browser, "Télécharger l'archive")
    assert "Cette page se met à jour toute seule" not in text(browser)


def test_a_failed_job_says_it_is_not_a_disagreement(fund: Fund, browser: WebDriver) -> None:
    with unit_of_work(fund.app.state.db_engine) as session:
        for job_id, kind in (
            ("job_00000000000000f1", "verify"),
            ("job_00000000000000f2", "export"),
        ):
            session.add(
                AuditJob(
                    job_id=job_id,
                    kind=kind,
                    status="failed",
                    requested_by="auditor:tok_other",
                    requested_at="2026-12-01T09:00:00.000Z",
                    started_at="2026-12-01T09:00:00.100Z",
                    finished_at="2026-12-01T09:01:00.000Z",
                    error="interrupted: the process running this job stopped",
                )
            )
    sign_in(browser, fund.url, "aurele", SECRET)
    browser.get(f"{fund.url}/audit/verifications/job_00000000000000f1")
    assert "La vérification n'a pas pu aller au bout" in text(browser)
    assert "Ce n'est pas un désaccord dans les comptes" in text(browser)
    assert "interrupted: the process running this job stopped" in text(browser)
    assert "Demandée par\nun autre auditeur" in text(browser)
    assert "1 décembre 2026 10:00" in text(browser)  # Paris time
    page_checks(browser, "audit-verification-echec")
    browser.get(f"{fund.url}/audit/exports/job_00000000000000f2/archive")
    assert "L'export a échoué : il n'y a pas d'archive." in text(browser)
    check_accessibility(browser)


@pytest.mark.parametrize("signed", [False, True])
def test_the_sealed_months_checkpoints(
    fund: Fund, browser: WebDriver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signed: bool
) -> None:
    if signed:  # the server signs seals with the key CAISSE_SIGNING_KEY names
        pem = Ed25519PrivateKey.generate().private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
        (tmp_path / "seal.pem").write_bytes(pem)
        monkeypatch.setenv("CAISSE_SIGNING_KEY", str(tmp_path / "seal.pem"))
    fund.ok("operator", "POST", f"/months/{fund.period}/close")
    fund.ok("operator", "POST", f"/months/{fund.period}/seal")
    sealed = fund.ok("auditor", "GET", "/audit/checkpoints")["checkpoints"]
    assert len(sealed) == 1 and bool(sealed[0]["signature"]) is signed
    sign_in(browser, fund.url, "aurele", SECRET)
    follow(browser, "Points de contrôle")
    card = browser.find_element(By.CSS_SELECTOR, ".checkpoints li").text
    assert card.startswith(month_in_words(fund.period))
    # The journal when sealed: the 8 seeded records and the month's close.
    assert f"Taille du journal\n{RECORDS + 1} enregistrements" in card
    assert f"Scellé à l'enregistrement\nn° {RECORDS + 2}" in card
    assert sealed[0]["head_hash"] in card and sealed[0]["balances_digest"] in card
    assert ("Signature\nSigné" if signed else "Signature\nNon signé") in card
    shown_key = f"Clé publique\n{sealed[0]['public_key']}"
    assert (shown_key in card) if signed else ("Clé publique" not in card)
    page_checks(browser, f"audit-points-de-controle{'-signes' if signed else ''}")

    follow(browser, "Vérifications")
    submit(browser, "Lancer une vérification")
    wait_for_text(browser, "Les comptes sont exacts")
    assert "Points de contrôle vérifiés\n1" in text(browser)
    note = "Les signatures des points de contrôle ont été vérifiées avec les clés enregistrées"
    assert (note in text(browser)) is signed


MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def month_in_words(period: str) -> str:
    return f"{MONTHS[int(period[5:]) - 1]} {period[:4]}"


PAGES = ("/audit", "/audit/exports", "/audit/points-de-controle")


@pytest.mark.parametrize("login", ["amina", "epicerie", "claire", "odile"])
def test_nobody_else_sees_the_auditor_pages(fund: Fund, browser: WebDriver, login: str) -> None:
    job_id = fund.call("auditor", "POST", "/audit/exports").json()["job_id"]
    sign_in(browser, fund.url, login, SECRET)
    for path in (*PAGES, f"/audit/exports/{job_id}", f"/audit/exports/{job_id}/archive"):
        browser.get(fund.url + path)
        assert browser.find_element(By.TAG_NAME, "h1").text == "Page introuvable", path
    cookies = cookies_of(browser)
    assert httpx.get(f"{fund.url}/audit", cookies=cookies).status_code == 404
    check_accessibility(browser)


def test_signed_out_goes_to_sign_in_and_a_forged_form_does_nothing(
    fund: Fund, browser: WebDriver
) -> None:
    browser.get(fund.url + "/audit/points-de-controle")
    assert browser.current_url.endswith("/connexion?suite=/audit/points-de-controle")
    sign_in(browser, fund.url, "aurele", SECRET)
    forged = httpx.post(f"{fund.url}/audit", cookies=cookies_of(browser), data={"csrf": "x"})
    assert forged.status_code == 403
    assert fund.ok("auditor", "GET", "/audit/verifications")["jobs"] == []
    browser.get(fund.url + "/audit/verifications/job_0000000000000000")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Page introuvable"


def test_the_pages_speak_english(fund: Fund, browser: WebDriver) -> None:
    sign_in(browser, fund.url, "aurele", SECRET)
    follow(browser, "English")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Check the books"
    follow(browser, "Exports")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Exports of the books"
    follow(browser, "Checkpoints")
    assert "No month has been sealed yet." in text(browser)
    check_accessibility(browser)


AREA = (ROOT / "app/web/routes/auditor.py", *sorted((ROOT / "app/web/templates/auditor").glob("*")))
MSGID = re.compile(r"""_\(\s*((?:"[^"\\]*"\s*)+)\)""")


def test_every_french_string_has_its_english() -> None:
    with (ROOT / "app/web/locale/en/auditor.po").open("rb") as handle:
        english = {m.id: m.string for m in read_po(handle) if m.id}
    used: set[str] = set()
    for path in AREA:
        for found in MSGID.finditer(path.read_text(encoding="utf-8")):
            used.add("".join(re.findall(r'"([^"]*)"', found.group(1))))
    assert len(used) > 60
    missing = sorted(m for m in used if not english.get(m))
    assert not missing, missing
