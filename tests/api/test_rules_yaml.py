"""Rule documents in YAML on the API's rule endpoints: the same validation and answers as
JSON, every problem with the line of its key, unreadable YAML a 422 naming its line, and
the OpenAPI document saying so."""

from __future__ import annotations

from fastapi.testclient import TestClient
from httpx import Response

from app.engine import parse_rule_set
from tests.api.support import Tokens, assert_problem, valid_rules

VALIDATE = "/v1/rules/validate"
CHECK = "/v1/rules/check"
DRAFTS = "/v1/rules/drafts"

YAML_RULES = """\
format: caisse.rules/1
id: test-fund
version: 2
name: Caisse de test
effective_from: "2027-01"
decision: Comité du 2026-12-10, délibération 14
contribution:
  rounding: {unit_cents: 1, mode: half_up}
  formula: {kind: proportional, base: income, rate: 0.025}
credit:
  rounding: {unit_cents: 1, mode: half_up}
  formula:
    kind: fixed
    amount_cents: 15000
"""


def _post(client: TestClient, tokens: Tokens, path: str, text: str, media: str) -> Response:
    headers = {**tokens.headers("committee"), "Content-Type": media}
    return client.post(path, content=text.encode("utf-8"), headers=headers)


def test_a_yaml_document_validates_like_its_json_twin(client: TestClient, tokens: Tokens) -> None:
    response = _post(client, tokens, VALIDATE, YAML_RULES, "application/yaml")
    assert response.status_code == 200
    body = response.json()
    assert (body["valid"], body["problems"]) == (True, [])
    # ``rate: 0.025`` is kept as the text typed: the same document, the same hash as JSON.
    assert body["rule_set"]["content_hash"] == parse_rule_set(valid_rules()).content_hash


def test_every_problem_of_a_yaml_document_names_its_line(
    client: TestClient, tokens: Tokens
) -> None:
    text = YAML_RULES.replace("amount_cents: 15000", 'amount_cents: "150"').replace(
        "version: 2", "version: 2\ncolour: red"
    )
    body = _post(client, tokens, VALIDATE, text, "text/yaml").json()
    assert body["valid"] is False
    assert [(p["path"], p["line"]) for p in body["problems"]] == [
        ("colour", 4),
        ("credit.formula.amount_cents", 15),
    ]
    assert body["problems"][1]["message"] == (
        "expected a whole number of cents (e.g. 1250 for 12,50 €), got '150'"
    )


def test_json_problems_name_their_line_too(client: TestClient, tokens: Tokens) -> None:
    text = '{\n  "format": "caisse.rules/1",\n  "colour": "red"\n}'
    body = _post(client, tokens, VALIDATE, text, "application/json").json()
    lines = {p["path"]: p["line"] for p in body["problems"]}
    assert lines["colour"] == 3
    assert lines["id"] == 1  # a missing field: the line of the document that should hold it


def test_unreadable_yaml_is_a_422_naming_its_line(client: TestClient, tokens: Tokens) -> None:
    text = "format: caisse.rules/1\nid: [unclosed\nversion: 2\n"
    response = _post(client, tokens, VALIDATE, text, "application/yaml")
    problem = assert_problem(response, 422, "validation")
    assert problem["line"] == 3
    assert problem["errors"][0]["path"] == "body"
    assert problem["errors"][0]["message"].startswith("line 3: the text is not valid YAML")
    aliases = "a: &x 1\nb: *x\n"
    refused = assert_problem(
        _post(client, tokens, VALIDATE, aliases, "application/yaml"), 422, "validation"
    )
    assert "anchors and aliases" in refused["errors"][0]["message"]


def test_a_yaml_check_request_is_the_json_request(client: TestClient, tokens: Tokens) -> None:
    indented = "\n".join("  " + line for line in YAML_RULES.splitlines())
    text = f"rules:\n{indented}\nmax_marginal_rate: '0.5'\n"
    response = _post(client, tokens, CHECK, text, "application/yaml")
    assert response.status_code == 200, response.json()
    twin = client.post(
        CHECK,
        json={"rules": valid_rules(), "max_marginal_rate": "0.5"},
        headers=tokens.headers("committee"),
    )
    assert response.json() == twin.json()


def test_a_yaml_check_request_names_the_line_of_a_bad_rule(
    client: TestClient, tokens: Tokens
) -> None:
    broken = YAML_RULES.replace("base: income", "base: salary")
    indented = "\n".join("  " + line for line in broken.splitlines())
    response = _post(client, tokens, CHECK, f"rules:\n{indented}\n", "application/yaml")
    problem = assert_problem(response, 422, "invalid-request")
    (error,) = problem["errors"]
    assert error["path"] == "body.rules.contribution.formula.base"
    assert error["line"] == 10


def test_a_draft_can_be_sent_in_yaml(client: TestClient, tokens: Tokens) -> None:
    response = _post(client, tokens, DRAFTS, YAML_RULES, "application/yaml")
    assert response.status_code == 200, response.json()
    assert response.json()["content_hash"] == parse_rule_set(valid_rules()).content_hash


def test_openapi_documents_the_yaml_bodies(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (VALIDATE, CHECK, DRAFTS, "/v1/rules/preview-sample"):
        content = paths[path]["post"]["requestBody"]["content"]
        assert {"application/json", "application/yaml", "text/yaml"} <= set(content), path
