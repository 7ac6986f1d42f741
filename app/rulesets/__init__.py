"""Rule documents of real funds, bundled as package data (YAML, format ``caisse.rules/1``).

Only the shell reads these files (the engine never does I/O): ``names()`` lists the bundled
rule sets and ``document(name)`` returns one parsed document, ready for
``app.engine.parse_rule_set``.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml


def names() -> list[str]:
    """The bundled rule sets, by file stem, sorted (e.g. ``["ariege", "calien", ...]``)."""
    root = resources.files(__name__)
    return sorted(
        entry.name.removesuffix(".yaml") for entry in root.iterdir() if entry.name.endswith(".yaml")
    )


def text(name: str) -> str:
    """The YAML text of a bundled rule set."""
    if name not in names():
        raise KeyError(f"no bundled rule set {name!r}; bundled: {', '.join(names())}")
    return resources.files(__name__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def document(name: str) -> Any:
    """The parsed rule document of a bundled rule set."""
    return yaml.safe_load(text(name))
