"""The pages anyone opens: home, sign-in, activation, sign-out, language; and the security of
sessions and forms, in a real browser and over plain HTTP."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import httpx
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
    press_enter,
    screenshots,
    sign_in,
    submit,
    text,
)
from tests.web.conftest import Server
from tests.web.seed import SECRET, Fund


def test_home_page_says_what_the_fund_is_and_where_to_go(
    server: Server, browser: WebDriver
) -> None:
    browser.get(server.url + "/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "La caisse alimentaire"
    assert "Vous êtes membre" in text(browser)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
    check_accessibility(browser)
    no_horizontal_scroll(browser)
    screenshots(browser, "accueil")


def test_an_access_is_activated_then_signs_in_with_the_keyboard_alone(
    server: Server, browser: WebDriver
) -> None:
    with unit_of_work(server.app.state.db_engine) as session:
        new = people.create_access(session, Role.OPERATOR, None, "Odile", datetime.now(UTC))
    browser.get(f"{server.url}/activer?code={new.activation_code}")
    check_accessibility(browser)
    screenshots(browser, "activation")
    fill(browser, "login", "odile")
    fill(browser, "secret", "123456")
    fill(browser, "secret_again", "654321")
    submit(browser, "Activer")
    summary = browser.find_element(By.CSS_SELECTOR, ".error-summary")
    assert "Les deux secrets ne sont pas identiques." in summary.text
    link = summary.find_element(By.CSS_SELECTOR, "a")
    assert link.get_attribute("href").endswith("#secret_again")
    assert browser.find_element(By.ID, "login").get_attribute("value") == "odile"  # kept
    check_accessibility(browser)
    # Keyboard only: fill the two secrets, press Enter.
    browser.find_element(By.ID, "secret").send_keys("123456")
    browser.find_element(By.ID, "secret_again").send_keys("123456")
    press_enter(browser, "secret_again")
    assert browser.current_url.endswith("/operateur")
    # Signed out, then back in with the chosen name and secret.
    browser.get(server.url + "/")
    submit(browser, "Se déconnecter")
    assert "Vous êtes déconnecté." in text(browser)
    sign_in(browser, server.url, "odile", "123456")
    assert browser.current_url.endswith("/operateur")


def test_the_sign_in_page_keeps_the_name_and_names_the_problem(
    fund: Fund, browser: WebDriver
) -> None:
    sign_in(browser, fund.url, "amina", "not-her-secret")
    summary = browser.find_element(By.CSS_SELECTOR, ".error-summary")
    assert "L'identifiant ou le secret ne correspond pas" in summary.text
    assert browser.find_element(By.ID, "login").get_attribute("value") == "amina"
    check_accessibility(browser)
    screenshots(browser, "connexion-erreur")


def _form_token(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def test_a_form_without_its_token_is_refused_and_changes_nothing(fund: Fund) -> None:
    with httpx.Client(base_url=fund.url) as client:
        refused = client.post("/connexion", data={"login": "amina", "secret": SECRET})
        assert refused.status_code == 403
        assert "Le formulaire a expiré" in refused.text
        assert "caisse_session" not in client.cookies
        forged = client.post(
            "/connexion", data={"login": "amina", "secret": SECRET, "csrf": "0" * 64}
        )
        assert forged.status_code == 403


def test_signing_in_issues_a_new_session_cookie_with_safe_flags(fund: Fund) -> None:
    with httpx.Client(base_url=fund.url) as client:
        client.cookies.set("caisse_session", "planted-by-an-attacker")
        token = _form_token(client, "/connexion")
        # The planted cookie is no session: the form's token is bound to it, and sign-in
        # replaces it.
        answer = client.post("/connexion", data={"login": "amina", "secret": SECRET, "csrf": token})
        assert answer.status_code == 303 and answer.headers["location"] == "/membre"
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=43200" in cookie
        assert "Secure" not in cookie  # served on 127.0.0.1 over http
        value = re.search(r"caisse_session=([^;]+)", cookie)
        assert value is not None and value.group(1) != "planted-by-an-attacker"


def test_a_person_of_another_role_gets_404_and_strangers_go_to_sign_in(fund: Fund) -> None:
    with httpx.Client(base_url=fund.url) as client:
        away = client.get("/operateur")
        assert away.status_code == 303 and away.headers["location"] == "/connexion?suite=/operateur"
        token = _form_token(client, "/connexion")
        client.post("/connexion", data={"login": "amina", "secret": SECRET, "csrf": token})
        for staff_page in ("/operateur", "/comite", "/audit", "/commercant"):
            assert client.get(staff_page).status_code == 404, staff_page


def test_five_wrong_secrets_lock_the_access_for_a_while_even_with_the_right_one(
    fund: Fund,
) -> None:
    with httpx.Client(base_url=fund.url) as client:
        token = _form_token(client, "/connexion")
        for _ in range(4):
            wrong = client.post(
                "/connexion", data={"login": "bruno", "secret": "nope!!", "csrf": token}
            )
            assert "ne correspond pas" in wrong.text
        locked = client.post(
            "/connexion", data={"login": "bruno", "secret": "nope!!", "csrf": token}
        )
        assert "Trop d'essais manqués" in html.unescape(locked.text)
        right = client.post("/connexion", data={"login": "bruno", "secret": SECRET, "csrf": token})
        assert right.status_code == 422 and "Trop d'essais manqués" in html.unescape(right.text)
        # Another person is not affected.
        other = client.post("/connexion", data={"login": "amina", "secret": SECRET, "csrf": token})
        assert other.status_code == 303


def test_the_lock_ends_by_itself_and_doubles_with_each_further_failure() -> None:
    assert [people._lock_seconds(n) for n in range(1, 10)] == [0, 0, 0, 0, 60, 120, 240, 480, 900]
    assert people._lock_seconds(50) == people.MAX_LOCK_SECONDS


def test_the_page_speaks_english_when_asked(fund: Fund, browser: WebDriver) -> None:
    browser.get(fund.url + "/")
    follow(browser, "English")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    follow(browser, "Français")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"


def test_signing_out_ends_the_session_on_the_server(fund: Fund) -> None:
    with httpx.Client(base_url=fund.url) as client:
        token = _form_token(client, "/connexion")
        client.post("/connexion", data={"login": "amina", "secret": SECRET, "csrf": token})
        session_cookie = client.cookies["caisse_session"]
        token = _form_token(client, "/")
        client.post("/deconnexion", data={"csrf": token})
    with httpx.Client(base_url=fund.url, cookies={"caisse_session": session_cookie}) as replay:
        assert replay.get("/compte").headers["location"] == "/connexion"
