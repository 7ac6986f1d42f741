"""Property checks on a rule set, before a committee adopts it: ``check_rules`` (``rules``)
probes the contribution over a fixed grid of incomes and compositions (``probe``) and reports
``Finding``s in French and English with their evidence (``findings``)."""

from __future__ import annotations

from app.engine.checks.findings import Finding, Severity
from app.engine.checks.probe import Composition
from app.engine.checks.rules import check_rules

__all__ = ["Composition", "Finding", "Severity", "check_rules"]
