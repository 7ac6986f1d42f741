"""S — Savoie (CAF + MSA): eligibility filter; member share 30-60 €; funder tops up to 90 €."""

from __future__ import annotations

import pytest

from app.engine import Person, Status, assess
from app.engine.fund import assess_fund
from tests.scenarios.helpers import ADULT, CHILD, PERIOD, TEEN, household, rules, run

FAMILY_2_CHILDREN = (ADULT, ADULT, TEEN, CHILD)  # 3 CAF parts
FAMILY_1_CHILD = (ADULT, CHILD)  # 2.5 CAF parts


@pytest.mark.parametrize(
    ("income_cents", "member_cents", "funder_cents"),
    [
        (120000, 3000, 6000),  # QF 400 € -> floor of 30 €
        (150000, 3000, 6000),  # QF 500 € -> first anchor
        (240000, 4500, 4500),  # QF 800 € -> halfway
        (330000, 6000, 3000),  # QF 1 100 € -> second anchor
        (360000, 6000, 3000),  # QF 1 200 € -> cap of 60 €
    ],
)
def test_member_share_plus_funder_share_is_a_90_euro_credit(
    income_cents: int, member_cents: int, funder_cents: int
) -> None:
    facts = household(
        persons=FAMILY_2_CHILDREN, income_cents=income_cents, attributes={"scheme": "caf"}
    )
    result = run("savoie", facts)
    assert result.status is Status.ASSESSED
    assert result.contribution_cents == member_cents
    assert result.funder_share_cents == funder_cents
    assert result.credit_cents == 9000
    assert result.funder_id == "caf-msa-savoie"


def test_msa_family_with_one_child_is_eligible() -> None:
    facts = household(persons=FAMILY_1_CHILD, income_cents=100000, attributes={"scheme": "msa"})
    result = run("savoie", facts)
    assert (result.status, result.contribution_cents, result.credit_cents) == (
        Status.ASSESSED,
        3000,
        9000,
    )


@pytest.mark.parametrize(
    ("scheme", "persons"),
    [
        ("caf", FAMILY_1_CHILD),
        ("caf", (ADULT, ADULT)),
        ("msa", (ADULT,)),
        ("autre", FAMILY_2_CHILDREN),
    ],
)
def test_ineligible_household_gets_not_eligible_never_a_zero(
    scheme: str, persons: tuple[Person, ...]
) -> None:
    facts = household(persons=persons, income_cents=100000, attributes={"scheme": scheme})
    result = run("savoie", facts)
    assert result.status is Status.NOT_ELIGIBLE
    assert result.contribution_cents is None and result.credit_cents is None
    assert result.funder_share_cents == 0
    assert result.problems


def test_480_families_are_credited_43200_euros_a_month_518400_a_year() -> None:
    savoie = rules("savoie")
    incomes = [120000, 240000, 360000]
    results = [
        assess(
            savoie,
            household(
                f"s{index:03d}",
                FAMILY_2_CHILDREN,
                income_cents=incomes[index % 3],
                attributes={"scheme": "caf"},
            ),
            PERIOD,
        )
        for index in range(480)
    ]
    credits_cents = sum(r.credit_cents or 0 for r in results)
    members_cents = sum(r.contribution_cents or 0 for r in results)
    funders_cents = sum(r.funder_share_cents for r in results)
    assert credits_cents == 4_320_000
    assert 12 * credits_cents == 51_840_000
    assert members_cents == 160 * (3000 + 4500 + 6000) == 2_160_000
    assert funders_cents == credits_cents - members_cents == 2_160_000


def test_fund_month_books_funder_shares_apart_from_the_funds_own_pot() -> None:
    incomes = [120000, 240000, 360000]
    families = [
        household(
            f"s{index:03d}",
            FAMILY_2_CHILDREN,
            income_cents=incomes[index % 3],
            attributes={"scheme": "caf"},
        )
        for index in range(480)
    ]
    totals = assess_fund(rules("savoie"), families, PERIOD, explain=False).totals
    assert totals.credits_cents == 4_320_000
    assert totals.funder_shares_cents == 2_160_000
    assert totals.contributions_cents == 2_160_000
    assert totals.shortfall_cents == 0
