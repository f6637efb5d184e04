"""Python's cyclic garbage collector runs on the GUI thread only (docs/architecture.md, "Threads").

Left automatic, a collection runs on whichever thread happens to allocate: the core loop, a MAVSDK
callback thread, the fleet's attach workers. A cycle holding a Qt widget (a closed dialog, a
replaced panel) is then destroyed off the GUI thread, and Qt crashes the process (seen as a
segmentation fault in `subscribe_flight_mode` during "Garbage-collecting"). pyqtgraph's collector
turns the automatic collection off and collects on a GUI-thread timer, by the same thresholds.
"""

from __future__ import annotations

from pyqtgraph.util.garbage_collector import GarbageCollector

_collector: GarbageCollector | None = None


def collect_on_gui_thread() -> GarbageCollector:
    """Moves cyclic garbage collection to the GUI thread (call on it, with a QApplication); idempotent."""
    global _collector
    if _collector is None:
        _collector = GarbageCollector(interval=0.5)
    return _collector


def collect_due() -> None:
    """A collection now, on this (GUI) thread, when the thresholds say one is due; for code that runs without
    an event loop for a while (tests between Qt event loops)."""
    if _collector is not None:
        _collector.check()
