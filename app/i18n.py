"""Languages of everything a person reads: French first and complete, English available.

One mechanism for the pages (app.web) and the API (app.api), so it sits below both layers
(the engine never imports it: it returns codes and parameters, the shell renders them).

Every string a person can see is written in French: a French ``msgid`` in a template
(``{{ _("...") }}``) or in the shell's code (``_("...")``, ``N_("...")``), so French can never
be missing. English comes from gettext catalogues (``app/web/locale/en/*.po``, one per area
of the site, and ``app/locale/en/*.po`` for the API's problem details), merged when loaded;
Babel reads them, no compile step. A string without an English translation shows in French.

Strings kept in tables (labels by code) are marked ``N_("...")`` where they are written and
translated with ``_(value)`` where they are shown.

The language of a request: the ``caisse_lang`` cookie (the switch in every page's footer),
else the ``Accept-Language`` header, else French. It is held in a context variable for
the duration of the request, so templates and code translate without passing it around;
``translated(lang, message)`` translates for a language given explicitly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
# French msgids: the pages' catalogues (app/web/locale/<lang>/*.po).
LOCALE_DIRS = (Path(__file__).parent / "web" / "locale",)
# English msgids: texts the services and the API's boundary still write in English (problem
# titles, details and messages), rendered in French by app/locale/fr/*.po until each carries
# a message code of its own (as the engine's problems do: app.engine.problems).
ENGLISH_SOURCE_DIR = Path(__file__).parent / "locale"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

_current: ContextVar[str] = ContextVar("caisse_language", default=DEFAULT_LANGUAGE)


@cache
def catalogue(language: str) -> dict[str, str | tuple[str, ...]]:
    """``msgid`` -> translation for ``language`` (empty for French, the source language)."""
    messages: dict[str, str | tuple[str, ...]] = {}
    if language == DEFAULT_LANGUAGE:
        return messages
    for root in LOCALE_DIRS:
        messages.update(_read_folder(root / language, language))
    return messages


def _read_folder(folder: Path, language: str) -> dict[str, str | tuple[str, ...]]:
    messages: dict[str, str | tuple[str, ...]] = {}
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=language):
                if not message.id or not message.string or message.fuzzy:
                    continue
                key = str(message.id[0] if isinstance(message.id, tuple | list) else message.id)
                found = message.string
                messages[key] = tuple(found) if isinstance(found, tuple | list) else str(found)
    return messages


@cache
def english_catalogue(language: str) -> dict[str, str]:
    """English ``msgid`` -> translation for ``language`` (empty for English)."""
    found = _read_folder(ENGLISH_SOURCE_DIR / language, language)
    return {key: value for key, value in found.items() if isinstance(value, str)}


@cache
def _english_patterns(language: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    """The catalogue's msgids with ``{name}`` placeholders, as patterns matching the texts
    they were formatted into (each placeholder matches any text, shortest first); the most
    specific first: a sentence around a ``{message}`` (it is translated on its own: its
    value cannot swallow the words around it), then by the most fixed text, so "Input should
    be greater than {gt}" wins over "Input should be {expected}"."""
    patterns: list[tuple[tuple[bool, int], re.Pattern[str], str]] = []
    for msgid, msgstr in english_catalogue(language).items():
        if not _PLACEHOLDER.search(msgid):
            continue
        parts = _PLACEHOLDER.split(msgid)
        regex = "".join(
            re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)"
            for index, part in enumerate(parts)
        )
        rank = ("message" not in parts[1::2], -sum(len(part) for part in parts[::2]))
        patterns.append((rank, re.compile(f"^{regex}$", re.S), msgstr))
    patterns.sort(key=lambda item: item[0])  # stable: catalogue order among equals
    return tuple((pattern, msgstr) for _, pattern, msgstr in patterns)


@lru_cache(maxsize=8192)  # the catalogue is fixed once read; a page repeats its texts
def from_english(lang: str, text: str) -> str:
    """An English text of the services or the API in ``lang``: the catalogue's exact entry,
    else the first entry whose ``{placeholders}`` match it (each value found is itself
    translated the same way when the catalogue has it: a quoted path or number stays as it
    is; a ``{message}`` value must be translated itself), else the text as it is (visible,
    never fatal)."""
    if lang == "en" or not text:
        return text
    table = english_catalogue(lang)
    exact = table.get(text)
    if exact is not None:
        return exact
    for pattern, msgstr in _english_patterns(lang):
        match = pattern.match(text)
        if match is None:
            continue
        said = {name: from_english(lang, value) for name, value in match.groupdict().items()}
        if "message" in said and said["message"] == match.group("message"):
            continue  # a sentence around an untranslated one would mix two languages
        return msgstr.format(**said)
    return text


def language() -> str:
    return _current.get()


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Translate into ``lang`` for the duration of the block (one request)."""
    token = _current.set(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return translated(_current.get(), message)


def translated(lang: str, message: str) -> str:
    """``message`` (a French msgid) in ``lang``; itself when the catalogue lacks it."""
    found = catalogue(lang).get(message)
    return found if isinstance(found, str) else message


def ngettext(singular: str, plural: str, count: int) -> str:
    found = catalogue(_current.get()).get(singular)
    if isinstance(found, tuple) and len(found) >= 2:
        return found[0] if count == 1 else found[1]
    return singular if count == 1 else plural


_ = gettext


def N_(message: str) -> str:  # noqa: N802 (gettext's conventional name)
    """Mark a French string for translation where it is defined (a table of labels), to
    be translated with ``_`` where it is shown; Babel's extraction finds it by this name."""
    return message


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The request's language: the cookie's choice, else the first language of the
    browser's list we have, else French."""
    if cookie in LANGUAGES:
        return str(cookie)
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


# Ledger lines in words: the books keep a short technical memo ("purchase p_1 grocery") and
# an account code ("419:hh_1"); people read them through these (app/locale/fr/api.po has the
# French of each "kind: memo" form and of each account's name).
ACCOUNT_NAMES = {
    "411": "contribution due",
    "419": "food credit",
}


def memo_text(kind: str, memo: str, lang: str) -> str:
    """A ledger line's memo in ``lang``: its ``"<kind>: <memo>"`` form translated, else the
    memo as the books keep it."""
    keyed = f"{kind}: {memo}"
    said = from_english(lang, keyed)
    return memo if said == keyed else said


def account_text(account: str, lang: str) -> str:
    """A member account's name in ``lang`` (``"419:hh_1"`` -> "crédit alimentaire"); the
    code itself for an account without a name."""
    name = ACCOUNT_NAMES.get(account.partition(":")[0])
    return account if name is None else from_english(lang, name)
