"""How late the GUI thread answers: the frozen screen an operator feels, measured all the time.

A precise timer asks to run every TICK_MS; how much later than asked it actually runs is the
event loop's lag (a repaint, a slow slot, the GIL held by another thread). The last WINDOW
ticks are kept; the health line reports their median, 99th percentile and maximum.
"""

from __future__ import annotations

import time
from collections import deque

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer

TICK_MS = 20
WINDOW = 3000          # about a minute of ticks


class LagMeter(QObject):
    """Measures the GUI thread's event-loop lag from the moment it is made (GUI thread)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lags_ms: deque[float] = deque(maxlen=WINDOW)
        self._timer = QTimer(self, interval=TICK_MS, timerType=Qt.TimerType.PreciseTimer, timeout=self._tick)
        self._last = time.perf_counter()
        self._timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self._lags_ms.append(max(0.0, (now - self._last) * 1000.0 - TICK_MS))
        self._last = now

    def stop(self) -> None:
        self._timer.stop()

    def reset(self) -> None:
        """Forgets what was measured so far (a bench measures from a chosen moment)."""
        self._lags_ms.clear()
        self._last = time.perf_counter()

    def figures(self) -> dict[str, float | int | None]:
        """`gui_lag_p50_ms`, `gui_lag_p99_ms`, `gui_lag_max_ms` over the last ticks, and how many."""
        if not self._lags_ms:
            return {"gui_lag_p50_ms": None, "gui_lag_p99_ms": None, "gui_lag_max_ms": None, "gui_lag_ticks": 0}
        lags = np.fromiter(self._lags_ms, dtype=float)
        return {"gui_lag_p50_ms": round(float(np.percentile(lags, 50)), 1),
                "gui_lag_p99_ms": round(float(np.percentile(lags, 99)), 1),
                "gui_lag_max_ms": round(float(lags.max()), 1), "gui_lag_ticks": int(lags.size)}
