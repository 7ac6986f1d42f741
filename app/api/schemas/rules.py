"""Rule documents in, validation reports out."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from app.api.schemas.fields import described, period
from app.api.schemas.problems import FieldProblem

EXAMPLE_RULES: dict[str, Any] = {
    "format": "caisse.rules/1",
    "id": "exemple",
    "version": 1,
    "name": "Caisse d'exemple",
    "effective_from": "2027-01",
    "decision": "Comité citoyen du 2026-12-10, délibération 2026-14",
    "contribution": {
        "rounding": {"unit_cents": 1, "mode": "half_up"},
        "formula": {"kind": "proportional", "base": "income", "rate": "0.025"},
    },
    "credit": {
        "rounding": {"unit_cents": 1, "mode": "half_up"},
        "formula": {"kind": "fixed", "amount_cents": 15000},
    },
}

RULES_DOCUMENT_DESCRIPTION = (
    "A rule document in the format ``caisse.rules/1`` (see docs/rules-format.md), as JSON."
    " Amounts are integer cents (``*_cents``: 1250 = 12,50 €), rates are decimal strings"
    ' ("0.025"); JSON numbers with a fraction are refused.'
)


class RuleSetSummary(BaseModel):
    """What identifies a valid rule set."""

    rule_set_id: str = described("The fund's rule family id (``id``).", "exemple", "identifier")
    version: int = described("Version of the rule set (from 1).", 1, "integer version number")
    name: str = described("Human name.", "Caisse d'exemple", "text")
    effective_from: str = period("First month the rules apply.")
    decision: str = described(
        "The committee decision the rules come from.",
        "Comité citoyen du 2026-12-10, délibération 2026-14",
        "text",
    )
    content_hash: str = described(
        "sha256 of the document's canonical JSON: same document, same hash.",
        "sha256:414836c5d43ced364bd44c9b17f9f04606c7670d3bb9c581d0324fc6f96a5b61",
        'text "sha256:" + 64 hex digits',
    )


class RuleValidation(BaseModel):
    """The outcome of validating a rule document: every problem, each with its path."""

    valid: bool = described("True when the document has no problem.", False, "boolean")
    problems: list[FieldProblem] = described(
        "Every problem found (empty when valid); paths are inside the document.",
        [
            {
                "path": "credit.formula.amount_cents",
                "message": "expected a whole number of cents, got '150'",
            }
        ],
        "list of field problems",
    )
    rule_set: RuleSetSummary | None = described(
        "The rule set's identity when valid; null otherwise.", None, "object or null"
    )
