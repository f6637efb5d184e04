"""Simulator cost: CPU and memory of the MAVLink vehicle simulator for 56 and 254 drones.

The simulator runs as its own process (as in the demo site) with default stream rates
(GLOBAL_POSITION_INT and ATTITUDE at 10 Hz, about 32 messages/s per drone); this process
plays the console: one UDP socket per drone, bound here and kept, that the drones send to
first (the simulator's `--console-host` mode, each dock's `port` one of these sockets), which
counts what arrives and sends a GCS heartbeat back once a second so the vehicles see a live link.
"""

from __future__ import annotations

import asyncio
import selectors
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
WARMUP_S = 3.0
MEASURE_S = 15.0


def _docks(n: int, ports: list[int]):  # type: ignore[no-untyped-def]
    from drones.site import Dock

    return [Dock(id=f"B{i:03d}", name=f"bench {i}", district="shinan", lat=36.05 + 0.002 * (i % 20),
                 lon=120.35 + 0.002 * (i // 20), ground_alt_m=10.0, dock_sn=f"BENCH{i:04d}", sysid=i + 1,
                 port=ports[i]) for i in range(n)]


def child(n: int, ports: list[int]) -> None:
    """Runs n simulated drones until killed (the measured process)."""
    sys.path.insert(0, str(ROOT))
    from drones.sim.fleet_sim import SimFleet

    async def main() -> None:
        fleet = SimFleet(_docks(n, ports), time_scale=1.0, console_host="127.0.0.1")
        await fleet.start()
        await asyncio.Event().wait()

    asyncio.run(main())


def measure(n: int) -> dict[str, float]:
    from pymavlink.dialects.v20 import common as mav

    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    proc = subprocess.Popen([sys.executable, "-m", "bench.bench_sim_mavlink", "--child", str(n),
                             ",".join(map(str, ports))], cwd=ROOT)
    gcs = mav.MAVLink(None, srcSystem=245, srcComponent=190)
    heartbeat = gcs.heartbeat_encode(mav.MAV_TYPE_GCS, mav.MAV_AUTOPILOT_INVALID, 0, 0, 0).pack(gcs)
    sel = selectors.DefaultSelector()
    peers: dict[int, tuple[str, int]] = {}
    for i, s in enumerate(socks):
        sel.register(s, selectors.EVENT_READ, i)
    packets = 0
    t_start = time.monotonic()
    measuring = False
    cpu0 = 0.0
    next_hb = 0.0
    p = psutil.Process(proc.pid)
    try:
        while True:
            now = time.monotonic()
            if not measuring and now - t_start > WARMUP_S:
                measuring, t0, packets = True, now, 0
                cpu0 = sum(p.cpu_times()[:2])
            if measuring and now - t0 > MEASURE_S:
                break
            if now >= next_hb:
                next_hb = now + 1.0
                for i, addr in peers.items():
                    socks[i].sendto(heartbeat, addr)
            for key, _ in sel.select(0.05):
                while True:
                    try:
                        _, addr = key.fileobj.recvfrom(4096)  # type: ignore[union-attr]
                    except BlockingIOError:
                        break
                    peers[key.data] = addr
                    packets += 1
        cpu = sum(p.cpu_times()[:2]) - cpu0
        rss = p.memory_info().rss
    finally:
        proc.kill()
        proc.wait()
        for s in socks:
            s.close()
    return {"drones": n, "cpu_percent_of_one_core": round(100 * cpu / MEASURE_S, 1),
            "rss_mb": round(rss / 2**20, 1), "messages_per_s": round(packets / MEASURE_S),
            "messages_per_drone_s": round(packets / MEASURE_S / n, 1), "drones_heard": len(peers)}


def run() -> dict[str, object]:
    return {"sim_56": measure(56), "sim_254": measure(254)}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(int(sys.argv[2]), [int(x) for x in sys.argv[3].split(",")])
