"""Growing delays after wrong secrets in a row (sign-in secrets, consent codes).

``Backoff(free, first_seconds, most_seconds).seconds(failures)``: nothing for the first
``free`` failures (typos happen), then ``first_seconds``, doubling with each further
failure, never more than ``most_seconds``. A delay always ends by itself: a wrong secret
slows the one who guesses and never shuts a member out for good.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """A policy of growing delays (see the module docstring)."""

    free: int
    first_seconds: int
    most_seconds: int

    def seconds(self, failures: int) -> int:
        """Seconds to wait after ``failures`` wrong secrets in a row (0 while free)."""
        over = failures - self.free
        if over <= 0:
            return 0
        doubled = self.first_seconds << min(over - 1, 20)  # bounded shift: no huge ints
        return min(self.most_seconds, doubled)
