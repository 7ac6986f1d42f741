"""Small-cell suppression that differencing cannot undo.

Rule 1 (small cells). A cell built from at least one and fewer than ``threshold`` distinct
households is suppressed (its value and its count are withheld). Cells about the fund or
institutions (the reserve, subsidies: ``households is None``) are never suppressed by size.

Rule 2 (one label, one fate). A group label (``decile:3``, ``kind:market``...) suppressed in
one indicator is suppressed in every indicator that has it: the net transfer of a decile
and its net transfer per household would otherwise give each other away.

Rule 3 (complementary suppression). Within an indicator, if some groups are suppressed, the
next smallest groups (fewest households, then label) are suppressed too until the suppressed
groups together cover at least ``threshold`` distinct households, so a total minus the
visible cells reveals only a sum over ``threshold`` households or more. If that cannot be
reached, the whole indicator is suppressed. Linked indicators (``LINKED``: arrivals and
departures; the contributions received, self-financing and the funding mix; the credit
spent, expired and carried, which give each other away through their totals) are
suppressed together.

Rule 4 (monotone over time, applied by app.engine.indicators.table). Researchers ask for
whole calendar months only; a period's cell is suppressed whenever the same cell is
suppressed in ANY of its months (``forced``), then rules 1-3 run on the period. So for two
overlapping periods on the same grid, any cell published in both is a sum of monthly cells
that were each publishable: their difference is a sum of publishable monthly cells and can
never isolate a suppressed one. Rules 1-4 are applied until nothing changes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from app.engine.indicators.cells import ALL, Tally

Key = tuple[str, str]

LINKED: tuple[frozenset[str], ...] = (
    frozenset({"arrivals", "departures"}),
    frozenset({"contributions_received_cents", "self_financing", "funding_cents", "funding_share"}),
    frozenset(
        {
            "credit_spent_cents",
            "credit_expired_cents",
            "credit_spent_share",
            "credit_expired_share",
            "credit_carried_share",
        }
    ),
)


def suppressed_keys(
    tallies: Mapping[Key, Tally], threshold: int, forced: Collection[Key] = ()
) -> frozenset[Key]:
    """The keys to withhold under rules 1-3 (and ``forced`` ones, rule 4)."""
    hidden = {k for k in forced if k in tallies}
    hidden |= {k for k, t in tallies.items() if _small(t, threshold)}
    by_indicator: dict[str, list[Key]] = {}
    for key in sorted(tallies):
        by_indicator.setdefault(key[0], []).append(key)
    while True:
        before = len(hidden)
        _same_label(tallies, hidden)
        for keys in by_indicator.values():
            _complete(tallies, keys, hidden, threshold)
        _linked(by_indicator, hidden)
        if len(hidden) == before:
            return frozenset(hidden)


def _small(tally: Tally, threshold: int) -> bool:
    households = tally.households
    return households is not None and 0 < households.bit_count() < threshold


def _same_label(tallies: Mapping[Key, Tally], hidden: set[Key]) -> None:
    labels = {group for _, group in hidden if group != ALL}
    hidden.update(k for k in tallies if k[1] in labels)


def _complete(
    tallies: Mapping[Key, Tally], keys: list[Key], hidden: set[Key], threshold: int
) -> None:
    suppressed = [k for k in keys if k in hidden]
    if not suppressed or len(suppressed) == len(keys):
        return
    covered = 0
    for key in suppressed:
        covered |= tallies[key].households or 0
    candidates = sorted(
        (k for k in keys if k not in hidden),
        key=lambda k: ((tallies[k].households or 0).bit_count(), k[1]),
    )
    for key in candidates:
        if covered.bit_count() >= threshold:
            return
        households = tallies[key].households
        if households is None:
            break  # an institution's cell cannot hide households: withhold the indicator
        hidden.add(key)
        covered |= households
    if covered.bit_count() < threshold:
        hidden.update(keys)


def _linked(by_indicator: Mapping[str, list[Key]], hidden: set[Key]) -> None:
    for names in LINKED:
        present = [k for name in sorted(names) for k in by_indicator.get(name, ())]
        if any(k in hidden for k in present):
            hidden.update(present)
