"""Names a page gives to the fund's codes, in one place for every area: product categories
(the keys of a merchant's approval), merchant kinds and rates shown as percentages.

A rate is shown from its exact value (``app.engine.money``: ``parse_rate`` and
``format_rate``), never through a float: ``"0.125"`` is ``12,5 %``.
"""

from __future__ import annotations

from fractions import Fraction

from app.engine.money import format_rate, parse_rate
from app.web.i18n import N_, _

CATEGORY_NAMES = {
    "food": N_("Alimentation"),
    "hygiene": N_("Hygiène"),
    "fruits_vegetables": N_("Fruits et légumes"),
    "drinks": N_("Boissons"),
    "household": N_("Entretien de la maison"),
    "baby": N_("Bébé"),
}


def category_name(code: str) -> str:
    """A category's name in the reader's language (an unknown code is shown as it is)."""
    return _(CATEGORY_NAMES[code]) if code in CATEGORY_NAMES else code


def percent_digits(rate: object) -> str:
    """An exact rate as percent digits: ``"0.025"`` or ``Fraction(1, 40)`` -> ``"2.5"``.
    ``ValueError`` for what is not an exact rate."""
    value = rate if isinstance(rate, Fraction) else parse_rate(rate)
    return format_rate(value * 100)


MERCHANT_KIND_NAMES = {
    "producer": N_("Producteur"),
    "shop": N_("Commerce"),
    "solidarity_grocery": N_("Épicerie solidaire"),
    "market": N_("Marché"),
}


def merchant_kind_name(code: str) -> str:
    """A merchant kind's name in the reader's language (an unknown code is shown as it is)."""
    return _(MERCHANT_KIND_NAMES[code]) if code in MERCHANT_KIND_NAMES else code
