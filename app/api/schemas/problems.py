"""RFC 9457 problem details, as every error of the API is rendered."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from app.api.schemas.fields import described


class FieldProblem(BaseModel):
    """One thing to fix, located by the path of the offending field."""

    path: str = described(
        "Where the problem is: ``body``, ``query``, ``header`` or ``path`` then the field path"
        " (dots for fields, [n] for list items); for a rule document, the path inside it.",
        "body.contribution.formula.rate",
        "field path (text)",
    )
    message: str = described(
        "What was found and what is expected, in words a person can act on.",
        'expected a decimal string such as "0.025", got 0.025 (a JSON number)',
        "text",
    )
    line: int | None = described(
        "For a rule document sent as YAML or JSON text: the line of the offending key (or of"
        " its closest written parent); absent otherwise.",
        12,
        "line number (integer, from 1)",
        default=None,
    )


class ProblemDetails(BaseModel):
    """An error (RFC 9457, media type ``application/problem+json``).

    Extra members may appear for some types (for example ``available_cents`` when credit
    is insufficient); they are documented with the endpoint that returns them.
    """

    model_config = ConfigDict(extra="allow")

    type: str = described(
        "A URI naming the kind of problem; stable, safe to branch on.",
        "urn:caisse:problem:validation",
        "URI (text)",
    )
    title: str = described(
        "Short summary of the kind of problem (same for every occurrence of a type).",
        "The request is not valid",
        "text",
    )
    status: int = described("The HTTP status code.", 422, "HTTP status code (integer)")
    detail: str = described(
        "What went wrong this time, in a sentence.",
        "2 fields of the request are not valid.",
        "text",
    )
    instance: str = described(
        "The request path this problem occurred on.", "/v1/rules/validate", "URI reference"
    )
    errors: list[FieldProblem] = described(
        "Every offending field, each with its path and a message (empty when no field is"
        " at fault).",
        [
            {
                "path": "body.households[0].income_cents",
                "message": "Input should be a valid integer (got 12.5)",
            }
        ],
        "list of field problems",
    )
