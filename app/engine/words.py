"""Amounts in French words, as a tax receipt writes them (*somme en toutes lettres*).

Guarantees: exact (integer cents in, text out; no float); the spelling follows the 1990
reform's usual receipt form with hyphens only where the traditional spelling puts them
(``vingt-trois``, ``soixante et onze``, ``quatre-vingts``, ``deux cents``, ``mille``, ``deux
millions``): ``vingt`` and ``cent`` take an ``s`` when multiplied and ending the number,
``mille`` never does, ``million`` and ``milliard`` are nouns. Pure: standard library only.
"""

from __future__ import annotations

_UNITS = (
    "zéro",
    "un",
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "onze",
    "douze",
    "treize",
    "quatorze",
    "quinze",
    "seize",
    "dix-sept",
    "dix-huit",
    "dix-neuf",
)
_TENS = ("", "", "vingt", "trente", "quarante", "cinquante", "soixante")
_LARGE = ((10**9, "milliard"), (10**6, "million"))


def _below_hundred(n: int) -> str:
    if n < 20:
        return _UNITS[n]
    tens, unit = divmod(n, 10)
    if tens in (7, 9):  # soixante-dix..., quatre-vingt-dix...
        head = "soixante" if tens == 7 else "quatre-vingt"
        rest = _UNITS[10 + unit]
        joiner = " et " if tens == 7 and unit == 1 else "-"
        return f"{head}{joiner}{rest}"
    head = "quatre-vingt" if tens == 8 else _TENS[tens]
    if unit == 0:
        return "quatre-vingts" if tens == 8 else head
    if unit == 1 and tens != 8:
        return f"{head} et un"
    return f"{head}-{_UNITS[unit]}"


def _below_thousand(n: int, final: bool) -> str:
    """``n`` < 1000; ``final``: nothing follows (so ``cents`` and ``quatre-vingts`` keep
    their ``s``)."""
    hundreds, rest = divmod(n, 100)
    words = []
    if hundreds:
        if hundreds == 1:
            words.append("cent")
        else:
            plural = rest == 0 and final
            words.append(f"{_UNITS[hundreds]} cent{'s' if plural else ''}")
    if rest or not hundreds:
        text = _below_hundred(rest)
        if not final and text == "quatre-vingts":
            text = "quatre-vingt"
        words.append(text)
    return " ".join(words)


def integer_in_words(n: int) -> str:
    """A whole number >= 0 in French words (``integer_in_words(80) == "quatre-vingts"``)."""
    if n < 0:
        raise ValueError(f"{n} is negative")
    if n == 0:
        return "zéro"
    words = []
    for size, name in _LARGE:
        count, n = divmod(n, size)
        if count:
            words.append(f"{integer_in_words(count)} {name}{'s' if count > 1 else ''}")
    thousands, n = divmod(n, 1000)
    if thousands:
        words.append("mille" if thousands == 1 else f"{_below_thousand(thousands, False)} mille")
    if n:
        words.append(_below_thousand(n, True))
    return " ".join(words)


def euros_in_words(cents: int) -> str:
    """An amount of integer cents in words: ``12345`` -> ``cent vingt-trois euros et
    quarante-cinq centimes``; ``100`` -> ``un euro``; ``5`` -> ``zéro euro et cinq
    centimes``. A million or more euros takes ``d'euros`` (``un million d'euros``)."""
    if cents < 0:
        raise ValueError(f"{cents} is negative")
    euros, rest = divmod(cents, 100)
    text = integer_in_words(euros)
    if euros >= 10**6 and euros % 10**6 == 0:
        unit = "d'euros"
    else:
        unit = "euro" if euros < 2 else "euros"
    amount = f"{text} {unit}"
    if rest:
        amount += f" et {integer_in_words(rest)} centime{'s' if rest > 1 else ''}"
    return amount
