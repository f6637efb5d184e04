"""Start-up and shut-down of the whole console on the demo site, and the core→GUI bridge rate.

- start to healthy exit: `main.py --smoke 2` wall time minus the 2 s it idles (2 s: the demo's 56 drones and
  docks must all be linked for the run to count as healthy);
- close to exit: SIGTERM to process gone, child simulator included (goal: every run under 3 s, exit code 0,
  no child left behind);
- bridge: core-thread events per second delivered as queued Qt signals to the GUI thread.
"""

from __future__ import annotations

import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 3
GOAL_CLOSE_S = 3.0


def _env(tmp: str) -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": tmp, "QD_CONSOLE_LOG_DIR": tmp,
            "QD_CONSOLE_DATA_DIR": tmp}


SMOKE_WAIT_S = 2.0


def smoke_seconds() -> list[float]:
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(RUNS):
            t0 = time.monotonic()
            subprocess.run([sys.executable, str(ROOT / "main.py"), "--smoke", str(SMOKE_WAIT_S), f"{tmp}/s.png"],
                           env=_env(tmp), check=True, capture_output=True, timeout=120)  # exit 0 = healthy
            out.append(time.monotonic() - t0 - SMOKE_WAIT_S)
    return out


def close_seconds() -> tuple[list[float], list[int], int]:
    """Seconds from SIGTERM until the console and its children are gone, exit codes, children left alive."""
    import psutil

    out: list[float] = []
    codes: list[int] = []
    left = 0
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(RUNS):
            proc = subprocess.Popen([sys.executable, str(ROOT / "main.py")], env=_env(tmp),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            log = Path(tmp) / "console.log"
            deadline = time.monotonic() + 60
            while not (log.exists() and log.read_text().count("MQTT connected") > len(out)):
                if time.monotonic() > deadline:
                    raise RuntimeError("console did not connect")
                time.sleep(0.05)
            kids = psutil.Process(proc.pid).children(recursive=True)
            t0 = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            codes.append(proc.wait(30))
            _, alive = psutil.wait_procs(kids, timeout=5)
            out.append(time.monotonic() - t0)
            left += len(alive)
            for p in alive:
                with contextlib.suppress(psutil.NoSuchProcess):
                    p.kill()
    return out, codes, left


def bridge_rate(n: int = 200_000) -> float:
    from PySide6.QtWidgets import QApplication

    from console.client.bridge import CoreBridge
    from console.core.events import EventBus, FleetLinksChanged

    app = QApplication.instance() or QApplication([])
    bus = EventBus()
    bridge = CoreBridge(bus)
    got = [0]
    bridge.fleet_links.connect(lambda c, t: got.__setitem__(0, got[0] + 1))
    ev = FleetLinksChanged(1, 2)
    t0 = time.monotonic()
    th = threading.Thread(target=lambda: [bus.publish(ev) for _ in range(n)])
    th.start()
    while got[0] < n:
        app.processEvents()
    th.join()
    return n / (time.monotonic() - t0)


def run() -> dict[str, object]:
    smoke = smoke_seconds()
    close, codes, left = close_seconds()
    return {
        "start_to_exit_s": {"median": round(statistics.median(smoke), 2), "max": round(max(smoke), 2)},
        "close_to_gone_s": {"median": round(statistics.median(close), 2), "max": round(max(close), 2),
                            "exit_codes": codes, "children_left": left},
        "bridge_events_per_s": round(bridge_rate()),
        "goal": f"SIGTERM to console and simulator gone < {GOAL_CLOSE_S:g} s in every run, exit code 0, no child left",
        "goal_met": max(close) < GOAL_CLOSE_S and codes == [0] * RUNS and left == 0,
    }
