"""The fund's research settings, read from the environment at the shell's edge.

- ``CAISSE_RESEARCH_THRESHOLD``: the smallest number of households a published cell may be
  built from (default 10; a whole number from 2 to 1000);
- ``CAISSE_OPEN_DATA_LICENCE``: the open data licence, an SPDX-style id with its URL
  (default ``ODbL-1.0``; ``CC-BY-4.0`` and ``etalab-2.0`` are also known);
- ``CAISSE_FUND_NAME``: the fund's name in the datapackage (default: the name of the rule
  set in force).
A value set but wrong raises ``SettingsError`` naming the variable and what is expected.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from app.db.settings import SettingsError
from app.engine.indicators import DEFAULT_THRESHOLD

THRESHOLD_ENV = "CAISSE_RESEARCH_THRESHOLD"
LICENCE_ENV = "CAISSE_OPEN_DATA_LICENCE"
FUND_NAME_ENV = "CAISSE_FUND_NAME"
MAX_THRESHOLD = 1000
LICENCES = {
    "ODbL-1.0": (
        "Open Data Commons Open Database License 1.0",
        "https://opendatacommons.org/licenses/odbl/1-0/",
    ),
    "CC-BY-4.0": (
        "Creative Commons Attribution 4.0",
        "https://creativecommons.org/licenses/by/4.0/",
    ),
    "etalab-2.0": (
        "Licence Ouverte / Open Licence 2.0",
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    ),
}


@dataclass(frozen=True, slots=True)
class ResearchSettings:
    threshold: int = DEFAULT_THRESHOLD
    licence: str = "ODbL-1.0"
    fund_name: str | None = None


def research_settings(environ: Mapping[str, str] | None = None) -> ResearchSettings:
    env = os.environ if environ is None else environ
    raw = env.get(THRESHOLD_ENV, "").strip()
    threshold = DEFAULT_THRESHOLD
    if raw:
        if not (raw.isascii() and raw.isdigit() and 2 <= int(raw) <= MAX_THRESHOLD):
            raise SettingsError(
                f"{THRESHOLD_ENV}={raw!r}: expected a whole number from 2 to {MAX_THRESHOLD}"
            )
        threshold = int(raw)
    licence = env.get(LICENCE_ENV, "").strip() or "ODbL-1.0"
    if licence not in LICENCES:
        raise SettingsError(f"{LICENCE_ENV}={licence!r}: expected one of {', '.join(LICENCES)}")
    name = env.get(FUND_NAME_ENV, "").strip() or None
    return ResearchSettings(threshold, licence, name)
