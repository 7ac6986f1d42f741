"""The bounds a member may choose a contribution within (``free_choice``), and their checks.

Guarantees:
- the bounds are computed exactly, then rounded to the cent once: the minimum UP and the
  maximum DOWN, so the offered range never goes beyond what the rules say; when a computed
  minimum is above the maximum, the maximum wins (no member is asked more than the maximum);
- the member's ``chosen_contribution_cents`` is the result, exactly as chosen: never
  corrected; a missing choice is ``NeedsData``; a choice out of bounds, off the step grid
  (which starts at the minimum) or not one of the levels is ``Rejected`` with a message
  naming the bounds, the step or the levels, in euros;
- ``ctx.choice`` is set to the ``ChoiceBounds`` offered, before the choice is checked, so a
  caller can show them to the member. The suggested amount is moved onto the nearest
  acceptable amount at or above it (else the highest acceptable one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.engine.exact import Q
from app.engine.explain import Step, format_param, register_messages, step
from app.engine.money import format_cents, round_ratio

CHOICE_FIELD = "chosen_contribution_cents"

register_messages(
    {
        "free_choice.bounds": {
            "fr": "Vous choisissez votre participation entre {min_cents} et {max_cents}.",
            "en": "You choose your contribution between {min_cents} and {max_cents}.",
        },
        "free_choice.bounds.open": {
            "fr": "Vous choisissez votre participation, d'au moins {min_cents}.",
            "en": "You choose your contribution, at least {min_cents}.",
        },
        "free_choice.max_wins": {
            "fr": "Le minimum calculé ({computed_min_cents}) dépasse le maximum : le maximum ({max_cents}) s'applique.",
            "en": "The computed minimum ({computed_min_cents}) is above the maximum: the maximum ({max_cents}) applies.",
        },
        "free_choice.step": {
            "fr": "Montants possibles : à partir de {min_cents}, par pas de {step_cents}.",
            "en": "Possible amounts: from {min_cents}, in steps of {step_cents}.",
        },
        "free_choice.levels": {
            "fr": "Montants possibles : {levels_fr}.",
            "en": "Possible amounts: {levels_en}.",
        },
        "free_choice.suggested": {
            "fr": "Montant suggéré : {suggested_cents}.",
            "en": "Suggested amount: {suggested_cents}.",
        },
        "free_choice.chosen": {
            "fr": "Vous avez choisi {chosen_cents} : ce montant est retenu tel que vous l'avez choisi.",
            "en": "You chose {chosen_cents}: this amount is kept exactly as you chose it.",
        },
    }
)


def euros(amount_cents: int) -> str:
    """Cents as euros the way problem messages show them: 15000 -> '150,00 €'."""
    return f"{format_cents(amount_cents)} €"


def _listed(amounts: Sequence[int], lang: str) -> str:
    shown = [format_param("x_cents", amount, lang) for amount in amounts]
    if len(shown) == 1:
        return shown[0]
    word = " ou " if lang == "fr" else " or "
    return ", ".join(shown[:-1]) + word + shown[-1]


def _in_words(amounts: Sequence[int]) -> str:
    """Amounts as problem messages show them: '10,00 €, 20,00 € or 40,00 €'."""
    shown = [euros(amount) for amount in amounts]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


@dataclass(frozen=True, slots=True)
class ChoiceBounds:
    """What a member may choose this month (whole cents). ``max_cents`` None = no maximum.

    ``levels_cents`` are the rule's levels within the bounds; None when the rule has no levels.
    """

    min_cents: int
    max_cents: int | None
    suggested_cents: int | None
    step_cents: int | None
    levels_cents: tuple[int, ...] | None

    def refusal(self, chosen_cents: int) -> str | None:
        """Why ``chosen_cents`` is not acceptable, in words naming what is; None if it is."""
        if self.levels_cents is not None:
            if chosen_cents in self.levels_cents:
                return None
            if not self.levels_cents:
                return f"no amount can be chosen this month: no level is within {self.range_text()}"
            return (
                f"the chosen contribution {euros(chosen_cents)} is not one of the amounts offered: "
                f"choose {_in_words(self.levels_cents)}"
            )
        if chosen_cents < self.min_cents or (
            self.max_cents is not None and chosen_cents > self.max_cents
        ):
            return (
                f"the chosen contribution {euros(chosen_cents)} is out of bounds: "
                f"choose {self.range_text()}"
            )
        if self.step_cents is not None and (chosen_cents - self.min_cents) % self.step_cents:
            return self._off_grid(chosen_cents)
        return None

    def range_text(self, lang: str = "en") -> str:
        if lang == "fr":
            if self.max_cents is None:
                return f"au moins {euros(self.min_cents)}"
            return f"un montant entre {euros(self.min_cents)} et {euros(self.max_cents)}"
        if self.max_cents is None:
            return f"at least {euros(self.min_cents)}"
        return f"an amount between {euros(self.min_cents)} and {euros(self.max_cents)}"

    def _off_grid(self, chosen_cents: int) -> str:
        step_cents = self.step_cents or 1
        lower = self.min_cents + (chosen_cents - self.min_cents) // step_cents * step_cents
        nearest = [lower]
        if self.max_cents is None or lower + step_cents <= self.max_cents:
            nearest.append(lower + step_cents)
        return (
            f"the chosen contribution {euros(chosen_cents)} is not on the grid: choose an amount "
            f"from {euros(self.min_cents)} in steps of {euros(step_cents)} "
            f"(nearest: {' or '.join(euros(amount) for amount in nearest)})"
        )

    def steps(self, path: str, computed_min_cents: int) -> tuple[Step, ...]:
        """The explanation of the offer (built only when explaining)."""
        result: list[Step] = []
        if computed_min_cents > self.min_cents:
            result.append(
                step(
                    path,
                    "free_choice.max_wins",
                    computed_min_cents=computed_min_cents,
                    max_cents=self.min_cents,
                )
            )
        if self.max_cents is None:
            result.append(step(path, "free_choice.bounds.open", min_cents=self.min_cents))
        else:
            result.append(
                step(path, "free_choice.bounds", min_cents=self.min_cents, max_cents=self.max_cents)
            )
        if self.step_cents is not None:
            result.append(
                step(path, "free_choice.step", min_cents=self.min_cents, step_cents=self.step_cents)
            )
        if self.levels_cents:
            result.append(
                step(
                    path,
                    "free_choice.levels",
                    levels_fr=_listed(self.levels_cents, "fr"),
                    levels_en=_listed(self.levels_cents, "en"),
                )
            )
        if self.suggested_cents is not None:
            result.append(step(path, "free_choice.suggested", suggested_cents=self.suggested_cents))
        return tuple(result)


def offer(
    computed_min: Q,
    computed_max: Q | None,
    suggested: Q | None,
    step_cents: int | None,
    levels_cents: tuple[int, ...] | None,
) -> tuple[ChoiceBounds, int]:
    """Round the exact bounds (min up, max down) and fit the suggestion; also the raw min."""
    raw_min = -(-computed_min[0] // computed_min[1])  # ceiling: the minimum rounds UP
    if raw_min < 0:
        raw_min = 0
    max_cents: int | None = None
    min_cents = raw_min
    if computed_max is not None:
        max_cents = computed_max[0] // computed_max[1]  # floor: the maximum rounds DOWN
        if max_cents < 0:
            max_cents = 0
        if min_cents > max_cents:
            min_cents = max_cents
    levels: tuple[int, ...] | None = None
    if levels_cents is not None:
        levels = tuple(
            level
            for level in levels_cents
            if level >= min_cents and (max_cents is None or level <= max_cents)
        )
    bounds = ChoiceBounds(min_cents, max_cents, None, step_cents, levels)
    if suggested is not None:
        wanted = round_ratio(suggested[0], suggested[1])
        fitted = _fit(bounds, wanted)
        bounds = ChoiceBounds(min_cents, max_cents, fitted, step_cents, levels)
    return bounds, raw_min


def _fit(bounds: ChoiceBounds, wanted: int) -> int | None:
    """The acceptable amount nearest at or above ``wanted``, else the highest acceptable one."""
    if bounds.levels_cents is not None:
        above = [level for level in bounds.levels_cents if level >= wanted]
        if above:
            return above[0]
        return bounds.levels_cents[-1] if bounds.levels_cents else None
    amount = max(wanted, bounds.min_cents)
    if bounds.max_cents is not None:
        amount = min(amount, bounds.max_cents)
    if bounds.step_cents is not None:
        steps = -(-(amount - bounds.min_cents) // bounds.step_cents)
        amount = bounds.min_cents + steps * bounds.step_cents
        if bounds.max_cents is not None and amount > bounds.max_cents:
            whole_steps = (bounds.max_cents - bounds.min_cents) // bounds.step_cents
            amount = bounds.min_cents + whole_steps * bounds.step_cents
    return amount
