"""Months of a demo fund's life, played through the real services in time order.

Each month: the funders pay (day 1), the month is run, most members pay their contribution
(days 2-12; about one in ten does not, one in twenty pays half), members shop at approved
merchants (several purchases per household-month, days 3-27; some are refused for lack of
credit and counted, as a real till would), one purchase is refunded (second month: its lot is spent or expires later), the
operator settles every merchant what it is owed (day 28), then the month is closed (which
expires the credit past its last month: the third month) and sealed, through the month desk.

Purchases are the ``purchase`` command recorded through ``execute``, exactly as
``app.services.merchants.purchase`` records it once the member's consent code has matched.
The demo skips that check for its ~1,800 purchases because it is deliberately slow
(PBKDF2, about 37 ms of CPU each): checking every code would take the demo past a minute.
The API always checks it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.engine.books.commands import Command
from app.engine.period import Period
from app.ledger.invariants import balances_of
from app.services import errors as svc
from app.services import merchants, money, month_desk, months
from app.services.demo.people import FUNDERS, MERCHANTS, DemoHousehold
from app.services.views import merchant_sales
from app.services.writes.execute import Db, execute, run_in, transaction

OPERATOR = "operator:demo"
METHODS = ("cash", "transfer", "direct_debit")


@dataclass(slots=True)
class Stats:
    """What happened, counted as it happened (the demo prints it)."""

    purchases: int = 0
    purchases_refused: int = 0
    purchase_cents: int = 0
    credit_spent_cents: int = 0
    payments: int = 0
    payment_cents: int = 0
    funding_cents: int = 0
    refunds: int = 0
    refund_cents: int = 0
    settled_cents: int = 0
    credited: int = 0
    credit_granted_cents: int = 0
    contributions_cents: int = 0
    by_month: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Month:
    period: Period
    index: int  # 0, 1, 2
    # The current month: played up to this day (the demo's today) and left open.
    open_until: int | None = None

    def at(self, day: int, step: int = 0) -> datetime:
        """The demo clock: 9:00 UTC on ``day`` plus ``step`` seconds (keeps time order)."""
        start = datetime(self.period.year, self.period.month, day, 9, 0, tzinfo=UTC)
        return start + timedelta(seconds=step)

    def day(self, day: int) -> date:
        return date(self.period.year, self.period.month, day)


Event = tuple[int, int, Callable[[datetime], None]]


def play_month(
    db: Db, rng: random.Random, people: list[DemoHousehold], month: Month, stats: Stats
) -> None:
    """Fund, run, pay, shop, refund, settle, (expire), close and seal one month; the current
    month (``open_until``) only up to that day, then left open for the till."""
    before = (stats.purchases, stats.purchases_refused, stats.payments)
    _fund(db, len(people), month, stats)
    run = months.run_month(
        db,
        str(month.period),
        actor=OPERATOR,
        idempotency_key=f"demo:run:{month.period}",
        now=month.at(1, 600),
    )
    stats.credited += int(run["credited"])
    stats.credit_granted_cents += int(run["credit_cents"])
    stats.contributions_cents += int(run["contribution_cents"])
    events = _payments(db, rng, people, month, stats) + _purchases(db, rng, people, month, stats)
    for day, step, action in sorted(events, key=lambda e: (e[0], e[1])):
        if month.open_until is None or day <= month.open_until:
            action(month.at(day, step))
    if month.open_until is None:
        if month.index == 1:
            _refund_one(db, month, stats)
        _settle(db, month, stats)
        _close(db, month)
    stats.by_month[str(month.period)] = {
        "households_credited": int(run["credited"]),
        "credit_cents": int(run["credit_cents"]),
        "contribution_cents": int(run["contribution_cents"]),
        "purchases": stats.purchases - before[0],
        "purchases_refused": stats.purchases_refused - before[1],
        "payments": stats.payments - before[2],
    }


def _fund(db: Db, households: int, month: Month, stats: Stats) -> None:
    for step, funder in enumerate(FUNDERS):
        amount = funder.monthly_cents * households // 100
        money.record_funding(
            db,
            funder.funder_id,
            funder.kind,
            amount,
            f"{funder.funder_id.upper()}-{month.period}",
            month.day(1),
            actor=OPERATOR,
            idempotency_key=f"demo:funding:{funder.funder_id}:{month.period}",
            now=month.at(1, step),
        )
        stats.funding_cents += amount


def _dues(db: Db, people: list[DemoHousehold]) -> dict[str, int]:
    accounts = [f"411:{p.household_id}" for p in people]
    found: dict[str, int] = run_in(db, lambda s: balances_of(s, accounts))
    return {a.removeprefix("411:"): c for a, c in found.items() if c > 0}


def _payments(
    db: Db, rng: random.Random, people: list[DemoHousehold], month: Month, stats: Stats
) -> list[Event]:
    events: list[Event] = []
    for household_id, due in sorted(_dues(db, people).items()):
        draw = rng.random()
        if draw < 0.10:
            continue  # has not paid this month (it stays owed: 411 in debit)
        amount = due if draw >= 0.15 else max(1, due // 2)
        method = rng.choice(METHODS)

        def pay(
            now: datetime, hh: str = household_id, cents: int = amount, how: str = method
        ) -> None:
            money.record_payment(
                db,
                hh,
                cents,
                how,
                f"PAY-{hh}-{month.period}",
                now.date(),
                actor=OPERATOR,
                idempotency_key=f"demo:payment:{hh}:{month.period}",
                now=now,
            )
            stats.payments += 1
            stats.payment_cents += cents

        events.append((rng.randint(2, 12), len(events), pay))
    return events


def _basket(rng: random.Random, heavy: bool) -> int:
    """A basket's price in cents: everyday shopping, sometimes a big one."""
    if heavy:
        return rng.randint(4_000, 16_000)
    return rng.randint(250, 6_500)


