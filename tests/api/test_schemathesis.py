"""Property-based conformance of the whole API to its own OpenAPI schema (schemathesis, in
process over ASGI): for generated valid and invalid requests, no 5xx, and every response
has a documented status, the documented content type, and a body matching its schema; an
operation that declares bearer auth refuses requests without it (``ignored_auth``).

Each operation is called with a token of a role it admits (from its ``x-roles``), so the
generated requests reach the handlers; the authorisation matrix covers the refusals.
Bounded and deterministic: ``MAX_EXAMPLES`` requests per operation and generation mode.
(schemathesis' own pytest fixture loader does not run under pytest 9, so the operations
are listed from the schema at collection time and driven with Hypothesis here.)
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.api.app import create_app
from app.db.settings import Settings
from tests.api.support import Tokens

MAX_EXAMPLES = int(os.environ.get("CAISSE_SCHEMATHESIS_EXAMPLES", "30"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def _cases() -> list[tuple[str, str, GenerationMode]]:
    """(method, path, mode) for every operation; negative mode only where there is input."""
    # The schema does not depend on the database: an unconnected app lists the operations.
    app = create_app(Settings(database_url="sqlite://"))
    cases = []
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            cases.append((method.upper(), path, GenerationMode.POSITIVE))
            if operation.get("parameters") or operation.get("requestBody"):
                cases.append((method.upper(), path, GenerationMode.NEGATIVE))
    return cases


@pytest.mark.parametrize(("method", "path", "mode"), _cases())
def test_api_conforms_to_its_schema(
    api: FastAPI, tokens: Tokens, method: str, path: str, mode: GenerationMode
) -> None:
    operation = schemathesis.openapi.from_asgi("/openapi.json", api)[path][method]
    roles = operation.definition.raw.get("x-roles") or ["anonymous"]
    headers = tokens.headers(roles[0])

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    call()
