"""caisse api layer."""
