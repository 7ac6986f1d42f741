"""caisse audit layer."""
