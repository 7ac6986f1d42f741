"""Where each key of a request's rule body is written (kept by app.api.rule_yaml), so that a
problem about the body names its line, for YAML and JSON bodies alike."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from starlette.requests import Request

from app.services.rules.text import ReadText

STATE_KEY = "rule_lines"


def keep_lines(scope: MutableMapping[str, Any], found: ReadText) -> None:
    """Remember the body's key lines for the rest of the request."""
    state = scope.setdefault("state", {})
    if isinstance(state, dict):
        state[STATE_KEY] = found


def line_of_problem(request: Request, path: str) -> int | None:
    """The line of a problem's ``path`` in the rule body (with or without the ``body.``
    prefix), or None when the request carried no rule body whose lines are known."""
    state = request.scope.get("state") or {}
    found = state.get(STATE_KEY) if isinstance(state, dict) else None
    if not isinstance(found, ReadText):
        return None
    inside = path.removeprefix("body").removeprefix(".")
    return found.line_of(inside)
