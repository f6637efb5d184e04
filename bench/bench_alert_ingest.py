"""Sustained alert ingest through Mosquitto into the alert journal, against a bare aiomqtt subscriber.

A publisher process sends N_ALERTS distinct alerts (QoS 1) as fast as the broker takes them;
on the receiving side, in this process:
- `bare`: an aiomqtt client that only counts messages (the ceiling of what MQTT delivers here);
- `service`: the console's MqttLink on a CoreLoop thread feeding AlertService (validate,
  journal, incident, event) as CoreServices runs it: messages already queued are handled as a
  batch in one journal transaction, and acknowledged (PUBACK) only after it committed.
Rates are alerts per second from the first publish to the last one journaled (or counted);
loss is checked against the journal. The broker keeps an unlimited queue per client
(`max_queued_messages 0`): Mosquitto's default of 1000 drops a burst a slow subscriber cannot take.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiomqtt

from console.core.alert_events import AlertReceived
from console.core.alert_service import AlertService
from console.core.core_loop import CoreLoop
from console.core.events import EventBus
from console.core.mqtt_link import MqttLink
from drones.site import Site, parse_broker_url
from tests.brokers import MosquittoBroker

N_ALERTS = 20_000
ROOT = Path(__file__).resolve().parent.parent
PUBLISHER = """
import asyncio, json, logging, sys, time
import aiomqtt
logging.disable(logging.WARNING)   # aiomqtt warns about every publish waiting in a pipelined batch
port, n, prefix = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
payloads = [json.dumps({"id": f"{prefix}-{i:07d}", "ts": "2026-11-24T15:04:05.123+08:00", "category": "waterlogging",
    "level": 3, "lat": 36.06 + (i % 1000) * 1e-4, "lon": 120.38 + (i // 1000) * 1e-4, "title": "积水",
    "source": {"kind": "iot", "id": "IOT-1"}, "confidence": 0.97, "status": "active"}, ensure_ascii=False)
    for i in range(n)]
async def main():
    async with aiomqtt.Client("127.0.0.1", port, max_inflight_messages=200) as c:
        print(time.time(), flush=True)
        for chunk in range(0, n, 200):   # 200 QoS 1 publishes in flight at a time
            await asyncio.gather(*(c.publish("qdcb/alerts/v1/shinan/waterlogging", p, qos=1)
                                   for p in payloads[chunk:chunk + 200]))
asyncio.run(main())
"""


def publish(port: int, prefix: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", PUBLISHER, str(port), str(N_ALERTS), prefix],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)


def started_at(proc: subprocess.Popen[str]) -> float:
    assert proc.stdout is not None
    return float(proc.stdout.readline())


async def bare(port: int) -> dict[str, Any]:
    async with aiomqtt.Client("127.0.0.1", port, identifier="bench-bare", clean_session=False,
                              max_queued_incoming_messages=0) as c:
        await c.subscribe("qdcb/alerts/v1/#", qos=1)
        proc = publish(port, "BARE")
        t0 = await asyncio.to_thread(started_at, proc)
        count = 0
        async for _ in c.messages:
            count += 1
            if count == N_ALERTS:
                break
        t1 = time.time()
    proc.wait(30)
    return {"alerts": count, "seconds": round(t1 - t0, 3), "per_s": round(count / (t1 - t0))}


def service(port: int, tmp: Path, link_class: type[MqttLink], prefix: str) -> dict[str, Any]:
    core = CoreLoop()
    core.start()
    link = link_class(parse_broker_url(f"mqtt://127.0.0.1:{port}"), console_id=f"bench-{prefix}", topic_root="qdcb",
                      bus=EventBus())
    received: list[float] = []

    def on_event(event: object) -> None:
        if isinstance(event, AlertReceived):
            received.append(time.time())

    async def start() -> AlertService:
        svc = AlertService(Site(name="bench", path=None, broker=None), link, console_id=f"bench-{prefix}",
                           journal_file=tmp / f"{prefix}.sqlite", on_event=on_event)
        asyncio.create_task(link.run())
        return svc

    svc = core.call(start())
    core.on_shutdown(svc.close)
    core.on_shutdown(link.close)
    deadline = time.monotonic() + 10
    while not link.connected and time.monotonic() < deadline:
        time.sleep(0.01)
    proc = publish(port, prefix)
    t0 = started_at(proc)
    deadline = time.monotonic() + 120
    while len(received) < N_ALERTS and time.monotonic() < deadline:
        time.sleep(0.01)   # polling interval of the measurement
    proc.wait(30)
    t1 = received[-1] if received else time.time()
    journaled = core.call(_count(svc))
    core.stop()
    return {"alerts": len(received), "journaled": journaled, "lost": N_ALERTS - journaled,
            "seconds": round(t1 - t0, 3), "per_s": round(len(received) / (t1 - t0))}


async def _count(svc: AlertService) -> int:
    return svc.store.count()   # on the core loop: the store's connection belongs to it


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        broker = MosquittoBroker(tmp, options="persistence false\nmax_queued_messages 0\n")
        broker.start()
        port = broker.port
        assert port is not None
        try:
            base = asyncio.run(bare(port))
            auto = service(port, tmp, MqttLink, "AUTO")
        finally:
            broker.close()
    return {
        "n_alerts": N_ALERTS,
        "bare_aiomqtt": base,
        "service": auto,
        "ratio_service_to_bare": round(auto["per_s"] / base["per_s"], 2),
        "goal": "service >= 2000/s and ratio >= 0.5, zero loss",
        "goal_met": auto["per_s"] >= 2000 and auto["per_s"] / base["per_s"] >= 0.5 and auto["lost"] == 0,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
