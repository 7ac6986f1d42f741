"""Structured explanations and their plain-language rendering (French and English).

Every computed amount carries the steps that produced it. A ``Step`` names the clause of the
rule document that applied (its path), a message code and typed parameters. Parameter names
carry their unit, which decides how they render:

- ``*_cents``: an amount in cents -> "12,50 €" / "€12.50"
- ``*_rate``: a Fraction -> "2,5 %" / "2.5%"
- ``*_minutes``: a duration -> "3 h 30" / "3 h 30"
- anything else: as text.

Message templates live in a catalogue keyed by code; modules register their own codes with
``register_messages``. A code without a template renders its parameters plainly, so a
missing translation is visible but never fatal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from app.engine.money import format_cents, format_rate

ParamValue = int | str | Fraction
Params = tuple[tuple[str, ParamValue], ...]

LANGS = ("fr", "en")

_CATALOGUE: dict[str, dict[str, str]] = {}


def register_messages(messages: Mapping[str, Mapping[str, str]]) -> None:
    """Add templates: ``{code: {"fr": "...{x_cents}...", "en": "..."}}``."""
    for code, by_lang in messages.items():
        missing = [lang for lang in LANGS if lang not in by_lang]
        if missing:
            raise ValueError(f"message {code!r} lacks languages {missing}")
        _CATALOGUE[code] = dict(by_lang)


def catalogue() -> Mapping[str, Mapping[str, str]]:
    return _CATALOGUE


class Step:
    """One step of a computation: which clause, what it did, with which values.

    Immutable. ``params`` are ``(name, value)`` pairs sorted by name (so output is
    byte-stable). A step on a per-household hot path may be *deferred*: it keeps the raw
    integers it was computed from and a pure function that turns them into its parameters,
    run once, the first time ``params`` is read (``as_dict``, ``render``, ``param``,
    equality). What a step says never depends on when it is read.
    """

    __slots__ = ("_args", "_build", "_clause", "_code", "_params")

    _clause: str
    _code: str
    _params: Params | None
    _build: Callable[..., Params] | None
    _args: tuple[Any, ...]

    def __init__(self, clause: str, code: str, params: Params = ()) -> None:
        self._clause = clause
        self._code = code
        self._params = params
        self._build = None
        self._args = ()

    @classmethod
    def deferred(cls, clause: str, code: str, build: Callable[..., Params], *args: Any) -> Step:
        """A step whose sorted ``params`` are ``build(*args)``; ``build`` must be pure."""
        item = object.__new__(cls)
        item._clause = clause
        item._code = code
        item._params = None
        item._build = build
        item._args = args
        return item

    @property
    def clause(self) -> str:
        return self._clause

    @property
    def code(self) -> str:
        return self._code

    @property
    def params(self) -> Params:
        params = self._params
        if params is None:
            build = self._build
            if build is None:  # never: a deferred step always has its build function
                raise RuntimeError("deferred step without its build function")
            params = self._params = build(*self._args)
            self._build, self._args = None, ()
        return params

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Step):
            return NotImplemented
        return (self._clause, self._code, self.params) == (other._clause, other._code, other.params)

    def __hash__(self) -> int:
        return hash((self._clause, self._code, self.params))

    def __repr__(self) -> str:
        return f"Step(clause={self._clause!r}, code={self._code!r}, params={self.params!r})"

    def deferred_form(self) -> tuple[str, str, Callable[..., Params], tuple[Any, ...]] | None:
        """``(clause, code, build, args)`` of a deferred step whose ``params`` were never read
        (``None`` otherwise): the batch path keeps a path's steps and gives each household
        the same step with its own ``args`` (``app.engine.batch.explain``)."""
        if self._params is not None or self._build is None:
            return None
        return self._clause, self._code, self._build, self._args

    def param(self, name: str) -> ParamValue:
        for key, value in self.params:
            if key == name:
                return value
        raise KeyError(name)

    def as_dict(self) -> dict[str, object]:
        return {
            "clause": self._clause,
            "code": self._code,
            "params": {key: _canonical(value) for key, value in self.params},
        }


def step(clause: str, code: str, **params: ParamValue) -> Step:
    """Build a Step; parameters are kept in sorted order so output is byte-stable."""
    return Step(clause, code, tuple(sorted(params.items())))


def sorted_params(**params: ParamValue) -> Params:
    """``step``'s parameters, for the ``build`` function of a deferred step."""
    return tuple(sorted(params.items()))


def _canonical(value: ParamValue) -> int | str:
    if isinstance(value, Fraction):
        return format_rate(value)
    return value


def format_param(name: str, value: ParamValue, lang: str) -> str:
    """Render one parameter for people, by the unit its name declares."""
    if isinstance(value, str):  # words render as they are, whatever the name says
        return str(value)
    if name.endswith("_cents") and isinstance(value, (int, Fraction)):
        return _money(value, lang)
    if name.endswith("_rate") and isinstance(value, (int, Fraction)):
        percent = _short_decimal(Fraction(value) * 100)
        return f"{percent.replace('.', ',')} %" if lang == "fr" else f"{percent}%"
    if name.endswith("_minutes") and isinstance(value, int):
        hours, minutes = divmod(value, 60)
        return f"{hours} h {minutes:02d}" if minutes else f"{hours} h"
    if isinstance(value, Fraction):
        text = _short_decimal(value)
        return text.replace(".", ",") if lang == "fr" else text
    return str(value)


