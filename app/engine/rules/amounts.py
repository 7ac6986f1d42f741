"""Contribution kinds written as amounts: a line between two anchor amounts, and amounts
per household, per person and per extra person.

- ``linear``: flat at the first anchor's amount up to its base, a straight line to the
  second anchor, flat beyond (anchors' bases strictly increasing), exact (no rounding);
- ``household_amount``: per_household + per_person × persons + per_extra_person ×
  (persons − 1); a missing composition is ``NeedsData("persons")``. Used alone, or as the
  floor of a free choice (Gironde: 10 € + 5 € per person beyond the first).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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
from app.engine.rules.nodes import CONTRIBUTION_KINDS, Kinds, Node
from app.engine.rules.reader import Reader

register_messages(
    {
        "household_amount": {
            "fr": "{per_household_cents} par foyer + {per_person_cents} × {persons} personne(s) + {per_extra_person_cents} × {extra_persons} personne(s) au-delà de la première : {result_cents}.",
            "en": "{per_household_cents} per household + {per_person_cents} × {persons} person(s) + {per_extra_person_cents} × {extra_persons} person(s) beyond the first: {result_cents}.",
        },
    }
)
register_messages(
    with_count_variants(
        {
            "linear.below": {
                "fr": "{base_fr} ({base_cents}) ne dépasse pas {from_fr} : participation de {amount_cents}.",
                "en": "{base_en} ({base_cents}) is not above {from_en}: contribution of {amount_cents}.",
            },
            "linear.above": {
                "fr": "{base_fr} ({base_cents}) atteint au moins {to_fr} : participation de {amount_cents}.",
                "en": "{base_en} ({base_cents}) is at least {to_en}: contribution of {amount_cents}.",
            },
            "linear.between": {
                "fr": "{base_fr} ({base_cents}) est entre {from_fr} et {to_fr} : la participation suit la droite de {from_amount_cents} à {to_amount_cents}, soit {result_cents}.",
                "en": "{base_en} ({base_cents}) is between {from_en} and {to_en}: the contribution follows the line from {from_amount_cents} to {to_amount_cents}, that is {result_cents}.",
            },
        }
    )
)


@dataclass(frozen=True, slots=True)
class Linear:
    """A straight line between two anchor points (base, amount), flat outside them."""

    path: str
    base: str
    from_base: int
    from_amount_cents: int
    to_base: int
    to_amount_cents: int

    def evaluate(self, ctx: Context, trace: list[Step] | None) -> Q:
        num, den = ctx.base(self.base)
        if num <= self.from_base * den:
            value: Q = (self.from_amount_cents, 1)
            code = "linear.below"
        elif num >= self.to_base * den:
            value = (self.to_amount_cents, 1)
            code = "linear.above"
        else:
            width = self.to_base - self.from_base
            rise = self.to_amount_cents - self.from_amount_cents
            value = (
                self.from_amount_cents * width * den + rise * (num - self.from_base * den),
                width * den,
            )
            code = "linear.between"
        if trace is not None:
            trace.append(self._step(code, (num, den), value))
        return value

    def _step(self, code: str, base: Q, value: Q) -> Step:
        return step(
            self.path,
            count_variant(code, self.base),
            amount_cents=q_cents(value),
            result_cents=q_cents(value),
            from_amount_cents=self.from_amount_cents,
            to_amount_cents=self.to_amount_cents,
            from_fr=base_text(self.base, self.from_base, "fr"),
            from_en=base_text(self.base, self.from_base, "en"),
            to_fr=base_text(self.base, self.to_base, "fr"),
            to_en=base_text(self.base, self.to_base, "en"),
            **base_params(self.base, base),
        )


@dataclass(frozen=True, slots=True)
class HouseholdAmount:
    """per_household + per_person × persons + per_extra_person × (persons − 1)."""

    path: str
    per_household_cents: int
    per_person_cents: int
    per_extra_person_cents: int

    def evaluate(self, ctx: Context, trace: list[Step] | None) -> Q:
        persons = ctx.persons()
        total = (
            self.per_household_cents
            + self.per_person_cents * persons
            + self.per_extra_person_cents * (persons - 1)
        )
        if trace is not None:
            trace.append(
                step(
                    self.path,
                    "household_amount",
                    per_household_cents=self.per_household_cents,
                    per_person_cents=self.per_person_cents,
                    per_extra_person_cents=self.per_extra_person_cents,
                    persons=persons,
                    extra_persons=persons - 1,
                    result_cents=total,
                )
            )
        return (total, 1)


def _anchor(reader: Reader, doc: Mapping[str, Any], key: str, path: str) -> tuple[int, int] | None:
    where = f"{path}.{key}"
    if key not in doc:
        reader.add(where, "this field is required: {base: ..., amount_cents: ...}")
        return None
    anchor = reader.mapping(doc[key], where)
    if anchor is None:
        return None
    reader.only_keys(anchor, ("base", "amount_cents"), where)
    base = read_base_value(reader, anchor, "base", where)
    amount = reader.cents(anchor, "amount_cents", where)
    return (base, amount) if base is not None and amount is not None else None


def _parse_linear(reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds) -> Node | None:
    reader.only_keys(doc, ("kind", "base", "from", "to"), path)
    base = read_base(reader, doc, path, money_only=False)
    start = _anchor(reader, doc, "from", path)
    end = _anchor(reader, doc, "to", path)
    if start is not None and end is not None and start[0] >= end[0]:
        reader.add(
            f"{path}.to.base",
            f"the second anchor ({end[0]}) must be above the first ({start[0]})",
        )
        return None
    if base is None or start is None or end is None:
        return None
    return Linear(path, base, start[0], start[1], end[0], end[1])


_HOUSEHOLD_FIELDS = ("per_household_cents", "per_person_cents", "per_extra_person_cents")


def _parse_household_amount(
    reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds
) -> Node | None:
    reader.only_keys(doc, ("kind", *_HOUSEHOLD_FIELDS), path)
    if not any(key in doc for key in _HOUSEHOLD_FIELDS):
        reader.add(path, f"give at least one of {', '.join(_HOUSEHOLD_FIELDS)}")
        return None
    amounts = [reader.cents(doc, key, path, required=False, default=0) for key in _HOUSEHOLD_FIELDS]
    if any(amount is None for amount in amounts):
        return None
    per_household, per_person, per_extra = (amount or 0 for amount in amounts)
    return HouseholdAmount(path, per_household, per_person, per_extra)


CONTRIBUTION_KINDS["linear"] = _parse_linear
CONTRIBUTION_KINDS["household_amount"] = _parse_household_amount
