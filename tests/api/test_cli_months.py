"""``caisse months``: the month desk from the shell, with the pages' and the API's guardrails.

Seeded fund (tests/api/fund_support.py), 2026-11: hh_own is entitled to 100 €, hh_other to
200 €; contributions 50 € + 20 €. Unfunded, the budget is the 70 € of contributions: the run
would pay 7 000 / 30 000 = 23,33 % -> 23 % of entitlements. Funded (1 000 €), nothing is
rationed; hh_own spends 2 x 20 € in November; lots are spendable two months.
"""

from __future__ import annotations

import builtins
import json
import sys
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from app.asgi import create_app
from app.cli import main
from app.db.settings import Settings
from tests.api.fund_support import PERIOD, seed


@pytest.fixture()
def fund(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FastAPI]:
    monkeypatch.setenv("DATABASE_URL", db_url)
    app = create_app(Settings(database_url=db_url))
    yield app
    app.state.db_engine.dispose()


def _json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    out: dict[str, object] = json.loads(capsys.readouterr().out)
    return out


def test_a_month_never_run_is_not_closed(fund: FastAPI, capsys: pytest.CaptureFixture[str]) -> None:
    seed(fund, run=False)
    assert main(["months", "close", "2031-09"]) == 2
    err = capsys.readouterr().err
    assert "The month 2031-09 was never run: run it before closing it." in err
    assert "period: no household was credited for 2031-09; run it first" in err
    assert main(["months", "status", "2031-09"]) == 0
    assert _json(capsys)["status"] == "open"


def test_a_rationed_run_without_a_terminal_is_refused_and_writes_nothing(
    fund: FastAPI, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(fund, run=False, funding_cents=0)
    assert main(["months", "preview", PERIOD]) == 0
    preview = _json(capsys)["preview"]
    assert isinstance(preview, dict)
    assert (preview["rationed"], preview["percent"], preview["to_credit"]) == (True, 23, 2)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert main(["months", "run", PERIOD]) == 2
    err = capsys.readouterr().err
    assert (
        "This run would ration credits to 23% of entitlements: 7000 cents credited instead of"
        " 30000 cents (budget 7000 cents)." in err
    )
    assert "Nothing was written: run again with --confirm-rationing." in err
    assert main(["months", "status", PERIOD]) == 0
    assert _json(capsys)["households_credited"] == 0


def test_a_rationed_run_asks_and_runs_when_confirmed(
    fund: FastAPI, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(fund, run=False, funding_cents=0)
    asked: list[str] = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(builtins, "input", lambda prompt: asked.append(prompt) or "o")
    assert main(["months", "run", PERIOD]) == 0
    assert asked == ["Run the month with 23% of entitlements? [y/N] "]
    ran = _json(capsys)
    assert (ran["rationed"], ran["credit_cents"], ran["credited"]) == (True, 7000, 2)


def test_a_rationed_run_declined_writes_nothing(
    fund: FastAPI, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(fund, run=False, funding_cents=0)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(builtins, "input", lambda prompt: "")
    assert main(["months", "run", PERIOD]) == 2
    capsys.readouterr()
    assert main(["months", "status", PERIOD]) == 0
    assert _json(capsys)["households_credited"] == 0


def test_confirm_rationing_runs_without_asking(
    fund: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(fund, run=False, funding_cents=0)
    assert main(["months", "run", PERIOD, "--confirm-rationing"]) == 0
    assert _json(capsys)["credit_cents"] == 7000


def test_the_scheduled_expiry_then_close_and_seal_in_order(
    fund: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(fund)
    assert main(["months", "run", "2026-12"]) == 0
    capsys.readouterr()
    assert main(["months", "close", "2026-12"]) == 2
    assert "The earlier month 2026-11 is still open: close it before 2026-12." in (
        capsys.readouterr().err
    )
    assert main(["months", "close", PERIOD]) == 0
    assert _json(capsys)["expired_cents"] == 0  # November's lots are spendable in December
    # On 1 January, November's lots are past their last month: 100 - 40 + 200 = 260 € expire.
    assert main(["months", "expire", "--as-of", "2027-01-01"]) == 0
    first = _json(capsys)
    assert (first["period"], first["expired_cents"], first["entries"]) == ("2026-12", 26000, 2)
    assert main(["months", "expire", "--as-of", "2027-01-01"]) == 0
    assert _json(capsys) == first  # the same scheduled command twice does it once
    assert main(["months", "close", "2026-12"]) == 0
    assert _json(capsys)["expired_cents"] == 0
    assert main(["months", "seal", PERIOD]) == 0
    assert _json(capsys)["status"] == "sealed"


def test_a_malformed_day_is_a_usage_error(
    fund: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["months", "expire", "--as-of", "2027-13-01"])
    assert stopped.value.code == 2
    assert "expected a day YYYY-MM-DD, got '2027-13-01'" in capsys.readouterr().err
