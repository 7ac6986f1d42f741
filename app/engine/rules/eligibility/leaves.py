"""Leaf eligibility conditions: children, persons, a resource base, an attribute.

Each leaf reads one fact through the ``Context`` (raising ``NeedsData`` when it is missing),
answers yes or no, and can say so in plain words: a ``Problem`` (English, for operators)
and ``.met`` / ``.unmet`` explanation steps (French and English, for members). A problem's
path ends with the field that states the failed requirement, e.g.
``eligibility.any_of[0].all_of[1].children_at_least``.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.explain import Step, format_param, register_messages, step
from app.engine.problems import Problem
from app.engine.resources import Context, NeedsData
from app.engine.rules.bases import BASE_WORDS
from app.engine.rules.combinators import q_cents

_DONE = {"met": ("condition remplie", "condition met"), "unmet": ("non remplie", "not met")}


def _pair(code: str, fr: str, en: str) -> dict[str, dict[str, str]]:
    """``code.met`` and ``code.unmet`` templates from one sentence with a ``{done}`` slot."""
    return {
        f"{code}.{state}": {
            "fr": fr.replace("{done}", words[0]),
            "en": en.replace("{done}", words[1]),
        }
        for state, words in _DONE.items()
    }


register_messages(
    {
        **_pair(
            "eligibility.children_at_least",
            "Le foyer compte {children} enfant(s) de moins de {below_age} ans ; au moins "
            "{minimum} demandé(s) : {done}.",
            "The household has {children} child(ren) under {below_age}; at least {minimum} "
            "required: {done}.",
        ),
        **_pair(
            "eligibility.persons_at_least",
            "Le foyer compte {persons} personne(s) ; au moins {bound} demandée(s) : {done}.",
            "The household has {persons} person(s); at least {bound} required: {done}.",
        ),
        **_pair(
            "eligibility.persons_at_most",
            "Le foyer compte {persons} personne(s) ; au plus {bound} admise(s) : {done}.",
            "The household has {persons} person(s); at most {bound} allowed: {done}.",
        ),
        **_pair(
            "eligibility.base_at_least",
            "{base_fr} : {value_cents} ; au moins {bound_cents} demandé : {done}.",
            "{base_en}: {value_cents}; at least {bound_cents} required: {done}.",
        ),
        **_pair(
            "eligibility.base_at_most",
            "{base_fr} : {value_cents} ; au plus {bound_cents} admis : {done}.",
            "{base_en}: {value_cents}; at most {bound_cents} allowed: {done}.",
        ),
        **_pair(
            "eligibility.attribute_in",
            "« {attribute} » vaut « {value} » ; valeurs admises : {allowed} : {done}.",
            '"{attribute}" is "{value}"; allowed values: {allowed}: {done}.',
        ),
    }
)


def _attribute(ctx: Context, name: str) -> str:
    value = ctx.facts.attributes.get(name)
    if value is None:
        raise NeedsData(f"attributes.{name}", "needs.attribute", name=repr(name))
    return value


def _state(outcome: bool) -> str:
    return "met" if outcome else "unmet"


# A bound's direction (``at_least`` True or False): its field name, and its words in messages.
_BOUND_KEY = {True: "at_least", False: "at_most"}
_BOUND_WORDS = {True: "at least", False: "at most"}


def _meets(value: int, limit: int, at_least: bool) -> bool:
    """Inclusive: a value equal to the bound meets it either way."""
    return value >= limit if at_least else value <= limit


@dataclass(frozen=True, slots=True)
class ChildrenAtLeast:
    path: str
    minimum: int
    below_age: int

    def holds(self, ctx: Context) -> bool:
        return ctx.children(self.below_age) >= self.minimum

    def explain(self, ctx: Context, trace: list[Step], outcome: bool) -> None:
        trace.append(
            step(
                self.path,
                f"eligibility.children_at_least.{_state(outcome)}",
                children=ctx.children(self.below_age),
                minimum=self.minimum,
                below_age=self.below_age,
            )
        )

    def failures(self, ctx: Context, out: list[Problem]) -> None:
        count = ctx.children(self.below_age)
        out.append(
            Problem(
                self.path,
                f"the household has {count} child(ren) under {self.below_age}; "
                f"at least {self.minimum} required",
            )
        )

    def describe(self) -> str:
        return f"at least {self.minimum} child(ren) under {self.below_age}"


@dataclass(frozen=True, slots=True)
class PersonsBound:
    path: str
    bound: int
    at_least: bool

    def holds(self, ctx: Context) -> bool:
        return _meets(ctx.persons(), self.bound, self.at_least)

    def explain(self, ctx: Context, trace: list[Step], outcome: bool) -> None:
        code = f"eligibility.persons_{_BOUND_KEY[self.at_least]}.{_state(outcome)}"
        trace.append(step(self.path, code, persons=ctx.persons(), bound=self.bound))

    def failures(self, ctx: Context, out: list[Problem]) -> None:
        need = _BOUND_WORDS[self.at_least]
        out.append(
            Problem(
                self.path,
                f"the household has {ctx.persons()} person(s); {need} {self.bound} required",
            )
        )

    def describe(self) -> str:
        return f"{_BOUND_WORDS[self.at_least]} {self.bound} person(s)"


@dataclass(frozen=True, slots=True)
class BaseBound:
    """A money base compared with a bound in cents (inclusive)."""

    path: str
    base: str
    bound: int
    at_least: bool

    def holds(self, ctx: Context) -> bool:
        num, den = ctx.base(self.base)
        return _meets(num, self.bound * den, self.at_least)

    def explain(self, ctx: Context, trace: list[Step], outcome: bool) -> None:
        word = _BOUND_KEY[self.at_least]
        fr, en = BASE_WORDS[self.base]
        trace.append(
            step(
                self.path,
                f"eligibility.base_{word}.{_state(outcome)}",
                base_fr=fr[0].upper() + fr[1:],
                base_en=en[0].upper() + en[1:],
                value_cents=q_cents(ctx.base(self.base)),
                bound_cents=self.bound,
            )
        )

    def failures(self, ctx: Context, out: list[Problem]) -> None:
        value = format_param("value_cents", q_cents(ctx.base(self.base)), "en")
        out.append(Problem(self.path, f"{self.describe()} required; the household's is {value}"))

    def describe(self) -> str:
        need = _BOUND_WORDS[self.at_least]
        return f"{self.base} {need} {format_param('bound_cents', self.bound, 'en')}"


@dataclass(frozen=True, slots=True)
class AttributeIn:
    path: str
    attribute: str
    allowed: tuple[str, ...]

    def holds(self, ctx: Context) -> bool:
        return _attribute(ctx, self.attribute) in self.allowed

    def explain(self, ctx: Context, trace: list[Step], outcome: bool) -> None:
        trace.append(
            step(
                self.path,
                f"eligibility.attribute_in.{_state(outcome)}",
                attribute=self.attribute,
                value=_attribute(ctx, self.attribute),
                allowed=", ".join(self.allowed),
            )
        )

    def failures(self, ctx: Context, out: list[Problem]) -> None:
        value = _attribute(ctx, self.attribute)
        out.append(Problem(self.path, f"{self.describe()} required; the household's is {value!r}"))

    def describe(self) -> str:
        if len(self.allowed) == 1:
            return f"{self.attribute} equal to {self.allowed[0]!r}"
        return f"{self.attribute} one of {', '.join(repr(v) for v in self.allowed)}"


Leaf = ChildrenAtLeast | PersonsBound | BaseBound | AttributeIn
