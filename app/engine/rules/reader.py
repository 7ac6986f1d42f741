"""Reading rule documents: typed accessors that collect every problem with its path.

Validation never stops at the first problem: each accessor records what is wrong and
returns ``None``, and the caller raises ``RuleSetInvalid`` once with the full list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from fractions import Fraction
from typing import Any, TypeVar

from app.engine.money import Rounding, RoundingMode, parse_rate
from app.engine.problems import Problem, Refusal, join_path, problem, register_problem_messages

register_problem_messages(
    {
        "reader.object": {
            "fr": "attendu un objet avec des champs nommés, reçu {got}",
            "en": "expected an object with named fields, got {got}",
        },
        "reader.list": {"fr": "attendu une liste, reçu {got}", "en": "expected a list, got {got}"},
        "reader.min_items": {
            "fr": "attendu au moins {minimum} élément(s), reçu {count}",
            "en": "expected at least {minimum} item(s), got {count}",
        },
        "reader.unknown_field": {
            "fr": "champ inconnu {key} ; champs permis ici : {allowed}",
            "en": "unknown field {key}; allowed here: {allowed}",
        },
        "reader.required": {
            "fr": "ce champ est obligatoire",
            "en": "this field is required",
        },
        "reader.choices": {
            "fr": "attendu l'une des valeurs {choices} ; reçu {got}",
            "en": "expected one of {choices}; got {got}",
        },
        "reader.boolean": {
            "fr": "attendu true ou false, reçu {got}",
            "en": "expected true or false, got {got}",
        },
        "reader.at_least": {
            "fr": "attendu au moins {minimum}, reçu {got}",
            "en": "expected at least {minimum}, got {got}",
        },
        "reader.at_most": {
            "fr": "attendu au plus {maximum}, reçu {got}",
            "en": "expected at most {maximum}, got {got}",
        },
        "reader.whole": {
            "fr": "attendu un nombre entier, reçu {got}",
            "en": "expected a whole number, got {got}",
        },
        "reader.cents": {
            "fr": "attendu un nombre entier de centimes (par exemple 1250 pour 12,50 €), reçu {got}",
            "en": "expected a whole number of cents (e.g. 1250 for 12,50 €), got {got}",
        },
        "reader.text": {
            "fr": "attendu un texte non vide, reçu {got}",
            "en": "expected a non-empty text, got {got}",
        },
    }
)

_MISSING = object()
# What a typed accessor reads: each is ordered, so the same bound checks serve them all.
_T = TypeVar("_T", int, Fraction, str)


class Reader:
    """Collects problems while reading a JSON-like document."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def refuse(self, path: str, code: str, **params: object) -> None:
        """Record a problem with a registered message code (French and English)."""
        self.problems.append(problem(path, code, **params))

    def mapping(self, value: Any, path: str) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.refuse(path, "reader.object", got=_show(value))
            return None
        return value

    def sequence(self, value: Any, path: str, min_items: int = 0) -> Sequence[Any] | None:
        if not isinstance(value, (list, tuple)):
            self.refuse(path, "reader.list", got=_show(value))
            return None
        if len(value) < min_items:
            self.refuse(path, "reader.min_items", minimum=min_items, count=len(value))
            return None
        return value

    def section(self, value: Any, path: str) -> Mapping[str, Any] | None:
        """An optional section: ``None`` when absent or null (no problem, the caller's default
        applies) or when not an object (reported); else the section."""
        if value is None:
            return None
        return self.mapping(value, path)

    def entries(
        self, items: Sequence[Any], path: str, fields: Iterable[str]
    ) -> Iterator[tuple[int, str, Mapping[str, Any]]]:
        """Each item of the list at ``path`` that is an object, as (index, its path, item), its
        unknown fields reported; an item that is not an object is reported and skipped. Lazy,
        so each item's problems come before the next item's, in document order."""
        for index, item in enumerate(items):
            where = f"{path}[{index}]"
            entry = self.mapping(item, where)
            if entry is not None:
                self.only_keys(entry, fields, where)
                yield index, where, entry

    def only_keys(self, doc: Mapping[str, Any], allowed: Iterable[str], path: str) -> None:
        """Report unknown fields: a typo must never be silently ignored."""
        allowed_set = set(allowed)
        for key in sorted(doc):
            if key not in allowed_set:
                self.refuse(
                    join_path(path, key),
                    "reader.unknown_field",
                    key=repr(key),
                    allowed=", ".join(sorted(allowed_set)),
                )

    def get(self, doc: Mapping[str, Any], key: str, path: str, required: bool) -> Any:
        if key not in doc:
            if required:
                self.refuse(join_path(path, key), "reader.required")
            return _MISSING
        return doc[key]

    def cents(
        self,
        doc: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool = True,
        minimum: int | None = 0,
        default: int | None = None,
    ) -> int | None:
        """A whole number of cents (e.g. 1250 for 12,50 €)."""
        return self._field(doc, key, path, required, default, _whole_cents, minimum, None)

    def integer(
        self,
        doc: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool = True,
        minimum: int | None = None,
        maximum: int | None = None,
        default: int | None = None,
    ) -> int | None:
        return self._field(doc, key, path, required, default, _whole, minimum, maximum)

    def rate(
        self,
        doc: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool = True,
        minimum: Fraction | None = Fraction(0),
        maximum: Fraction | None = None,
        default: Fraction | None = None,
    ) -> Fraction | None:
        """An exact rate written as a decimal string ("0.025" for 2.5 %)."""
        return self._field(doc, key, path, required, default, parse_rate, minimum, maximum)

    def text(
        self,
        doc: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool = True,
        choices: Sequence[str] | None = None,
        default: str | None = None,
    ) -> str | None:
        def convert(value: Any) -> str:
            text = _non_empty_text(value)
            if choices is not None and text not in choices:
                raise Refusal("reader.choices", choices=", ".join(choices), got=repr(text))
            return text

        return self._field(doc, key, path, required, default, convert, None, None)

    def boolean(self, doc: Mapping[str, Any], key: str, path: str, *, default: bool) -> bool:
        value = self.get(doc, key, path, False)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self.refuse(join_path(path, key), "reader.boolean", got=_show(value))
            return default
        return value

    def rounding(self, doc: Mapping[str, Any], key: str, path: str) -> Rounding:
        """``{"unit_cents": 1|10|100..., "mode": "down|up|half_up|half_even"}``; default cent, half-up."""
        value = self.get(doc, key, path, False)
        if value is _MISSING:
            return Rounding()
        where = join_path(path, key)
        spec = self.mapping(value, where)
        if spec is None:
            return Rounding()
        self.only_keys(spec, ("unit_cents", "mode"), where)
        unit = self.integer(spec, "unit_cents", where, required=False, minimum=1, default=1)
        modes = [m.value for m in RoundingMode]
        mode = self.text(spec, "mode", where, required=False, choices=modes, default="half_up")
        return Rounding(unit or 1, RoundingMode(mode or "half_up"))

    def _field(
        self,
        doc: Mapping[str, Any],
        key: str,
        path: str,
        required: bool,
        default: _T | None,
        convert: Callable[[Any], _T],
        minimum: _T | None,
        maximum: _T | None,
    ) -> _T | None:
        """The shape every typed accessor shares: absent -> ``default`` (a problem if required);
        present -> ``convert`` it (its ``ValueError`` is the problem), then check the bounds.
        A wrong value is reported once, at ``path.key``, and read as ``None``."""
        value = self.get(doc, key, path, required)
        if value is _MISSING:
            return default
        where = join_path(path, key)
        try:
            parsed = convert(value)
        except Refusal as refusal:
            self.problems.append(refusal.at(where))
            return None
        except ValueError as error:
            self.add(where, str(error))
            return None
        # Bounds quote the value as written (a rate's decimal string, not its Fraction).
        if minimum is not None and parsed < minimum:
            self.refuse(where, "reader.at_least", minimum=minimum, got=value)
            return None
        if maximum is not None and parsed > maximum:
            self.refuse(where, "reader.at_most", maximum=maximum, got=value)
            return None
        return parsed


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refusal("reader.whole", got=_show(value))
    return value


def _whole_cents(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refusal("reader.cents", got=_show(value))
    return value


def _non_empty_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Refusal("reader.text", got=_show(value))
    return value


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float):
        return f"the number {value!r} (write amounts as whole cents and rates as decimal strings)"
    if value is None:
        return "nothing (null)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
