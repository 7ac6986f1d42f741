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
