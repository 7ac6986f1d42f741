"""Who takes part: active households, arrivals, departures and engagement hours.

``active_households``: assessed by the month run; ``arrivals``: enrolled from the month;
``departures``: active the month before and not this month. Over a period each counts
DISTINCT households. ``engagement_hours``: the hours of engagement declared by active
households (only where the rules use them: absent facts add nothing).
"""

from __future__ import annotations

from app.engine.indicators.cells import ALL, HOURS, Tally, count
from app.engine.indicators.inputs import MonthBooks
from app.engine.indicators.population import Population

ACTIVE = "active_households"
ARRIVALS = "arrivals"
DEPARTURES = "departures"
ENGAGEMENT = "engagement_hours"
MINUTES_PER_HOUR = 60


def month_tallies(month: MonthBooks, pop: Population) -> list[Tally]:
    minutes = sum(filter(None, month.active.engagement_minutes))  # ``None`` adds nothing
    active = pop.month_mask(month, "active")
    # Departures: active the month before, not this month (the set before is often the
    # same object month after month: its mask is then built once, ``mask_of``).
    return [
        count(ACTIVE, ALL, active),
        count(ARRIVALS, ALL, pop.month_mask(month, "arrived")),
        count(DEPARTURES, ALL, pop.mask_of(month.previous_active) & ~active),
        Tally(ENGAGEMENT, ALL, HOURS, minutes, MINUTES_PER_HOUR, pop.month_mask(month, "engaged")),
    ]
