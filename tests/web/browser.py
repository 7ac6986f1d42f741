"""A real browser for the page tests: Debian's Chromium driven by Selenium through Debian's
chromedriver (both installed by scripts/test.sh; nothing is downloaded at test time).

- ``new_browser()``: headless Chromium with the flags this machine needs (no sandbox as
  root, no background networking: the machine has no internet);
- ``sign_in``: through the sign-in page, as a person does;
- ``check_accessibility``: axe-core (vendored in tests/web/vendor) run on the page; serious
  or critical violations fail the test, named with their elements;
- ``screenshots``: the page at 360x780 (a phone) and 1280x800, saved under
  ``var/screenshots`` (and under ``docs/screenshots`` with ``CAISSE_DOCS_SCREENSHOTS=1``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SHOTS = ROOT / "var" / "screenshots"
DOCS_SHOTS = ROOT / "docs" / "screenshots"
SIZES = ((360, 780), (1280, 800))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def new_browser() -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--hide-scrollbars",
        "--lang=fr-FR",
        "--window-size=360,780",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "fr-FR,fr"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


def wait_for(driver: WebDriver, css: str, seconds: float = 10) -> Any:
    return WebDriverWait(driver, seconds).until(lambda d: d.find_element(By.CSS_SELECTOR, css))


def fill(driver: WebDriver, field_id: str, value: str) -> None:
    element = driver.find_element(By.ID, field_id)
    element.clear()
    element.send_keys(value)


def submit(driver: WebDriver, text: str) -> None:
    """Press the button whose visible text is ``text`` and wait for the next page."""
    click_to_next_page(
        driver, driver.find_element(By.XPATH, f"//button[normalize-space()={_xpath_text(text)}]")
    )


def left(page: Any) -> Callable[[WebDriver], bool]:
    """A wait condition: the page ``page`` (its ``html`` element) is no longer shown.
    Chromium may answer a question about a node of a page just replaced with "Node ...
    does not belong to the document" instead of a stale-element error: it is gone too."""

    def gone(_driver: WebDriver) -> bool:
        try:
            page.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
        return False

    return gone


def wait_next_page(driver: WebDriver, page: Any) -> None:
    """Wait until ``page`` has been replaced by the next one, then until that one loaded."""
    WebDriverWait(driver, 15).until(left(page))
    WebDriverWait(driver, 15).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def click_to_next_page(driver: WebDriver, element: Any) -> None:
    """Click ``element`` (a button or a link that leaves the page) and wait for the next
    page. The click itself may be reported failed when its navigation replaced the document
    first ("Node ... does not belong to the document"): the navigation happened, so wait."""
    page = driver.find_element(By.TAG_NAME, "html")
    try:
        element.click()
    except StaleElementReferenceException:
        pass
    except WebDriverException as error:
        if "does not belong to the document" not in str(error):
            raise
    wait_next_page(driver, page)


def press_enter(driver: WebDriver, field_id: str) -> None:
    """Press Enter in a field (submits its form, as a keyboard user does) and wait."""
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, field_id).send_keys(Keys.ENTER)
    wait_next_page(driver, page)


def follow(driver: WebDriver, link_text: str) -> None:
    """Follow the link with this text and wait for the next page."""
    click_to_next_page(driver, driver.find_element(By.LINK_TEXT, link_text))


def _xpath_text(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    parts = text.split("'")
    return "concat(" + ', "\'", '.join(f"'{p}'" for p in parts) + ")"


def sign_in(driver: WebDriver, base: str, login: str, secret: str) -> None:
    driver.get(f"{base}/connexion")
    fill(driver, "login", login)
    fill(driver, "secret", secret)
    submit(driver, "Se connecter")


def text(driver: WebDriver) -> str:
    return str(driver.find_element(By.TAG_NAME, "main").text)


def check_accessibility(driver: WebDriver) -> None:
    """No serious or critical axe-core violation (WCAG 2.1 A and AA rules) on this page."""
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a',"
        " 'wcag21aa', 'best-practice']}}).then(r => done(r.violations)).catch(e => done([{id:"
        " 'axe-error', impact: 'critical', help: String(e), nodes: []}]));"
    )
    bad = [v for v in result if v.get("impact") in ("serious", "critical")]
    described = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(str(n.get("target")) for n in v.get("nodes", [])[:5])
        for v in bad
    ]
    assert not bad, f"{driver.current_url}: " + " | ".join(described)


def screenshots(driver: WebDriver, name: str) -> None:
    """The current page at each size, full height, saved as ``<name>-<width>.png``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    to_docs = os.environ.get("CAISSE_DOCS_SCREENSHOTS") == "1"
    for width, height in SIZES:
        driver.set_window_size(width, height)
        full = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, max(height, min(int(full), 4000)))
        target = SHOTS / f"{name}-{width}.png"
        driver.save_screenshot(str(target))
        if to_docs:
            DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(target, DOCS_SHOTS / target.name)
    driver.set_window_size(*SIZES[0])


def no_horizontal_scroll(driver: WebDriver) -> None:
    """Readable at 360 px: nothing wider than the screen (tables scroll in their own box)."""
    driver.set_window_size(360, 780)
    overflow = driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{driver.current_url} is {overflow} px wider than a 360 px screen"
