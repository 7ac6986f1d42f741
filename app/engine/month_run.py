"""A household's line in a ``run_month`` journal payload, built from its assessment.

The month run (``app.services.months``) writes these lines, and the verifier re-derives them
(``app.audit.verify.rederive``) with this same function from the journal's rule document and the
committed facts, then compares them with the journal's lines key by key: one path, so a line
the verifier rebuilds is equal to the booked one exactly when the amounts are.
"""

from __future__ import annotations

from typing import Any

from app.engine.assess import Assessment, Status

LINE_FIELDS = (
    "household_id",
    "status",
    "contribution_cents",
    "credit_cents",
    "funder_share_cents",
    "funder_id",
    "facts_commitment",
)


def run_line(a: Assessment, commitment: str, arrears_months: int | None = None) -> dict[str, Any]:
    """The journal line of one household (amounts only when assessed). Under rules with an
    arrears policy the line also records the household's months in arrears the run read from
    the books (``arrears_months``): not a fact of the household's committed facts, so the
    verifier re-derives the line from the recorded count."""
    assessed = a.status == Status.ASSESSED
    line = {
        "household_id": a.household_id,
        "status": a.status.value,
        "contribution_cents": a.contribution_cents if assessed else None,
        "credit_cents": a.credit_cents if assessed else None,
        "funder_share_cents": a.funder_share_cents if assessed else 0,
        "funder_id": a.funder_id if assessed and a.funder_share_cents else None,
        "facts_commitment": commitment,
    }
    if arrears_months is not None:
        line["arrears_months"] = arrears_months
    return line
