"""Fund-level policies declared in a rule set: unspent credit and rationing.

Both sections are optional; absent means the default (``{policy: none}``, ``{method:
proportional}``). Every problem is reported with its path through the ``Reader``; parsing
never stops at the first one and always returns a usable default so the rest of the document
is still checked. The ledger applies ``UnspentCreditPolicy``; ``app.engine.rationing``
applies ``RationingPolicy``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from app.engine.problems import join_path
from app.engine.rules.reader import Reader

UNSPENT_POLICIES = ("none", "expire", "carry_over_cap")
RATIONING_METHODS = ("proportional", "uniform_cut", "priority_tiers", "max_min")


@dataclass(frozen=True, slots=True)
class UnspentCreditPolicy:
    """What happens to credit a member has not spent.

    - ``none``: credit never expires;
    - ``expire``: each month's lot expires ``after_months`` months later, oldest lots spent first;
    - ``carry_over_cap``: the balance carried into the next month is capped at ``cap_cents``.
    """

    policy: str = "none"
    after_months: int | None = None
    cap_cents: int | None = None

    def __post_init__(self) -> None:
        if self.policy not in UNSPENT_POLICIES:
            raise ValueError(f"unknown unspent credit policy {self.policy!r}")
        _check_setting("after_months", self.after_months, 1, ("policy", self.policy, "expire"))
        _check_setting("cap_cents", self.cap_cents, 0, ("policy", self.policy, "carry_over_cap"))


@dataclass(frozen=True, slots=True)
class RationingPolicy:
    """How credits are cut when the month's budget does not cover them all.

    - ``proportional``: each household keeps the same share of its entitlement;
    - ``uniform_cut``: everyone loses the same amount, never below ``floor_cents`` (or
      their entitlement, if smaller);
    - ``priority_tiers``: tier 0 is served in full first, then tier 1...; the first tier
      that cannot be served in full is rationed proportionally;
    - ``max_min``: water-filling, a common cap so that the smallest entitlements are served
      in full.
    """

    method: str = "proportional"
    floor_cents: int | None = None

    def __post_init__(self) -> None:
        if self.method not in RATIONING_METHODS:
            raise ValueError(f"unknown rationing method {self.method!r}")
        _check_setting("floor_cents", self.floor_cents, 0, ("method", self.method, "uniform_cut"))


def _check_setting(
    name: str, value: int | None, minimum: int, choice: tuple[str, str, str]
) -> None:
    """A setting that belongs to one choice: ``choice`` is (what is chosen, the choice made,
    the choice the setting belongs to). Raises ``ValueError`` unless ``value`` is given
    exactly when that choice is made, and is then at least ``minimum``."""
    field, chosen, owner = choice
    if (chosen == owner) != (value is not None):
        raise ValueError(f"{name} is given exactly when the {field} is {owner!r}")
    if value is not None and value < minimum:
        least = "zero or more" if minimum == 0 else f"at least {minimum}"
        raise ValueError(f"{name} must be {least}")


def parse_unspent_credit(reader: Reader, value: Any, path: str) -> UnspentCreditPolicy:
    """``{policy: none | expire (after_months >= 1) | carry_over_cap (cap_cents)}``."""
    doc = reader.section(value, path)
    if doc is None:
        return UnspentCreditPolicy()
    policy = reader.text(doc, "policy", path, choices=UNSPENT_POLICIES)
    # After a reported problem the default is returned, so parsing can go on.
    if policy == "expire":
        read_months = partial(reader.integer, minimum=1)
        months = _setting(reader, doc, path, ("policy", "after_months"), read_months)
        if months is not None:
            return UnspentCreditPolicy("expire", after_months=months)
    if policy == "carry_over_cap":
        cap = _setting(reader, doc, path, ("policy", "cap_cents"), reader.cents)
        if cap is not None:
            return UnspentCreditPolicy("carry_over_cap", cap_cents=cap)
    if policy == "none":
        reader.only_keys(doc, ("policy",), path)
    return UnspentCreditPolicy()


def parse_rationing(reader: Reader, value: Any, path: str) -> RationingPolicy:
    """``{method: proportional | uniform_cut (floor_cents) | priority_tiers | max_min}``."""
    doc = reader.section(value, path)
    if doc is None:
        return RationingPolicy()
    method = reader.text(doc, "method", path, choices=RATIONING_METHODS)
    if method == "uniform_cut":
        floor = _setting(reader, doc, path, ("method", "floor_cents"), reader.cents)
        return RationingPolicy("uniform_cut", floor) if floor is not None else RationingPolicy()
    if method is not None:
        others = {key: item for key, item in doc.items() if key != "floor_cents"}
        reader.only_keys(others, ("method",), path)
        if "floor_cents" in doc:
            reader.add(
                join_path(path, "floor_cents"),
                f"floor_cents only applies to the uniform_cut method, not {method}",
            )
        return RationingPolicy(method)
    return RationingPolicy()


def _setting(
    reader: Reader,
    doc: Mapping[str, Any],
    path: str,
    fields: tuple[str, str],
    read: Callable[[Mapping[str, Any], str, str], int | None],
) -> int | None:
    """The one setting of the chosen policy: ``fields`` is (the choosing field, the setting);
    any other field is reported, then the setting is read (required) by ``read``."""
    reader.only_keys(doc, fields, path)
    return read(doc, fields[1], path)
