"""caisse db layer."""
