"""caisse services layer."""
