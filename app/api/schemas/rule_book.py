"""Stored rule sets: drafts, adoption, versions, the set in force, impact on the membership."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from app.api.schemas.fields import described, ident, period
from app.api.schemas.rules import EXAMPLE_RULES

HASH_UNIT = 'text "sha256:" + 64 hex digits'
HASH_EXAMPLE = "sha256:414836c5d43ced364bd44c9b17f9f04606c7670d3bb9c581d0324fc6f96a5b61"
DECISION_EXAMPLE = "Comité citoyen du 2026-12-10, délibération 2026-14"


class DraftOut(BaseModel):
    """A stored draft (replaced when the same id and version is drafted again)."""

    rule_set_id: str = described("The rule family id.", "exemple", "identifier")
    version: int = described("Version of the rule set.", 1, "integer version number")
    content_hash: str = described("sha256 of the canonical document.", HASH_EXAMPLE, HASH_UNIT)
    status: str = described("Always `draft` here.", "draft", "text: draft")


class AdoptRequest(BaseModel):
    """The committee decision that adopts the draft."""

    model_config = ConfigDict(extra="forbid")

    decision: str = described(
        "Reference of the committee decision; must be the `decision` written in the draft"
        " (a confirmation that the right document is adopted).",
        DECISION_EXAMPLE,
        "text",
        min_length=1,
        max_length=500,
    )


class AdoptOut(BaseModel):
    """The adoption as journalled: from now on the version is immutable."""

    rule_set_id: str = described("The rule family id.", "exemple", "identifier")
    version: int = described("Version adopted.", 1, "integer version number")
    content_hash: str = described("sha256 of the document adopted.", HASH_EXAMPLE, HASH_UNIT)
    seq: int = described("Journal record of the adoption.", 12, "journal sequence number")


class VersionOut(BaseModel):
    """One stored version of a rule set."""

    rule_set_id: str = described("The rule family id.", "exemple", "identifier")
    version: int = described("Version.", 1, "integer version number")
    status: str = described("draft or adopted.", "adopted", "text: draft | adopted")
    effective_from: str = period("First month the rules apply.")
    decision: str = described("The committee decision.", DECISION_EXAMPLE, "text")
    content_hash: str = described("sha256 of the document.", HASH_EXAMPLE, HASH_UNIT)
    adopted_at: str | None = described(
        "When it was adopted; null for a draft.", "2026-12-11T09:00:00Z", "UTC timestamp, ISO 8601"
    )
    adopted_seq: int | None = described(
        "Journal record of the adoption; null for a draft.", 12, "journal sequence number"
    )


class VersionList(BaseModel):
    """Stored versions by id then version."""

    versions: list[VersionOut] = described("Every stored version.", [], "list of versions")


class InForceOut(VersionOut):
    """The adopted version in force for a month, with its document."""

    period: str = period("The month asked about.")
    document: dict[str, Any] = described(
        "The rule document (docs/rules-format.md).", EXAMPLE_RULES, "rule document (JSON object)"
    )


RuleSetIdPath = ident("The rule family id.", "exemple")
