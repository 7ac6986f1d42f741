"""An in-process gate in front of the database's writer lock (PostgreSQL only, see below).

Every command takes the fund's one writer lock in the database (PostgreSQL advisory lock,
SQLite ``BEGIN IMMEDIATE``); that lock, not this gate, is what guarantees one writer at a
time across processes. The gate only keeps a process's own threads from all queueing *in
the database* at once: there, a waiting SQLite writer sleeps and polls (up to 100 ms
between tries), and PostgreSQL wakes lock waiters one by one through their backends. With
the gate, at most one thread per process waits for the database lock; the others wait on a
``threading.Lock``, which hands over as soon as the holder's transaction ends.

The gate is held from before the command's transaction until that transaction ends, even
when it is the caller's session (an API request commits after its handler returned):
released by the session's ``after_transaction_end`` event for its outermost transaction, or
at once if the command fails before a transaction began. A session that already holds it
(two commands in one request), or whose transaction began without it, does not take it, so
it never waits for a thread that waits for it. A
thread that cannot get it within ``WAIT_SECONDS`` goes on without it (correctness never
depends on the gate).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

WAIT_SECONDS = 30.0
HELD = "caisse_writer_gate"
_gates: WeakKeyDictionary[Engine, threading.Lock] = WeakKeyDictionary()
_guard = threading.Lock()


def _gate(engine: Engine) -> threading.Lock:
    with _guard:
        gate = _gates.get(engine)
        if gate is None:
            gate = _gates[engine] = threading.Lock()
        return gate


@contextmanager
def entered(session: Session) -> Iterator[None]:
    """Hold the gate of ``session``'s engine until its outermost transaction ends."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else getattr(bind, "engine", None)
    if engine is None or engine.dialect.name != "postgresql":
        # Measured on SQLite (one worker): purchases fell from 50/s to 18/s behind the gate
        # while reads rose; its busy-wait hand-over suits this load better. PostgreSQL only.
        yield
        return
    if session.info.get(HELD) or session.in_transaction():
        # Held already, or the session's transaction began without it (it may hold the
        # database lock already: waiting for the gate could wait for a thread that waits
        # for us).
        yield
        return
    gate = _gate(engine)
    if not gate.acquire(timeout=WAIT_SECONDS):
        yield
        return
    released = threading.Event()

    def release(_session: Any, transaction: Any) -> None:
        if transaction.parent is None and not released.is_set():
            released.set()
            session.info.pop(HELD, None)
            gate.release()  # the listener stays (removing it while it runs is unsafe)

    session.info[HELD] = True
    event.listen(session, "after_transaction_end", release)
    try:
        yield
    finally:
        if not session.in_transaction():
            # Failed (or finished) with no transaction open: nothing will end one later.
            release(session, _Outermost())


class _Outermost:
    parent = None
