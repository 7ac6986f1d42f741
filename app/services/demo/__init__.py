"""The demo fund: made-up people (``people``), months of a fund's life played through the
real services (``months``), and ``create_demo`` (``fund``), which builds it.
"""

from __future__ import annotations

from app.services.demo.fund import DEFAULT_SEED, DemoFund, DemoRefused, create_demo

__all__ = ["DEFAULT_SEED", "DemoFund", "DemoRefused", "create_demo"]
