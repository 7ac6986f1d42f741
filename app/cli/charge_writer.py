"""The charge writer process ``caisse serve`` starts on PostgreSQL (app.services.writes.charge_link).

``charge_writer_process`` starts it before uvicorn, in a directory only this user can enter,
waits until its socket is there, and tells the workers where it is (``CAISSE_WRITER_SOCKET``
in their environment). When the server stops, after its workers have answered their last
requests, it asks the writer to write what is queued and stop. Ctrl-C is left to the server:
the writer ignores SIGINT, so charges in flight are answered before it goes.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from app.db.session import make_engine
from app.db.settings import Settings
from app.services.writes.charge_link import SOCKET_ENV, serve

START_SECONDS = 20.0


@contextmanager
def charge_writer_process(settings: Settings) -> Iterator[str]:
    """Run the charge writer for the duration of the block; yields its socket's path."""
    directory = tempfile.mkdtemp(prefix="caisse-writer-")  # mode 0700
    path = os.path.join(directory, "charges.sock")
    context = multiprocessing.get_context("spawn")
    process = context.Process(
        target=_main,
        args=(settings.database_url, path, os.getpid()),
        name="caisse-charge-writer",
        daemon=True,
    )
    process.start()
    try:
        _wait_for(path, process)
        os.environ[SOCKET_ENV] = path
        yield path
    finally:
        os.environ.pop(SOCKET_ENV, None)
        if process.is_alive() and process.pid is not None:
            os.kill(process.pid, signal.SIGTERM)
        process.join(30)
        if process.is_alive():
            process.kill()
        shutil.rmtree(directory, ignore_errors=True)


def _wait_for(path: str, process: multiprocessing.process.BaseProcess) -> None:
    deadline = time.monotonic() + START_SECONDS
    while not os.path.exists(path):
        if not process.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(
                f"the charge writer process did not start (exit code {process.exitcode})"
            )
        time.sleep(0.02)


def _main(database_url: str, path: str, parent_pid: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops us once its workers are done
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s")
    # No ping before each group: a connection a database restart broke fails that one group,
    # whose charges are then recorded one by one (group_commit.GroupWriter) on a fresh
    # connection, the pool having dropped the broken ones. One round trip less per group.
    engine = make_engine(Settings(database_url=database_url), pool_pre_ping=False)
    print(f"charge writer on {path}", file=sys.stderr)
    gc.freeze()  # what start-up made lives as long as the process: keep full collections short
    serve(engine, path, stop, parent_pid)
