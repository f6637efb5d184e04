"""Cost of the site simulator's MQTT side: 56 docks (one client each, osd at 1 Hz) plus the
alert feed at 14 alerts a minute, against a real Mosquitto on a port of its own (tests/brokers.py).

Measures, over MEASURE_S of steady state: CPU of this process (percent of one core) and its
RSS, the same for Mosquitto, the time for all docks to come online, and the PUBLISH rate the
broker saw ($SYS counters, so no subscriber adds to the measured process).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import psutil

from drones.sim.alerts import AlertFeedSim, AlertGenerator
from drones.sim.docks import OSD_PERIOD_S, DockFleetSim
from drones.site import DISTRICTS, Dock
from tests.brokers import MosquittoBroker

N_DOCKS = 56
ALERTS_PER_MIN = 14.0
WARMUP_S = 3.0
MEASURE_S = 20.0
CENTRES = {"shinan": (36.066, 120.383), "shibei": (36.087, 120.374), "licang": (36.145, 120.432),
           "laoshan": (36.107, 120.468)}


def demo_docks(n: int = N_DOCKS) -> list[Dock]:
    """n docks spread over the four districts (the demo site's own list may differ)."""
    docks = []
    for i in range(n):
        district = DISTRICTS[i % len(DISTRICTS)]
        lat, lon = CENTRES[district]
        k = i // len(DISTRICTS)
        docks.append(Dock(id=f"D{i + 1:02d}", name=f"dock {i + 1}", district=district, lat=lat + 0.004 * (k % 5),
                          lon=lon + 0.005 * (k // 5), ground_alt_m=10.0, dock_sn=f"QDDOCK{i + 1:04d}", sysid=i + 1,
                          port=14600 + i + 1))
    return docks


def camera_points(docks: list[Dock]) -> list[tuple[float, float, str, str]]:
    return [(d.lat + 0.001 * j, d.lon - 0.001 * j, f"3702{d.sysid:06d}{j:010d}", d.district)
            for d in docks for j in range(20)]


async def publishes_received(port: int) -> int:
    """The broker's count of PUBLISH packets received ($SYS, refreshed every second)."""
    import aiomqtt

    async with aiomqtt.Client("127.0.0.1", port) as c:
        await c.subscribe("$SYS/broker/publish/messages/received")
        async with asyncio.timeout(5):
            async for m in c.messages:
                return int(m.payload)  # type: ignore[arg-type]
    return -1


async def measure(port: int, broker: psutil.Process) -> dict[str, object]:
    me = psutil.Process()
    rss_before = me.memory_info().rss
    url = f"mqtt://127.0.0.1:{port}"
    docks = demo_docks()
    fleet = DockFleetSim(docks, url, time_scale=1.0, seed=1)
    feed = AlertFeedSim(url, AlertGenerator(camera_points(docks), seed=1, rate_per_min=ALERTS_PER_MIN, bursts=None),
                        client_id="bench-alerts")
    t0 = time.monotonic()
    tasks = [asyncio.create_task(fleet.run()), asyncio.create_task(feed.run())]
    if not await fleet.wait_online(30) or not await feed.wait_connected(10):
        raise RuntimeError("simulator did not connect")
    online_s = time.monotonic() - t0
    await asyncio.sleep(WARMUP_S)  # let connection set-up settle before measuring
    pub0 = await publishes_received(port)
    cpu0, bcpu0, w0 = me.cpu_times(), broker.cpu_times(), time.monotonic()
    alerts0 = sum(feed.published.values())
    await asyncio.sleep(MEASURE_S)  # the measurement window
    cpu1, bcpu1, w1 = me.cpu_times(), broker.cpu_times(), time.monotonic()
    alerts = sum(feed.published.values()) - alerts0
    rss_after = me.memory_info().rss
    pub1 = await publishes_received(port)  # both counts up to 1 s stale: about +-5% over the window
    t_close = time.monotonic()
    await fleet.close()
    await feed.close()
    close_s = time.monotonic() - t_close
    await asyncio.gather(*tasks)
    wall = w1 - w0
    return {
        "docks": len(docks),
        "alerts_per_min_configured": ALERTS_PER_MIN,
        "window_s": round(wall, 1),
        "all_docks_online_s": round(online_s, 2),
        "close_s": round(close_s, 2),
        "sim_cpu_pct_of_one_core": round(100 * (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / wall, 1),
        "sim_rss_mb": round(rss_after / 2**20, 1),
        "sim_rss_added_mb": round((rss_after - rss_before) / 2**20, 1),
        "mosquitto_cpu_pct_of_one_core": round(100 * (bcpu1.user + bcpu1.system - bcpu0.user - bcpu0.system) / wall, 1),
        "mosquitto_rss_mb": round(broker.memory_info().rss / 2**20, 1),
        "broker_publishes_per_s": round((pub1 - pub0) / wall, 1) if pub0 >= 0 and pub1 >= 0 else None,
        "alerts_published_in_window": alerts,
    }


def run() -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        broker = MosquittoBroker(Path(tmp), options="persistence false\nsys_interval 1\n")
        broker.start()
        assert broker.port is not None and broker.proc is not None
        try:
            result = asyncio.run(measure(broker.port, psutil.Process(broker.proc.pid)))
        finally:
            broker.close()
    result["expected_publishes_per_s"] = round(N_DOCKS / OSD_PERIOD_S + ALERTS_PER_MIN / 60, 1)
    return result
