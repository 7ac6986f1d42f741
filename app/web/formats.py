"""How the pages write and read money and dates: euros the French way (``1 234,56 €``),
dates in words (``7 décembre 2026``), in the request's language (app.web.i18n).

Money stays integer cents: formatting goes through ``Decimal`` (exact), and reading an
amount a person typed (``12,50`` or ``12.50`` or ``12``) gives cents without a float.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date, format_datetime, get_timezone
from babel.numbers import format_currency

from app.engine.money import format_cents
from app.web.i18n import language

_LOCALES = {"fr": "fr_FR", "en": "en_GB"}
_AMOUNT = re.compile(r"^(\d{1,7})(?:[.,](\d{1,2}))?$")


def _locale() -> str:
    return _LOCALES.get(language(), "fr_FR")


def euros(cents: int | None) -> str:
    """``123456`` -> ``1 234,56 €`` (French) or ``€1,234.56`` (English); None -> ``—``."""
    if cents is None:
        return "—"
    return format_currency(Decimal(cents) / 100, "EUR", locale=_locale())


def day(value: date | str | None) -> str:
    """A date in words: ``7 décembre 2026``."""
    if value is None or value == "":
        return "—"
    when = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return format_date(when, format="long", locale=_locale())


def moment(value: datetime | str | None) -> str:
    """A time in words, in the fund's time zone (Paris): ``7 décembre 2026 à 14:05``."""
    if value is None or value == "":
        return "—"
    when = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    return format_datetime(
        when, format="d MMMM y HH:mm", tzinfo=get_timezone("Europe/Paris"), locale=_locale()
    )


def month(period: str | None) -> str:
    """``2027-01`` -> ``janvier 2027``."""
    if not period:
        return "—"
    year, number = period.split("-")
    return format_date(date(int(year), int(number), 1), format="MMMM y", locale=_locale())


def parse_cents(text: str) -> int | None:
    """Cents from an amount as a person types it (``12,50``, ``12.5``, ``12``, spaces and a
    trailing ``€`` allowed); None when it is not an amount."""
    cleaned = re.sub(r"[\s\u00a0\u202f€]", "", text or "")
    match = _AMOUNT.match(cleaned)
    if match is None:
        return None
    whole, fraction = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(fraction)


def cents_for_input(cents: int | None) -> str:
    """The value to put back in an amount field: ``1250`` -> ``12,50``."""
    return "" if cents is None else format_cents(cents, ",")
