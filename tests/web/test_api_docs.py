"""The interactive API docs (/docs, Swagger UI 5 vendored in app/api/swagger_ui) render in a
real browser: the operations of the OpenAPI 3.1 document show, and every request the page
made went to this server (a fund's office may have no internet)."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.web.browser import wait_for
from tests.web.conftest import Server


def test_the_docs_render_the_operations_from_this_server_alone(
    server: Server, browser: WebDriver
) -> None:
    document = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    assert document["openapi"].startswith("3.1")
    browser.set_window_size(1280, 800)
    browser.get(f"{server.url}/docs")

    title = wait_for(browser, ".info h1.title", seconds=20)
    assert title.text.startswith(document["info"]["title"])
    assert "OAS 3.1" in title.text
    wait_for(browser, ".opblock .opblock-summary-path", seconds=20)
    paths = [
        str(element.get_attribute("data-path"))
        for element in browser.find_elements(By.CSS_SELECTOR, ".opblock .opblock-summary-path")
    ]
    assert "/v1/health" in paths
    # Each operation shows once under each of its tags (a tag listed twice shows once).
    expected = sorted(
        path
        for path, item in document["paths"].items()
        for operation in item.values()
        for _tag in set(operation.get("tags") or ["default"])
    )
    assert sorted(paths) == expected and len(expected) > 40

    # Every resource the page loaded (scripts, styles, the OpenAPI document, images) came
    # from this server, and nothing on the page points a browser elsewhere for one.
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert any(name.endswith("/openapi.json") for name in loaded)
    assert any(name.endswith("/docs/assets/swagger-ui-bundle.js") for name in loaded)
    ours = urlsplit(server.url).netloc
    assert {urlsplit(name).netloc for name in loaded} == {ours}
    sources = browser.execute_script(
        "return [...document.querySelectorAll('script[src], link[href], img[src]')]"
        ".map(e => e.src || e.href)"
    )
    assert sources and {urlsplit(s).netloc for s in sources if "://" in s} <= {ours}
    # /docs is outside the pages' Content-Security-Policy (Swagger UI's page has an inline
    # script); the pages keep theirs.
    assert "content-security-policy" not in httpx.get(f"{server.url}/docs").headers
    assert "content-security-policy" in httpx.get(f"{server.url}/").headers
