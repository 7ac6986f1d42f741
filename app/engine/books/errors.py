"""Errors of the books core. Each subclass is one kind of refusal the service maps to HTTP.

No HTTP codes here. Every error carries ``problems`` (path + message) like every engine error.
A refusal a person can act on is made by ``problem(path, code, **params)``: its message code
has French and English templates (below, ``BOOKS_MESSAGES``) and the shell shows
``problem.text(lang)``; the English text stays the problem's ``message`` (logs, the journal's
tooling, tests). Checks of the payload's shape and of the core's own invariants speak English
and get their French from the shell's catalogue (app/locale/fr/api.po).
"""

from __future__ import annotations

from collections.abc import Sequence

from app.engine.problems import (
    EngineError,
    Problem,
    register_problem_messages,
    register_problem_words,
)
from app.engine.problems import problem as coded_problem

# Identifiers are letters, digits, '_', '.', '-' (commands.Fields.ident): quoting them in
# the template reads as their repr did.
BOOKS_MESSAGES: dict[str, dict[str, str]] = {
    "books.month_not_open": {
        "en": "month {period} is {status}; book it in an open month",
        "fr": "le mois {period} est {status} : enregistrez l'opération dans un mois ouvert",
    },
    "books.month_already": {
        "en": "month {period} is already {status}",
        "fr": "le mois {period} est déjà {status}",
    },
    "books.close_in_order": {
        "en": "cannot close {period}: the earlier month {earlier} is still open; "
        "close {earlier} first",
        "fr": "impossible de clore {period} : le mois précédent {earlier} est encore ouvert ; "
        "clôturez d'abord {earlier}",
    },
    "books.seal_closed_only": {
        "en": "month {period} is {status}; only a closed month is sealed",
        "fr": "le mois {period} est {status} ; seul un mois clos peut être scellé",
    },
    "books.no_household": {
        "en": "no household '{household_id}'",
        "fr": "aucun foyer '{household_id}'",
    },
    "books.household_erased_no_part": {
        "en": "household '{household_id}' was erased; it takes no part",
        "fr": "le foyer '{household_id}' a été effacé ; il ne participe plus",
    },
    "books.household_erased": {
        "en": "household '{household_id}' was erased",
        "fr": "le foyer '{household_id}' a été effacé",
    },
    "books.household_already_erased": {
        "en": "household '{household_id}' is already erased",
        "fr": "le foyer '{household_id}' est déjà effacé",
    },
    "books.household_already_enrolled": {
        "en": "household '{household_id}' is already enrolled",
        "fr": "le foyer '{household_id}' est déjà inscrit",
    },
    "books.household_enrolled_from": {
        "en": "household is enrolled from {from_period}",
        "fr": "le foyer est inscrit à partir de {from_period}",
    },
    "books.household_already_credited": {
        "en": "household '{household_id}' is already credited for {period}",
        "fr": "le foyer '{household_id}' a déjà été crédité pour {period}",
    },
    "books.no_merchant": {
        "en": "no merchant '{merchant_id}'",
        "fr": "aucun commerçant '{merchant_id}'",
    },
    "books.merchant_not_approved_on": {
        "en": "merchant '{merchant_id}' is not approved on {on}",
        "fr": "le commerçant '{merchant_id}' n'est pas agréé le {on}",
    },
    "books.merchant_suspended": {
        "en": "merchant '{merchant_id}' is suspended since {suspended_from}",
        "fr": "le commerçant '{merchant_id}' est suspendu depuis le {suspended_from}",
    },
    "books.merchant_already_suspended": {
        "en": "merchant is already suspended from {suspended_from}",
        "fr": "le commerçant est déjà suspendu à partir du {suspended_from}",
    },
    "books.category_not_approved": {
        "en": "category '{category}' is not approved for this merchant",
        "fr": "la catégorie '{category}' n'est pas agréée pour ce commerçant",
    },
    "books.insufficient_credit": {
        "en": "credit available {available} €, requested {requested} €",
        "fr": "crédit disponible {available} €, demandé {requested} €",
    },
    "books.purchase_id_used": {
        "en": "purchase id '{purchase_id}' is already used",
        "fr": "la référence d'achat '{purchase_id}' est déjà utilisée",
    },
    "books.no_credit_drawn": {
        "en": "{amount} cents at rate {rate} draws no credit",
        "fr": "{amount} centimes au taux {rate} ne prennent aucun crédit",
    },
    "books.refund_recorded": {
        "en": "refund '{refund_id}' of this purchase is already recorded",
        "fr": "le remboursement '{refund_id}' de cet achat est déjà enregistré",
    },
    "books.refund_too_large": {
        "en": "at most {refundable} cents of this purchase's credit part can still be "
        "refunded, not {amount}",
        "fr": "au plus {refundable} centimes de la part crédit de cet achat peuvent encore "
        "être remboursés, pas {amount}",
    },
    "books.no_purchase": {
        "en": "no purchase '{purchase_id}'",
        "fr": "aucun achat '{purchase_id}'",
    },
    "books.no_entry": {
        "en": "no entry '{entry_id}'",
        "fr": "aucune écriture '{entry_id}'",
    },
    "books.already_reversed": {
        "en": "entry {entry_id} is already reversed by {already}",
        "fr": "l'écriture {entry_id} est déjà contre-passée par {already}",
    },
    "books.refund_not_reversal": {
        "en": "a {kind} is corrected by a refund, not a reversal",
        "fr": "un {kind} se corrige par un remboursement, pas par une contre-passation",
    },
    "books.correction_period": {
        "en": "a correction goes in {original} or later, not {period}",
        "fr": "une correction s'enregistre en {original} ou après, pas en {period}",
    },
    "books.reversal_restores_run": {
        "en": "reversing {entry_id} would restore the month run of '{household_id}' for "
        "{period}, already credited again by a later run",
        "fr": "contre-passer {entry_id} rétablirait le calcul de {period} du foyer "
        "'{household_id}', déjà crédité de nouveau par un calcul ultérieur",
    },
    "books.reversal_overdraws": {
        "en": "reversing would overdraw '{household_id}': credit available {available} €, "
        "to take back {taken} €",
        "fr": "contre-passer mettrait le crédit de '{household_id}' en négatif : crédit "
        "disponible {available} €, à reprendre {taken} €",
    },
    "books.unspent_policy_differs": {
        "en": "month {period} already runs with {unspent}",
        "fr": "le mois {period} est déjà calculé avec {unspent}",
    },
    "books.content_hash": {
        "en": "document hashes to {actual}, not {declared}",
        "fr": "l'empreinte du document est {actual}, pas {declared}",
    },
    "books.version_adopted": {
        "en": "rule set {rule_set_id} version {version} is already adopted",
        "fr": "le jeu de règles {rule_set_id} version {version} est déjà adopté",
    },
    "books.unknown_command": {
        "en": "unknown command kind '{kind}'",
        "fr": "type de commande inconnu '{kind}'",
    },
    "books.seq": {
        "en": "seq must be a whole number >= 1, got {seq}",
        "fr": "seq doit être un nombre entier >= 1, reçu {seq}",
    },
}
register_problem_messages(BOOKS_MESSAGES)
# A month's status as the books write it, in words.
register_problem_words(
    {
        "status": {
            "open": {"en": "open", "fr": "ouvert"},
            "closed": {"en": "closed", "fr": "clos"},
            "sealed": {"en": "sealed", "fr": "scellé"},
        },
        "kind": {
            "purchase": {"en": "purchase", "fr": "achat"},
            "refund": {"en": "refund", "fr": "remboursement"},
        },
    }
)


