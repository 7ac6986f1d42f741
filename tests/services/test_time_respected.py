"""The past is fixed: no rule set takes effect in a month already closed or sealed (409
naming the month), and a statement is explained with the rules and facts its run used,
never with those in force today."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.services import errors as svc
from app.services import views
from app.services.households import Facts, change_facts
from app.services.merchants import purchase
from app.services.months import close_month, expire_credit, run_month
from app.services.rules.rulesets import adopt_rule_set, draft_rule_set
from app.services.seal import seal_month
from tests.services.helpers import CODE, PERIOD, RULES, small_fund, w


def _version(version: int, effective_from: str, rate: str) -> dict[str, object]:
    contribution = {"formula": {"kind": "proportional", "base": "income", "rate": rate}}
    return {
        **RULES,
        "version": version,
        "effective_from": effective_from,
        "contribution": contribution,
    }


def _closed(engine: Engine, *, sealed: bool = False) -> None:
    small_fund(engine)
    expire_credit(engine, PERIOD, **w())
    close_month(engine, PERIOD, **w())
    if sealed:
        seal_month(engine, PERIOD, **w())


@pytest.mark.parametrize("sealed", [False, True])
def test_a_rule_set_cannot_take_effect_in_a_closed_or_sealed_month(
    engine: Engine, sealed: bool
) -> None:
    _closed(engine, sealed=sealed)
    status = "sealed" if sealed else "closed"
    draft_rule_set(engine, _version(2, PERIOD, "0.05"))
    with pytest.raises(svc.MonthClosed) as refused:
        adopt_rule_set(engine, "testfund", 2, **w())
    (problem,) = refused.value.problems
    assert (problem.path, problem.message) == (
        "effective_from",
        f"month {PERIOD} is {status}: a rule set effective from {PERIOD} would take effect in it",
    )


def test_nor_from_an_earlier_month_across_a_closed_one(engine: Engine) -> None:
    _closed(engine)
    draft_rule_set(engine, _version(2, "2026-06", "0.05"))
    with pytest.raises(svc.MonthClosed, match="Month 2026-11 is closed"):
        adopt_rule_set(engine, "testfund", 2, **w())


def test_the_next_open_month_is_fine(engine: Engine) -> None:
    _closed(engine, sealed=True)
    draft_rule_set(engine, _version(2, "2026-12", "0.05"))
    assert adopt_rule_set(engine, "testfund", 2, **w())["version"] == 2


def test_a_statement_is_explained_with_the_rules_and_facts_its_run_used(engine: Engine) -> None:
    small_fund(engine)  # 2026-11 run: hh_a earns 200 000 cents -> 2.5 % -> 5 000
    # Later, for later months: new facts from 2026-11 on and rules from 2026-12.
    change_facts(
        engine, "hh_a", PERIOD, Facts(income_cents=400_000, persons=(date(1980, 5, 17),)), **w()
    )
    draft_rule_set(engine, _version(2, "2026-12", "0.05"))
    adopt_rule_set(engine, "testfund", 2, **w())
    with Session(engine) as session:
        found = views.member_statement(session, "hh_a", PERIOD)
    assert found is not None
    assert (found.contribution_cents, found.rule_set_version, found.explained) == (5_000, 1, True)
    assert ("income_cents", 200_000) in [(name, value) for name, value in found.inputs]
    api = views.statement(engine, "hh_a", PERIOD)
    assert api["contribution_cents"] == 5_000
    explained = api["explanation"]["fr"]
    assert "Votre revenu mensuel : 2000,00 € ; participation de 2,5 % de ce montant : 50,00 €." in (
        explained
    )
    assert "4000,00" not in explained and "version 1" in explained


def test_a_purchase_never_spends_credit_granted_after_its_date(engine: Engine) -> None:
    small_fund(engine)  # hh_a: 10 000 cents of credit for 2026-11
    run_month(engine, "2026-12", **w())  # another 10 000, granted for 2026-12
    with pytest.raises(svc.InsufficientCredit) as short:
        purchase(engine, "late", "hh_a", "shop", "food", 15_000, date(2026, 11, 28), CODE, **w())
    assert short.value.problems[0].message == ("credit available 100,00 €, requested 150,00 €")
    paid = purchase(engine, "dec", "hh_a", "shop", "food", 15_000, date(2026, 12, 2), CODE, **w())
    assert (paid["credit_cents"], paid["available_cents"]) == (15_000, 5_000)
