"""What ``spendable_cents`` adds to the members' hot read (GET /v1/members/{id}/balance).

The figure is computed from the lots the one SELECT already returns (no second query), by
the books' own rule (``lots.spendable_on``); this measures the CPU it adds per read: N builds
of the balance's answer from the same rows (a household with ``LOTS`` open lots), without
and with the day.

    .venv/bin/python -m bench.balance_spendable [N] [LOTS]
"""

from __future__ import annotations

import sys
import time
from datetime import date

from app.services.views import credit


def _rows(lots: int) -> list[tuple[object, ...]]:
    return [
        (
            5_000,
            -12_000,
            f"{7 + i}.3",
            f"2026-{(i % 12) + 1:02d}",
            4_000,
            f"2027-{(i % 12) + 1:02d}",
        )
        for i in range(lots)
    ]


def _per_read_us(rows: list[tuple[object, ...]], on: date | None, n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        credit._balance_of(rows, "hh_0042", on)
    return (time.process_time() - start) / n * 1e6


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    lots = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    rows = _rows(lots)
    without = _per_read_us(rows, None, n)
    with_day = _per_read_us(rows, date(2026, 12, 7), n)
    print(f"N={n} lots={lots}: without the day {without:.2f} us/read (CPU), "
          f"with spendable_cents {with_day:.2f} us/read (+{with_day - without:.2f} us)")  # fmt: skip


if __name__ == "__main__":
    main()
