"""Contribution formula kinds (registered into the CONTRIBUTION_KINDS registry)."""
