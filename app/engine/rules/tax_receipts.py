"""What a rule document says about tax receipts for members' contributions.

The optional section ``tax_receipts: {over_contribution_is_gift: true}`` declares that the
part of a household's contribution paid above the credit it was granted for the same month
is a gift to the association (a tax receipt may state it, app.services.receipts). Absent,
null or ``false``: contributions are never receipted. Pure (standard library only).

Guarantees: ``over_contribution_cents`` is ``max(0, paid - granted)``: a month's gift is
never negative, never more than what was paid for it, and a month paid no more than its
credit gives nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.engine.rules.reader import Reader

FIELDS = ("over_contribution_is_gift",)


@dataclass(frozen=True, slots=True)
class TaxReceiptsPolicy:
    """Whether the part of a contribution paid above the month's credit is a gift."""

    over_contribution_is_gift: bool = False


def parse_tax_receipts(reader: Reader, value: Any, path: str) -> TaxReceiptsPolicy:
    """``{over_contribution_is_gift: true | false}`` (default false); unknown fields and
    anything but a boolean are reported with their path."""
    doc = reader.section(value, path)
    if doc is None:
        return TaxReceiptsPolicy()
    reader.only_keys(doc, FIELDS, path)
    return TaxReceiptsPolicy(reader.boolean(doc, "over_contribution_is_gift", path, default=False))


def over_contribution_cents(paid_cents: int, granted_cents: int) -> int:
    """The gift part of one month's contribution: what was paid for the month above the
    credit granted for it (never negative)."""
    return max(0, paid_cents - max(0, granted_cents))
