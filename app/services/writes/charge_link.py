"""One writer process for the charges of every worker of a server (PostgreSQL).

With several worker processes, each grouping its own charges (app.services.writes.group_commit),
the workers take turns at the fund's one writer lock, and each worker's writer thread
shares its interpreter lock (GIL) with the HTTP requests of that worker: under load a group
of a few charges took 10-20 ms instead of 6. So ``caisse serve`` on PostgreSQL starts ONE
more process, the charge writer (``serve``), that owns the only ``GroupWriter`` for
charges; the workers hand it their charges over a Unix socket (``RemoteWriter``) and wait
for the outcomes. Bigger groups, no turn-taking, a GIL of its own.

Guarantees:

- the outcome of a charge is the one ``GroupWriter`` decides (refusals keep their class,
  problems, detail and extras across the socket);
- the socket is a file in a directory only the server's user can enter (mode 0700); the
  messages are JSON lines, never pickles;
- if the writer process is not there or goes away, a worker records charges itself (its
  own ``GroupWriter``, the same database lock). A charge that was in flight when the link
  broke is recorded again locally with the SAME idempotency key: if the writer process had
  committed it, the journal returns the original result; if not, it is recorded now. So a
  charge is written exactly once either way;
- a database that cannot answer the writer (a lost connection, a restart) is told to the
  worker as such, and the worker raises ``psycopg.OperationalError``: the client gets the
  app's 503 with Retry-After, never a 500; a retry with the same key records it once;
- the writer process ends when the server that started it ends (it watches its parent).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import socketserver
import threading
import time
from concurrent.futures import Future
from datetime import datetime
from typing import Any, Protocol

import psycopg
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from app.engine.books.commands import Command
from app.engine.problems import Problem
from app.services import errors as svc
from app.services.consent import ConsentLocked
from app.services.writes.execute import prepare
from app.services.writes.group_commit import Charge, GroupWriter

SOCKET_ENV = "CAISSE_WRITER_SOCKET"
RETRY_SECONDS = 1.0  # how long a worker records locally before trying the link again
log = logging.getLogger("uvicorn.error")


class ChargeWriter(Protocol):
    """What the charge endpoint needs: queue a charge, get its outcome later."""

    async def record(self, charge: Charge) -> dict[str, Any]: ...

    def stop(self, timeout: float = 30.0) -> None: ...

    def stats(self) -> str: ...


# -- the messages -----------------------------------------------------------------------------


def encode_charge(ident: int, charge: Charge) -> bytes:
    command = charge.prepared.command
    message = {
        "id": ident,
        "kind": command.kind,
        "payload": command.payload,
        "actor": charge.actor,
        "key": charge.key,
        "now": charge.now.isoformat(),
        "code": charge.consent_code,
    }
    return (json.dumps(message, separators=(",", ":")) + "\n").encode()


def decode_charge(message: dict[str, Any]) -> Charge:
    command = Command(str(message["kind"]), dict(message["payload"]))
    now = datetime.fromisoformat(str(message["now"]))
    return Charge(
        prepare(command), str(message["actor"]), str(message["key"]), now, message["code"]
    )


def _refusal_classes() -> dict[str, type[svc.ServiceError]]:
    found: dict[str, type[svc.ServiceError]] = {}
    pending: list[type[svc.ServiceError]] = [svc.ServiceError]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    found[ConsentLocked.__name__] = ConsentLocked
    return found


def encode_outcome(ident: int, future: Future[dict[str, Any]]) -> bytes:
    error = future.exception()
    if error is None:
        message: dict[str, Any] = {"id": ident, "result": future.result()}
    elif isinstance(error, svc.ServiceError):
        message = {
            "id": ident,
            "refusal": {
                "class": type(error).__name__,
                "problems": [[p.path, p.message] for p in error.problems],
                "detail": error.detail,
                "extras": error.extras,
            },
        }
    elif database_unavailable(error):
        message = {"id": ident, "unavailable": f"{type(error).__name__}: {error}"}
    else:
        message = {"id": ident, "fault": f"{type(error).__name__}: {error}"}
    return (json.dumps(message, separators=(",", ":")) + "\n").encode()


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database could not answer (not that the charge is wrong):
    psycopg's operational and interface errors (a connection lost or closed), raw from a
    pipeline or wrapped by SQLAlchemy."""
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig if error.orig is not None else error
    return isinstance(error, (psycopg.OperationalError, psycopg.InterfaceError))


