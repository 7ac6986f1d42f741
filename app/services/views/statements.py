"""What a household's months were: the history of its credit and contributions, and a
month's statement with the steps that made each amount (the API's dicts and the member's
pages). Rebuilt from the rules and facts the run used (app.services.run_basis), never from
today's. Nothing here writes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session, col

from app.db import tables as t
from app.engine.assess import Status
from app.engine.explain import Params, Step
from app.engine.period import Period
from app.services import arrears, free_text, merchant_profiles, run_basis
from app.services import errors as svc
from app.services.views.households import household_row
from app.services.writes.execute import Db, run_in


def history(db: Db, household_id: str, limit: int = 200) -> list[dict[str, Any]]:
    """The household's postings (what it owes, its credit), newest first."""

    def read(session: Session) -> list[dict[str, Any]]:
        household_row(session, household_id)
        rows = session.execute(
            select(
                col(t.LedgerEntry.entry_id),
                col(t.LedgerEntry.seq),
                col(t.LedgerEntry.period),
                col(t.LedgerEntry.kind),
                col(t.LedgerEntry.memo),
                col(t.Posting.account),
                col(t.Posting.amount_cents),
            )
            .join(t.Posting, col(t.Posting.entry_id) == col(t.LedgerEntry.entry_id))
            .where(
                or_(
                    col(t.Posting.account) == f"411:{household_id}",
                    col(t.Posting.account) == f"419:{household_id}",
                )
            )
            .order_by(col(t.Posting.seq).desc(), col(t.Posting.entry_id).desc())
            .limit(limit)
        )
        shown = free_text.readable_in(session)  # a reference as kept, not its commitment
        return [
            {
                "entry_id": e,
                "seq": int(s),
                "period": p,
                "kind": k,
                "memo": shown(m, int(s)),
                "account": a,
                "amount_cents": int(c),
            }
            for e, s, p, k, m, a, c in rows
        ]

    result: list[dict[str, Any]] = run_in(db, read)
    return result


def statement(db: Db, household_id: str, period: str) -> dict[str, Any]:
    """What the household owed and received for a month, with the explanation (fr and en)."""

    def read(session: Session) -> dict[str, Any]:
        household = household_row(session, household_id)
        month = Period.parse(period)
        mark = session.get(t.MonthCredit, (household_id, str(month)))
        if mark is None:
            raise svc.not_found("statement", f"{household_id} {month}")
        record = session.get(t.Journal, mark.seq)
        payload = json.loads(record.payload) if record is not None else {}
        line = next(h for h in payload["households"] if h["household_id"] == household_id)
        out: dict[str, Any] = {
            "household_id": household_id,
            "period": str(month),
            "seq": int(mark.seq),
            "contribution_cents": line["contribution_cents"],
            "credit_cents": line["credit_cents"],
            "funder_share_cents": line["funder_share_cents"],
            "rationed": payload.get("rationing") is not None,
            "explanation": None,
        }
        if not household.erased:
            out["explanation"] = _explanation(session, payload, line, month, int(mark.seq))
        return out

    result: dict[str, Any] = run_in(db, read)
    return result


def _explanation(
    session: Session, payload: dict[str, Any], line: dict[str, Any], month: Period, seq: int
) -> dict[str, str] | None:
    """The statement explained with the rules and facts its run used (by hash), never
    today's (app.services.run_basis)."""
    rules = run_basis.rules_of_run(session, payload)
    facts = run_basis.facts_of_run(session, line)
    if rules is None or facts is None:
        return None
    explanation = arrears.assess_as_run(session, rules, facts, month, seq).explanation
    if explanation is None:
        return None
    return {"fr": explanation.render("fr"), "en": explanation.render("en")}


@dataclass(frozen=True, slots=True)
class Movement:
    """One movement of the household's books, as the member sees it.

    ``kind``: the entry's kind (credit, purchase, refund, expiry, contribution, payment,
    reversal...). ``on_credit``: True for the food credit (``amount_cents`` > 0 adds to
    it), False for what the household owes (``amount_cents`` > 0 is owed, < 0 paid)."""

    kind: str
    period: str
    recorded_at: str
    on_credit: bool
    amount_cents: int
    merchant_name: str | None = None
    category: str | None = None


def movements(session: Session, household_id: str, limit: int = 200) -> list[Movement]:
    """The household's movements, newest first (see ``Movement``)."""
    rows = history(session, household_id, limit=limit)
    seqs = sorted({int(row["seq"]) for row in rows})
    times = _recorded_at(session, seqs)
    merchants = _merchants_of(session, [str(row["entry_id"]) for row in rows])
    names = merchant_profiles.names(session, merchants.values())
    out: list[Movement] = []
    for row in rows:
        on_credit = str(row["account"]).startswith("419:")
        amount = int(row["amount_cents"])
        merchant = merchants.get(str(row["entry_id"]))
        out.append(
            Movement(
                kind=str(row["kind"]),
                period=str(row["period"]),
                recorded_at=times.get(int(row["seq"]), ""),
                on_credit=on_credit,
                # Credit is a liability (credit-side balance): a negative posting adds to it.
                amount_cents=-amount if on_credit else amount,
                merchant_name=None if merchant is None else names.get(merchant),
                category=_category(session, row, merchant, household_id),
            )
        )
    return out


