"""The ``caisse`` command line (entry point: ``app.cli:main``)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print("caisse: commands arrive with the engine CLI", args)
    return 0
