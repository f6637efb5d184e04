"""AlertService over a real Mosquitto, through the console's own MqttLink on a CoreLoop thread:
alerts from a plain MQTT client appear, malformed ones end in quarantine, nothing is lost across
a broker restart, redeliveries are no-ops, and two consoles see the same workflow states."""

from __future__ import annotations

import asyncio
import getpass
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from console.core.alert_events import AlertQuarantined, AlertReceived
from console.core.alert_service import AlertService, DispatchFn
from console.core.core_loop import CoreLoop
from console.core.events import BrokerStateChanged, EventBus
from console.core.mqtt_link import MqttLink
from drones.sim.alerts import MALFORMED_KINDS, AlertGenerator
from drones.site import Site, parse_broker_url
from tests.conftest import MosquittoBroker, wait_until

SITE = Site(name="t", path=None, broker=None)
POINTS = [(36.06 + 0.001 * i, 120.38 + 0.001 * i, f"3702020000131{i:07d}", "shinan") for i in range(50)]


class PersistentMosquitto(MosquittoBroker):
    """Mosquitto that saves sessions and queued messages on shutdown, as a site's broker would."""

    def __init__(self, tmp: Path) -> None:
        (tmp / "db").mkdir()
        # Run as ourselves: started as root, Mosquitto would switch to its own user and could not write here.
        super().__init__(tmp, options=f"persistence true\npersistence_location {tmp / 'db'}/\n"
                                      f"max_queued_messages 0\nuser {getpass.getuser()}\n")


@pytest.fixture
def persistent_mosquitto(tmp_path: Path) -> Iterator[PersistentMosquitto]:
    broker = PersistentMosquitto(tmp_path)
    broker.start()
    yield broker
    broker.close()


class Console:
    """An AlertService on its own MqttLink and CoreLoop, as CoreServices would run it."""

    def __init__(self, url: str, journal: Path, console_id: str = "c1", *, site: Site = SITE,
                 dispatch: DispatchFn | None = None) -> None:
        self.core = CoreLoop()
        self.core.start()
        self.bus = EventBus()
        self.states: list[BrokerStateChanged] = []   # the link's ups and downs
        self.bus.subscribe(lambda e: self.states.append(e) if isinstance(e, BrokerStateChanged) else None)
        self.link = MqttLink(parse_broker_url(url), console_id=console_id, topic_root="qdcb", bus=self.bus)
        self.events: list[Any] = []

        async def start() -> AlertService:
            service = AlertService(site, self.link, console_id=console_id, journal_file=journal,
                                   on_event=self.events.append, dispatch=dispatch)
            service.start()
            asyncio.create_task(self.link.run())
            return service

        self.service: AlertService = self.core.call(start())
        self.core.on_shutdown(self.service.close)
        self.core.on_shutdown(self.link.close)
        wait_until(lambda: self.link.connected, 10, "console connected")

    def call(self, coro: Any) -> Any:
        return self.core.call(coro)

    def close(self) -> None:
        assert self.core.stop()


async def publish_all(url: str, messages: list[tuple[str, bytes]]) -> None:
    cfg = parse_broker_url(url)
    async with aiomqtt.Client(cfg.host, cfg.port, protocol=aiomqtt.ProtocolVersion.V311) as c:
        for topic, payload in messages:
            await c.publish(topic, payload, qos=1)


def test_alerts_from_a_plain_client_appear_malformed_ones_are_quarantined_redeliveries_ignored(
        mosquitto: MosquittoBroker, tmp_path: Path) -> None:
    console = Console(mosquitto.url, tmp_path / "alerts.sqlite")
    try:
        generator = AlertGenerator(POINTS, seed=2, rate_per_min=600, redelivery_fraction=0.0)
        good = [m for m in generator.advance(60) if m.kind == "alert"][:200]
        bad = [generator.malformed(k) for k in MALFORMED_KINDS]  # type: ignore[arg-type]
        stream = [(m.topic, m.payload) for m in good + bad] + [(m.topic, m.payload) for m in good[:20]]
        asyncio.run(publish_all(mosquitto.url, stream))
        wait_until(lambda: len(console.service.alerts()) == len(good)
                   and len(console.service.quarantine()) == len(bad), 10, "every alert and quarantine")
        assert {r.id for r in console.service.alerts()} == {m.alert.id for m in good if m.alert}
        assert len([e for e in console.events if isinstance(e, AlertReceived)]) == len(good)
        assert len([e for e in console.events if isinstance(e, AlertQuarantined)]) == len(bad)
        assert console.service.store.count() == len(good)
        assert console.service.store.quarantine_count() == len(bad)
    finally:
        console.close()


