"""Resource bases as rules read them and show them to people: names, words, values.

Guarantees: a base read from a document is always one of ``app.engine.resources.BASES``
(and one of ``MONEY_BASES`` wherever a rate will multiply it: ``persons`` is a count, not
money); values written in a base's unit are whole, non-negative integers; every problem is
reported to the ``Reader`` with its path. Each base has exactly one French and one English
name per use: ``BASE_LABELS`` opens a sentence about the household's own base ("Votre
revenu mensuel"), ``BASE_WORDS`` names the base inside a sentence ("ressources mensuelles").
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from app.engine.exact import Q
from app.engine.explain import format_param
from app.engine.resources import BASES
from app.engine.rules.combinators import q_cents
from app.engine.rules.reader import Reader

__all__ = [
    "BASES",
    "BASE_LABELS",
    "BASE_WORDS",
    "MONEY_BASES",
    "base_params",
    "base_text",
    "count_variant",
    "read_base",
    "read_base_value",
    "with_count_variants",
]

MONEY_BASES = tuple(base for base in BASES if base != "persons")

# How each base is named to a member at the start of a sentence (singular, so French
# templates agree with any of them); the persons count has its own message variants.
BASE_LABELS: dict[str, tuple[str, str]] = {
    "income": ("Votre revenu mensuel", "Your monthly income"),
    "quotient_familial": ("Votre quotient familial", "Your family quotient"),
    "income_per_cu": (
        "Votre revenu par unité de consommation",
        "Your income per consumption unit",
    ),
    "income_per_person": ("Votre revenu par personne", "Your income per person"),
    "persons": ("Le nombre de personnes du foyer", "The number of persons in the household"),
}

# How each money base is named inside a sentence (means-tested credit, eligibility bounds).
BASE_WORDS: dict[str, tuple[str, str]] = {
    "income": ("ressources mensuelles", "monthly resources"),
    "quotient_familial": ("quotient familial", "family quotient"),
    "income_per_cu": ("ressources par unité de consommation", "resources per consumption unit"),
    "income_per_person": ("ressources par personne", "resources per person"),
}


def read_base(reader: Reader, doc: Mapping[str, Any], path: str, *, money_only: bool) -> str | None:
    """The ``base`` field; ``money_only`` when a rate will multiply it."""
    where = f"{path}.base"
    if "base" not in doc:
        reader.add(where, f"this field is required: one of {', '.join(BASES)}")
        return None
    value = doc["base"]
    if not isinstance(value, str) or value not in BASES:
        reader.add(
            where,
            f"unknown resource base {value!r}; expected one of {', '.join(BASES)}",
        )
        return None
    if money_only and value not in MONEY_BASES:
        reader.add(
            where,
            "a rate cannot apply to 'persons' (a count, not an amount of money); "
            f"use one of {', '.join(MONEY_BASES)}, or household_amount for amounts per person",
        )
        return None
    return value


@lru_cache(maxsize=4096)  # called with a rule's own thresholds only: explanations reuse them
def base_text(base: str, value: int, lang: str) -> str:
    """A value written in the base's unit, for people: euros for money bases, else a count."""
    if base == "persons":
        return str(value)
    return format_param("value_cents", value, lang)


def base_params(base: str, value: Q) -> dict[str, Any]:
    """Step parameters describing the household's base (label and value in its unit)."""
    label_fr, label_en = BASE_LABELS[base]
    params: dict[str, Any] = {"base": base, "base_fr": label_fr, "base_en": label_en}
    if base == "persons":
        params["base_count"] = value[0] // value[1]
    else:
        params["base_cents"] = q_cents(value)
    return params


def count_variant(code: str, base: str) -> str:
    """Codes whose templates show a base value have a ``.persons`` variant (a count)."""
    return f"{code}.persons" if base == "persons" else code


def with_count_variants(
    messages: Mapping[str, Mapping[str, str]],
) -> dict[str, dict[str, str]]:
    """Add the ``.persons`` variant of each template: ``{base_cents}`` shown as a count."""
    result = {code: dict(by_lang) for code, by_lang in messages.items()}
    for code, by_lang in messages.items():
        result[f"{code}.persons"] = {
            lang: text.replace("{base_cents}", "{base_count}") for lang, text in by_lang.items()
        }
    return result


def read_base_value(
    reader: Reader, doc: Mapping[str, Any], key: str, path: str, *, required: bool = True
) -> int | None:
    """A threshold or bound written in the base's unit (cents, or persons): an integer >= 0."""
    return reader.integer(doc, key, path, required=required, minimum=0)
