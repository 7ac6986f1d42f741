"""Structured problems and engine errors. No HTTP codes here: the shell translates.

A ``Problem`` names where (a path such as ``contribution.brackets[2].to_cents``), what was
found, and what was expected, in words a committee member can act on. Validators collect
every problem and raise once (``RuleSetInvalid``), never stopping at the first.

Languages: a problem made by ``problem(path, code, **params)`` carries a message ``code`` and
its parameters (values as text: paths, numbers, the value found); its French and English
templates are registered with ``register_problem_messages`` next to the code that raises
it, and the shell renders ``problem.text(lang)`` in the reader's language. ``message`` is
the English text (logs, the command line, tests). A problem without a code (older call
sites) has only its ``message``, in English: ``text`` returns it as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

LANGUAGES = ("fr", "en")

_MESSAGES: dict[str, dict[str, str]] = {}
# Words a parameter may hold (a month's status...), by parameter name, value and language.
_WORDS: dict[str, dict[str, dict[str, str]]] = {}

Params = tuple[tuple[str, str], ...]


def register_problem_messages(messages: Mapping[str, Mapping[str, str]]) -> None:
    """Add templates: ``{code: {"fr": "... {name} ...", "en": "..."}}``, both languages."""
    for code, by_lang in messages.items():
        missing = [lang for lang in LANGUAGES if lang not in by_lang]
        if missing:
            raise ValueError(f"problem message {code!r} lacks languages {missing}")
        _MESSAGES[code] = dict(by_lang)


def register_problem_words(words: Mapping[str, Mapping[str, Mapping[str, str]]]) -> None:
    """Add parameter words: ``{param: {value: {"fr": ..., "en": ...}}}``, so that a value
    the engine writes as a code ("closed") reads as a word in each language ("clos")."""
    for name, values in words.items():
        for value, by_lang in values.items():
            missing = [lang for lang in LANGUAGES if lang not in by_lang]
            if missing:
                raise ValueError(f"problem word {name}={value!r} lacks languages {missing}")
            _WORDS.setdefault(name, {})[value] = dict(by_lang)


def problem_messages() -> Mapping[str, Mapping[str, str]]:
    return _MESSAGES


def _spoken(params: Params, lang: str) -> dict[str, str]:
    """The parameters with their registered words in ``lang``."""
    return {name: _WORDS.get(name, {}).get(value, {}).get(lang, value) for name, value in params}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input, located by ``path``."""

    path: str
    message: str
    # The message's code and parameters, when it has templates in both languages.
    code: str = field(default="", compare=False)
    params: Params = field(default=(), compare=False)

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}

    def text(self, lang: str) -> str:
        """The message in ``lang`` ("fr" or "en"); the English message when it has no code."""
        template = _MESSAGES.get(self.code, {}).get(lang)
        return self.message if template is None else template.format(**_spoken(self.params, lang))


def render_params(**params: object) -> Params:
    return tuple(sorted((key, str(value)) for key, value in params.items()))


def problem(path: str, code: str, **params: object) -> Problem:
    """A problem with a registered message ``code``; ``message`` is its English text."""
    values = render_params(**params)
    return Problem(path, _MESSAGES[code]["en"].format(**_spoken(values, "en")), code, values)


class Refusal(ValueError):
    """A value refused by a converter, as a message code and parameters (see ``problem``)."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = render_params(**params)
        super().__init__(_MESSAGES[code]["en"].format(**dict(self.params)))

    def at(self, path: str) -> Problem:
        return Problem(path, str(self), self.code, self.params)


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in self.problems))


class RuleSetInvalid(EngineError):
    """A rule document failed validation; ``problems`` lists every issue found."""


class InvalidInput(EngineError):
    """Household facts or a command's input are malformed or out of bounds."""


def join_path(base: str, key: str | int) -> str:
    """Extend a problem path: ``join_path("a", "b") -> "a.b"``, ``join_path("a", 2) -> "a[2]"``."""
    if isinstance(key, int):
        return f"{base}[{key}]"
    return f"{base}.{key}" if base else key