def _short_decimal(value: Fraction) -> str:
    """Exact decimal when it has at most 4 decimals, else "≈" and 4 decimals (for people only)."""
    text = format_rate(value)
    if "/" not in text and len(text.partition(".")[2]) <= 4:
        return text
    scaled = value * 10_000
    rounded = Fraction(round(scaled), 10_000)  # round-half-even on an exact Fraction: display only
    return "≈ " + format_rate(rounded)


def _money(value: int | Fraction, lang: str) -> str:
    """Cents as euros; an exact value between two cents shows as "≈" its value cut to the cent."""
    whole = int(value) if isinstance(value, int) else value.numerator // value.denominator
    approx = "" if whole == value else "≈ "
    if lang == "fr":
        return f"{approx}{format_cents(whole, ',')} €"
    return f"{approx}€{format_cents(whole, '.')}"


def render_step(item: Step, lang: str) -> str:
    """One sentence for one step, in ``lang`` ("fr" or "en")."""
    if lang not in LANGS:
        raise ValueError(f"language must be one of {LANGS}, got {lang!r}")
    values = {key: format_param(key, value, lang) for key, value in item.params}
    template = _CATALOGUE.get(item.code, {}).get(lang)
    if template is None:
        shown = ", ".join(f"{key} = {text}" for key, text in values.items())
        return f"{item.code}: {shown}"
    return template.format(**values)


@dataclass(frozen=True, slots=True)
class RuleSetRef:
    """Which rules produced an amount: enough for an auditor to find the exact document."""

    rule_set_id: str
    version: int
    content_hash: str
    decision: str
    effective_from: str

    def as_dict(self) -> dict[str, object]:
        return {
            "rule_set_id": self.rule_set_id,
            "version": self.version,
            "content_hash": self.content_hash,
            "decision": self.decision,
            "effective_from": self.effective_from,
        }


_MEASURE_WORDS: dict[str, dict[str, str]] = {
    "consumption_units": {
        "fr": "Unités de consommation du foyer : {}.",
        "en": "Consumption units of the household: {}.",
    },
    "family_parts": {
        "fr": "Parts de quotient familial (CAF) du foyer : {}.",
        "en": "Family quotient parts (CAF) of the household: {}.",
    },
}


@dataclass(frozen=True, slots=True, eq=False)
class Explanation:
    """Why a household owes and receives what it does in one month.

    Two explanations are equal when their fields are, whatever their class: the batch path
    builds a subclass whose fields are made from its path's steps when first read
    (``app.engine.batch.explain.PathExplanation``); it says exactly what this class says."""

    rule_set: RuleSetRef
    period: str
    household_id: str
    inputs: Params
    contribution: tuple[Step, ...]
    credit: tuple[Step, ...]
    # The composition measures the rules read: consumption units, CAF quotient familial parts.
    composition: Params = ()

    def field_values(self) -> tuple[object, ...]:
        """Every field, in order (what equality compares)."""
        return (
            self.rule_set,
            self.period,
            self.household_id,
            self.inputs,
            self.contribution,
            self.credit,
            self.composition,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Explanation):
            return NotImplemented
        return self.field_values() == other.field_values()

    def __hash__(self) -> int:
        return hash(self.field_values())

    def as_dict(self) -> dict[str, object]:
        return {
            "rule_set": self.rule_set.as_dict(),
            "period": self.period,
            "household_id": self.household_id,
            "inputs": {key: _canonical(value) for key, value in self.inputs},
            "composition": {key: _canonical(value) for key, value in self.composition},
            "contribution": [item.as_dict() for item in self.contribution],
            "credit": [item.as_dict() for item in self.credit],
        }

    def render(self, lang: str = "fr") -> str:
        """Plain text a member can read: the rules used, then each step."""
        ref = self.rule_set
        if lang == "fr":
            head = [
                f"Mois {self.period} — règles « {ref.rule_set_id} » version {ref.version} "
                f"(décision : {ref.decision}, en vigueur depuis {ref.effective_from}).",
                "Votre participation :",
            ]
            middle = "Votre crédit alimentaire :"
        else:
            head = [
                f'Month {self.period} — rules "{ref.rule_set_id}" version {ref.version} '
                f"(decision: {ref.decision}, in force from {ref.effective_from}).",
                "Your contribution:",
            ]
            middle = "Your food credit:"
        head[1:1] = [
            _MEASURE_WORDS[key][lang].format(format_param(key, value, lang))
            for key, value in self.composition
        ]
        lines = head + [f"  - {render_step(s, lang)}" for s in self.contribution]
        lines.append(middle)
        lines += [f"  - {render_step(s, lang)}" for s in self.credit]
        return "\n".join(lines)
