"""A member's inclusion proof (app.audit.inclusion): their month statement, its audit path
and the signed checkpoint whose Merkle root it leads to."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from app.api.schemas.fields import described, ident
from app.api.schemas.fields import period as month_field

HEX = "64 lowercase hex digits"


class InclusionProof(BaseModel):
    """Check it offline with `caisse verify-proof FILE --public-key KEY` (docs/audit)."""

    format: str = described(
        "The proof's format.", "caisse.inclusion-proof/1", "text: caisse.inclusion-proof/1"
    )
    period: str = month_field("The sealed month.")
    household_id: str = ident("The household.", "hh_0042")
    statement: dict[str, Any] = described(
        "The statement leaf: the household's line of the month run (status, contribution,"
        " credit, funder share, facts commitment) with the month and the rule set hash.",
        {"credit_cents": 10000, "contribution_cents": 5000},
        "object; amounts in cents",
    )
    leaf_index: int = described("Position of the statement in the month's tree.", 0, "index")
    tree_size: int = described("Statements in the month's tree.", 190, "count of statements")
    audit_path: list[str] = described(
        "RFC 9162 audit path, nearest sibling first.", ["9f86d081" * 8], f"list of {HEX}"
    )
    checkpoint: dict[str, Any] = described(
        "The month's checkpoint document with its Ed25519 signature and public key"
        " (month_root and month_statements included).",
        {"period": "2027-01", "month_root": "9f86d081" * 8},
        "object",
    )
