"""The on-demand queue thread (app.services.writes.idle_thread): started by a put, gone when idle,
restarted by the next put, and stopped only after serving what was queued."""

from __future__ import annotations

import queue
import threading
from typing import Any

from app.services.writes.idle_thread import STOP, IdleThread

BOUND_SECONDS = 10.0  # an upper bound for a thread to answer, never a wait by design


class Served:
    """An ``IdleThread`` whose thread records each item (and the thread that served it)."""

    def __init__(self, idle_seconds: float, gate: threading.Event | None = None) -> None:
        self.items: list[Any] = []
        self.threads: list[threading.Thread] = []
        self.done: queue.SimpleQueue[object] = queue.SimpleQueue()
        self.gate = gate
        self.worker = IdleThread("test-idle-thread", self.serve, lambda: idle_seconds)

    def serve(self) -> None:
        while True:
            item = self.worker.get()
            if item is STOP:
                return
            if self.gate is not None:
                self.gate.wait(BOUND_SECONDS)
            self.items.append(item)
            self.threads.append(threading.current_thread())
            self.done.put(item)


def test_an_idle_thread_ends_and_the_next_put_starts_another() -> None:
    served = Served(idle_seconds=0.01)
    assert served.worker.thread is None  # nothing before the first put
    served.worker.put("a")
    assert served.done.get(timeout=BOUND_SECONDS) == "a"
    first = served.worker.thread
    assert first is not None
    first.join(BOUND_SECONDS)
    assert not first.is_alive() and served.worker.thread is None
    served.worker.put("b")
    assert served.done.get(timeout=BOUND_SECONDS) == "b"
    assert served.items == ["a", "b"]
    assert served.threads[0] is first and served.threads[1] is not first
    served.worker.stop(BOUND_SECONDS)
    assert served.worker.thread is None and not served.threads[1].is_alive()


def test_stop_serves_everything_queued_before_the_thread_ends() -> None:
    gate = threading.Event()
    served = Served(idle_seconds=BOUND_SECONDS, gate=gate)
    for item in range(5):
        served.worker.put(item)  # the thread holds item 0 at the gate; 1-4 wait queued
    thread = served.worker.thread
    assert thread is not None
    gate.set()
    served.worker.stop(BOUND_SECONDS)
    assert served.items == [0, 1, 2, 3, 4]
    assert not thread.is_alive() and served.worker.thread is None


def test_items_put_while_the_thread_leaves_are_all_served() -> None:
    # Idle at once (timeout 0): the thread leaves whenever the queue is empty, so puts keep
    # meeting a thread on its way out, the race the lock closes.
    served = Served(idle_seconds=0.0)
    for item in range(300):
        served.worker.put(item)
        if item % 3 == 0:
            assert served.done.get(timeout=BOUND_SECONDS) is not None
    served.worker.stop(BOUND_SECONDS)
    assert sorted(served.items) == list(range(300))
