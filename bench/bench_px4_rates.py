"""What PX4's default message rates cost the console, and what the console's own rates (drones/message_rates.py) save.

Four real PX4 SITL autopilots (SIH physics, drones/sim/px4_sitl.py; PX4_SITL_DIR names the build, without it
the bench records itself as skipped with the reason). Two phases on the same four drones, each a fresh
child process running `drones.fleet.Fleet` on a core loop as the console does:

- `default`: the fleet leaves PX4's rates alone (`message_rates=None`);
- `console`: the fleet sets the console's table at attach.

Between the fleet and each PX4 sits a UDP relay in this (parent) process that counts every MAVLink message
PX4 sends, by id: the messages/s per drone are what crossed the wire, not only what the fleet subscribes to.
PX4 answers only the first ground station that talked to it, and that is the relay for both phases.
Measured over MEASURE_S after the drones are linked (and, in the console phase, every request answered):

- messages/s per drone on the wire (wall clock; PX4's clock runs SPEED_FACTOR times faster, so the same
  figure divided by it is given as "per PX4 second");
- CPU seconds per wall second of the fleet's process (all its threads: MAVSDK's I/O and callback threads,
  the core loop), from /proc via psutil;
- MAVSDK's dropped subscription callbacks in the fleet's process (`drones.fleet.dropped_callbacks()`).

Goals: the console phase sends at most 1.2 x the table's rate per drone (in PX4's clock), uses less CPU than
the default phase, and drops no callback.
"""

from __future__ import annotations

import json
import os
import selectors
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
N_DRONES = 4
SPEED_FACTOR = float(os.environ.get("PX4_SIM_SPEED_FACTOR", "4"))
WARMUP_S = 3.0
MEASURE_S = 10.0
READY_TIMEOUT_S = 60.0
GOAL_RATE_RATIO = 1.2


def _count_frames(data: bytes, counts: Counter[int]) -> None:
    """Counts the MAVLink frames of one datagram by message id (v2 and v1 headers)."""
    i, n = 0, len(data)
    while i + 8 <= n:
        magic = data[i]
        if magic == 0xFD and i + 10 <= n:
            length, incompat = data[i + 1], data[i + 2]
            counts[data[i + 7] | data[i + 8] << 8 | data[i + 9] << 16] += 1
            i += 12 + length + (13 if incompat & 1 else 0)
        elif magic == 0xFE:
            counts[data[i + 5]] += 1
            i += 8 + data[i + 1]
        else:
            i += 1


class Relay:
    """UDP relays fleet <-> PX4, one pair of OS-chosen ports per drone, counting what each PX4 sends."""

    def __init__(self, px4_ports: dict[int, int]) -> None:
        self.sel = selectors.DefaultSelector()
        self.counts: dict[int, Counter[int]] = {}
        self.front_port: dict[int, int] = {}
        self._lock = threading.Lock()
        for sysid, port in px4_ports.items():
            front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            front.bind(("127.0.0.1", 0))
            back.bind(("127.0.0.1", 0))
            self.front_port[sysid] = front.getsockname()[1]
            self.counts[sysid] = Counter()
            state = {"client": None, "px4": ("127.0.0.1", port), "front": front, "back": back, "sysid": sysid}
            self.sel.register(front, selectors.EVENT_READ, ("front", state))
            self.sel.register(back, selectors.EVENT_READ, ("back", state))
        self._stop = False
        self.thread = threading.Thread(target=self._run, name="relay", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop:
            for key, _ in self.sel.select(0.2):
                side, st = key.data
                try:
                    data, addr = key.fileobj.recvfrom(65536)  # type: ignore[union-attr]
                except OSError:
                    continue
                if side == "front":
                    st["client"] = addr
                    st["back"].sendto(data, st["px4"])
                else:
                    with self._lock:
                        _count_frames(data, self.counts[st["sysid"]])
                    if st["client"] is not None:
                        try:
                            st["front"].sendto(data, st["client"])
                        except OSError:
                            pass   # the fleet of the last phase is gone

    def snapshot(self) -> dict[int, Counter[int]]:
        with self._lock:
            return {s: Counter(c) for s, c in self.counts.items()}

    def close(self) -> None:
        self._stop = True
        self.thread.join(2)
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]


def child(mode: str, links: list[list[Any]]) -> None:
    """The fleet's process: runs the Fleet, says "ready" once linked, reports when told to (stdin)."""
    sys.path.insert(0, str(ROOT))
    from console.core.core_loop import CoreLoop
    from drones.fleet import Fleet, dropped_callbacks
    from drones.site import Dock
    from vocab import LinkState

    docks = [Dock(id=f"B{sysid}", name=f"bench {sysid}", district="shinan", lat=36.07, lon=120.38, ground_alt_m=10.0,
                  dock_sn=f"BENCH{sysid}", sysid=sysid, port=14600 + sysid, mavlink=url) for sysid, url in links]
    core = CoreLoop("bench-core")
    core.start()
    fleet = Fleet(docks) if mode == "console" else Fleet(docks, message_rates=None)
    core.call(fleet.start(), 15)
    sysids = [d.sysid for d in docks]

    def ready() -> bool:
        if not all(fleet.snapshot(s).link is LinkState.OK for s in sysids):
            return False
        return mode != "console" or all((r := fleet.rate_requests(s)) is not None and r.complete for s in sysids)

    deadline = time.monotonic() + READY_TIMEOUT_S
    while not ready() and time.monotonic() < deadline:
        time.sleep(0.05)   # polling the fleet's state with a deadline
    print(json.dumps({"ready": ready(), "dropped": dropped_callbacks()}), flush=True)
    sys.stdin.readline()   # the parent's measuring window is over
    refused = {s: {k: v for k, v in r.results.items() if v != "ACCEPTED"}
               for s in sysids if (r := fleet.rate_requests(s)) is not None}
    print(json.dumps({"dropped": dropped_callbacks(), "store_rates_hz": [fleet.snapshot(s).message_rate_hz
                                                                          for s in sysids],
                      "refused": refused}), flush=True)
    core.call(fleet.close(), 10)
    core.stop(5)


