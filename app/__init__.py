"""caisse: the engine that runs a citizen food fund (caisse alimentaire)."""

__version__ = "0.1.0"
