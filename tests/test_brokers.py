"""The test brokers keep their ports: a stopped Mosquitto's port refuses clients and other programs'
binds, a restart finds it again, and a port that is really gone fails the restart with the reason."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.brokers import BROKER_PORTS, MosquittoBroker
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
