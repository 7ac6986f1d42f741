"""The monthly run (assessments -> contribution and credit entries, one lot per household-month)
and the expiry of unspent credit (lots past their last month; balance above a carry-over cap).

Guarantees: a household is credited at most once per month (``Conflict`` otherwise) while
any entry its run posted for that month stands (reversing all of them clears the mark:
``apply_reverse``); the whole chunk is refused if any household in it is refused, with every
problem listed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.engine.books import accounts as acc
from app.engine.books.commands import Fields, are_ids
from app.engine.books.entries import Entry, EntryBuilder
from app.engine.books.errors import Conflict, NotFound, problem
from app.engine.books.guards import known_household, open_month
from app.engine.books.lots import expiring_parts, lot_expiry
from app.engine.books.state import (
    BooksView,
    Effects,
    LotChange,
    MarkCredited,
    RegistryChange,
    SetMonth,
)
from app.engine.period import Period
from app.engine.problems import Problem
from app.engine.problems import problem as coded
from app.engine.rules.policies import UNSPENT_POLICIES, UnspentCreditPolicy

STATUSES = ("assessed", "needs_data", "not_eligible", "rejected")


class _Line:
    __slots__ = ("assessed", "contribution", "credit", "funder", "household_id", "path", "share")

    def __init__(self, f: Fields) -> None:
        self.path = f.base
        self.household_id = f.ident("household_id")
        self.assessed = f.text("status", STATUSES) == "assessed"
        contribution = f.optional_cents("contribution_cents")
        credit = f.optional_cents("credit_cents")
        self.share = f.cents("funder_share_cents", minimum=0)
        self.funder = f.optional_ident("funder_id")
        f.optional_text("facts_commitment")
        if f.present("arrears_months"):  # under an arrears policy (app.engine.month_run)
            f.integer("arrears_months")
        f.check_unknown()
        if self.assessed:
            f.require(contribution is not None, "contribution_cents", "is required when assessed")
            f.require(credit is not None, "credit_cents", "is required when assessed")
        else:
            f.require(
                not contribution and not credit and not self.share,
                "status",
                "a household that is not assessed carries no amounts",
            )
        self.contribution = contribution or 0
        self.credit = credit or 0
        f.require(self.share <= self.credit, "funder_share_cents", "exceeds credit_cents")
        f.require(
            not self.share or self.funder is not None,
            "funder_id",
            "is required when funder_share_cents is not 0",
        )


_LINE_KEYS = frozenset(("household_id", "status", "contribution_cents", "credit_cents",
                        "funder_share_cents", "funder_id", "facts_commitment"))
_new_line = object.__new__


def _plain_line(item: Any, path: str) -> _Line | None:
    """The plain line (``month_run.run_line``'s seven fields, all valid), read in one
    expression: what ``_Line`` reads from it; ``None`` for anything else (then ``_Line``
    reads it field by field, naming every problem). A month run has a line per household."""
    if type(item) is not dict or item.keys() != _LINE_KEYS:
        return None
    hh, status, share = item["household_id"], item["status"], item["funder_share_cents"]
    contribution, credit = item["contribution_cents"], item["credit_cents"]
    funder, commitment = item["funder_id"], item["facts_commitment"]
    if not (
        are_ids(hh) and type(share) is int and share >= 0
        and (commitment is None or (type(commitment) is str and commitment))
    ):
        return None
    if status == "assessed":
        if not (type(contribution) is int and contribution >= 0 and type(credit) is int
                and share <= credit):
            return None
    elif status in STATUSES:  # not assessed: no amounts
        if share or not (contribution is None or (type(contribution) is int and not contribution)
                         ) or not (credit is None or (type(credit) is int and not credit)):
            return None
        contribution = credit = 0
    else:
        return None
    if (funder is None and share) or (funder is not None and not are_ids(funder)):
        return None
    line: _Line = _new_line(_Line)
    line.path, line.household_id, line.assessed = path, hh, status == "assessed"
    line.contribution, line.credit, line.share, line.funder = contribution, credit, share, funder
    return line


def _lines(f: Fields) -> list[_Line]:
    """The run's ``households`` lines: each plain one read in one expression (``_plain_line``),
    all of them field by field as soon as one is not plain."""
    items = f.data.get("households")
    if type(items) is list:
        lines = [_plain_line(item, f"households[{index}]") for index, item in enumerate(items)]
        if None not in lines:
            f.seen.add("households")
            return lines  # type: ignore[return-value]  # no None: checked just above
    return [_Line(sub) for sub in f.objects("households")]


def _read_unspent(f: Fields) -> UnspentCreditPolicy:
    value = f.raw("unspent_credit")
    if value is None:  # missing: already reported by ``raw``; null: reported here
        f.require(not f.present("unspent_credit"), "unspent_credit", "expected {policy: ...}")
        return UnspentCreditPolicy()
    sub = Fields(value, "unspent_credit", f.problems)
    policy = sub.text("policy", UNSPENT_POLICIES)
    after = sub.data.get("after_months")
    cap = sub.data.get("cap_cents")
    sub.seen.update(("after_months", "cap_cents"))
    sub.check_unknown()
    if sub.problems:
        return UnspentCreditPolicy()
    if (after is not None and type(after) is not int) or (cap is not None and type(cap) is not int):
        sub.require(False, "policy", "after_months and cap_cents are whole numbers or null")
        return UnspentCreditPolicy()
    try:
        return UnspentCreditPolicy(policy, after_months=after, cap_cents=cap)
    except ValueError as error:
        sub.require(False, "policy", str(error))
        return UnspentCreditPolicy()


def _read_rationing(f: Fields) -> None:
    value = f.raw("rationing")
    if value is None:
        return
    sub = Fields(value, "rationing", f.problems)
    sub.cents("budget_cents", minimum=0)
    sub.cents("entitlement_total_cents", minimum=0)
    sub.check_unknown()


def run_month(view: BooksView, payload: Mapping[str, Any], seq: int) -> Effects:
    f = Fields(payload)
    period = f.period("period")
    f.text("rule_set_hash")
    chunk = f.integer("chunk")
    policy = _read_unspent(f)
    _read_rationing(f)
    lines = _lines(f)
    for index in range(1, len(lines)):
        if lines[index].household_id <= lines[index - 1].household_id:
            f.require(
                False,
                f"households[{index}].household_id",
                "households must be sorted by household_id, without repeats",
            )
            break
    f.done()
    month = open_month(view, period)
    registry: list[RegistryChange] = []
    if month.unspent is None:
        registry.append(SetMonth(month._replace(unspent=policy)))
    elif month.unspent != policy:
        raise Conflict(
            problem(
                "unspent_credit",
                "books.unspent_policy_differs",
                period=period,
                unspent=month.unspent,
            )
        )
    _refuse_households(view, lines, period)
    return _post(lines, period, policy, seq, chunk, registry)


def _refuse_households(view: BooksView, lines: list[_Line], period: Period) -> None:
    missing: list[Problem] = []
    conflicts: list[Problem] = []
    for line in lines:
        if not line.assessed:
            continue
        path = line.path + ".household_id"
        household = view.household(line.household_id)
        if household is None:
            missing.append(coded(path, "books.no_household", household_id=line.household_id))
        elif household.erased:
            conflicts.append(coded(path, "books.household_erased", household_id=line.household_id))
        elif household.from_period > period:
            conflicts.append(
                coded(path, "books.household_enrolled_from", from_period=household.from_period)
            )
        elif view.credited(line.household_id, period):
            conflicts.append(
                coded(
                    path,
                    "books.household_already_credited",
                    household_id=line.household_id,
                    period=period,
                )
            )
    if missing:
        raise NotFound(missing + conflicts)
    if conflicts:
        raise Conflict(conflicts)


class _Memos:
    """The month's memo strings, built once per chunk rather than once per household."""

    __slots__ = ("contribution", "credit", "expires", "period")

    def __init__(self, period: Period, expires: Period | None) -> None:
        self.period = period
        self.expires = expires
        self.contribution = f"contribution {period}"
        self.credit = f"credit {period}"


def _post_line(line: _Line, memos: _Memos, builder: EntryBuilder, lots: list[LotChange]) -> None:
    hh, period = line.household_id, memos.period
    if line.contribution:
        builder.pair(
            period,
            "contribution",
            memos.contribution,
            acc.member_due(hh),
            acc.CONTRIBUTIONS,
            line.contribution,
        )
    if line.credit:
        postings = [(acc.AID_GRANTED, line.credit - line.share)]
        if line.share:
            postings.append((acc.top_up_receivable(line.funder or ""), line.share))
        postings.append((acc.member_credit(hh), -line.credit))
        entry = builder.add(period, "credit", memos.credit, postings)
        lots.append(LotChange("open", entry.entry_id, hh, line.credit, period, memos.expires))


# The account naming the household in each kind of entry a run line posts (``_post_line``).
_LINE_ACCOUNT = {"contribution": acc.MEMBER_DUE, "credit": acc.MEMBER_CREDIT}


def _party(entry: Entry, code: str) -> str | None:
    for account, _ in entry.postings:
        if acc.code_of(account) == code:
            return acc.party_of(account)
    return None


def run_line(view: BooksView, entry: Entry) -> tuple[str, tuple[Entry, ...]] | None:
    """For an entry a month run posted (``contribution`` or ``credit``): the household whose
    line posted it and every entry that line posted, ``entry`` first. ``None`` for any other
    entry. ``_post_line`` posts a line's contribution entry, then its credit entry right after
    it (either is absent when its amount is 0), so the other one, if any, is the neighbour of
    the same seq whose kind is the other kind and whose member account is the same household's.
    """
    code = _LINE_ACCOUNT.get(entry.kind)
    hh = None if code is None else _party(entry, code)
    if hh is None:
        return None
    seq, _, index = entry.entry_id.partition(".")
    other_kind = "contribution" if entry.kind == "credit" else "credit"
    other_index = int(index) + (-1 if entry.kind == "credit" else 1)
    other = view.entry(f"{seq}.{other_index}") if other_index >= 0 else None
    if (
        other is not None
        and other.kind == other_kind
        and _party(other, _LINE_ACCOUNT[other_kind]) == hh
    ):
        return hh, (entry, other)
    return hh, (entry,)


def _post(
    lines: list[_Line],
    period: Period,
    policy: UnspentCreditPolicy,
    seq: int,
    chunk: int,
    registry: list[RegistryChange],
) -> Effects:
    builder = EntryBuilder(seq)
    lots: list[LotChange] = []
    memos = _Memos(period, lot_expiry(policy, period))
    assessed = [line for line in lines if line.assessed]
    for line in assessed:
        _post_line(line, memos, builder, lots)
        registry.append(MarkCredited(line.household_id, period))
    result = {
        "period": str(period),
        "chunk": chunk,
        "credited": len(assessed),
        "skipped": [line.household_id for line in lines if not line.assessed],
        "contribution_cents": sum(line.contribution for line in assessed),
        "credit_cents": sum(line.credit for line in assessed),
        "funder_share_cents": sum(line.share for line in assessed),
        "entries": len(builder.entries),
    }
    return Effects(tuple(builder.entries), tuple(lots), tuple(registry), result)


def _expire_household(
    view: BooksView, hh: str, period: Period, cap: int | None, changes: list[LotChange]
) -> int:
    """Expire the household's lots past ``period``, then its balance above ``cap``."""
    total = 0
    for lot, part in expiring_parts(view.lots(hh), period, cap):
        changes.append(LotChange("expire", lot.lot_id, hh, part))
        total += part
    return total


def expire_credit(view: BooksView, payload: Mapping[str, Any], seq: int) -> Effects:
    """Expire, for each household considered, lots past their last month, then (under
    ``carry_over_cap``) the part of the remaining balance above the cap, oldest lots first."""
    f = Fields(payload)
    period = f.period("period")
    household_ids = f.strings("household_ids")
    f.require(len(set(household_ids)) == len(household_ids), "household_ids", "has repeats")
    f.done()
    month = open_month(view, period)
    cap = month.unspent.cap_cents if month.unspent is not None else None
    builder = EntryBuilder(seq)
    changes: list[LotChange] = []
    memo = f"unspent credit expired {period}"
    for index, hh in enumerate(household_ids):
        known_household(view, hh, f"household_ids[{index}]")
        total = _expire_household(view, hh, period, cap, changes)
        if total:
            builder.pair(period, "expiry", memo, acc.member_credit(hh), acc.EXPIRED, total)
    expired = sum(entry.postings[0].amount_cents for entry in builder.entries)
    result = {"period": str(period), "expired_cents": expired, "entries": len(builder.entries)}
    return Effects(tuple(builder.entries), tuple(changes), (), result)
