"""The test brokers keep their ports: a stopped Mosquitto's port refuses clients and other programs'
binds, a restart finds it again, and a port that is really gone fails the restart with the reason."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiomqtt
import pytest

from tests.brokers import BROKER_PORTS, EmbeddedBroker, MosquittoBroker
from tests.ports import hold_tcp_port


def connects(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_a_stopped_mosquitto_keeps_its_port_for_the_restart(mosquitto: MosquittoBroker) -> None:
    port = mosquitto.port
    assert port in BROKER_PORTS and connects(port)
    mosquitto.stop()
    assert not connects(port)                     # refused, as a broker that is down
    with pytest.raises(OSError), socket.socket() as other:
        other.bind(("127.0.0.1", port))           # and no ordinary program can take it meanwhile
    mosquitto.start()
    assert mosquitto.port == port and connects(port)


def test_a_port_taken_during_the_restart_fails_with_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tests.brokers.RESTART_WAIT_S", 0.5)
    broker = MosquittoBroker(tmp_path)
    broker.start()
    try:
        assert broker.port is not None
        broker.stop()
        # A server that sets SO_REUSEADDR too may still listen there while the broker is down.
        with hold_tcp_port(broker.port) as thief:
            thief.listen()
            with pytest.raises(RuntimeError, match=f"could not restart on port {broker.port}: .*Address already in use"):
                broker.start()
        broker.start()                            # the port is back: so is the broker
        assert connects(broker.port)
    finally:
        broker.close()


def test_a_broker_stopped_the_moment_it_runs_still_stops(tmp_path: Path) -> None:
    # Mosquitto can lose a SIGTERM that arrives right after its "running" line; stop() must not.
    broker = MosquittoBroker(tmp_path)
    try:
        for _ in range(10):
            broker.start()
            proc = broker.proc
            broker.stop()
            assert proc is not None and proc.poll() is not None
    finally:
        broker.close()


def test_the_demo_broker_sends_a_new_client_the_retained_messages_of_its_own_subscriptions_only(
        embedded_broker: EmbeddedBroker) -> None:
    """amqtt replayed every subscribed topic's retained messages to each client that connected (drones/sim/broker.py):
    a console got dock states it never asked for, and a busy demo lost a connecting client's session."""
    port = embedded_broker.port

    async def scenario() -> list[str]:
        async with aiomqtt.Client("127.0.0.1", port, identifier="holder", clean_session=False) as holder:
            await holder.subscribe("demo/a/#", qos=1)            # a subscription of another client
            await holder.publish("demo/a/1", b"a", qos=1, retain=True)
            await holder.publish("demo/b/1", b"b", qos=1, retain=True)
            async with aiomqtt.Client("127.0.0.1", port, identifier="newcomer") as newcomer:
                await newcomer.subscribe("demo/b/#", qos=1)
                await newcomer.subscribe("demo/end", qos=1)
                await newcomer.publish("demo/end", b"end", qos=1)   # the end of what arrives for it
                got: list[str] = []
                async with asyncio.timeout(10):
                    async for message in newcomer.messages:
                        if str(message.topic) == "demo/end":
                            break
                        got.append(str(message.topic))
                return got

    assert asyncio.run(scenario()) == ["demo/b/1"]
