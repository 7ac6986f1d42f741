"""caisse ledger layer."""
