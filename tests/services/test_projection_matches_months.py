"""A projection of n months equals n real month runs with the same assumptions, to the cent.

The fund: three households (contributions 5 000 + 2 000 + 1 000 = 8 000 cents a month, credits
10 000 + 20 000 + 15 000 = 45 000), credit usable in its own month only, a subsidy of 100 000
before the first month and 5 000 before the second; each household spends 9/10 of its credit.
By hand (cents): reserve after each month 67 500, 40 000, 7 500; in the fourth month the
budget is 7 500 + 8 000 = 15 500 < 45 000, so credits are rationed to 15 500 (31/90 served);
without rationing that month would end the run at -29 500: the subsidy that avoids it.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.engine.money import Rounding, RoundingMode, round_fraction
from app.engine.period import Period
from app.engine.projection import Assumptions
from app.services.merchants import approve_merchant, purchase
from app.services.money import record_funding
from app.services.months import available_cents, expire_credit, run_month
from app.services.projection import Request, project_fund
from app.services.views import balances
from tests.services.helpers import CODE, RULES, adopt, enrol, w

TODAY = date(2026, 11, 26)
HOUSEHOLDS = ("hh_a", "hh_b", "hh_c")
SPEND = Fraction(9, 10)
DOWN = Rounding(1, RoundingMode.DOWN)


def fund(engine: Engine) -> None:
    adopt(engine, RULES | {"unspent_credit": {"policy": "expire", "after_months": 1}})
    enrol(engine, "hh_a", 200_000, 1)
    enrol(engine, "hh_b", 80_000, 3)
    enrol(engine, "hh_c", 40_000, 2)
    approve_merchant(engine, "shop", {"food": "1"}, date(2026, 1, 1), **w())
    record_funding(engine, "city", "subsidy", 100_000, "SUB-1", date(2026, 11, 2), **w())


def real_month(engine: Engine, period: Period, subsidy_cents: int) -> dict[str, Any]:
    """What the office does in a month: subsidy in, run, members spend, unspent expires."""
    if subsidy_cents:
        on = period.day(2)
        record_funding(engine, "city", "subsidy", subsidy_cents, f"SUB-{period}", on, **w())
    run = run_month(engine, str(period), **w())
    spent = 0
    for household_id in HOUSEHOLDS:
        amount = round_fraction(balances(engine, household_id)["credit_cents"] * SPEND, DOWN)
        if amount:
            purchase(
                engine, f"p-{period}-{household_id}", household_id, "shop", "food", amount,
                period.day(20), CODE, **w(),
            )  # fmt: skip
            spent += amount
    expired = expire_credit(engine, str(period), **w())["expired_cents"]
    with Session(engine) as session:
        reserve = available_cents(session)
    return run | {"spent_cents": spent, "expired_cents": expired, "reserve_cents": reserve}


def test_a_projection_of_four_months_equals_four_month_runs(engine: Engine) -> None:
    fund(engine)
    start = Period(2026, 11)
    assumptions = Assumptions(months=4, spend_rate=SPEND, subsidies_cents={start.shift(1): 5_000})
    projected = project_fund(engine, Request(assumptions), TODAY)["projection"]
    real = [real_month(engine, start.shift(k), 5_000 if k == 1 else 0) for k in range(4)]
    for month, done in zip(projected["months"], real, strict=True):
        assert month["contribution_cents"] == done["contribution_cents"]
        assert month["credit_cents"] == done["credit_cents"]
        assert month["budget_cents"] == done["budget_cents"]
        assert month["rationed"] == done["rationed"]
        assert month["spent_cents"] == done["spent_cents"]
        assert month["expired_cents"] == done["expired_cents"]
        assert month["reserve_end_cents"] == done["reserve_cents"]
    assert [m["reserve_end_cents"] for m in projected["months"][:3]] == [67_500, 40_000, 7_500]
    fourth = projected["months"][3]
    assert (fourth["budget_cents"], fourth["credit_cents"]) == (15_500, 15_500)
    assert (fourth["entitlement_cents"], fourth["shortfall_cents"]) == (45_000, 29_500)
    assert fourth["served"] == "31/90"
    assert projected["rationing_starts"] == "2027-02"
    assert projected["subsidy_to_avoid_cents"] == 29_500
    assert projected["subsidy_schedule"] == [{"period": "2027-02", "subsidy_cents": 29_500}]


def test_the_subsidy_that_avoids_rationing_avoids_it_and_one_cent_less_does_not(
    engine: Engine,
) -> None:
    fund(engine)
    start = Period(2026, 11)

    def projected(extra: int) -> dict[str, Any]:
        subsidies = {start: extra, start.shift(1): 5_000} if extra else {start.shift(1): 5_000}
        a = Assumptions(months=4, spend_rate=SPEND, subsidies_cents=subsidies)
        return dict(project_fund(engine, Request(a), TODAY)["projection"])

    assert projected(29_500)["rationing_starts"] is None
    assert projected(29_499)["rationing_starts"] == "2027-02"
    assert projected(29_499)["months"][3]["shortfall_cents"] == 1
