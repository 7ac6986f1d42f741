"""The pure engine of caisse: rules, contributions, credits, rationing, explanations.

Standard library only (enforced by import-linter): no clock, no I/O, no randomness.
Same inputs -> byte-identical outputs.
"""

from app.engine.assess import Assessment, Status, assess
from app.engine.facts import HouseholdFacts, Person
from app.engine.period import Period
from app.engine.problems import EngineError, InvalidInput, Problem, RuleSetInvalid
from app.engine.ruleset import RuleSet, parse_rule_set

ENGINE_VERSION = "caisse-engine/0.1.0"

__all__ = [
    "ENGINE_VERSION",
    "Assessment",
    "EngineError",
    "HouseholdFacts",
    "InvalidInput",
    "Period",
    "Person",
    "Problem",
    "RuleSet",
    "RuleSetInvalid",
    "Status",
    "assess",
    "parse_rule_set",
]
