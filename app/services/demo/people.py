"""The people of the demo fund: households, merchants and funders, drawn from a seeded RNG.

Everything here is made up but plausible for a French food fund (caisse alimentaire):
household sizes close to INSEE's distribution, net monthly incomes from the RSA to a
comfortable wage (integers in cents, never floats), a few members who give time to the
fund (engagement), one in fifty whose income is not yet known (an explicit "needs data"
outcome, never a zero). The same seed always gives the same people. The RNG lives here, in
the shell: the engine never sees it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from app.services.households import Facts, Identity

# Household sizes 1..6 and their weights (INSEE: a third of households live alone).
SIZES = (1, 2, 3, 4, 5, 6)
SIZE_WEIGHTS = (35, 30, 15, 12, 5, 3)

FIRST_NAMES = [
    "Awa",
    "Nadia",
    "Camille",
    "Lucas",
    "Inès",
    "Mohamed",
    "Julie",
    "Karim",
    "Léa",
    "Thomas",
    "Fatou",
    "Hugo",
    "Yasmine",
    "Louis",
    "Sarah",
    "Mamadou",
    "Chloé",
    "Nicolas",
    "Amina",
    "Pierre",
    "Manon",
    "Rachid",
    "Emma",
    "Jean",
    "Aïcha",
    "Paul",
    "Zoé",
    "Samir",
    "Lina",
    "Antoine",
]
LAST_NAMES = [
    "Diallo",
    "Martin",
    "Bernard",
    "Haddad",
    "Petit",
    "Nguyen",
    "Moreau",
    "Traoré",
    "Laurent",
    "Benali",
    "Garcia",
    "Roux",
    "Fontaine",
    "Mercier",
    "Chevalier",
    "Diop",
    "Lefèvre",
    "Girard",
    "Bonnet",
    "Lambert",
    "Kone",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guerin",
    "Muller",
    "Henry",
    "Perrin",
    "Morel",
    "Robin",
]
STREETS = (
    "rue des Lilas",
    "avenue Jean Jaurès",
    "rue de la République",
    "place du Marché",
    "rue Victor Hugo",
    "allée des Tilleuls",
    "boulevard Gambetta",
    "rue Pasteur",
)


@dataclass(frozen=True, slots=True)
class DemoHousehold:
    household_id: str
    identity: Identity
    facts: Facts
    consent_code: str


@dataclass(frozen=True, slots=True)
class DemoMerchant:
    merchant_id: str
    name: str
    # Category -> share of the price paid from the member's credit (exact decimal string).
    categories: dict[str, str]
    # Share of the fund's purchases made at this merchant (a weight, not a rate).
    weight: int


MERCHANTS = (
    DemoMerchant(
        "m_epicerie_nord",
        "Épicerie solidaire du Nord",
        {"fresh": "1", "grocery": "1", "hygiene": "0.5"},
        30,
    ),
    DemoMerchant("m_marche_bio", "Marché bio des Halles", {"fresh": "1", "dairy": "1"}, 20),
    DemoMerchant("m_boulangerie", "Boulangerie du Pont", {"bakery": "1"}, 15),
    DemoMerchant(
        "m_coop_paysanne",
        "Coopérative paysanne",
        {"fresh": "1", "dairy": "1", "meat": "1"},
        15,
    ),
    DemoMerchant(
        "m_supermarche",
        "Supermarché de quartier",
        {"fresh": "1", "grocery": "0.5", "hygiene": "0.5"},
        20,
    ),
)


@dataclass(frozen=True, slots=True)
class Funder:
    funder_id: str
    name: str
    kind: str  # subsidy | donation
    monthly_cents: int  # per 100 households (scaled to the fund's size)


FUNDERS = (
    Funder("ville", "Ville (subvention de fonctionnement)", "subsidy", 1_700_000),
    Funder("fondation_solidarite", "Fondation Solidarité Alimentaire", "donation", 450_000),
)


def _birth(rng: random.Random, youngest: int, oldest: int, year: int) -> date:
    age = rng.randint(youngest, oldest)
    return date(year - age, rng.randint(1, 12), rng.randint(1, 28))


def persons(rng: random.Random, size: int, year: int) -> tuple[date, ...]:
    """Birth dates: one or two adults, the others children (under 14) or teenagers."""
    adults = 1 if size == 1 else (2 if rng.random() < 0.7 else 1)
    born = [_birth(rng, 20, 80 if size == 1 else 60, year) for _ in range(adults)]
    for _ in range(size - adults):
        born.append(_birth(rng, 0, 13, year) if rng.random() < 0.75 else _birth(rng, 14, 19, year))
    return tuple(born)


def income_cents(rng: random.Random, adults: int) -> int:
    """Net monthly income in cents: minimum benefits, modest wages or comfortable ones."""
    band = rng.choices(("rsa", "modest", "comfortable"), weights=(35, 45, 20))[0]
    low, high = {
        "rsa": (55_000, 95_000),
        "modest": (95_000, 200_000),
        "comfortable": (200_000, 420_000),
    }[band]
    # Whole euros: incomes are declared in euros.
    per_adult = rng.randint(low // 100, high // 100) * 100
    second = rng.randint(0, high // 100) * 100 if adults > 1 else 0
    return per_adult + second


def household(rng: random.Random, index: int, year: int) -> DemoHousehold:
    household_id = f"hh_{index:04d}"
    size = rng.choices(SIZES, weights=SIZE_WEIGHTS)[0]
    born = persons(rng, size, year)
    adults = sum(1 for b in born if year - b.year >= 20)
    known = rng.random() >= 0.02  # one in fifty: income not yet provided
    engaged = rng.random() < 0.3
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    identity = Identity(
        full_name=f"{first} {last}",
        email=f"{household_id}@demo.caisse.example",
        phone=f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
        f"{rng.randint(10, 99)}",
        address=f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
    )
    facts = Facts(
        income_cents=income_cents(rng, max(1, adults)) if known else None,
        persons=born,
        engagement_minutes=rng.choice((60, 120, 180, 240)) if engaged else 0,
    )
    return DemoHousehold(household_id, identity, facts, f"{rng.randint(0, 9999):04d}")


def households(rng: random.Random, count: int, year: int) -> list[DemoHousehold]:
    return [household(rng, index, year) for index in range(1, count + 1)]
