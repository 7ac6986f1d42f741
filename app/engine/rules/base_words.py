"""How each money resource base is named to a member, in French and English.

Shared by the clauses whose explanations quote a household's base (means-tested credit,
eligibility bounds). ``persons`` is a count, not money: clauses treat it separately.
"""

from __future__ import annotations

from app.engine.resources import BASES

MONEY_BASES = tuple(base for base in BASES if base != "persons")

BASE_WORDS: dict[str, tuple[str, str]] = {
    "income": ("ressources mensuelles", "monthly resources"),
    "quotient_familial": ("quotient familial", "family quotient"),
    "income_per_cu": ("ressources par unité de consommation", "resources per consumption unit"),
    "income_per_person": ("ressources par personne", "resources per person"),
}
