"""CPU cost of the request boundary (app.api.input_guard) per request, in process.

The guard reads the body whole, parses JSON once (keys twice, NaN, control characters,
integers beyond the storage) and hands the parsed document to the charge fast path. This
measures, with a no-op app behind it, what one request costs in the guard alone, against a
bare ``json.loads`` of the same bytes (what the fast path did by itself before), for a charge
(~170 bytes) and a rule preview of 5 000 households (~1 MiB). CPU time of this process
(``time.process_time``), min and median of ``--rounds`` rounds of ``--n`` requests::

    .venv/bin/python -m bench.input_guard --n 20000 --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from app.api.input_guard import RequestGuard

CHARGE = {
    "purchase_id": "sale-000123",
    "household_id": "hh_000042",
    "category": "food",
    "amount_cents": 1250,
    "on": "2026-12-07",
    "consent_code": "4821",
}
PREVIEW = {
    "document": {"format": "caisse.rules/1", "id": "x", "version": 1},
    "households": [
        {
            "household_id": f"hh_{i:06d}",
            "income_cents": 80_000 + 17 * i,
            "persons": [{"birth_on": "1980-05-17"}, {"birth_on": "2015-03-01"}],
            "engagement_minutes": 60,
            "attributes": {"quartier": "centre", "caf": True},
        }
        for i in range(5_000)
    ],
}


def _scope(length: int) -> Scope:
    return {
        "type": "http",
        "method": "POST",
        "path": "/v1/merchant/charges",
        "query_string": b"",
        "headers": [
            (b"authorization", b"Bearer 0123456789abcdef"),
            (b"idempotency-key", b"bench-key-00000001"),
            (b"content-type", b"application/json"),
            (b"content-length", str(length).encode()),
        ],
    }


async def _noop(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()


async def _send(message: Message) -> None:  # the no-op app never answers
    return None


def _guarded(body: bytes) -> Callable[[], Any]:
    guard = RequestGuard(_noop)

    async def once() -> None:
        async def receive() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        await guard(_scope(len(body)), receive, _send)

    return once


def _bare(body: bytes) -> Callable[[], Any]:
    async def once() -> None:
        json.loads(body)

    return once


def _cpu_us(work: Callable[[], Any], n: int) -> float:
    async def run() -> float:
        start = time.process_time()
        for _ in range(n):
            await work()
        return (time.process_time() - start) / n * 1e6

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="requests per round (charges)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for name, document, n in (
        ("charge", CHARGE, args.n),
        ("preview of 5 000 households", PREVIEW, max(1, args.n // 2_000)),
    ):
        body = json.dumps(document).encode()
        for label, make in (("json.loads only", _bare), ("request guard", _guarded)):
            rounds = [_cpu_us(make(body), n) for _ in range(args.rounds)]
            print(
                f"{name} ({len(body):,} bytes), {label}: N={n} x {args.rounds} rounds,"
                f" CPU µs/request min {min(rounds):,.1f} median {statistics.median(rounds):,.1f}"
            )


if __name__ == "__main__":
    main()
