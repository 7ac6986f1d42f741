"""One language at a time: the API's problem details (title, detail, each problem's message)
are in French by default and in English for ``Accept-Language: en``; every message family
has its French and English text checked here, with the same paths in both."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.fund_support import PERIOD, seed
from tests.api.support import Tokens, assert_problem, valid_rules

VALIDATE = "/v1/rules/validate"
CHECK = "/v1/rules/check"


def _client(api: FastAPI, lang: str | None) -> TestClient:
    headers = {"Accept-Language": lang} if lang else {}
    return TestClient(api, headers=headers)


def _bad_rules() -> dict[str, Any]:
    document = valid_rules()
    document["credit"]["formula"]["amount_cents"] = "150"
    document["colour"] = "red"
    del document["decision"]
    return document


def test_rule_problems_are_french_by_default_and_english_on_request(
    api: FastAPI, tokens: Tokens
) -> None:
    french = _client(api, None).post(
        CHECK, json={"rules": _bad_rules()}, headers=tokens.headers("committee")
    )
    body = assert_problem(french, 422, "invalid-request")
    assert french.headers["content-language"] == "fr"
    assert body["title"] == "La requête n'est pas valide"
    assert body["detail"] == "3 problème(s) dans la requête."
    unknown, *others = [(p["path"], p["message"]) for p in body["errors"]]
    # The list of allowed fields grows with the rule language: its words are what matters.
    assert unknown[0] == "body.rules.colour"
    assert unknown[1].startswith("champ inconnu 'colour' ; champs permis ici : ")
    assert "contribution, credit, currency, decision" in unknown[1]
    assert others == [
        ("body.rules.decision", "ce champ est obligatoire"),
        (
            "body.rules.credit.formula.amount_cents",
            "attendu un nombre entier de centimes (par exemple 1250 pour 12,50 €), reçu '150'",
        ),
    ]
    english = _client(api, "en-GB,en;q=0.8").post(
        CHECK, json={"rules": _bad_rules()}, headers=tokens.headers("committee")
    )
    body_en = assert_problem(english, 422, "invalid-request")
    assert english.headers["content-language"] == "en"
    assert body_en["title"] == "The request is not valid"
    assert body_en["detail"] == "3 problem(s) in the request."
    assert [p["message"] for p in body_en["errors"]][1:] == [
        "this field is required",
        "expected a whole number of cents (e.g. 1250 for 12,50 €), got '150'",
    ]


def test_validation_reports_are_in_the_callers_language(api: FastAPI, tokens: Tokens) -> None:
    def messages(lang: str | None) -> list[str]:
        response = _client(api, lang).post(
            VALIDATE, json=_bad_rules(), headers=tokens.headers("auditor")
        )
        return [p["message"] for p in response.json()["problems"]][1:]

    assert messages("de-DE, fr;q=0.5") == [
        "ce champ est obligatoire",
        "attendu un nombre entier de centimes (par exemple 1250 pour 12,50 €), reçu '150'",
    ]
    assert messages("en") == [
        "this field is required",
        "expected a whole number of cents (e.g. 1250 for 12,50 €), got '150'",
    ]


def test_request_validation_problems_in_both_languages(api: FastAPI, tokens: Tokens) -> None:
    body = {"rules": valid_rules(), "max_marginal_rate": "0.5", "colour": "red"}
    for lang, title, detail, message in (
        (
            None,
            "La requête n'est pas valide",
            "1 champ de la requête n'est pas valide.",
            "champ inconnu : retirez-le ou vérifiez son orthographe",
        ),
        (
            "en",
            "The request is not valid",
            "1 field of the request is not valid.",
            "unknown field: remove it or check its spelling",
        ),
    ):
        response = _client(api, lang).post(CHECK, json=body, headers=tokens.headers("committee"))
        problem = assert_problem(response, 422, "validation")
        assert (problem["title"], problem["detail"]) == (title, detail)
        assert [(p["path"], p["message"]) for p in problem["errors"]] == [("body.colour", message)]


def test_typed_value_problems_translate_pydantic_words(api: FastAPI, tokens: Tokens) -> None:
    body = {"rules": valid_rules(), "budget_cents": "lots"}
    french = _client(api, None).post(CHECK, json=body, headers=tokens.headers("committee"))
    (error,) = assert_problem(french, 422, "validation")["errors"]
    assert error["path"] == "body.budget_cents"
    assert error["message"].startswith("La valeur doit être un nombre entier (reçu 'lots'")


def test_authentication_and_roles_in_both_languages(api: FastAPI, tokens: Tokens) -> None:
    anonymous = assert_problem(_client(api, None).post(VALIDATE, json={}), 401, "unauthenticated")
    assert (anonymous["title"], anonymous["detail"]) == (
        "Authentification requise",
        "Envoyez un jeton : `Authorization: Bearer <secret>`.",
    )
    member = _client(api, "fr").post(VALIDATE, json={}, headers=tokens.headers("member"))
    refused = assert_problem(member, 403, "forbidden")
    assert refused["title"] == "Votre rôle ne permet pas cette opération"
    assert refused["detail"] == (
        "Cette opération est réservée à : committee, auditor. Le rôle de votre jeton est member."
    )
    english = _client(api, "en").post(VALIDATE, json={}, headers=tokens.headers("member"))
    assert assert_problem(english, 403, "forbidden")["title"] == "Your role may not do this"


def test_routing_errors_in_both_languages(api: FastAPI) -> None:
    french = assert_problem(_client(api, None).get("/v1/nowhere"), 404, "not-found")
    assert (french["title"], french["detail"]) == (
        "Introuvable",
        "Il n'y a pas de point d'accès /v1/nowhere ; voir /docs.",
    )
    english = assert_problem(_client(api, "en").get("/v1/nowhere"), 404, "not-found")
    assert (english["title"], english["detail"]) == (
        "Not Found",
        "There is no endpoint at /v1/nowhere; see /docs.",
    )


def test_unreadable_yaml_in_both_languages(api: FastAPI, tokens: Tokens) -> None:
    headers = {**tokens.headers("committee"), "Content-Type": "application/yaml"}
    text = b"a: &x 1\nb: *x\n"
    french = assert_problem(
        _client(api, None).post(VALIDATE, content=text, headers=headers), 422, "validation"
    )
    assert french["detail"] == "Le corps YAML ne peut pas être lu."
    assert french["errors"][0]["message"] == (
        "ligne 1 : les ancres et alias YAML (& et *) ne sont pas acceptés ; écrivez la valeur "
        "en entier"
    )
    english = assert_problem(
        _client(api, "en").post(VALIDATE, content=text, headers=headers), 422, "validation"
    )
    assert english["errors"][0]["message"] == (
        "line 1: YAML anchors and aliases (& and *) are not accepted; write the value out"
    )


def test_statements_follow_the_callers_language(api: FastAPI, tokens: Tokens) -> None:
    seed(api)
    url = f"/v1/members/hh_own/statements/{PERIOD}"
    member = tokens.headers("member")
    french = _client(api, None).get(url, headers=member).json()
    assert french["lang"] == "fr"
    assert french["explanation"].startswith("Mois 2026-11 — règles « testfund » version 1")
    english = _client(api, "en").get(url, headers=member).json()
    assert english["lang"] == "en" and english["explanation"].startswith("Month 2026-11")
    chosen = _client(api, "en").get(url, params={"lang": "fr"}, headers=member).json()
    assert chosen["lang"] == "fr"


def test_history_lines_in_words_in_the_callers_language(api: FastAPI, tokens: Tokens) -> None:
    seed(api)
    url = "/v1/members/hh_own/history"
    member = tokens.headers("member")
    french = _client(api, None).get(url, headers=member).json()["lines"]
    by_kind = {(line["kind"], line["account"].partition(":")[0]): line for line in french}
    credit = by_kind[("credit", "419")]
    assert (credit["memo"], credit["label"], credit["account_label"]) == (
        "credit 2026-11",
        "crédit alimentaire de 2026-11",
        "crédit alimentaire",
    )
    due = by_kind[("contribution", "411")]
    assert (due["label"], due["account_label"]) == ("participation de 2026-11", "participation due")
    purchase = by_kind[("purchase", "419")]
    assert purchase["memo"].startswith("purchase ")
    _, purchase_id, category = purchase["memo"].split(" ")
    assert purchase["label"] == f"achat {purchase_id} ({category})"
    english = _client(api, "en").get(url, headers=member).json()["lines"]
    assert {(line["label"], line["account_label"]) for line in english} >= {
        ("credit 2026-11", "food credit"),
        ("contribution 2026-11", "contribution due"),
    }


def _close(api: FastAPI, tokens: Tokens, lang: str | None, period: str, key: str) -> Any:
    headers = {**tokens.headers("operator"), "Idempotency-Key": key}
    return _client(api, lang).post(f"/v1/months/{period}/close", headers=headers)


def test_month_desk_refusals_in_both_languages(api: FastAPI, tokens: Tokens) -> None:
    seed(api)
    french = assert_problem(
        _close(api, tokens, None, "2031-09", "close-fr-1"), 409, "month-never-run"
    )
    assert (french["title"], french["detail"]) == (
        "Le mois n'a jamais été calculé",
        "Le mois 2031-09 n'a jamais été calculé : lancez son calcul avant de le clore.",
    )
    assert [e["message"] for e in french["errors"]] == [
        "aucun foyer n'a été crédité pour 2031-09 ; lancez d'abord le calcul du mois"
    ]
    english = assert_problem(
        _close(api, tokens, "en", "2031-09", "close-en-1"), 409, "month-never-run"
    )
    assert (english["title"], english["detail"]) == (
        "The month was never run",
        "The month 2031-09 was never run: run it before closing it.",
    )
    assert [e["message"] for e in english["errors"]] == [
        "no household was credited for 2031-09; run it first"
    ]


def test_books_refusals_by_their_codes_in_both_languages(api: FastAPI, tokens: Tokens) -> None:
    seed(api)
    assert _close(api, tokens, None, PERIOD, "close-once").status_code == 200
    french = assert_problem(
        _close(api, tokens, None, PERIOD, "close-again-fr"), 409, "month-closed"
    )
    assert french["title"] == "Le mois est clos"
    assert french["detail"] == "le mois 2026-11 est déjà clos"
    assert [(e["path"], e["message"]) for e in french["errors"]] == [
        ("period", "le mois 2026-11 est déjà clos")
    ]
    english = assert_problem(
        _close(api, tokens, "en", PERIOD, "close-again-en"), 409, "month-closed"
    )
    assert (english["title"], english["detail"]) == (
        "The month is closed",
        "month 2026-11 is already closed",
    )


def test_pydantic_constraints_in_both_languages(api: FastAPI, tokens: Tokens) -> None:
    """Pydantic's own message for a constraint (here a header's minimum length) is worded
    in French by the catalogue, and stays pydantic's in English."""
    french = assert_problem(_close(api, tokens, None, PERIOD, "k"), 422, "validation")
    assert [(e["path"], e["message"]) for e in french["errors"]] == [
        ("header.Idempotency-Key", "Le texte doit compter au moins 8 caractères (reçu 'k')")
    ]
    english = assert_problem(_close(api, tokens, "en", PERIOD, "k"), 422, "validation")
    assert [e["message"] for e in english["errors"]] == [
        "String should have at least 8 characters (got 'k')"
    ]
