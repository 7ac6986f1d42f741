"""Rule documents in, validation reports out."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from app.api.schemas.fields import StrictInt, cents, described, period
from app.api.schemas.households import SAMPLE_LIMIT, HouseholdFactsIn
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
    "A rule document in the format ``caisse.rules/1`` (see docs/rules-format.md), as JSON"
    " or as YAML (``Content-Type: application/yaml`` or ``text/yaml``: the same validation;"
    " every problem names the ``line`` of its key)."
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


RATE_PATTERN = r"^[0-9]{1,6}(\.[0-9]{1,12})?$"


class RuleCheckRequest(BaseModel):
    """A rule document and the bounds to check it against."""

    model_config = ConfigDict(extra="forbid")

    rules: dict[str, Any] = described(
        RULES_DOCUMENT_DESCRIPTION, EXAMPLE_RULES, "rule document (JSON object)"
    )
    households: list[HouseholdFactsIn] | None = described(
        "Optional households: their attribute sets are probed too, and the budget is"
        " projected on them.",
        None,
        "list of household facts",
        default=None,
        max_length=SAMPLE_LIMIT,
    )
    period: str | None = period(
        "Month to probe (default: the rules' effective_from).", default=None
    )
    max_marginal_rate: str = described(
        "Bound on the marginal contribution rate (1 = 100 %: earning 1 € more never costs"
        " 1 € more).",
        "1",
        "decimal string (fraction of income)",
        default="1",
        pattern=RATE_PATTERN,
    )
    max_share_of_resources: str | None = described(
        "When given, every contribution above this share of the household's income is reported.",
        "0.1",
        "decimal string (fraction of income)",
        default=None,
        pattern=RATE_PATTERN,
    )
    budget_cents: StrictInt | None = cents(
        "Monthly budget for credits, for the budget projection.", 4447500, default=None, ge=0
    )


class FindingMessage(BaseModel):
    """A finding in the two languages of the fund."""

    fr: str = described(
        "In French.", "La participation baisse quand les ressources montent.", "text"
    )
    en: str = described("In English.", "The contribution falls as resources rise.", "text")


class FindingOut(BaseModel):
    """One property of the rule set the committee should know about, with its evidence."""

    severity: Literal["error", "warning", "info"] = described(
        "error: must be fixed before adoption; warning: look at it; info: for the record.",
        "warning",
        "text",
    )
    code: str = described("Stable code of the check.", "contribution.jump", "text")
    message: FindingMessage = described(
        "What was found, in French and English.",
        {"fr": "Saut de 5,00 € à 1 200,00 €.", "en": "Jump of €5.00 at €1,200.00."},
        "text per language",
    )
    evidence: dict[str, int | str] = described(
        "The figures that show it; keys ending in _cents are integer cents (1250 = 12,50 €).",
        {"composition": "single adult", "income_cents": 120000, "jump_cents": 500},
        "map of named figures",
    )


class RuleCheckReport(BaseModel):
    """The findings of the property checks, errors first."""

    rule_set: RuleSetSummary = described(
        "The rule set checked.",
        {"rule_set_id": "exemple", "version": 1},
        "object",
    )
    passed: bool = described("True when no finding is an error.", True, "boolean")
    counts: dict[str, int] = described(
        "Number of findings per severity.",
        {"error": 0, "warning": 1, "info": 2},
        "count per severity",
    )
    findings: list[FindingOut] = described(
        "Every finding, errors first, then warnings, then information.",
        [],
        "list of findings",
    )


def yaml_request_body(schema_ref: str | None = None) -> dict[str, Any]:
    """The ``openapi_extra`` of a rule endpoint: its body may also be sent as YAML (the same
    object as the JSON body, read by app.api.rule_yaml)."""
    schema: dict[str, Any] = (
        {"$ref": f"#/components/schemas/{schema_ref}"} if schema_ref else {"type": "object"}
    )
    content = {"schema": schema}
    return {
        "requestBody": {
            "content": {media: dict(content) for media in ("application/yaml", "text/yaml")}
        }
    }
