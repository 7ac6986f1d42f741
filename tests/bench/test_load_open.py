"""The open-loop generator of the API load test (bench/load_open.py) against a tiny HTTP
server of the test's own on 127.0.0.1: what it sends, how it counts answers, and that a
request which waits for a busy connection is counted late, its wait in its latency."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bench import load_open

Handler = Callable[[int, bytes, bytes], Awaitable[bytes]]


def spec(port: int, rate: float, seconds: float, connections: int) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": port,
        "seconds": seconds,
        "charges": {
            "rate": rate,
            "connections": connections,
            "households": ["hh_1", "hh_2"],
            "merchants": ["secret-m"],
            "on_day": "2026-12-07",
            "consent_code": "4821",
            "run_tag": "t",
        },
        "reads": None,
    }


async def serve_and_run(handler: Handler, run_spec: Callable[[int], dict[str, Any]]) -> Any:
    """Serve ``handler(n, head, body)`` (n: the request's arrival order) and run the spec."""
    arrived = [0]

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                body = await reader.readexactly(length)
                n = arrived[0]
                arrived[0] += 1
                writer.write(await handler(n, head, body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        return await load_open.run(run_spec(port))


def answer(status: int, body: bytes, chunked: bool = False) -> bytes:
    if chunked:
        return (
            f"HTTP/1.1 {status} X\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
            + f"{len(body):x}\r\n".encode()
            + body
            + b"\r\n0\r\n\r\n"
        )
    return f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body


def test_sends_each_charge_once_and_counts_answers_by_status_and_problem() -> None:
    seen: list[tuple[bytes, dict[str, Any]]] = []

    async def handler(n: int, head: bytes, body: bytes) -> bytes:
        seen.append((head, json.loads(body)))
        if n % 2:
            refusal = b'{"type":"urn:caisse:problem:insufficient-credit","status":409}'
            return answer(409, refusal, chunked=True)
        return answer(200, b"{}")

    # 40 requests due over 0.2 s, on 4 connections.
    results = asyncio.run(serve_and_run(handler, lambda port: spec(port, 200, 0.2, 4)))
    [charges] = results
    assert charges["scheduled"] == 40
    assert charges["answered"] == 40
    assert charges["unanswered"] == 0
    assert charges["counts"] == {"200": 20, "409:insufficient-credit": 20}
    ids = sorted(payload["purchase_id"] for _, payload in seen)
    assert ids == sorted(f"t_{i}" for i in range(40))
    for head, payload in seen:
        assert head.startswith(b"POST /v1/merchant/charges HTTP/1.1\r\n")
        assert f"Idempotency-Key: key-{payload['purchase_id']}\r\n".encode() in head
        assert b"Authorization: Bearer secret-m\r\n" in head
        assert payload["household_id"] in ("hh_1", "hh_2")
        assert 100 <= payload["amount_cents"] <= 2000
        assert (payload["on"], payload["consent_code"], payload["category"]) == (
            "2026-12-07",
            "4821",
            "food",
        )


def test_a_stall_makes_the_requests_due_meanwhile_late_and_counts_their_wait() -> None:
    """One connection; the first answer takes 300 ms. The 9 other requests, due 10-90 ms
    after the first, can only be sent once it is answered: a closed loop would time each from
    its send and see 1 slow request; here they are late, their wait in their latency."""

    async def handler(n: int, head: bytes, body: bytes) -> bytes:
        if n == 0:
            await asyncio.sleep(0.3)
        return answer(200, b"{}")

    [charges] = asyncio.run(serve_and_run(handler, lambda port: spec(port, 100, 0.1, 1)))
    assert (charges["scheduled"], charges["answered"]) == (10, 10)
    # requests 1-9 at least (the first too, if this process itself woke up late)
    assert charges["late"] >= 9
    # request i (due at 10*i ms) was answered after the stall: at least 300 - 10*i ms
    assert charges["p50_ms"] >= 300 - 10 * 5
    assert charges["max_ms"] >= 300


def test_a_request_never_answered_is_a_timeout_with_its_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(load_open, "TIMEOUT_SECONDS", 0.2)

    async def handler(n: int, head: bytes, body: bytes) -> bytes:
        if n == 2:
            await asyncio.sleep(3600)
        return answer(200, b"{}")

    [charges] = asyncio.run(serve_and_run(handler, lambda port: spec(port, 100, 0.05, 1)))
    assert charges["scheduled"] == 5
    assert charges["counts"] == {"200": 4, "timeout": 1}
    assert charges["unanswered"] == 0
    assert charges["max_ms"] >= 200
