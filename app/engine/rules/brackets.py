"""The ``brackets`` kind, for the contribution and for the credit: a fixed amount or a rate
per bracket of a base (a table by household size when the base is ``persons``, by income,
quotient familial...). One construct serves both sides; only the words of the explanation
differ ("participation de" / "crédit de").

Validation guarantees every base value >= 0 falls in exactly one bracket: brackets are
sorted and contiguous, the first starts at 0 inclusive, the last is unbounded, and each
shared bound belongs to exactly one of its two neighbours. Every violation is reported with
its path, all at once.

Evaluation is one ``bisect`` on integer keys computed at parse time: a base value ``x`` maps
to ``2·x`` when whole and ``2·floor(x) + 1`` otherwise, and a bracket starting at ``b`` starts
at key ``2·b`` when ``b`` is included, ``2·b + 1`` when it is excluded.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from app.engine.exact import Q
from app.engine.explain import Step, register_messages, step
from app.engine.resources import Context
from app.engine.rules.bases import (
    base_params,
    base_text,
    count_variant,
    read_base,
    read_base_value,
    with_count_variants,
)
from app.engine.rules.combinators import q_cents
from app.engine.rules.nodes import CONTRIBUTION_KINDS, CREDIT_KINDS, Kinds, Node
from app.engine.rules.reader import Reader

register_messages(
    with_count_variants(
        {
            "brackets.amount": {
                "fr": "{base_fr} ({base_cents}) est dans la tranche {range_fr} : participation de {amount_cents}.",
                "en": "{base_en} ({base_cents}) is in the bracket {range_en}: contribution of {amount_cents}.",
            },
        }
    )
)
register_messages(
    with_count_variants(
        {
            "brackets.credit.amount": {
                "fr": "{base_fr} ({base_cents}) est dans la tranche {range_fr} : crédit de {amount_cents}.",
                "en": "{base_en} ({base_cents}) is in the bracket {range_en}: credit of {amount_cents}.",
            },
        }
    )
)
register_messages(
    {
        "brackets.credit.rate": {
            "fr": "{base_fr} ({base_cents}) est dans la tranche {range_fr} : crédit de {credit_rate} de ce montant, soit {result_cents}.",
            "en": "{base_en} ({base_cents}) is in the bracket {range_en}: credit of {credit_rate} of it, that is {result_cents}.",
        },
        "brackets.rate": {
            "fr": "{base_fr} ({base_cents}) est dans la tranche {range_fr} : participation de {contribution_rate} de ce montant, soit {result_cents}.",
            "en": "{base_en} ({base_cents}) is in the bracket {range_en}: contribution of {contribution_rate} of it, that is {result_cents}.",
        },
    }
)

_FIELDS = ("from", "from_inclusive", "to", "to_inclusive", "amount_cents", "rate")


@dataclass(frozen=True, slots=True)
class Bracket:
    """One bracket as read from the document (``to`` None = unbounded)."""

    start: int
    start_inclusive: bool
    end: int | None
    end_inclusive: bool
    amount_cents: int | None
    rate: Fraction | None

    def key(self) -> int:
        """The first bisect key that falls in this bracket."""
        return 2 * self.start + (0 if self.start_inclusive else 1)

    def range_text(self, base: str, lang: str) -> str:
        low = base_text(base, self.start, lang)
        words = {"fr": ("incluse", "exclue"), "en": ("included", "excluded")}[lang]
        low_word = words[0] if self.start_inclusive else words[1]
        if self.end is None:
            if lang == "fr":
                return (
                    f"à partir de {low} (incluse)" if self.start_inclusive else f"au-delà de {low}"
                )
            return f"from {low} (included) upwards" if self.start_inclusive else f"above {low}"
        high = base_text(base, self.end, lang)
        high_word = words[0] if self.end_inclusive else words[1]
        if lang == "fr":
            return f"de {low} ({low_word}) à {high} ({high_word})"
        return f"from {low} ({low_word}) to {high} ({high_word})"


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A bracket ready for the hot path (rate as integers) and for explanations."""

    amount_cents: int | None
    rate: Fraction
    rate_num: int
    rate_den: int
    range_fr: str
    range_en: str


