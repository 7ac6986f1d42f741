"""One queue served by one thread that exists only while there is work.

The pattern of ``GroupWriter`` (app.services.writes.group_commit) and the audit job worker
(app.services.auditor.jobs): the thread is started by the first ``put``, ends after
``idle_seconds`` with nothing queued (holding nothing: no connection, no memory; apps made
and dropped by tests leave no thread behind), and the next ``put`` starts another one.

The race it closes: the thread, idle, decides to leave at the very moment a ``put`` queues
an item. If the thread left after the item was queued while ``put`` still saw it alive, the
item would wait in a queue nobody serves. So ``put`` queues FIRST, then, under the lock,
starts a thread if none is registered; and the leaving thread, under the same lock,
re-checks that the queue is empty before unregistering itself. Either the leaving thread
sees the item (and stays), or ``put`` sees no thread (and starts one). The lock is taken
once per ``put`` and once per idle timeout, never while an item is served.

``stop`` queues ``STOP`` behind what is queued: the thread serves everything before it,
then ends. The thread's own loop (``serve``) is the owner's: it takes items with ``get``
(and may take more at once with ``get_nowait``) and returns when it gets ``STOP``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

STOP: Any = object()  # what ``get`` answers when the thread must end; ``stop`` queues it


class IdleThread:
    """A queue and its one serving thread (named ``name``), started on demand. ``serve``
    runs in the thread; ``idle_seconds`` is read at each wait (a callable, so a module's
    setting can be changed by a test after the owner is made)."""

    def __init__(
        self, name: str, serve: Callable[[], None], idle_seconds: Callable[[], float]
    ) -> None:
        self.name = name
        self._serve = serve
        self._idle_seconds = idle_seconds
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def thread(self) -> threading.Thread | None:
        """The registered serving thread; None while idle (or stopped)."""
        return self._thread

    def put(self, item: Any) -> None:
        """Queue ``item``; start the thread if none is registered (after the put: see the
        module docstring)."""
        self._queue.put(item)
        with self._lock:
            if self._thread is None:
                thread = threading.Thread(target=self._serve, name=self.name)
                thread.daemon = True  # a process that never stops the thread still exits
                thread.start()
                self._thread = thread

    def stop(self, timeout: float) -> None:
        """Let the thread serve what is queued, then end it; wait up to ``timeout`` s."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(STOP)
            thread.join(timeout)

    def get(self) -> Any:
        """(In the thread.) The next item; ``STOP`` once idle for ``idle_seconds`` with
        nothing queued, the thread then unregistered: ``serve`` must return."""
        while True:
            try:
                return self._queue.get(timeout=self._idle_seconds())
            except queue.Empty:
                with self._lock:
                    if self._queue.empty() and self._thread is threading.current_thread():
                        self._thread = None
                        return STOP
                    # An item arrived meanwhile, or ``stop`` let this thread go and queued
                    # ``STOP``: wait again (for it).

    def get_nowait(self) -> Any:
        """(In the thread.) The next item if one is queued; ``queue.Empty`` otherwise."""
        return self._queue.get_nowait()
