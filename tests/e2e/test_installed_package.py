"""The service runs from an installed (non-editable) package, as the Docker image installs it.

``pip install --no-deps --target SITE .`` builds and installs the package the way the
Dockerfile's ``pip install .`` does; the service then runs from SITE, in an empty working
directory, with all its state under ``CAISSE_DATA_DIR`` (the image's ``/data`` volume):

- the migrations are found inside the installed package (not next to a checkout);
- the default database, the secret key and the exports land in the data directory;
- the first operator's token comes from the installed ``caisse token create``;
- the current month is set up and run over HTTP and a merchant charges a member today (the
  rules and households of tests/e2e/test_month_over_http.py: hh_a, alone, gets 100 €);
- a second server on the same data directory (a new container on the same volume) still
  accepts the member's consent code: the secret key survived with the data.

SQLite only: this is the embedded default of the image; PostgreSQL is exercised elsewhere.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_month_over_http import CODES, MERCHANT, RULES, Fund

# The month the service's clock is in: a till dates a sale today, and a sale never spends
# credit granted after its day, so the fund runs the current month.
TODAY = datetime.now(UTC).date()
PERIOD = f"{TODAY.year:04d}-{TODAY.month:02d}"

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = "import sys; from app.cli import main; sys.exit(main())"
PIP_INSTALL = ("-m", "pip", "install", "--quiet", "--no-deps", "--no-compile")

pytestmark = pytest.mark.skipif(
    os.environ.get("CAISSE_TEST_DATABASE", "sqlite").startswith("postgresql"),
    reason="the installed image's default store is SQLite; one pass is enough",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package built and installed from the checkout, without its dependencies (the
    test's own virtual environment already holds them)."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, *PIP_INSTALL, "--target", str(target), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return target


def caisse_env(site: Path, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CAISSE_"))}
    return {**env, "PYTHONPATH": str(site), "CAISSE_DATA_DIR": str(data)}


def caisse(site: Path, data: Path, cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, *args],
        cwd=cwd,
        env=caisse_env(site, data),
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    empty = tmp_path / "cwd"
    empty.mkdir()
    return empty


class Server:
    """``caisse serve`` from the installed package, on a free loopback port."""

    def __init__(self, site: Path, data: Path, cwd: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                PROGRAM,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            cwd=cwd,
            env=caisse_env(site, data),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                errors = self.process.stderr.read() if self.process.stderr else b""
                raise AssertionError(f"the server stopped: {errors.decode()[-2000:]}")
            try:
                if self.client.get("/v1/health").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError("the installed service did not answer /v1/health within 60 s")

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture()
def server_factory(site: Path, workdir: Path, tmp_path: Path) -> Iterator[Any]:
    started: list[Server] = []

    def start() -> Server:
        server = Server(site, tmp_path / "data", workdir)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def token(site: Path, data: Path, cwd: Path, *args: str) -> str:
    issued: dict[str, Any] = json.loads(caisse(site, data, cwd, "token", "create", *args))
    secret: str = issued["secret"]
    return secret


def test_the_installed_package_serves_and_charges_with_all_state_in_the_data_directory(
    site: Path, workdir: Path, tmp_path: Path, server_factory: Any
) -> None:
    data = tmp_path / "data"
    imported = subprocess.run(
        [sys.executable, "-c", "import app; print(app.__file__)"],
        cwd=workdir,
        env=caisse_env(site, data),
        check=True,
        capture_output=True,
        text=True,
    )
    assert imported.stdout.strip() == str(site / "app" / "__init__.py")

    secrets = {
        role: token(site, data, workdir, "--role", role)
        for role in ("committee", "operator", "auditor")
    }
    server = server_factory()
    fund = Fund(server.client, secrets)  # type: ignore[arg-type]
    set_up_this_month(fund)
    secrets["merchant"] = token(site, data, workdir, "--role", "merchant", "--merchant", MERCHANT)
    run = fund.ok("operator", "POST", f"/months/{PERIOD}/run", key="installed-run")
    assert (run["credited"], run["credit_cents"]) == (1, 10_000)
    sold = fund.ok("merchant", "POST", "/merchant/charges", sale("s1", 4_250))
    assert (sold["credit_cents"], sold["credit_left_cents"]) == (4_250, 5_750)

    # Everything the fund keeps is in the data directory; nothing was written where it ran.
    assert sorted(p.name for p in data.iterdir() if not p.name.startswith("caisse.db-")) == [
        "caisse.db",
        "secret.key",
    ]
    assert list(workdir.iterdir()) == []

    # A new container on the same volume: the stored consent codes still match.
    server.stop()
    again = Fund(server_factory().client, secrets)  # type: ignore[arg-type]
    second = again.ok("merchant", "POST", "/merchant/charges", sale("s2", 750))
    assert (second["credit_cents"], second["credit_left_cents"]) == (750, 5_000)
    wrong = again.call("merchant", "POST", "/merchant/charges", sale("s3", 100, "0000"))
    assert wrong.status_code == 403
    assert CODES["hh_a"] != "0000"


def set_up_this_month(fund: Fund) -> None:
    """The committee adopts the rules from this month and approves the shop; the operator
    enrols hh_a (2 000 € a month, one person: 50 € due, 100 € of credit) and records a
    subsidy that covers the credit."""
    rules = RULES | {"effective_from": PERIOD}
    fund.ok("committee", "POST", "/rules/drafts", rules)
    adopt = {"decision": rules["decision"]}
    fund.ok("committee", "POST", f"/rules/versions/{rules['id']}/{rules['version']}/adopt", adopt)
    enrolment = {
        "household_id": "hh_a",
        "from_period": PERIOD,
        "identity": {"full_name": "Membre hh_a"},
        "facts": {"income_cents": 200_000, "persons": [{"birth_on": "1980-05-17"}]},
        "consent_code": CODES["hh_a"],
    }
    fund.ok("operator", "POST", "/households", enrolment)
    approval = {"categories": {"food": "1"}, "valid_from": f"{PERIOD}-01"}
    fund.ok("committee", "POST", f"/merchants/{MERCHANT}/approve", approval)
    subsidy = {
        "funder_id": "ville",
        "kind": "subsidy",
        "amount_cents": 40_000,
        "reference": f"SUB-{PERIOD}",
        "received_on": f"{PERIOD}-01",
    }
    fund.ok("operator", "POST", "/funds/fundings", subsidy)


def sale(purchase_id: str, amount_cents: int, code: str | None = None) -> dict[str, Any]:
    """A food sale to hh_a, dated today by the till (no ``on``)."""
    return {
        "purchase_id": purchase_id,
        "household_id": "hh_a",
        "category": "food",
        "amount_cents": amount_cents,
        "consent_code": code or CODES["hh_a"],
    }
