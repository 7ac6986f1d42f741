"""Credit formula kinds (registered into the CREDIT_KINDS registry)."""
