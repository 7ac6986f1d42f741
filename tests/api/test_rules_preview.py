"""POST /v1/rules/preview-sample: the impact of proposed rules on the households given,
against the rules in force or against no fund at all. Figures computed by hand."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.support import Tokens, assert_problem, error_paths, valid_rules

PREVIEW = "/v1/rules/preview-sample"
ADULT = [{"birth_on": "1980-01-01"}]


def _proposed() -> dict[str, Any]:
    rules = valid_rules()
    rules["version"] = 3
    rules["contribution"]["formula"]["rate"] = "0.03"  # 2,5 % -> 3 %
    rules["credit"]["formula"]["amount_cents"] = 16000  # 150 € -> 160 €
    return rules


HOUSEHOLDS = [
    {"household_id": "hh_b", "income_cents": 300000, "persons": ADULT},
    {"household_id": "hh_a", "income_cents": 100000, "persons": ADULT},
    {"household_id": "hh_c", "persons": ADULT},  # income unknown: needs data
]


def _post(client: TestClient, tokens: Tokens, body: dict[str, Any]) -> Any:
    return client.post(PREVIEW, json=body, headers=tokens.headers("committee"))


class TestPreviewSample:
    def test_changes_winners_and_losers_against_the_rules_in_force(
        self, client: TestClient, tokens: Tokens
    ) -> None:
        body = {
            "proposed_rules": _proposed(),
            "current_rules": valid_rules(),
            "households": HOUSEHOLDS,
        }
        report = _post(client, tokens, body).json()
        # hh_a: 1 000 € -> owes 25 then 30, gets 150 then 160: net 125 -> 130 (+5,00 €).
        # hh_b: 3 000 € -> owes 75 then 90, gets 150 then 160: net 75 -> 70 (−5,00 €).
        nets = {
            c["household_id"]: (c["net_before_cents"], c["net_after_cents"], c["bucket"])
            for c in report["changes"]
        }
        assert nets == {
            "hh_a": (12500, 13000, "gains_5_to_20"),
            "hh_b": (7500, 7000, "loses_5_to_20"),
            "hh_c": (None, None, "not_comparable"),
        }
        assert [c["household_id"] for c in report["changes"]] == ["hh_a", "hh_b", "hh_c"]
        assert (report["current"]["contributions_cents"], report["current"]["credits_cents"]) == (
            10000,
            30000,
        )
        proposed = report["proposed"]
        assert (
            proposed["contributions_cents"],
            proposed["credits_cents"],
            proposed["net_cost_cents"],
        ) == (
            12000,
            32000,
            20000,
        )
        assert proposed["by_status"] == {
            "assessed": 2,
            "needs_data": 1,
            "not_eligible": 0,
            "rejected": 0,
        }
        assert report["buckets"]["gains_5_to_20"] == report["buckets"]["loses_5_to_20"] == 1
        assert report["buckets"]["not_comparable"] == 1
        assert report["deciles"][-1]["group"] == "needs_data"
        assert report["deciles"][-1]["households"] == 1

    def test_without_rules_in_force_everyone_starts_from_nothing_and_budget_rations(
        self, client: TestClient, tokens: Tokens
    ) -> None:
        body = {"proposed_rules": _proposed(), "households": HOUSEHOLDS[:2], "budget_cents": 30000}
        report = _post(client, tokens, body).json()
        assert report["current"] is None
        # 2 × 160 € asked, 300 € available: 20,00 € of rationing, 150 € each (proportional).
        assert report["proposed"]["entitlements_cents"] == 32000
        assert report["proposed"]["credits_cents"] == 30000
        assert report["proposed"]["rationing_needed_cents"] == 2000
        first = report["changes"][0]
        assert (first["status_before"], first["net_before_cents"], first["net_after_cents"]) == (
            "none",
            0,
            12000,
        )

    def test_every_problem_of_the_request_is_named_under_its_body_path(
        self, client: TestClient, tokens: Tokens
    ) -> None:
        current = valid_rules()
        current["version"] = 0
        body = {
            "proposed_rules": {**_proposed(), "currency": "USD"},
            "current_rules": current,
            "households": [{"household_id": "hh_1", "income_cents": -5}],
        }
        problem = assert_problem(_post(client, tokens, body), 422, "validation")
        assert error_paths(problem) == ["body.households[0].income_cents"]
        body["households"] = [{"household_id": "hh_1"}]
        problem = assert_problem(_post(client, tokens, body), 422, "invalid-request")
        assert error_paths(problem) == [
            "body.proposed_rules.currency",
            "body.current_rules.version",
        ]

    def test_an_empty_sample_is_refused(self, client: TestClient, tokens: Tokens) -> None:
        problem = assert_problem(
            _post(client, tokens, {"proposed_rules": _proposed(), "households": []}),
            422,
            "validation",
        )
        assert error_paths(problem) == ["body.households"]
