"""The pages' languages: the shell's one catalogue mechanism (app.i18n), under the name
the web layer has always imported."""

from app.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    N_,
    _,
    catalogue,
    gettext,
    language,
    negotiate,
    ngettext,
    speaking,
    translated,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "N_",
    "_",
    "catalogue",
    "gettext",
    "language",
    "negotiate",
    "ngettext",
    "speaking",
    "translated",
]
