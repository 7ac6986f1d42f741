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
    active = month.active
    ids = pop.mask_of(month.active_ids)
    engaged = [h for h in active if h.engagement_minutes is not None]
    return [
        count(ACTIVE, ALL, ids),
        count(ARRIVALS, ALL, pop.mask(h.household_id for h in month.households if h.arrived)),
        count(DEPARTURES, ALL, pop.mask(month.previous_active - month.active_ids)),
        Tally(
            ENGAGEMENT,
            ALL,
            HOURS,
            sum(h.engagement_minutes or 0 for h in engaged),
            MINUTES_PER_HOUR,
            pop.mask(h.household_id for h in engaged),
        ),
    ]