@dataclass(frozen=True, slots=True)
class Brackets:
    """The amount (or rate × base) of the bracket the household's base falls in."""

    path: str
    base: str
    starts: tuple[int, ...]
    items: tuple[_Compiled, ...]
    # "contribution" or "credit": which amount the table gives (the explanation's words)
    role: str = "contribution"

    def evaluate(self, ctx: Context, trace: list[Step] | None) -> Q:
        num, den = ctx.base(self.base)
        whole, rest = divmod(num, den)
        index = bisect_right(self.starts, 2 * whole + (1 if rest else 0)) - 1
        item = self.items[index]
        if item.amount_cents is not None:
            value: Q = (item.amount_cents, 1)
        else:
            value = (num * item.rate_num, den * item.rate_den)
        if trace is not None:
            trace.append(self._step(index, item, (num, den), value))
        return value

    def _step(self, index: int, item: _Compiled, base: Q, value: Q) -> Step:
        prefix = "brackets." if self.role == "contribution" else "brackets.credit."
        code = prefix + ("amount" if item.amount_cents is not None else "rate")
        extra: dict[str, Any] = {}
        if item.amount_cents is None:
            extra[f"{self.role}_rate"] = item.rate
        return step(
            f"{self.path}.brackets[{index}]",
            count_variant(code, self.base),
            amount_cents=q_cents(value),
            result_cents=q_cents(value),
            range_fr=item.range_fr,
            range_en=item.range_en,
            **base_params(self.base, base),
            **extra,
        )


def _read_bracket(reader: Reader, doc: Mapping[str, Any], where: str) -> Bracket | None:
    """The bracket, as soon as its bounds are readable (so the chain can still be checked);
    a problem with its amount or rate is reported here and fails the whole node."""
    start = read_base_value(reader, doc, "from", where)
    start_inclusive = _flag(reader, doc, "from_inclusive", where, required=True)
    end = read_base_value(reader, doc, "to", where, required=False)
    end_inclusive = _flag(reader, doc, "to_inclusive", where, required="to" in doc)
    if "to" not in doc and "to_inclusive" in doc:
        reader.add(f"{where}.to_inclusive", "only a bracket with a 'to' bound has to_inclusive")
    amount, rate = _amount_or_rate(reader, doc, where)
    if start is None or start_inclusive is None or ("to" in doc and end is None):
        return None
    if "to" in doc and end_inclusive is None:
        return None
    bracket = Bracket(start, start_inclusive, end, bool(end_inclusive), amount, rate)
    if end is not None and (
        end < start or (end == start and not (start_inclusive and end_inclusive))
    ):
        reader.add(
            f"{where}.to", f"the bracket is empty: it must end above where it starts ({start})"
        )
        return None
    return bracket


def _flag(
    reader: Reader, doc: Mapping[str, Any], key: str, where: str, *, required: bool
) -> bool | None:
    if key not in doc:
        if required:
            reader.add(
                f"{where}.{key}",
                "this field is required: true (the bound belongs to the bracket) or false",
            )
        return None
    value = doc[key]
    if not isinstance(value, bool):
        reader.add(f"{where}.{key}", f"expected true or false, got {value!r}")
        return None
    return value


def _amount_or_rate(
    reader: Reader, doc: Mapping[str, Any], where: str
) -> tuple[int | None, Fraction | None]:
    if ("amount_cents" in doc) == ("rate" in doc):
        reader.add(where, "give exactly one of amount_cents or rate for each bracket")
        return None, None
    if "amount_cents" in doc:
        return reader.cents(doc, "amount_cents", where), None
    return None, reader.rate(doc, "rate", where)


