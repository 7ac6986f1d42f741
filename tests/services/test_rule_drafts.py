"""Rule documents as the committee writes them (app.services.rules.text, .rule_drafts) and
what the committee decides (app.services.rules.committee, .committee_merchants)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db.session import read_only, unit_of_work
from app.services import committee_merchants, views
from app.services import errors as svc
from app.services.months import close_month
from app.services.rules import committee as committee_rules
from app.services.rules import drafts as rule_drafts
from app.services.rules import rulesets
from app.services.rules.text import canonical_yaml, read_text
from tests.services.helpers import PERIOD, RULES, small_fund, w

YAML = """# credit relevé
format: caisse.rules/1
id: testfund
version: 2
effective_from: "2026-12"
decision: Comité du 2025-12-01, délibération 7
contribution:
  formula: {kind: proportional, base: income, rate: 0.025}
credit:
  formula:
    kind: base_plus_extra
    base_cents: 11000
    per_extra_person_cents: 5000
unspent_credit: {policy: expire, after_months: 2}
"""


def test_yaml_keys_are_found_at_their_line_and_decimals_stay_text() -> None:
    read = read_text(YAML)
    assert read.form == "yaml" and read.problem is None
    assert read.document is not None
    assert read.document["contribution"]["formula"]["rate"] == "0.025"  # never a float
    assert read.line_of("credit.formula.base_cents") == 12
    assert read.line_of("credit.formula.max_persons") == 10  # missing: its section's line
    assert read.line_of("nowhere") == 1


def test_json_keys_are_found_at_their_line() -> None:
    text = json.dumps(RULES, indent=2)
    read = read_text(text)
    assert read.form == "json" and read.document == RULES
    lines = text.splitlines()
    assert '"base_cents": 10000' in lines[read.line_of("credit.formula.base_cents") - 1]
    assert '"kind": "proportional"' in lines[read.line_of("contribution.formula.kind") - 1]


@pytest.mark.parametrize(
    ("text", "kind", "line"),  # a deep one is found where it gets too deep: line 1
    [
        ("", "empty", 1),
        ("a: [1\nb: 2", "syntax", 2),
        ('{\n  "a": 1,,\n}', "syntax", 2),
        ("a: &x [1]\nb: *x\n", "alias", 1),
        ("1: 2", "key", 1),
        ("- 1", "not_object", 1),
        ("a:" + " [" * 100 + " ]" * 100, "deep", 1),
    ],
)
def test_unreadable_texts_are_refused_with_a_line(text: str, kind: str, line: int) -> None:
    problem = read_text(text).problem
    assert problem is not None and (problem.kind, problem.line) == (kind, line)


def test_each_engine_problem_is_located_and_classified() -> None:
    text = YAML.replace("base_cents: 11000", "base_cents: cent").replace('"2026-12"', "décembre")
    checked = rule_drafts.check_text(text)
    assert not checked.ok
    found = [(p.line, p.path, p.kind, dict(p.values)) for p in checked.problems]
    assert found == [
        (5, "effective_from", "month", {"got": "décembre"}),
        (12, "credit.formula.base_cents", "coded", {}),
    ]
    # A problem with a message code is said by it, in each language (the API's words).
    month, cents = checked.problems
    assert month.text("fr") is None
    assert cents.text("fr") == (
        "attendu un nombre entier de centimes (par exemple 1250 pour 12,50 €), reçu 'cent'"
    )
    assert cents.text("en") == (
        "expected a whole number of cents (e.g. 1250 for 12,50 €), got 'cent'"
    )


def test_a_valid_document_has_its_property_findings() -> None:
    checked = rule_drafts.check_text(YAML)
    assert checked.ok and checked.rules is not None
    assert checked.rules.version == 2
    assert not [f for f in checked.findings if f.severity.value == "error"]


def test_the_canonical_yaml_reads_back_to_the_same_document() -> None:
    assert read_text(canonical_yaml(RULES)).document == RULES


def test_a_draft_is_saved_only_when_valid(engine: Engine) -> None:
    small_fund(engine)
    with unit_of_work(engine) as session:
        assert not rule_drafts.save_draft(session, YAML.replace("11000", "-1")).ok
    with read_only(engine) as session:
        assert [v["version"] for v in rulesets_versions(session)] == [1]
    with unit_of_work(engine) as session:
        assert rule_drafts.save_draft(session, YAML).ok
    with read_only(engine) as session:
        assert [(v["version"], v["status"]) for v in rulesets_versions(session)] == [
            (1, "adopted"),
            (2, "draft"),
        ]


def rulesets_versions(session: Session) -> list[dict[str, object]]:
    return views.rule_versions(session, "testfund")


def test_the_impact_of_a_credit_change_is_counted_per_household(engine: Engine) -> None:
    # hh_a: 1 person, 2 000 € (owes 50 €), hh_b: 3 persons, 800 € (owes 20 €); credit base
    # 100 € -> 110 €: +10,00 € each; net cost 300 − 70 = 230 € -> 320 − 70 = 250 €.
    small_fund(engine)
    with unit_of_work(engine) as session:
        rule_drafts.save_draft(session, YAML)
    with read_only(engine) as session:
        view = committee_rules.version_view(session, "testfund", 2, date(2026, 11, 26))
    report = view["report"]
    assert report.current.credits_cents == 10_000 + 20_000
    assert report.proposed.credits_cents == 11_000 + 21_000
    assert view["cost"] == {"before_cents": 23_000, "after_cents": 25_000, "change_cents": 2_000}
    assert [(c.household_id, c.net_delta_cents) for c in view["biggest"]] == [
        ("hh_a", 1_000),
        ("hh_b", 1_000),
    ]
    assert "-    base_cents: 10000" in view["diff"] and "+    base_cents: 11000" in view["diff"]
    assert view["adoptable"] is True
    assert view["decisions"] == ["Comité du 2025-12-01, délibération 7"]


def test_adoption_needs_the_documents_decision_and_an_open_month(engine: Engine) -> None:
    small_fund(engine)
    with unit_of_work(engine) as session:
        rule_drafts.save_draft(session, YAML.replace('"2026-12"', f'"{PERIOD}"'))
    with pytest.raises(svc.InvalidRequest), unit_of_work(engine) as session:
        committee_rules.adopt_version(session, "testfund", 2, "Une autre décision", **w())
    close_month(engine, PERIOD, **w())
    with pytest.raises(svc.MonthClosed), unit_of_work(engine) as session:
        decision = str(RULES["decision"])
        committee_rules.adopt_version(session, "testfund", 2, decision, **w())
    with read_only(engine) as session:
        assert rulesets_versions(session)[1]["status"] == rulesets.DRAFT


def test_adopting_twice_with_one_key_adopts_once(engine: Engine) -> None:
    small_fund(engine)
    with unit_of_work(engine) as session:
        rule_drafts.save_draft(session, YAML)
    once = w()
    decision = str(RULES["decision"])
    for _ in range(2):
        with unit_of_work(engine) as session:
            result = committee_rules.adopt_version(session, "testfund", 2, decision, **once)
    assert result["version"] == 2
    with pytest.raises(svc.Conflict), unit_of_work(engine) as session:
        committee_rules.adopt_version(session, "testfund", 2, decision, **w())


@pytest.mark.parametrize(
    ("typed", "rate"),
    [
        ("100 %", "1"),
        ("50", "0.5"),
        ("12,5 %", "0.125"),
        ("0,01", "0.0001"),
        ("150", None),
        ("0", None),
        ("abc", None),
        ("", None),
    ],
)
def test_a_typed_percentage_is_an_exact_rate(typed: str, rate: str | None) -> None:
    assert committee_merchants.rate_of(typed) == rate


def test_a_new_merchant_is_approved_by_its_name(engine: Engine) -> None:
    small_fund(engine)
    form = committee_merchants.Approval("", "Épicerie du Marché", {"food": "100 %"}, "01/12/2026")
    with unit_of_work(engine) as session:
        committee_merchants.approve(session, form, **w())
    with read_only(engine) as session:
        found = committee_merchants.merchant_list(session, date(2026, 12, 2))
    row = next(m for m in found if m.merchant_id == "m_epicerie-du-marche")
    assert (row.name, row.rates, row.valid_from, row.state) == (
        "Épicerie du Marché",
        (("food", "100"),),
        "2026-12-01",
        "active",
    )
    bad = committee_merchants.Approval("", "", {"food": "150"}, "32/13/2026")
    with pytest.raises(svc.InvalidRequest) as refused, unit_of_work(engine) as session:
        committee_merchants.approve(session, bad, **w())
    assert [(p.path, p.message) for p in refused.value.problems] == [
        ("nom", "required"),
        ("taux-food", "rate"),
        ("debut", "date"),
    ]


def test_an_adopted_version_is_never_drafted_again(engine: Engine) -> None:
    small_fund(engine)
    with unit_of_work(engine) as session:
        checked = rule_drafts.save_draft(session, YAML.replace("version: 2", "version: 1"))
    assert [(p.line, p.path, p.kind) for p in checked.problems] == [(4, "version", "adopted")]
    with read_only(engine) as session:
        assert [v["status"] for v in rulesets_versions(session)] == ["adopted"]
