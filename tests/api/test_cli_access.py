"""``caisse access`` bootstraps the first person of the pages: the activation code is printed
once and opens the access on the site; a member's access needs an enrolled household."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from app.asgi import create_app
from app.cli import main
from app.db.settings import Settings


@pytest.fixture()
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", db_url)
    return db_url


def test_the_first_operator_is_created_from_the_shell_and_activates_on_the_site(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["access", "create", "--role", "operator", "--name", "Odile Dubois"]) == 0
    out, err = capsys.readouterr()
    created = json.loads(out)
    assert "shown only once" in err
    code = created["activation_code"]
    assert created["activation_link"] == f"http://127.0.0.1:8000/activer?code={code}"
    app = create_app(Settings(database_url=cli_db))
    with TestClient(app) as client:
        page = client.get(f"/activer?code={code}")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token is not None and f'value="{code}"' in page.text
        form = {
            "csrf": token.group(1),
            "code": code,
            "login": "odile",
            "secret": "123456",
            "secret_again": "123456",
        }
        done = client.post("/activer", data=form, follow_redirects=False)
        assert (done.status_code, done.headers["location"]) == (303, "/operateur")
    app.state.db_engine.dispose()
    assert main(["access", "list"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["login"], listed["activated"], listed["role"]) == ("odile", True, "operator")
    assert main(["access", "reset", listed["access_id"]]) == 0
    assert json.loads(capsys.readouterr().out)["activation_code"] != code
    assert main(["access", "revoke", listed["access_id"]]) == 0
    assert json.loads(capsys.readouterr().out)["revoked_at"] is not None


def test_a_member_access_for_an_unknown_household_exits_2_naming_it(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["access", "create", "--role", "member", "--name", "X", "--household", "hh_none"]
    assert main(args) == 2
    assert "household_id: no enrolled household has the id 'hh_none'" in capsys.readouterr().err


def test_a_merchant_access_needs_an_approved_merchant(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["access", "create", "--role", "merchant", "--name", "Y", "--merchant", "m_none"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "merchant_id: no approved merchant has the id 'm_none'" in err
    assert "caisse: writes to the database" in err
    assert main(["access", "list"]) == 0
    assert json.loads(capsys.readouterr().out) == []


@pytest.mark.parametrize(
    ("role", "option", "message"),
    [
        ("operator", "--household", "household_id: only a member access has a household"),
        ("committee", "--merchant", "merchant_id: only a merchant access has a merchant"),
        ("member", "--merchant", "merchant_id: only a merchant access has a merchant"),
    ],
)
def test_a_household_or_merchant_given_for_a_role_without_one_is_refused_not_ignored(
    cli_db: str, capsys: pytest.CaptureFixture[str], role: str, option: str, message: str
) -> None:
    args = ["access", "create", "--role", role, "--name", "Z", option, "x_1"]
    assert main(args) == 2
    assert message in capsys.readouterr().err
