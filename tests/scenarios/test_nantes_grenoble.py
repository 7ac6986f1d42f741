"""N — Nantes (100 € + 50 €/extra member, no cap) and Grenoble (same, capped at 3 persons:
100 € for one person, 150 € for two, 200 € from three, as published for the DALLE; see the
source in app/rulesets/grenoble.yaml)."""

from __future__ import annotations

import pytest

from app.engine import Status
from tests.scenarios.helpers import adults, household, run


@pytest.mark.parametrize(
    ("persons", "credit_cents"), [(1, 10000), (2, 15000), (4, 25000), (6, 35000), (9, 50000)]
)
def test_nantes_credit_has_no_cap(persons: int, credit_cents: int) -> None:
    result = run("nantes", household(persons=adults(persons), chosen_contribution_cents=1000))
    assert result.status is Status.ASSESSED
    assert result.credit_cents == credit_cents


@pytest.mark.parametrize(
    ("persons", "credit_cents"), [(1, 10000), (2, 15000), (3, 20000), (4, 20000), (6, 20000)]
)
def test_grenoble_credit_counts_at_most_three_persons(persons: int, credit_cents: int) -> None:
    result = run("grenoble", household(persons=adults(persons), chosen_contribution_cents=1000))
    assert result.status is Status.ASSESSED
    assert result.credit_cents == credit_cents