def _recorded_at(session: Session, seqs: Sequence[int]) -> dict[int, str]:
    if not seqs:
        return {}
    rows = session.execute(
        select(col(t.Journal.seq), col(t.Journal.recorded_at)).where(col(t.Journal.seq).in_(seqs))
    )
    return {int(seq): str(at) for seq, at in rows}


def _merchants_of(session: Session, entry_ids: Sequence[str]) -> dict[str, str]:
    """entry id -> merchant id, for entries that move a merchant's account (401)."""
    if not entry_ids:
        return {}
    rows = session.execute(
        select(col(t.Posting.entry_id), col(t.Posting.account)).where(
            col(t.Posting.entry_id).in_(sorted(set(entry_ids))),
            col(t.Posting.account).startswith("401:"),
        )
    )
    return {str(entry): str(account)[4:] for entry, account in rows}


def _category(
    session: Session, row: dict[str, Any], merchant: str | None, household_id: str
) -> str | None:
    """The category of a purchase (or of the purchase a refund gives back)."""
    if merchant is None or row["kind"] not in ("purchase", "refund"):
        return None
    if row["kind"] == "purchase":
        bought = session.execute(
            select(col(t.Purchase.category)).where(
                col(t.Purchase.merchant_id) == merchant,
                col(t.Purchase.household_id) == household_id,
                col(t.Purchase.seq) == int(row["seq"]),
            )
        ).first()
        return None if bought is None else str(bought[0])
    purchase_id = str(row["memo"]).rpartition(" of ")[2]
    refunded = session.get(t.Purchase, (merchant, purchase_id))
    return None if refunded is None else refunded.category


@dataclass(frozen=True, slots=True)
class Rationing:
    """A rationed month: the fund's budget did not cover every household's entitlement."""

    method: str
    budget_cents: int
    total_entitlement_cents: int
    entitlement_cents: int | None
    granted_cents: int


@dataclass(frozen=True, slots=True)
class Statement:
    """A month as booked for the household, and why (``explained``: the steps are known)."""

    period: str
    contribution_cents: int
    credit_cents: int
    funder_share_cents: int
    rule_set_name: str
    rule_set_version: int
    decision: str
    inputs: Params
    contribution_steps: tuple[Step, ...]
    credit_steps: tuple[Step, ...]
    rationing: Rationing | None
    explained: bool


def statement_months(session: Session, household_id: str) -> list[str]:
    """The months the household was run for, newest first."""
    household_row(session, household_id)
    return [
        str(period)
        for period in session.execute(
            select(col(t.MonthCredit.period))
            .where(col(t.MonthCredit.household_id) == household_id)
            .order_by(col(t.MonthCredit.period).desc())
        ).scalars()
    ]


def member_since(session: Session, household_id: str) -> str:
    """The first month of the household's membership."""
    return household_row(session, household_id).from_period


def member_statement(session: Session, household_id: str, period: str) -> Statement | None:
    """The household's statement for ``period`` (``None``: the month was not run for it)."""
    month = Period.parse(period)
    household = household_row(session, household_id)
    mark = session.get(t.MonthCredit, (household_id, str(month)))
    if mark is None:
        return None
    record = session.get(t.Journal, mark.seq)
    payload: dict[str, Any] = json.loads(record.payload) if record is not None else {}
    line = next(h for h in payload.get("households", ()) if h["household_id"] == household_id)
    # The rules and facts this run used (by hash), never today's: the past stays explained
    # as it was booked.
    rules = run_basis.rules_of_run(session, payload)
    facts = None if household.erased else run_basis.facts_of_run(session, line)
    assessed = (
        arrears.assess_as_run(session, rules, facts, month, mark.seq)
        if rules is not None and facts is not None
        else None
    )
    explanation = None if assessed is None else assessed.explanation
    granted = int(line["credit_cents"] or 0)
    rationing = None
    if payload.get("rationing") is not None and rules is not None:
        entitlement = None
        if assessed is not None and assessed.status is Status.ASSESSED:
            entitlement = assessed.credit_cents
        rationing = Rationing(
            method=rules.rationing.method,
            budget_cents=int(payload["rationing"]["budget_cents"]),
            total_entitlement_cents=int(payload["rationing"]["entitlement_total_cents"]),
            entitlement_cents=entitlement,
            granted_cents=granted,
        )
    return Statement(
        period=str(month),
        contribution_cents=int(line["contribution_cents"] or 0),
        credit_cents=granted,
        funder_share_cents=int(line["funder_share_cents"] or 0),
        rule_set_name=(rules.name or rules.rule_set_id) if rules is not None else "",
        rule_set_version=rules.version if rules is not None else 0,
        decision=rules.ref.decision if rules is not None else "",
        inputs=() if explanation is None else explanation.inputs,
        contribution_steps=() if explanation is None else explanation.contribution,
        credit_steps=() if explanation is None else explanation.credit,
        rationing=rationing,
        explained=explanation is not None,
    )
