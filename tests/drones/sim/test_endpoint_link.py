"""A simulated drone's MAVLink link behaves like PX4's: a UDP port of its own, silence until a ground
station talks (or an initial target, `--console-host`), then answers whoever sent it MAVLink last."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from pymavlink.dialects.v20 import common as mav

from drones.sim.fleet_sim import PHYSICS_HZ
from drones.sim.site_sim import docks_for
from drones.site import Site
from tests.conftest import wait_until
from tests.drones.sim.conftest import SimThread, make_docks
from tests.ports import port_of, silent_udp_port

GCS = mav.MAVLink(None, srcSystem=245, srcComponent=190)
HEARTBEAT = GCS.heartbeat_encode(mav.MAV_TYPE_GCS, mav.MAV_AUTOPILOT_INVALID, 0, 0, 0).pack(GCS)


def receive(sock: socket.socket, what: Callable[[mav.MAVLink_message], bool], timeout_s: float = 5.0
            ) -> tuple[mav.MAVLink_message, tuple[str, int]]:
    """The first MAVLink message arriving on `sock` that satisfies `what`, and who sent it."""
    parser = mav.MAVLink(None)
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            data, addr = sock.recvfrom(4096)
        except TimeoutError:
            break
        for msg in parser.parse_buffer(data) or []:
            if what(msg):
                return msg, addr
    raise AssertionError(f"nothing of the kind arrived in {timeout_s} s")


def nothing_waiting(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        sock.recvfrom(4096)
    except BlockingIOError:
        return True
    finally:
        sock.setblocking(True)
    return False


def drain(sock: socket.socket) -> None:
    while not nothing_waiting(sock):
        pass


def from_drone(msg: mav.MAVLink_message) -> bool:
    return msg.get_srcSystem() == 1


@pytest.fixture
def sim() -> Iterator[SimThread]:
    s = SimThread(make_docks(1), time_scale=1.0)
    yield s
    s.close()


def test_a_drone_is_silent_until_a_ground_station_talks_then_answers_it(sim: SimThread) -> None:
    port = sim.fleet.ports[1]
    ep = sim.fleet.endpoints[1]
    ticks = sim.fleet.ticks
    # Two seconds of physics ticks: every stream (the slowest at 0.5 Hz) fell due at least once.
    wait_until(lambda: sim.fleet.ticks >= ticks + 2 * PHYSICS_HZ, 10, "two seconds of ticks")
    assert ep.target is None and ep.sent == 0
    with silent_udp_port() as gcs:
        gcs.sendto(HEARTBEAT, ("127.0.0.1", port))
        msg, addr = receive(gcs, from_drone)
        assert addr == ("127.0.0.1", port)          # from the port the simulator reported
        assert sim.do(lambda: ep.target) == gcs.getsockname()


def test_the_drone_retargets_to_the_last_peer_that_sent_valid_mavlink(sim: SimThread) -> None:
    port = sim.fleet.ports[1]
    ep = sim.fleet.endpoints[1]
    with silent_udp_port() as a, silent_udp_port() as b, silent_udp_port() as stranger:
        a.sendto(HEARTBEAT, ("127.0.0.1", port))
        receive(a, from_drone)
        b.sendto(HEARTBEAT, ("127.0.0.1", port))
        receive(b, from_drone)                       # from here on everything goes to b ...
        drain(a)
        # ... and bytes that are not MAVLink move nothing: b's next heartbeat, sent after them,
        # is handled after them.
        received = sim.do(lambda: ep.received)
        stranger.sendto(b"\x00 not mavlink \xff" * 4, ("127.0.0.1", port))
        b.sendto(HEARTBEAT, ("127.0.0.1", port))
        wait_until(lambda: sim.do(lambda: ep.received) > received, 5, "b's second heartbeat handled")
        for _ in range(20):
            receive(b, from_drone)
        assert nothing_waiting(a) and nothing_waiting(stranger)
        assert sim.do(lambda: ep.target) == b.getsockname()


def test_with_a_console_host_the_drone_sends_first_to_the_docks_port() -> None:
    with silent_udp_port() as console:               # a console listening (udpin) on the dock's port
        dock = replace(make_docks(1)[0], port=port_of(console))
        sim = SimThread([dock], time_scale=1.0, console_host="127.0.0.1")
        try:
            msg, addr = receive(console, lambda m: from_drone(m) and m.get_type() == "HEARTBEAT")
            assert addr == ("127.0.0.1", sim.fleet.ports[1])
            console.sendto(HEARTBEAT, addr)          # it answers; the drone keeps talking to it
            wait_until(lambda: sim.do(lambda: sim.fleet.endpoints[1].received) > 0, 5, "the console's heartbeat")
            assert sim.do(lambda: sim.fleet.endpoints[1].target) == console.getsockname()
        finally:
            sim.close()


def test_synthetic_docks_beyond_the_site_get_port_plan_numbers_of_their_own() -> None:
    docks = docks_for(Site("x", None, None, tuple(make_docks(3))), 60)
    assert len(docks) == 60 and len({d.port for d in docks}) == 60 and len({d.sysid for d in docks}) == 60


def test_a_retransmitted_command_is_acknowledged_each_time_and_executed_once(sim: SimThread) -> None:
    """MAVSDK repeats a command whose ACK it missed, counting up `confirmation`: each copy gets the first one's
    ACK (as PX4 answers each), but the vehicle acts once: a second "Returning to launch" would be a second RTL."""
    port = sim.fleet.ports[1]
    vehicle = sim.fleet.vehicle(1)
    with silent_udp_port() as gcs:
        gcs.sendto(HEARTBEAT, ("127.0.0.1", port))
        receive(gcs, from_drone)
        for confirmation in range(3):
            gcs.sendto(GCS.command_long_encode(1, 1, mav.MAV_CMD_NAV_RETURN_TO_LAUNCH, confirmation,
                                               0, 0, 0, 0, 0, 0, 0).pack(GCS), ("127.0.0.1", port))
        acks = [receive(gcs, lambda m: m.get_type() == "COMMAND_ACK")[0] for _ in range(3)]
        assert [(a.command, a.result, a.target_system) for a in acks] == [
            (mav.MAV_CMD_NAV_RETURN_TO_LAUNCH, mav.MAV_RESULT_ACCEPTED, 245)] * 3
        said = receive(gcs, lambda m: m.get_type() == "STATUSTEXT")[0]
        assert said.text == "Returning to launch\t"
        wait_until(lambda: not sim.do(lambda: list(vehicle.status_out)), 5, "status texts sent")
        with pytest.raises(AssertionError):   # no second one
            receive(gcs, lambda m: m.get_type() == "STATUSTEXT", timeout_s=0.5)
        # A new command (confirmation 0) is a new request: executed again.
        gcs.sendto(GCS.command_long_encode(1, 1, mav.MAV_CMD_NAV_RETURN_TO_LAUNCH, 0,
                                           0, 0, 0, 0, 0, 0, 0).pack(GCS), ("127.0.0.1", port))
        assert receive(gcs, lambda m: m.get_type() == "STATUSTEXT")[0].text == "Returning to launch\t"


def test_a_long_status_text_goes_out_in_chunks_as_px4_sends_it(sim: SimThread) -> None:
    port = sim.fleet.ports[1]
    text = "RTL: start return at 20 m (11 m above destination)"   # 50 characters, then PX4's tab
    with silent_udp_port() as gcs:
        gcs.sendto(HEARTBEAT, ("127.0.0.1", port))
        receive(gcs, from_drone)
        sim.do(sim.fleet.vehicle(1).say, mav.MAV_SEVERITY_INFO, text)
        first = receive(gcs, lambda m: m.get_type() == "STATUSTEXT")[0]
        second = receive(gcs, lambda m: m.get_type() == "STATUSTEXT")[0]
        assert (first.text, first.chunk_seq) == (text, 0) and (second.text, second.chunk_seq) == ("\t", 1)
        assert first.id == second.id != 0