def _purchases(
    db: Db, rng: random.Random, people: list[DemoHousehold], month: Month, stats: Stats
) -> list[Event]:
    events: list[Event] = []
    weights = [m.weight for m in MERCHANTS]
    for person in people:
        heavy = rng.random() < 0.12
        for n in range(rng.randint(2, 3)):
            shop = rng.choices(MERCHANTS, weights=weights)[0]
            category = rng.choice(sorted(shop.categories))
            amount = _basket(rng, heavy)
            purchase_id = f"p_{month.period}_{person.household_id}_{n}".replace("-", "")
            payload = {
                "purchase_id": purchase_id,
                "household_id": person.household_id,
                "merchant_id": shop.merchant_id,
                "category": category,
                "amount_cents": amount,
            }
            events.append((rng.randint(3, 27), len(events), _buyer(db, payload, month, stats)))
    return events


def _buyer(
    db: Db, fields: dict[str, Any], month: Month, stats: Stats
) -> Callable[[datetime], None]:
    def buy(now: datetime) -> None:
        on = now.date()
        payload = {**fields, "on": on.isoformat(), "period": str(month.period)}
        actor = f"merchant:demo_{fields['merchant_id']}"
        key = f"demo:purchase:{fields['purchase_id']}"
        try:
            result = execute(db, Command("purchase", payload), actor, key, now)
        except svc.InsufficientCredit:
            stats.purchases_refused += 1
            return
        stats.purchases += 1
        stats.purchase_cents += int(result["amount_cents"])
        stats.credit_spent_cents += int(result["credit_cents"])

    return buy


def _refund_one(db: Db, month: Month, stats: Stats) -> None:
    """The member brings back part of a basket: half of one purchase's credit part."""
    sales = merchants_sales(db, MERCHANTS[0].merchant_id, str(month.period))
    bought = next((p for p in sales if p["credit_cents"] >= 200), None)
    if bought is None:
        return
    result = merchants.refund(
        db,
        f"r_{bought['purchase_id']}",
        MERCHANTS[0].merchant_id,
        bought["purchase_id"],
        bought["credit_cents"] // 2,
        month.day(27),
        actor=f"merchant:demo_{MERCHANTS[0].merchant_id}",
        idempotency_key=f"demo:refund:{bought['purchase_id']}",
        now=month.at(27, 3600),
    )
    stats.refunds += 1
    stats.refund_cents += int(result["amount_cents"])


def merchants_sales(db: Db, merchant_id: str, period: str) -> list[dict[str, Any]]:
    sales = merchant_sales(db, merchant_id, limit=1000)["purchases"]
    return sorted((p for p in sales if p["period"] == period), key=lambda p: p["seq"])


def _settle(db: Db, month: Month, stats: Stats) -> None:
    accounts = [f"401:{m.merchant_id}" for m in MERCHANTS]
    owed = run_in(db, lambda s: balances_of(s, accounts))
    amounts = {a.removeprefix("401:"): -c for a, c in owed.items() if c < 0}
    if not amounts:
        return
    money.settle_merchants(
        db,
        f"batch_{month.period}".replace("-", ""),
        f"VIR-COMMERCANTS-{month.period}",
        month.day(28),
        amounts,
        actor=OPERATOR,
        idempotency_key=f"demo:settle:{month.period}",
        now=month.at(28),
    )
    stats.settled_cents += sum(amounts.values())


def _close(db: Db, month: Month) -> None:
    """Close and seal through the month desk, as an operator does: the close first expires
    the credit past its last month (the third month: what was granted in the first)."""
    last = 28
    with transaction(db) as session:
        month_desk.close(
            session,
            str(month.period),
            actor=OPERATOR,
            idempotency_key=f"demo:close:{month.period}",
            now=month.at(last, 3600),
        )
    with transaction(db) as session:
        month_desk.seal_month(
            session,
            str(month.period),
            actor=OPERATOR,
            idempotency_key=f"demo:seal:{month.period}",
            now=month.at(last, 3660),
        )