class BooksError(EngineError):
    """Base of every refusal of the books core."""


class InvalidCommand(BooksError):
    """The command's payload is malformed (wrong type, not integer cents, bad date...)."""


class NotFound(BooksError):
    """An unknown household, merchant, purchase or entry is referenced."""


class Conflict(BooksError):
    """The command contradicts the current state (month closed, already credited...)."""


class MonthNotOpen(Conflict):
    """The month is closed or sealed: it takes no entry (corrections go into a later month)."""


class MonthNotClosed(Conflict):
    """A month must be closed first: sealing an open month, or closing a month while an
    earlier month is still open (months close in order)."""


class MerchantUnavailable(Conflict):
    """The merchant is suspended, or the day is outside its approval dates."""


class AlreadyAdopted(Conflict):
    """This rule-set version (same content hash) is already adopted."""


class InsufficientCredit(BooksError):
    """Spending (or taking back) credit would overdraw a member's credit."""

    def __init__(
        self, problems: Sequence[Problem], available_cents: int, requested_cents: int
    ) -> None:
        super().__init__(problems)
        self.available_cents = available_cents
        self.requested_cents = requested_cents


class UnbalancedEntry(BooksError):
    """An entry the core built does not balance: a defect of the core, never of the input."""


def problem(path: str, code: str, **params: object) -> tuple[Problem, ...]:
    """A one-problem tuple with a message ``code`` (``BOOKS_MESSAGES``), the usual argument
    of a refusal."""
    return (coded_problem(path, code, **params),)
