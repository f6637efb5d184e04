"""Telemetry path cost: 56 and 254 simulated drones at 10 Hz through MAVSDK into the fleet's store.

The simulator runs in its own process (as in the demo site) with one UDP port per drone, bound
by the drones themselves and reported on its stdout; this process is the console and connects
out to them (`udpout://`; a drone answers whoever talked to it last). For each fleet size, one
simulator serves four phases in turn, each with a fresh MAVSDK instance:

- `bare`: MAVSDK's synchronous API with the same subscriptions the fleet makes (position,
  flight mode, landed state, battery, GPS, home, status text), each callback only counting.
- `fleet`: `drones.fleet.Fleet` on a core loop, as the console runs it (store writes, the
  getters it calls inside callbacks, events, the link supervisor).
- `fleet_latency` / `bare_latency`: the same two again with a latency probe (kept apart so
  that the probe's own cost stays out of the CPU figures).

CPU is this process's user+system time over the measuring window (all threads: MAVSDK's I/O
and callback threads, the core loop). The headline ratio is fleet CPU per position message
over bare CPU per position message (goal <= 3).

Latency: in the simulator process each GLOBAL_POSITION_INT carries its send time instead of
the latitude: `lat = (CLOCK_MONOTONIC in us) mod 800 s`, in the message's 1e-7 degree units,
stamped right before the datagram is sent. CLOCK_MONOTONIC is one clock for every process on
the machine, so the console subtracts that stamp from its own clock the moment the store's
position write has returned (the value is readable by any reader from then on). Readers that
poll the store on a UI timer add up to their period on top; that is not counted here.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SIZES = (56, 254)
POSITION_HZ = 10.0
WARMUP_S = 4.0
MEASURE_S = 10.0
#: Send-time stamps are taken modulo this many microseconds (80 degrees of "latitude").
STAMP_MODULUS_US = 800_000_000
STREAMS = ("position", "flight_mode", "landed_state", "battery", "gps_info", "home", "status_text")


def _docks(n: int, ports: list[int] | None = None):  # type: ignore[no-untyped-def]
    """n bench docks; with `ports`, each drone reached with udpout at its simulated drone's port."""
    from drones.site import Dock

    return [Dock(id=f"F{i:03d}", name=f"bench {i}", district="shinan", lat=36.05 + 0.002 * (i % 20),
                 lon=120.35 + 0.002 * (i // 20), ground_alt_m=10.0, dock_sn=f"FLEET{i:04d}", sysid=i + 1,
                 port=14600 + i + 1, mavlink=f"udpout://127.0.0.1:{ports[i]}" if ports else None)
            for i in range(n)]


def child(n: int) -> None:
    """The simulator process: every drone's GLOBAL_POSITION_INT carries its send time as latitude."""
    sys.path.insert(0, str(ROOT))
    from drones.sim import endpoint
    from drones.sim.fleet_sim import SimFleet

    position_id = endpoint.M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT
    send_message = endpoint.VehicleEndpoint._send_message

    def stamped(self: Any, mid: int) -> bool:
        if mid != position_id:
            return send_message(self, mid)
        m = self.vehicle.model
        stamp = (time.monotonic_ns() // 1000) % STAMP_MODULUS_US
        self.mav.global_position_int_send(self.time_boot_ms(), stamp, int(m.lon * 1e7), int(m.alt_amsl_m * 1000),
                                          int(m.relative_alt_m * 1000), int(m.v_north_m_s * 100),
                                          int(m.v_east_m_s * 100), int(m.v_down_m_s * 100),
                                          int(m.yaw_deg * 100) % 36000)
        return True

    endpoint.VehicleEndpoint._send_message = stamped  # type: ignore[method-assign]

    async def main() -> None:
        fleet = SimFleet(_docks(n), time_scale=1.0)
        await fleet.start()
        print(json.dumps([fleet.ports[i + 1] for i in range(n)]), flush=True)  # the ports the drones bound
        await asyncio.Event().wait()

    asyncio.run(main())


class _Latencies:
    """Preallocated latency samples, written by MAVSDK's callback thread only."""

    def __init__(self, capacity: int) -> None:
        self.us = np.zeros(capacity, dtype=np.int64)
        self.n = 0
        self.on = False

    def add(self, lat_deg: float) -> None:
        if self.on and self.n < len(self.us):
            now_us = time.monotonic_ns() // 1000
            self.us[self.n] = (now_us - round(lat_deg * 1e7)) % STAMP_MODULUS_US
            self.n += 1

    def summary(self) -> dict[str, float]:
        ms = self.us[:self.n] / 1000.0
        return {"samples": int(self.n), "p50_ms": round(float(np.percentile(ms, 50)), 2),
                "p99_ms": round(float(np.percentile(ms, 99)), 2), "max_ms": round(float(ms.max()), 1)}


def _window(count: Any, n: int, probe: _Latencies | None) -> dict[str, float]:
    """Waits WARMUP_S, then measures CPU and position messages over MEASURE_S."""
    time.sleep(WARMUP_S)  # discovery and the first subscriptions: not measured
    p0, c0, t0 = count(), time.process_time(), time.monotonic()
    if probe is not None:
        probe.on = True
    time.sleep(MEASURE_S)  # the measuring window
    if probe is not None:
        probe.on = False
    dt, cpu, positions = time.monotonic() - t0, time.process_time() - c0, count() - p0
    return {"cpu_percent_of_one_core": round(100 * cpu / dt, 1), "positions_per_s": round(positions / dt),
            "positions_per_drone_s": round(positions / dt / n, 2),
            "cpu_us_per_position": round(1e6 * cpu / max(positions, 1), 1)}


def _bare(ports: list[int], probe: _Latencies | None) -> dict[str, float]:
    from mavsdk import Configuration, Mavsdk
    from mavsdk.component_type import ComponentType
    from mavsdk.plugins.telemetry import Telemetry

    positions = [0]
    others = [0]

    def on_position(p: Any, _ud: object) -> None:
        positions[0] += 1
        if probe is not None:
            probe.add(p.latitude_deg)

    def on_other(_value: Any, _ud: object) -> None:
        others[0] += 1

    mavsdk = Mavsdk(Configuration.create_with_component_type(ComponentType.GROUND_STATION))
    plugins: list[Telemetry] = []
    attached: set[int] = set()

    def attach(_ud: object) -> None:
        for system in mavsdk.get_systems():
            if system.get_system_id() in attached:
                continue
            attached.add(system.get_system_id())
            t = Telemetry(system)
            plugins.append(t)
            for stream in STREAMS:
                getattr(t, "subscribe_" + stream)(on_position if stream == "position" else on_other)

    try:
        for port in ports:
            mavsdk.add_any_connection(f"udpout://127.0.0.1:{port}")
        # Attach from a thread of ours, as the fleet does, not from MAVSDK's callback thread.
        deadline = time.monotonic() + WARMUP_S
        while len(attached) < len(ports) and time.monotonic() < deadline:
            attach(None)
            time.sleep(0.05)  # polling MAVSDK's system list during warm-up
        result = _window(lambda: positions[0], len(ports), probe)
        result["drones_heard"] = len(attached)
        return result
    finally:
        mavsdk.destroy()


def _fleet(ports: list[int], probe: _Latencies | None) -> dict[str, float]:
    from console.core.core_loop import CoreLoop
    from drones.fleet import Fleet
    from drones.telemetry_store import DroneWriter

    original = DroneWriter.position
    if probe is not None:
        def probed(self: DroneWriter, lat: float, lon: float, alt_amsl_m: float, alt_rel_m: float) -> None:
            original(self, lat, lon, alt_amsl_m, alt_rel_m)
            probe.add(lat)  # the value is readable in the store from here on

        DroneWriter.position = probed  # type: ignore[method-assign]
    core = CoreLoop("bench-core")
    core.start()
    fleet = Fleet(_docks(len(ports), ports))
    try:
        core.call(fleet.start())
        result = _window(fleet.store.position_samples, len(ports), probe)
        result["drones_heard"] = len(fleet.attached())
        result["links_ok"] = fleet.link_counts()[0]
        return result
    finally:
        core.call(fleet.close(), 10)
        core.stop(5)
        DroneWriter.position = original  # type: ignore[method-assign]


def measure(n: int) -> dict[str, Any]:
    import psutil

    from drones.fleet import route_mavsdk_logs

    route_mavsdk_logs()
    proc = subprocess.Popen([sys.executable, "-m", "bench.bench_fleet_telemetry", "--child", str(n)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    sim = psutil.Process(proc.pid)
    try:
        ports = [int(p) for p in json.loads(proc.stdout.readline())]  # type: ignore[union-attr]
        sim_cpu0, t0 = sum(sim.cpu_times()[:2]), time.monotonic()
        bare = _bare(ports, None)
        fleet = _fleet(ports, None)
        capacity = int(n * POSITION_HZ * MEASURE_S * 1.5)
        fleet_probe, bare_probe = _Latencies(capacity), _Latencies(capacity)
        fleet_latency = _fleet(ports, fleet_probe)
        bare_latency = _bare(ports, bare_probe)
        sim_cpu = (sum(sim.cpu_times()[:2]) - sim_cpu0) / (time.monotonic() - t0)
    finally:
        proc.kill()
        proc.wait()
    return {
        "drones": n,
        "bare": bare,
        "fleet": fleet,
        "cpu_ratio_fleet_over_bare_per_position": round(fleet["cpu_us_per_position"] / bare["cpu_us_per_position"], 2),
        "cpu_ratio_fleet_over_bare": round(fleet["cpu_percent_of_one_core"] / bare["cpu_percent_of_one_core"], 2),
        "latency_send_to_store": fleet_latency_summary(fleet_probe, fleet_latency),
        "latency_send_to_bare_callback": fleet_latency_summary(bare_probe, bare_latency),
        "simulator_cpu_percent_of_one_core": round(100 * sim_cpu, 1),
    }


def fleet_latency_summary(probe: _Latencies, window: dict[str, float]) -> dict[str, float]:
    return {**probe.summary(), "positions_per_drone_s": window["positions_per_drone_s"]}


def run() -> dict[str, Any]:
    return {f"fleet_{n}": measure(n) for n in SIZES}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(int(sys.argv[2]))