def settle(future: Any, message: dict[str, Any]) -> None:
    """Resolve ``future`` with the outcome ``message`` carries."""
    if "result" in message:
        future.set_result(message["result"])
        return
    refusal = message.get("refusal")
    if refusal is not None:
        cls = _refusal_classes().get(str(refusal["class"]), svc.ServiceError)
        problems = tuple(Problem(str(path), str(text)) for path, text in refusal["problems"])
        future.set_exception(cls(problems, str(refusal["detail"]), extras=refusal["extras"]))
        return
    if "unavailable" in message:
        unavailable = f"the charge writer's database: {message['unavailable']}"
        future.set_exception(psycopg.OperationalError(unavailable))
        return
    future.set_exception(RuntimeError(f"the charge writer failed: {message.get('fault')}"))


# -- the writer process -----------------------------------------------------------------------


class _Connection(socketserver.StreamRequestHandler):
    """One worker's link: charges in, outcomes out (in whatever order groups finish).

    An outcome waits in the link's outbox until its group is settled (``_Server.flush``,
    which the group writer calls after each group): a group's outcomes leave in one write,
    so the worker's event loop wakes once per group, not once per charge."""

    server: _Server

    def setup(self) -> None:
        super().setup()
        self.outbox: list[bytes] = []
        self.sending = threading.Lock()  # guards the outbox and the writes
        self.open_charges = threading.Condition()
        self.waiting = 0  # charges of this link whose outcome is not written yet

    def reply(self, ident: int, future: Future[dict[str, Any]]) -> None:
        data = encode_outcome(ident, future)
        with self.sending:
            self.outbox.append(data)

    def flush(self) -> None:
        """Write what the outbox holds, in one write."""
        with self.sending:
            lines, self.outbox = self.outbox, []
            if lines:
                try:
                    self.wfile.write(b"".join(lines))
                    self.wfile.flush()
                except (OSError, ValueError):
                    pass  # the worker went away; it records the charges again itself
        if lines:
            with self.open_charges:
                self.waiting -= len(lines)
                self.open_charges.notify_all()

    def handle(self) -> None:
        self.server.joined(self)
        try:
            self._receive()
        finally:
            self.server.left(self)

    def _receive(self) -> None:
        for line in self.rfile:
            message = json.loads(line)
            ident = int(message["id"])
            with self.open_charges:
                self.waiting += 1
            try:
                future = self.server.writer.submit(decode_charge(message))
            except Exception as error:  # a malformed message is that charge's fault only
                failed: Future[dict[str, Any]] = Future()
                failed.set_exception(error)
                self.reply(ident, failed)
                self.flush()
                continue
            future.add_done_callback(functools.partial(self.reply, ident))
            if future.done():  # settled before the callback was added: its group is flushed
                self.flush()
        with self.open_charges:  # the worker stopped sending: answer what it is waiting for
            self.open_charges.wait_for(lambda: self.waiting <= 0, timeout=60)


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, engine: Engine) -> None:
        self.links: list[_Connection] = []
        self.links_lock = threading.Lock()
        self.writer = GroupWriter(engine, timer=time.perf_counter, after_group=self.flush)
        super().__init__(path, _Connection)

    def joined(self, link: _Connection) -> None:
        with self.links_lock:
            self.links.append(link)

    def left(self, link: _Connection) -> None:
        with self.links_lock:
            self.links.remove(link)

    def flush(self) -> None:
        """Send every link's settled outcomes (called by the writer after each group)."""
        with self.links_lock:
            links = list(self.links)
        for link in links:
            link.flush()


def serve(engine: Engine, path: str, stop: threading.Event, parent_pid: int | None = None) -> None:
    """Write the charges sent to the socket ``path`` until ``stop`` is set or the parent
    process is gone, then write what is queued. Call in a process of its own."""
    server = _Server(path, engine)
    writer = server.writer
    os.chmod(path, 0o600)
    thread = threading.Thread(target=server.serve_forever, name="charge-link", daemon=True)
    thread.start()
    try:
        while not stop.wait(0.5):
            if parent_pid is not None and os.getppid() != parent_pid:
                break  # the server that started us is gone
    finally:
        server.shutdown()
        server.server_close()
        writer.stop()
        if writer.groups:
            log.info("charge writer: %s", writer.stats())
        engine.dispose()