async def publish_through_outage(url: str, messages: list[tuple[str, bytes]], restart_at: int,
                                 restart: Any) -> None:
    """Publishes every message at QoS 1, reconnecting and re-sending any whose PUBACK did not come."""
    cfg = parse_broker_url(url)
    i = 0
    while i < len(messages):
        try:
            async with aiomqtt.Client(cfg.host, cfg.port, protocol=aiomqtt.ProtocolVersion.V311, timeout=2) as c:
                while i < len(messages):
                    if i == restart_at:
                        restart_at = -1
                        await asyncio.to_thread(restart)
                    await c.publish(*messages[i], qos=1)
                    i += 1
        except aiomqtt.MqttError:
            await asyncio.sleep(0.2)  # publisher's reconnect backoff, not synchronisation


def test_a_broker_restart_during_a_stream_loses_nothing(persistent_mosquitto: PersistentMosquitto,
                                                        tmp_path: Path) -> None:
    console = Console(persistent_mosquitto.url, tmp_path / "alerts.sqlite")
    try:
        generator = AlertGenerator(POINTS, seed=5, rate_per_min=1200, redelivery_fraction=0.0, clear_fraction=0.0)
        messages = [(m.topic, m.payload) for m in generator.advance(60) if m.kind == "alert"][:600]

        def restart() -> None:
            persistent_mosquitto.stop()
            persistent_mosquitto.start()

        asyncio.run(publish_through_outage(persistent_mosquitto.url, messages, 300, restart))
        wait_until(lambda: len(console.service.alerts()) == len(messages), 30, "every alert after the restart")
        assert console.service.store.count() == len(messages)
    finally:
        console.close()


def test_two_consoles_see_the_same_workflow_states(mosquitto: MosquittoBroker, tmp_path: Path) -> None:
    a = Console(mosquitto.url, tmp_path / "a.sqlite", "A")
    b = Console(mosquitto.url, tmp_path / "b.sqlite", "B")
    try:
        generator = AlertGenerator(POINTS, seed=6)
        m = generator.emit("waterlogging", 2, 36.07, 120.39, district="shinan")
        assert m.alert is not None
        alert_id = m.alert.id
        asyncio.run(publish_all(mosquitto.url, [(m.topic, m.payload)]))
        wait_until(lambda: a.service.alert(alert_id) and b.service.alert(alert_id), 10, "both consoles have it")
        a.call(a.service.acknowledge(alert_id, by="opA"))
        wait_until(lambda: b.service.alert(alert_id).state == "acknowledged", 10, "B sees acknowledged")  # type: ignore[union-attr]
        b.call(b.service.mark_dispatched(alert_id, "T-1", by="opB"))
        wait_until(lambda: a.service.alert(alert_id).state == "dispatched", 10, "A sees dispatched")  # type: ignore[union-attr]
        record = a.service.alert(alert_id)
        assert record is not None and (record.task_id, record.state_by, record.state_console) == ("T-1", "opB", "B")
        # A third console that starts later gets the state from the retained message.
        c = Console(mosquitto.url, tmp_path / "c.sqlite", "C")
        try:
            asyncio.run(publish_all(mosquitto.url, [(m.topic, m.payload)]))  # it sees the alert now
            wait_until(lambda: (r := c.service.alert(alert_id)) and r.state == "dispatched", 10, "C catches up")
        finally:
            c.close()
        retained = json.loads(asyncio.run(read_one(mosquitto.url, f"qdcb/console/v1/alerts/{alert_id}")))
        assert (retained["state"], retained["console"], retained["task_id"]) == ("dispatched", "B", "T-1")
    finally:
        a.close()
        b.close()


async def read_one(url: str, topic: str) -> bytes:
    cfg = parse_broker_url(url)
    async with aiomqtt.Client(cfg.host, cfg.port, protocol=aiomqtt.ProtocolVersion.V311) as c:
        await c.subscribe(topic, qos=1)
        async with asyncio.timeout(5):
            async for message in c.messages:
                return bytes(message.payload)  # type: ignore[arg-type]
    raise AssertionError("no retained message")
