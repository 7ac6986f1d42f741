"""The shell's catalogue of English-written texts (app.i18n.from_english, memo_text,
account_text): exact entries, entries with placeholders, values translated inside them,
and what is left as it is."""

from __future__ import annotations

from app.i18n import account_text, from_english, memo_text


def test_exact_and_patterned_entries() -> None:
    assert from_english("fr", "Not enough credit") == "Crédit insuffisant"
    assert from_english("fr", "3 problems were found.") == "3 problèmes ont été trouvés."
    assert from_english("fr", "No household 'hh_x' was found.") == "Introuvable : foyer 'hh_x'."


def test_english_is_the_text_itself() -> None:
    assert from_english("en", "Not enough credit") == "Not enough credit"


def test_a_sentence_around_an_untranslated_message_stays_whole() -> None:
    assert from_english("fr", "Input should be a valid integer (got 'x')") == (
        "La valeur doit être un nombre entier (reçu 'x')"
    )
    # No half-French sentence: the message inside has no entry, so nothing is translated.
    assert from_english("fr", "Something odd (got 'x')") == "Something odd (got 'x')"


def test_ledger_lines_in_words() -> None:
    assert memo_text("purchase", "purchase p_1 grocery", "fr") == "achat p_1 (grocery)"
    assert memo_text("payment", "transfer VIR-1", "fr") == "paiement (virement) VIR-1"
    assert memo_text("refund", "refund r_1 of p_1", "fr") == "remboursement r_1 de l'achat p_1"
    assert memo_text("expiry", "unspent credit expired 2027-03", "fr") == (
        "crédit non dépensé expiré en 2027-03"
    )
    assert memo_text("reversal", "anything else", "fr") == "anything else"
    assert memo_text("credit", "credit 2027-01", "en") == "credit 2027-01"
    assert account_text("419:hh_1", "fr") == "crédit alimentaire"
    assert account_text("411:hh_1", "en") == "contribution due"
    assert account_text("512", "fr") == "512"


def test_the_most_specific_entry_wins_and_values_are_translated_inside() -> None:
    # "{message} (got {value})" around pydantic's constraint, itself a patterned entry.
    assert from_english("fr", "Input should be greater than 5 (got 0)") == (
        "La valeur doit être supérieure à 5 (reçu 0)"
    )
    assert from_english("fr", "String should have at least 8 characters (got 'k')") == (
        "Le texte doit compter au moins 8 caractères (reçu 'k')"
    )
    assert from_english("fr", "No rule_set 'v9' was found.") == "Introuvable : jeu de règles 'v9'."
    assert from_english("fr", "the household has 2 person(s); at least 3 required") == (
        "le foyer compte 2 personne(s) ; au moins 3 requises"
    )


def test_books_refusals_speak_by_their_codes() -> None:
    from app.engine.books.errors import problem

    (closed,) = problem("period", "books.month_not_open", period="2027-03", status="sealed")
    assert closed.message == "month 2027-03 is sealed; book it in an open month"
    assert closed.text("en") == closed.message
    assert closed.text("fr") == (
        "le mois 2027-03 est scellé : enregistrez l'opération dans un mois ouvert"
    )
    (short,) = problem(
        "amount_cents", "books.insufficient_credit", available="31,40", requested="45,00"
    )
    assert short.message == "credit available 31,40 €, requested 45,00 €"
    assert short.text("fr") == "crédit disponible 31,40 €, demandé 45,00 €"
