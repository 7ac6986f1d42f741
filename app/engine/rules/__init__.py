"""Rule clauses. Importing this package registers every formula kind."""

from app.engine.rules import combinators, contribution, credit  # noqa: F401  (registration)
from app.engine.rules.nodes import CONTRIBUTION_KINDS, CREDIT_KINDS

__all__ = ["CONTRIBUTION_KINDS", "CREDIT_KINDS"]
