"""Child process of the crash test: run one month through the service, chunk by chunk.

``python -m tests.audit.crash_run URL PERIOD CHUNK_SIZE`` — the test kills it with SIGKILL
half-way, then runs the same month again.
"""

from __future__ import annotations

import sys

from app.db.session import make_engine
from app.db.settings import Settings
from app.services.months import run_month
from bench.ledger_fund import ACTOR, NOW

RUN_KEY = "crash-test-run"


def main(url: str, period: str, chunk_size: int) -> None:
    engine = make_engine(Settings(database_url=url))
    run_month(engine, period, chunk_size=chunk_size, actor=ACTOR, idempotency_key=RUN_KEY,
              now=NOW)
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
