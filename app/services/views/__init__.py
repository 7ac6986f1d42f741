"""The read side, grouped by subject (one module each), used through this package:
``views.balances(...)``, ``views.statement(...)``, ``views.rule_versions(...)``.

- ``credit``: A member's credit: the balance and open lots (the members' hot read, one SELECT), what
- ``statements``: What a household's months were: the history of its credit and contributions, and a
- ``merchants``: A merchant's side of the books: its sales, whether a purchase id is taken, the
- ``fund``: The fund as a whole: its position (trial balance, backing), the journal's pages, a
- ``households``: Households as the API and the office read them: one lookup (``household_row``, 404 when
- ``rules``: Rule versions as the API reads them: the list, one version, the set in force for a
"""

from __future__ import annotations

from app.services.views.credit import (
    Lot,
    Wallet,
    balances,
    balances_on_loop,
    is_spendable,
    spendable_cents,
    wallet,
)
from app.services.views.export import member_export
from app.services.views.fund import (
    checkpoint,
    checkpoint_dict,
    checkpoints,
    fund_position,
    journal_page,
    month_status,
    run_retry,
)
from app.services.views.households import facts_dict, household_row, list_households, profile
from app.services.views.merchants import merchant_sales, merchant_settlements, purchase_exists
from app.services.views.rules import (
    ensure_adoptable,
    impact_inputs,
    in_force,
    rule_version,
    rule_versions,
    version_dict,
)
from app.services.views.statements import (
    Movement,
    Rationing,
    Statement,
    history,
    member_since,
    member_statement,
    movements,
    statement,
    statement_months,
)

__all__ = [
    "Lot",
    "Movement",
    "Rationing",
    "Statement",
    "Wallet",
    "balances",
    "balances_on_loop",
    "checkpoint",
    "checkpoint_dict",
    "checkpoints",
    "ensure_adoptable",
    "facts_dict",
    "fund_position",
    "history",
    "household_row",
    "impact_inputs",
    "in_force",
    "is_spendable",
    "journal_page",
    "list_households",
    "member_export",
    "member_since",
    "member_statement",
    "merchant_sales",
    "merchant_settlements",
    "month_status",
    "movements",
    "profile",
    "purchase_exists",
    "rule_version",
    "rule_versions",
    "run_retry",
    "spendable_cents",
    "statement",
    "statement_months",
    "version_dict",
    "wallet",
]
