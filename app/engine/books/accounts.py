"""Account codes of the fund (French association chart, ANC 2018-06).

An account is a string: a bare code (``"512"``) or ``"CODE:party_id"`` for a per-party
account. Party ids never contain ``":"`` (``commands`` refuses them), so ``code_of`` is exact.
"""

from __future__ import annotations

BANK = "512"
CASH = "530"
MEMBER_DUE = "411"  # member owes its contribution (debit)
MEMBER_CREDIT = "419"  # food credit owed to the member (credit; a liability)
MERCHANT = "401"  # owed to a merchant (credit)
TOP_UP_RECEIVABLE = "4687"  # third-party top-ups receivable from a funder (debit)
SUBSIDY_RECEIVABLE = "441"  # subsidies receivable (debit)
DEDICATED = "194"  # dedicated (earmarked) funds not yet used (credit)
CONTRIBUTIONS = "756"  # member contributions (credit)
SUBSIDIES = "74"  # operating subsidies (credit)
DONATIONS = "754"  # donations (credit)
AID_GRANTED = "6571"  # food aid granted to members (debit)
EXPIRED = "7588"  # unspent credit expired back to the fund (credit)

PER_PARTY = frozenset(
    {
        MEMBER_DUE,
        MEMBER_CREDIT,
        MERCHANT,
        TOP_UP_RECEIVABLE,
        SUBSIDY_RECEIVABLE,
        DEDICATED,
        SUBSIDIES,
        DONATIONS,
    }
)
PLAIN = frozenset({BANK, CASH, CONTRIBUTIONS, AID_GRANTED, EXPIRED})

# Backing invariant: what the fund owes in credit and payables must be covered by these.
BACKING_ASSETS = (BANK, CASH, MEMBER_DUE, TOP_UP_RECEIVABLE, SUBSIDY_RECEIVABLE)
BACKED_LIABILITIES = (MEMBER_CREDIT, MERCHANT)


def code_of(account: str) -> str:
    """The chart code of an account: ``"419:hh_1" -> "419"``."""
    index = account.find(":")
    return account if index < 0 else account[:index]


def party_of(account: str) -> str | None:
    """The party of a per-party account, ``None`` for a bare code."""
    index = account.find(":")
    return None if index < 0 else account[index + 1 :]


def is_known(account: str) -> bool:
    """True when the account follows the chart (right code, party present exactly when due)."""
    code = code_of(account)
    if code in PLAIN:
        return code == account
    return code in PER_PARTY and bool(party_of(account))


def member_due(household_id: str) -> str:
    return "411:" + household_id


def member_credit(household_id: str) -> str:
    return "419:" + household_id


def merchant_payable(merchant_id: str) -> str:
    return "401:" + merchant_id


def top_up_receivable(funder_id: str) -> str:
    return "4687:" + funder_id


def subsidy_receivable(funder_id: str) -> str:
    return "441:" + funder_id


def dedicated_fund(funder_id: str) -> str:
    return "194:" + funder_id


def subsidies(funder_id: str) -> str:
    return "74:" + funder_id


def donations(funder_id: str) -> str:
    return "754:" + funder_id
