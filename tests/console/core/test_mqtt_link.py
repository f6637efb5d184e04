"""The console's MQTT link against real brokers: Mosquitto and the embedded amqtt broker."""

from __future__ import annotations

import asyncio
import json
import queue
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiomqtt
import pytest

from console.core.core_loop import CoreLoop
from console.core.events import BrokerStateChanged, EventBus
from console.core.mqtt_link import MqttLink
from drones.site import parse_broker_url
from tests.conftest import MosquittoBroker, wait_until


class LinkUnderTest:
    """An MqttLink running on a real CoreLoop, with its events collected."""

    def __init__(self, url: str, console_id: str = "t1") -> None:
        self.core = CoreLoop()
        self.core.start()
        self.bus = EventBus()
        self.events: queue.Queue[Any] = queue.Queue()
        self.states: list[BrokerStateChanged] = []
        self.bus.subscribe(self._on_event)
        self.link = MqttLink(parse_broker_url(url), console_id=console_id, topic_root="qdcb", bus=self.bus)
        self.received: list[tuple[str, bytes]] = []
        self.link.subscribe("test/#", lambda m: self.received.append((str(m.topic), m.payload)))

        async def start() -> None:
            asyncio.create_task(self.link.run())

        self.core.call(start())

    def _on_event(self, ev: Any) -> None:
        if isinstance(ev, BrokerStateChanged):
            self.states.append(ev)

    def state(self) -> str | None:
        return self.states[-1].state if self.states else None

    def close(self) -> None:
        self.core.on_shutdown(self.link.close)
        assert self.core.stop()


async def read_retained(url: str, topic: str) -> dict[str, Any]:
    cfg = parse_broker_url(url)
    async with aiomqtt.Client(cfg.host, cfg.port, protocol=aiomqtt.ProtocolVersion.V311) as c:
        await c.subscribe(topic, qos=1)
        async with asyncio.timeout(5):
            async for m in c.messages:
                return json.loads(m.payload)
    raise AssertionError("no retained message")


async def publish(url: str, topic: str, payload: str) -> None:
    cfg = parse_broker_url(url)
    async with aiomqtt.Client(cfg.host, cfg.port, protocol=aiomqtt.ProtocolVersion.V311) as c:
        await c.publish(topic, payload, qos=1)


@pytest.mark.parametrize("broker_kind", ["mosquitto", "embedded"])
def test_connects_announces_presence_and_routes_messages(broker_kind: str, request: pytest.FixtureRequest) -> None:
    broker = request.getfixturevalue("mosquitto" if broker_kind == "mosquitto" else "embedded_broker")
    lut = LinkUnderTest(broker.url)
    try:
        wait_until(lambda: lut.state() == "connected", 10, "connected")
        assert [s.state for s in lut.states][:2] == ["connecting", "connected"]
        presence = asyncio.run(read_retained(broker.url, "qdcb/console/v1/consoles/t1"))
        assert presence["online"] is True
        asyncio.run(publish(broker.url, "test/a", "hello"))
        wait_until(lambda: lut.received, 5, "message routed")
        assert lut.received == [("test/a", b"hello")]
    finally:
        lut.close()
    presence = asyncio.run(read_retained(broker.url, "qdcb/console/v1/consoles/t1"))
    assert presence["online"] is False


def test_reconnects_after_broker_restart_and_gets_what_was_sent_meanwhile(mosquitto: MosquittoBroker) -> None:
    lut = LinkUnderTest(mosquitto.url)
    try:
        wait_until(lambda: lut.state() == "connected", 10, "connected")
        mosquitto.stop()
        wait_until(lambda: lut.state() == "disconnected", 15, "disconnected")
        down = lut.states[-1]
        assert down.reason and down.retry_in_s and down.retry_in_s >= 1
        mosquitto.start()
        wait_until(lambda: lut.state() == "connected", 20, "reconnected")
        asyncio.run(publish(mosquitto.url, "test/after", "again"))
        wait_until(lambda: lut.received, 5, "message after reconnect")
        assert lut.received[-1] == ("test/after", b"again")
    finally:
        lut.close()


def test_unreachable_broker_reports_why_and_keeps_retrying(refused_port: int) -> None:
    lut = LinkUnderTest(f"mqtt://127.0.0.1:{refused_port}")
    try:
        wait_until(lambda: sum(s.state == "disconnected" for s in lut.states) >= 2, 10, "two failed attempts")
        first, second = [s for s in lut.states if s.state == "disconnected"][:2]
        assert first.reason
        assert second.retry_in_s > first.retry_in_s  # backoff grows
    finally:
        lut.close()


def test_a_message_is_acknowledged_only_once_it_is_kept(mosquitto: MosquittoBroker) -> None:
    """A batch whose journal fails is not acknowledged: the link reconnects and the broker delivers it again."""
    lut = LinkUnderTest(mosquitto.url)
    commits: list[bool] = []

    @contextmanager
    def journal() -> Iterator[None]:
        yield
        if not commits:          # the first commit fails (a full disk, say); the next ones work
            commits.append(False)
            raise OSError("disk full")
        commits.append(True)

    lut.link.add_batch_scope(journal)
    try:
        wait_until(lambda: lut.state() == "connected", 10, "connected")
        asyncio.run(publish(mosquitto.url, "test/kept", "alert"))
        wait_until(lambda: True in commits, 30, "the message delivered again and kept")
        assert lut.received == [("test/kept", b"alert"), ("test/kept", b"alert")]
        assert any(s.state == "disconnected" and s.reason and "not kept" in s.reason for s in lut.states)
        wait_until(lambda: lut.state() == "connected", 10, "connected again")
    finally:
        lut.close()
