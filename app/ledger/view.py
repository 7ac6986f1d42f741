"""``SqlBooksView``: the books core's read access (``BooksView``) over one SQL session.

Reads see the transaction's own writes. On PostgreSQL the rows a spending command reads
(a household's lots and credit balance, a purchase) are read ``FOR UPDATE``, so two purchases
on one wallet can never both pass the balance check even without the writer lock the
journal takes; on SQLite the transaction already holds the single write lock
(``BEGIN IMMEDIATE``). Values are cached per view: a view lives for one command.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, SQLModel, col

from app.db import tables as t

# Re-exported: app.ledger.group, group_pg and others read rows with them through this module.
from app.db.row_states import household_state as household_state
from app.db.row_states import lot_state as lot_state
from app.db.row_states import merchant_state as merchant_state
from app.db.row_states import purchase_state as purchase_state
from app.db.row_states import unspent_policy as unspent_policy
from app.engine.books.entries import Entry, Posting
from app.engine.books.state import (
    OPEN,
    CreditLot,
    HouseholdState,
    MerchantState,
    MonthState,
    PurchaseState,
)
from app.engine.period import Period
from app.ledger.bulk import among, batches


class SqlBooksView:
    """Implements ``app.engine.books.state.BooksView`` on a ``Session``."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.lock_rows = session.get_bind().dialect.name == "postgresql"
        self._households: dict[str, HouseholdState | None] = {}
        self._credited: dict[tuple[str, str], bool] = {}
        # Open lots read in bulk for an expiry, each household's taken once (``lots``).
        self._lots: dict[str, list[CreditLot]] = {}
        self._texts: dict[Period, str] = {}

    def prefetch(self, kind: str, payload: Mapping[str, Any]) -> None:
        """Load in bulk what a command will ask for row by row: the month run's households;
        an expiry's households and their open lots (read ``FOR UPDATE`` on PostgreSQL, as
        ``lots`` reads them), so a close expiring every holder is not two queries each."""
        if kind == "expire_credit" and isinstance(payload.get("household_ids"), list):
            ids = sorted({h for h in payload["household_ids"] if isinstance(h, str)})
            self._prefetch_households(ids)
            self._prefetch_lots(ids)
            return
        if kind != "run_month" or not isinstance(payload.get("households"), list):
            return
        ids = sorted(
            {h["household_id"] for h in payload["households"] if isinstance(h, Mapping)}
            - set(self._households)
        )
        period = str(payload.get("period"))
        connection = self.session.connection()
        self._prefetch_households(ids)
        for part in batches(self.session, ids):
            self._credited.update({(h, period): False for h in part})
            credited = connection.execute(
                select(col(t.MonthCredit.household_id)).where(
                    among(self.session, col(t.MonthCredit.household_id), part),
                    col(t.MonthCredit.period) == period,
                )
            ).fetchall()  # one fetch: row by row, the SQL layer's per-row cost dominates
            self._credited.update({(row[0], period): True for row in credited})

    def _prefetch_households(self, ids: Sequence[str]) -> None:
        connection = self.session.connection()
        c = SQLModel.metadata.tables["household"].c
        # Only the columns a HouseholdState holds, fetched at once as plain tuples: reading
        # every column row by row through the SQL layer cost more than the query.
        columns = (c.household_id, c.from_period, c.facts_commitment, c.erased)
        periods: dict[str, Period] = {}  # a fund has few enrolment months: parse each once
        for part in batches(self.session, ids):
            self._households.update(dict.fromkeys(part))
            rows = connection.execute(
                select(*columns).where(among(self.session, c.household_id, part))
            ).fetchall()
            for household_id, from_period, commitment, erased in rows:
                start = periods.get(from_period) or periods.setdefault(
                    from_period, Period.parse(from_period)
                )
                self._households[household_id] = HouseholdState(
                    household_id, start, commitment, erased
                )

    def _prefetch_lots(self, ids: Sequence[str]) -> None:
        lot = t.CreditLot
        for part in batches(self.session, ids):
            found: dict[str, list[CreditLot]] = {h: [] for h in part}
            rows = self.session.execute(
                self._select(
                    select(lot)
                    .where(among(self.session, col(lot.household_id), part), col(lot.is_open))
                    .order_by(col(lot.household_id), col(lot.period), col(lot.lot_id))
                )
            ).scalars()
            for row in rows:
                found[row.household_id].append(lot_state(row))
            self._lots.update(found)

    def _select(self, statement: Any) -> Any:
        return statement.with_for_update() if self.lock_rows else statement

    def balance_cents(self, account: str) -> int:
        row = self.session.execute(
            self._select(
                select(col(t.Balance.balance_cents)).where(col(t.Balance.account) == account)
            )
        ).first()
        return 0 if row is None else int(row[0])

    def lots(self, household_id: str) -> Sequence[CreditLot]:
        prefetched = self._lots.pop(household_id, None)
        if prefetched is not None:  # taken once: a later read sees the command's own changes
            return prefetched
        rows = self.session.execute(
            self._select(
                select(t.CreditLot)
                .where(col(t.CreditLot.household_id) == household_id, col(t.CreditLot.is_open))
                .order_by(col(t.CreditLot.period), col(t.CreditLot.lot_id))
            )
        ).scalars()
        return [lot_state(row) for row in rows]

    def merchant(self, merchant_id: str) -> MerchantState | None:
        row = self.session.get(t.Merchant, merchant_id)
        return None if row is None else merchant_state(row)

    def household(self, household_id: str) -> HouseholdState | None:
        if household_id in self._households:
            return self._households[household_id]
        row = self.session.get(t.Household, household_id)
        return None if row is None else household_state(row)

    def month(self, period: Period) -> MonthState:
        row = self.session.get(t.Month, str(period))
        if row is None:
            return MonthState(period)
        return MonthState(period, row.status, unspent_policy(row))

    def earliest_open_before(self, period: Period) -> Period | None:
        # One range read of the month table's primary key ("YYYY-MM" sorts as the months do);
        # only ``close_month`` asks, never a purchase.
        row = self.session.execute(
            select(col(t.Month.period))
            .where(col(t.Month.period) < str(period), col(t.Month.status) == OPEN)
            .order_by(col(t.Month.period))
            .limit(1)
        ).first()
        return None if row is None else Period.parse(row[0])

    def purchase(self, merchant_id: str, purchase_id: str) -> PurchaseState | None:
        bought = select(t.Purchase).where(
            col(t.Purchase.merchant_id) == merchant_id, col(t.Purchase.purchase_id) == purchase_id
        )
        row = self.session.execute(self._select(bought)).scalar_one_or_none()
        return None if row is None else purchase_state(row)

    def entry(self, entry_id: str) -> Entry | None:
        row = self.session.get(t.LedgerEntry, entry_id)
        if row is None:
            return None
        lines = self.session.execute(
            select(col(t.Posting.account), col(t.Posting.amount_cents))
            .where(col(t.Posting.entry_id) == entry_id)
            .order_by(col(t.Posting.line))
        ).all()
        postings = tuple(Posting(account, int(amount)) for account, amount in lines)
        return Entry(
            row.entry_id,
            row.seq,
            Period.parse(row.period),
            row.kind,
            row.memo,
            postings,
            row.reverses,
        )

    def credited(self, household_id: str, period: Period) -> bool:
        month = self._period_text(period)
        cached = self._credited.get((household_id, month))
        if cached is not None:
            return cached
        return self.session.get(t.MonthCredit, (household_id, month)) is not None

    def _period_text(self, period: Period) -> str:
        # A run asks about thousands of households for one period: format it once.
        text = self._texts.get(period)
        if text is None:
            text = self._texts[period] = str(period)
        return text

    def reversed_by(self, entry_id: str) -> str | None:
        row = self.session.execute(
            select(col(t.LedgerEntry.entry_id))
            .where(col(t.LedgerEntry.reverses) == entry_id)
            .limit(1)
        ).first()
        return None if row is None else str(row[0])

    def adopted(self, rule_set_id: str, version: int) -> str | None:
        row = self.session.execute(
            select(col(t.RuleSet.content_hash)).where(
                col(t.RuleSet.rule_set_id) == rule_set_id,
                col(t.RuleSet.version) == version,
                col(t.RuleSet.status) == "adopted",
            )
        ).first()
        return None if row is None else str(row[0])
