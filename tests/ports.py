"""Ports for tests without ever picking a number and releasing it: every port a test names is one a
socket of the test holds for as long as the test needs it.

A *held* TCP port is bound with SO_REUSEADDR and never listens. Linux then refuses connections to
it (as to a server that is down), refuses an ordinary bind by any other program, but lets a server
that also sets SO_REUSEADDR (Mosquitto, asyncio's start_server) listen on it beside the holder. So
a test can stop a server and start it again on the same port without the port being up for grabs
in between, and "a broker that is not there" is a held port nobody serves.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

# One implementation for the tests and the product's SiteBroker (console/security/site_broker.py).
from console.security.site_broker import hold_tcp_port as hold_tcp_port


def port_of(s: socket.socket) -> int:
    return int(s.getsockname()[1])


@contextmanager
def refusing_tcp_port(host: str = "127.0.0.1") -> Iterator[int]:
    """A loopback TCP port that refuses every connection, held until the block ends."""
    with hold_tcp_port(0, host) as s:
        yield port_of(s)


@contextmanager
def silent_udp_port(host: str = "127.0.0.1") -> Iterator[socket.socket]:
    """A bound UDP socket that never answers: a MAVLink peer that is not there, or a port nobody else may bind."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        yield s
