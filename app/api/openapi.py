"""The OpenAPI document: the fund described, tags per audience, roles stated per endpoint.

Roles are written into each endpoint by ``app.api.routing.RoleRoute``;
``problem_schema_openapi`` declares every 4xx/5xx response as ``application/problem+json``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.api.errors import PROBLEM_MEDIA_TYPE
from app.api.schemas.problems import ProblemDetails

DESCRIPTION = """\
**caisse** runs a citizen food fund (*caisse alimentaire*): each month every member
household pays a **contribution** computed by the fund's rules (a sliding scale on income,
a free choice between bounds...) and receives a **credit** to spend at approved
**merchants**, who are then paid in euros by the fund. A citizen **committee** decides the
rules, **operators** run the office, **auditors** re-derive every cent from the journal.

**Money** is always an integer number of cents (`*_cents`: `1250` = 12,50 €); rates are
decimal strings (`"0.025"`). No amount is ever a floating-point number.

**Authentication**: `Authorization: Bearer <secret>`, one role per token (create tokens with
`caisse token create --role ROLE`). Every endpoint states its role. A wrong role gets 403; a
member or merchant asking for someone else's resource gets 404, exactly as if it did not
exist.

**Errors** are RFC 9457 problem details (`application/problem+json`) with an `errors` list
naming each offending field path. 422: malformed request; 409: conflict with the state of
the fund (month closed, not enough credit, merchant suspended, idempotency key reused);
nothing is written when a request fails.

**Retries**: every request that moves money takes an `Idempotency-Key` header; a retry
returns the original response.
"""

TAGS: list[dict[str, Any]] = [
    {
        "name": "committee",
        "description": "Citizen committee: draft, check, preview and adopt rules; approve merchants.",
    },
    {
        "name": "operator",
        "description": "Office: enrol households, record payments and subsidies, run and close months, settle merchants.",
    },
    {
        "name": "member",
        "description": "Members: their own balance, history, statements with explanations, data export.",
    },
    {
        "name": "merchant",
        "description": "Approved merchants: charge a member (with consent code), refund, own sales and settlements.",
    },
    {
        "name": "auditor",
        "description": "Auditors: read everything pseudonymised, verify and replay the journal, exports.",
    },
    {
        "name": "researcher",
        "description": "Researchers: aggregate indicators only, small cells suppressed, never a household.",
    },
    {"name": "system", "description": "Health and identity of the caller."},
]


def problem_schema_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """``app.openapi`` replacement: error responses are problem documents."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, definition in (
            ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
            .get("$defs", {})
            .items()
        ):
            components.setdefault(name, definition)
        problem = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
        problem.pop("$defs", None)
        components["ProblemDetails"] = problem
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        ref = {"$ref": "#/components/schemas/ProblemDetails"}
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                for status, response in operation.get("responses", {}).items():
                    if status == "default" or int(status) >= 400:
                        response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": ref}}
        app.openapi_schema = schema
        return schema

    return openapi
