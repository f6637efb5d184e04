"""How fast one video tile notices a stalled stream and how fast it is live again (goal: detection within
STALL_S plus one watchdog period, 0.5 s of slack for the GUI thread).

A VideoTile (offscreen, the real STALL_S, WATCHDOG_MS and BACKOFF_S) plays an HTTP MJPEG stream from
the tests' controllable server (tests/widgets/mjpeg_server.py: it can keep a connection open and send
nothing, which the simulator's video server cannot). Each cycle stalls the server, times the tile's
switch to "reconnecting" from the stall, lets the server send again and times the switch back to live
with new frames. Times are taken when the tile's state_changed signal arrives.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

CYCLES = 5
WAIT_S = 30.0
SLACK_S = 0.5


def _spin_until(app: Any, done: Callable[[], bool], timeout_s: float) -> bool:
    """Runs the Qt event loop until `done()` or the timeout; whether `done()` came true."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    deadline = time.monotonic() + timeout_s

    def check_now() -> None:
        if done() or time.monotonic() > deadline:
            loop.quit()

    check = QTimer(interval=10, timeout=check_now)
    check.start()
    if not done():
        loop.exec()
    check.stop()
    return done()


def run() -> dict[str, Any]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from tests.widgets.mjpeg_server import MjpegServer
    from widgets import video_tile
    from widgets.video_source import TileSource, TileState
    from widgets.video_tile import VideoTile

    app = QApplication.instance() or QApplication([])
    server = MjpegServer(fps=15)
    tile = VideoTile()
    tile.resize(640, 360)
    tile.show()
    changes: list[tuple[float, TileState]] = []
    tile.state_changed.connect(lambda state: changes.append((time.monotonic(), state)))
    detect_s: list[float] = []
    recover_s: list[float] = []
    reasons: set[str] = set()
    try:
        tile.set_source(TileSource(key="camera:bench", title="bench", url=server.url))
        if not _spin_until(app, lambda: tile.state is TileState.LIVE, WAIT_S):
            raise RuntimeError(f"the tile did not go live: {tile.state} {tile.reason}")
        for _ in range(CYCLES):
            since = len(changes)
            t0 = time.monotonic()
            server.stalled.set()
            if not _spin_until(app, lambda: any(s is TileState.RECONNECTING for _, s in changes[since:]), WAIT_S):
                raise RuntimeError(f"a stall was not detected within {WAIT_S} s")
            detect_s.append(next(t for t, s in changes[since:] if s is TileState.RECONNECTING) - t0)
            reasons.add(tile.reason)
            since, frames = len(changes), tile.frames
            t0 = time.monotonic()
            server.stalled.clear()
            if not _spin_until(app, lambda: tile.state is TileState.LIVE and tile.frames > frames, WAIT_S):
                raise RuntimeError(f"the tile did not come back live within {WAIT_S} s")
            recover_s.append(next(t for t, s in changes[since:] if s is TileState.LIVE) - t0)
    finally:
        tile.stop()
        tile.close()
        server.close()
        app.processEvents()
    limit_s = video_tile.STALL_S + video_tile.WATCHDOG_MS / 1000 + SLACK_S
    return {
        "cycles": CYCLES,
        "stall_s": video_tile.STALL_S,
        "watchdog_ms": video_tile.WATCHDOG_MS,
        "stall_to_reconnecting_s": {"median": round(statistics.median(detect_s), 2), "max": round(max(detect_s), 2)},
        "resume_to_live_s": {"median": round(statistics.median(recover_s), 2), "max": round(max(recover_s), 2),
                             "first_backoff_s": video_tile.BACKOFF_S[0]},
        "reasons": sorted(reasons),
        "goal": f"a stalled stream shows reconnecting within {limit_s:g} s of the stall "
                f"(STALL_S + one watchdog period + {SLACK_S:g} s)",
        "goal_met": max(detect_s) <= limit_s,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, ensure_ascii=False))
