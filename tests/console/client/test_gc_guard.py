"""Cyclic garbage is collected on the GUI thread only, however much another thread allocates
(console/client/gc_guard.py: a Qt object destroyed on a MAVSDK thread crashed the test suite)."""

from __future__ import annotations

import gc
import threading
from typing import Any

from console.client.gc_guard import collect_on_gui_thread


class Cycle:
    """Garbage only the cyclic collector can free; says on which thread it was freed."""

    freed_on: list[str] = []

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        Cycle.freed_on.append(threading.current_thread().name)


def test_cycles_are_freed_on_the_gui_thread_only(qtbot: Any) -> None:
    collect_on_gui_thread()
    assert not gc.isenabled()
    Cycle.freed_on.clear()
    for _ in range(1000):   # past the collector's first threshold (700)
        Cycle()
    # A worker allocating far past every threshold (a MAVSDK callback storm) must not run the collector.
    worker = threading.Thread(target=lambda: [[{}] for _ in range(200_000)], name="worker")
    worker.start()
    worker.join()
    assert "worker" not in Cycle.freed_on
    qtbot.waitUntil(lambda: len(Cycle.freed_on) == 1000, timeout=5000)   # the GUI thread's timer frees them
    assert set(Cycle.freed_on) == {threading.main_thread().name}