# -- a worker's side --------------------------------------------------------------------------


class _Link(asyncio.Protocol):
    """A worker's connection to the writer process, run by the worker's event loop: a
    charge is one buffered write, its outcome one line read, no thread in between."""

    def __init__(self, owner: RemoteWriter) -> None:
        self.owner = owner
        self.transport: Any = None  # an asyncio.Transport (uvloop's is not a subclass)
        self.pending: dict[int, tuple[Charge, asyncio.Future[dict[str, Any]]]] = {}
        self.next_id = 0
        self.buffer = b""
        # Charges of one event-loop turn leave in one write (one system call, one wake-up
        # of the writer process) instead of one write each.
        self.outgoing: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def send(self, charge: Charge) -> asyncio.Future[dict[str, Any]]:
        assert self.transport is not None
        self.next_id += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = (charge, future)
        if not self.outgoing:
            asyncio.get_running_loop().call_soon(self._flush)
        self.outgoing.append(encode_charge(self.next_id, charge))
        return future

    def _flush(self) -> None:
        lines, self.outgoing = self.outgoing, []
        if not self.transport.is_closing():  # else connection_lost re-records them
            self.transport.write(b"".join(lines))

    def data_received(self, data: bytes) -> None:
        *lines, self.buffer = (self.buffer + data).split(b"\n")
        for line in lines:
            message = json.loads(line)
            waiting = self.pending.pop(int(message["id"]), None)
            if waiting is not None and not waiting[1].done():
                settle(waiting[1], message)

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner.lost(self)


class RemoteWriter:
    """Sends a worker's charges to the writer process; records them itself when it cannot
    (see the module docstring)."""

    def __init__(self, path: str, local: GroupWriter) -> None:
        self.path = path
        self.local = local
        self._link: _Link | None = None
        self._connecting: asyncio.Future[_Link | None] | None = None
        self._retry_at = 0.0
        self.sent = 0  # charges sent to the writer process, and recorded here instead
        self.local_charges = 0

    async def record(self, charge: Charge) -> dict[str, Any]:
        """The charge's result (or its ``ServiceError`` raised)."""
        link = self._link or await self._connect()
        if link is None or link.transport is None or link.transport.is_closing():
            self.local_charges += 1
            return await self.local.record(charge)
        self.sent += 1
        return await link.send(charge)

    async def _connect(self) -> _Link | None:
        if self._connecting is not None:
            return await asyncio.shield(self._connecting)
        if time.monotonic() < self._retry_at:
            return None
        loop = asyncio.get_running_loop()
        self._connecting = loop.create_future()
        link: _Link | None = None
        try:
            _, link = await loop.create_unix_connection(lambda: _Link(self), self.path)
        except OSError as error:
            log.warning("charge writer unreachable (%s): this worker records charges itself", error)
            self._retry_at = time.monotonic() + RETRY_SECONDS
        self._link = link
        self._connecting.set_result(link)
        self._connecting = None
        return link

    def lost(self, link: _Link) -> None:
        """The link broke: charges in flight are recorded here, with the same keys."""
        if self._link is link:
            self._link = None
            self._retry_at = time.monotonic() + RETRY_SECONDS
        stranded, link.pending = link.pending, {}
        for charge, future in stranded.values():
            self.local_charges += 1
            _chain(self.local.submit(charge), future)

    def stop(self, timeout: float = 30.0) -> None:
        link, self._link = self._link, None
        if link is not None and link.transport is not None:
            with contextlib.suppress(RuntimeError):  # its event loop is gone already
                link.transport.close()
        self.local.stop(timeout)

    def stats(self) -> str:
        text = f"{self.sent} charges sent to the charge writer, {self.local_charges} here"
        if self.local.groups:
            text += f" ({self.local.stats()})"
        return text


def _chain(source: Future[dict[str, Any]], target: asyncio.Future[dict[str, Any]]) -> None:
    """Resolve ``target`` (on its loop) with ``source``'s outcome."""
    loop = target.get_loop()

    def copy(done: Future[dict[str, Any]]) -> None:
        def settle_target() -> None:
            if target.done():
                return
            error = done.exception()
            if error is None:
                target.set_result(done.result())
            else:
                target.set_exception(error)

        loop.call_soon_threadsafe(settle_target)

    source.add_done_callback(copy)