def _phase(mode: str, relay: Relay) -> dict[str, Any]:
    import psutil

    links = [[sysid, f"udpout://127.0.0.1:{port}"] for sysid, port in relay.front_port.items()]
    proc = subprocess.Popen([sys.executable, "-m", "bench.bench_px4_rates", "--child", mode, json.dumps(links)],
                            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        started = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
        time.sleep(WARMUP_S)   # settling after attach: not measured
        ps = psutil.Process(proc.pid)
        c0, t0, n0 = sum(ps.cpu_times()[:2]), time.monotonic(), relay.snapshot()
        time.sleep(MEASURE_S)  # the measuring window
        c1, t1, n1 = sum(ps.cpu_times()[:2]), time.monotonic(), relay.snapshot()
        proc.stdin.write("report\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]
        report = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
    finally:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    dt = t1 - t0
    per_drone = {s: sum((n1[s] - n0[s]).values()) / dt for s in n1}
    by_id: Counter[int] = Counter()
    for s in n1:
        by_id.update(n1[s] - n0[s])
    names = _names()
    mean = sum(per_drone.values()) / len(per_drone)
    return {
        "linked_and_answered": started["ready"],
        "messages_per_drone_s": round(mean, 1),
        "messages_per_drone_per_px4_s": round(mean / SPEED_FACTOR, 1),
        "messages_per_drone_s_each": {str(s): round(v, 1) for s, v in per_drone.items()},
        "fleet_cpu_s_per_s": round((c1 - c0) / dt, 3),
        "dropped_callbacks": report["dropped"],
        "dropped_callbacks_before_window": started["dropped"],
        "store_rates_hz": [round(r or 0, 1) for r in report["store_rates_hz"]],
        "refused": {k: v for k, v in report["refused"].items() if v},
        "top_messages_per_drone_s": {names.get(mid, str(mid)): round(c / dt / len(n1), 1)
                                     for mid, c in by_id.most_common(12)},
    }


def _names() -> dict[int, str]:
    from pymavlink.dialects.v20 import all as dialect

    return {mid: cls.msgname for mid, cls in dialect.mavlink_map.items()}


def run() -> dict[str, Any]:
    from drones.message_rates import streamed_hz
    from drones.sim.px4_sitl import Px4Sitl, Px4Unavailable, find_px4

    try:
        build = find_px4()
    except Px4Unavailable as exc:
        return {"skipped": str(exc)}
    with tempfile.TemporaryDirectory(prefix="bench-px4-") as run_dir:
        sitl = Px4Sitl(build, Path(run_dir), speed_factor=SPEED_FACTOR)
        try:
            instances = sitl.start_many([(41 + i, 36.07 + 0.001 * i, 120.38, 10.0) for i in range(N_DRONES)])
            relay = Relay({i.sysid: i.onboard_port for i in instances})
            try:
                default = _phase("default", relay)
                console = _phase("console", relay)
            finally:
                relay.close()
        finally:
            sitl.close()
    table_hz = streamed_hz()
    rate_ok = console["messages_per_drone_per_px4_s"] <= GOAL_RATE_RATIO * table_hz
    cpu_ok = console["fleet_cpu_s_per_s"] < default["fleet_cpu_s_per_s"]
    dropped_ok = console["dropped_callbacks"] == 0
    return {
        "drones": N_DRONES,
        "px4_speed_factor": SPEED_FACTOR,
        "measure_s": MEASURE_S,
        "table_messages_per_drone_per_px4_s": table_hz,
        "default": default,
        "console": console,
        "messages_ratio_default_over_console": round(default["messages_per_drone_s"]
                                                     / max(console["messages_per_drone_s"], 1e-9), 1),
        "cpu_ratio_default_over_console": round(default["fleet_cpu_s_per_s"]
                                                / max(console["fleet_cpu_s_per_s"], 1e-9), 1),
        "goal": (f"console phase: <= {GOAL_RATE_RATIO:g} x the table's {table_hz:g} messages per drone per PX4 second, "
                 "less fleet CPU than PX4's defaults, 0 dropped callbacks"),
        "goal_met": bool(rate_ok and cpu_ok and dropped_ok and console["linked_and_answered"]),
        "goals": {"rate": rate_ok, "cpu": cpu_ok, "dropped_callbacks": dropped_ok},
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], json.loads(sys.argv[3]))