def _check_chain(
    reader: Reader, items: list[tuple[int, Bracket]], count: int, path: str, base: str
) -> None:
    """Sorted, contiguous, first from 0 inclusive, last unbounded, each bound in one bracket."""
    for index, bracket in items:
        where = f"{path}.brackets[{index}]"
        if index == 0 and bracket.start != 0:
            reader.add(f"{where}.from", f"the first bracket must start at 0, not {bracket.start}")
        if index == 0 and not bracket.start_inclusive:
            reader.add(
                f"{where}.from_inclusive", "the first bracket must include 0 (from_inclusive: true)"
            )
        if index == count - 1 and bracket.end is not None:
            reader.add(
                f"{where}.to",
                "the last bracket must be unbounded (omit 'to') so every base falls in a bracket",
            )
        if index < count - 1 and bracket.end is None:
            reader.add(f"{where}.to", "only the last bracket may be unbounded: give 'to'")
    by_index = dict(items)
    for index in range(1, count):
        previous, current = by_index.get(index - 1), by_index.get(index)
        if previous is None or current is None or previous.end is None:
            continue
        _check_pair(
            reader, previous.end, previous, current, f"{path}.brackets[{index}]", index, base
        )


def _check_pair(
    reader: Reader, end: int, previous: Bracket, current: Bracket, where: str, index: int, base: str
) -> None:
    """The bound ``end`` shared by ``previous`` and ``current`` belongs to exactly one of them."""
    start = current.start
    shown_end, shown_start = base_text(base, end, "fr"), base_text(base, start, "fr")
    if start > end:
        reader.add(
            f"{where}.from",
            f"gap: values between {shown_end} and {shown_start} fall in no bracket; start this bracket at {end}",
        )
    elif start < end:
        reader.add(
            f"{where}.from",
            f"overlap or wrong order: this bracket starts at {shown_start}, before the previous one (brackets[{index - 1}]) ends at {shown_end}; start it at {end}",
        )
    elif previous.end_inclusive and current.start_inclusive:
        reader.add(
            f"{where}.from_inclusive",
            f"{shown_end} belongs to both brackets[{index - 1}] and brackets[{index}]: set from_inclusive to false here or to_inclusive to false on the previous bracket",
        )
    elif not previous.end_inclusive and not current.start_inclusive:
        reader.add(
            f"{where}.from_inclusive",
            f"{shown_end} belongs to no bracket: set from_inclusive to true here or to_inclusive to true on the previous bracket",
        )


def _parse_contribution(
    reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds
) -> Node | None:
    return _parse_brackets(reader, doc, path, "contribution")


def _parse_credit(reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds) -> Node | None:
    return _parse_brackets(reader, doc, path, "credit")


def _parse_brackets(
    reader: Reader, doc: Mapping[str, Any], path: str, role: str
) -> Brackets | None:
    reader.only_keys(doc, ("kind", "base", "brackets"), path)
    base = read_base(reader, doc, path, money_only=False)
    values = reader.sequence(doc.get("brackets"), f"{path}.brackets", min_items=1)
    if values is None:
        return None
    problems_before = len(reader.problems)
    entries = reader.entries(values, f"{path}.brackets", _FIELDS)
    parsed = [(i, _read_bracket(reader, doc, where)) for i, where, doc in entries]
    items = [(i, bracket) for i, bracket in parsed if bracket is not None]
    if base is not None:
        _check_chain(reader, items, len(values), path, base)
        for index, bracket in items:
            if base == "persons" and bracket.rate is not None:
                reader.add(
                    f"{path}.brackets[{index}].rate",
                    "a rate cannot apply to 'persons' (a count); give amount_cents",
                )
    if base is None or len(reader.problems) > problems_before:
        return None
    brackets = [bracket for _, bracket in items]
    return Brackets(
        path,
        base,
        tuple(b.key() for b in brackets),
        tuple(_compile(b, base) for b in brackets),
        role,
    )


def _compile(bracket: Bracket, base: str) -> _Compiled:
    rate = bracket.rate if bracket.rate is not None else Fraction(0)
    return _Compiled(
        bracket.amount_cents,
        rate,
        rate.numerator,
        rate.denominator,
        bracket.range_text(base, "fr"),
        bracket.range_text(base, "en"),
    )


CONTRIBUTION_KINDS["brackets"] = _parse_contribution
CREDIT_KINDS["brackets"] = _parse_credit
