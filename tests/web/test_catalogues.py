"""The pages are French first and complete, and English is complete too: every string the
pages can show (``_("...")`` in app/web's code and templates, found by Babel's extractors)
has an English translation in app/web/locale/en/*.po, and no catalogue entry is left over
from a string that no longer exists."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

from app.web import i18n

WEB = Path(__file__).resolve().parents[2] / "app" / "web"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}


def used_messages() -> dict[str, str]:
    """French msgid -> where it is first used."""
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(WEB),
        method_map=METHODS,
        options_map=OPTIONS,
        keywords={"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)},
    ):
        key = message[0] if isinstance(message, tuple) else message
        if key:
            found.setdefault(str(key), f"{filename}:{lineno}")
    return found


def test_every_string_a_page_shows_has_an_english_translation() -> None:
    english = i18n.catalogue("en")
    missing = {m: where for m, where in used_messages().items() if m not in english}
    assert not missing, "no English for:\n" + "\n".join(f"{w}: {m!r}" for m, w in missing.items())


def test_no_english_entry_is_left_over() -> None:
    used = used_messages()
    stale = sorted(set(i18n.catalogue("en")) - set(used))
    assert not stale, f"catalogue entries no page uses: {stale}"


def test_the_extraction_sees_templates_and_code() -> None:
    used = used_messages()
    assert used["Aller au contenu"].startswith("templates/base.html")
    assert used["Indiquez votre identifiant."].startswith("routes/public.py")
