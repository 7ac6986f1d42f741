"""Page tests: a real server on 127.0.0.1 (uvicorn, the whole app of ``caisse serve``) on a
private migrated database (tests/fixtures_db.py: SQLite, or PostgreSQL when
``CAISSE_TEST_DATABASE`` says so), and one headless Chromium per test session.

- ``server``: the running site (``server.url``, ``server.app``);
- ``browser``: the session's Chromium, with its cookies cleared before each test;
- ``fund``: a small living fund made through the HTTP API (tests/web/seed.py) in the
  current month, and people who can sign in to the pages.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from fastapi import FastAPI
from selenium.webdriver.remote.webdriver import WebDriver

from app.asgi import create_app
from app.db.settings import Settings
from tests.fixtures_db import db_url, postgres_schema, sqlite_template
from tests.web.browser import new_browser
from tests.web.seed import Fund, seed_fund

__all__ = ["browser", "db_url", "fund", "postgres_schema", "server", "sqlite_template"]


@dataclass
class Server:
    url: str
    app: FastAPI


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture()
def server(db_url: str) -> Iterator[Server]:
    app = create_app(Settings(database_url=db_url))
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield Server(f"http://127.0.0.1:{port}", app)
    finally:
        running.should_exit = True
        thread.join(timeout=20)


@pytest.fixture(scope="session")
def _chromium() -> Iterator[WebDriver]:
    driver = new_browser()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture()
def browser(_chromium: WebDriver) -> WebDriver:
    _chromium.delete_all_cookies()
    _chromium.set_window_size(360, 780)
    return _chromium


@pytest.fixture()
def fund(server: Server) -> Fund:
    return seed_fund(server.url, server.app)
