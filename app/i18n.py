"""Languages of the pages: French first and complete, English available.

The pages are written in French: every string a person can see is a French ``msgid`` in a
template (``{{ _("...") }}``) or in the web layer's code (``_("...")``), so French can never
be missing. English comes from gettext catalogues (``app/web/locale/en/*.po``, one per area
of the site, merged when loaded; Babel reads them, no compile step). A string without an
English translation shows in French.

Strings kept in tables (labels by code) are marked ``N_("...")`` where they are written and
translated with ``_(value)`` where they are shown.

The language of a request: the ``caisse_lang`` cookie (the switch in every page's footer),
else the browser's ``Accept-Language``, else French. It is held in a context variable for
the duration of the request, so templates and code translate without passing it around.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
LOCALE_DIR = Path(__file__).parent / "locale"

_current: ContextVar[str] = ContextVar("caisse_language", default=DEFAULT_LANGUAGE)


@cache
def catalogue(language: str) -> dict[str, str | tuple[str, ...]]:
    """``msgid`` -> translation for ``language`` (empty for French, the source language)."""
    messages: dict[str, str | tuple[str, ...]] = {}
    folder = LOCALE_DIR / language
    if language == DEFAULT_LANGUAGE or not folder.is_dir():
        return messages
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=language):
                if not message.id or not message.string or message.fuzzy:
                    continue
                key = str(message.id[0] if isinstance(message.id, tuple | list) else message.id)
                found = message.string
                messages[key] = tuple(found) if isinstance(found, tuple | list) else str(found)
    return messages


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
    found = catalogue(_current.get()).get(message)
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
