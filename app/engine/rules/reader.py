"""Reading rule documents: typed accessors that collect every problem with its path.

Validation never stops at the first problem: each accessor records what is wrong and
returns ``None``, and the caller raises ``RuleSetInvalid`` once with the full list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from fractions import Fraction
from typing import Any, TypeVar

from app.engine.money import Rounding, RoundingMode, parse_rate
from app.engine.problems import Problem, join_path

_MISSING = object()
# What a typed accessor reads: each is ordered, so the same bound checks serve them all.
_T = TypeVar("_T", int, Fraction, str)


class Reader:
    """Collects problems while reading a JSON-like document."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def mapping(self, value: Any, path: str) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.add(path, f"expected an object with named fields, got {_show(value)}")
            return None
        return value

    def sequence(self, value: Any, path: str, min_items: int = 0) -> Sequence[Any] | None:
        if not isinstance(value, (list, tuple)):
            self.add(path, f"expected a list, got {_show(value)}")
            return None
        if len(value) < min_items:
            self.add(path, f"expected at least {min_items} item(s), got {len(value)}")
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
                self.add(
                    join_path(path, key),
                    f"unknown field {key!r}; allowed here: {', '.join(sorted(allowed_set))}",
                )

    def get(self, doc: Mapping[str, Any], key: str, path: str, required: bool) -> Any:
        if key not in doc:
            if required:
                self.add(join_path(path, key), "this field is required")
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
                raise ValueError(f"expected one of {', '.join(choices)}; got {text!r}")
            return text

        return self._field(doc, key, path, required, default, convert, None, None)

    def boolean(self, doc: Mapping[str, Any], key: str, path: str, *, default: bool) -> bool:
        value = self.get(doc, key, path, False)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self.add(join_path(path, key), f"expected true or false, got {_show(value)}")
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
        except ValueError as error:
            self.add(where, str(error))
            return None
        # Bounds quote the value as written (a rate's decimal string, not its Fraction).
        if minimum is not None and parsed < minimum:
            self.add(where, f"expected at least {minimum}, got {value}")
            return None
        if maximum is not None and parsed > maximum:
            self.add(where, f"expected at most {maximum}, got {value}")
            return None
        return parsed


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, got {_show(value)}")
    return value


def _whole_cents(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(
            f"expected a whole number of cents (e.g. 1250 for 12,50 €), got {_show(value)}"
        )
    return value


def _non_empty_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty text, got {_show(value)}")
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
