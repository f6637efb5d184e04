"""The fleet counts live MAVLink links over real UDP, through MAVSDK, from the barest autopilot there is."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest
from pymavlink.dialects.v20 import common as mavlink2

from console.core.core_loop import CoreLoop
from drones.fleet import Fleet
from drones.site import Dock
from tests.conftest import wait_until


class HeartbeatSender:
    """A minimal PX4-looking autopilot on a UDP port of its own: sends HEARTBEAT at 5 Hz to `target`, and, like
    PX4, to whoever last sent it MAVLink (the console's udpout heartbeats), until stopped."""

    def __init__(self, sysid: int, target: tuple[str, int] | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)  # 5 Hz heartbeat rate, like an autopilot
        self.port = int(self.sock.getsockname()[1])
        self.target = target
        self.mav = mavlink2.MAVLink(None, srcSystem=sysid, srcComponent=1)
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        parser = mavlink2.MAVLink(None)
        next_beat = 0.0
        while not self.stop_flag.is_set():
            now = time.monotonic()
            if now >= next_beat and self.target is not None:
                next_beat = now + 0.2
                beat = self.mav.heartbeat_encode(mavlink2.MAV_TYPE_QUADROTOR, mavlink2.MAV_AUTOPILOT_PX4, 0, 0,
                                                  mavlink2.MAV_STATE_STANDBY)
                self.sock.sendto(beat.pack(self.mav), self.target)
            try:
                data, addr = self.sock.recvfrom(2048)
            except TimeoutError:
                continue
            if parser.parse_buffer(data):
                self.target = addr

    def stop(self) -> None:
        self.stop_flag.set()
        self.thread.join()
        self.sock.close()


def dock(sysid: int, port: int) -> Dock:
    """A dock whose drone the console reaches with udpout at `port` (the sender's own)."""
    return Dock(id=f"D{sysid}", name=f"dock {sysid}", district="shinan", lat=36.06, lon=120.38, ground_alt_m=5,
                dock_sn=f"SN{sysid}", sysid=sysid, port=14600 + sysid, mavlink=f"udpout://127.0.0.1:{port}")


def test_links_come_up_and_a_silent_drone_is_counted_lost() -> None:
    senders = [HeartbeatSender(1), HeartbeatSender(2)]
    reports: list[tuple[int, int]] = []
    core = CoreLoop()
    core.start()
    fleet = Fleet([dock(1, senders[0].port), dock(2, senders[1].port)])
    fleet.add_listener(lambda _e, f=fleet: reports.append(f.link_counts()))

    async def start() -> None:
        asyncio.create_task(fleet.run())

    core.call(start())
    core.on_shutdown(fleet.close)
    assert fleet.link_counts() == (0, 2)
    try:
        wait_until(lambda: reports and reports[-1] == (2, 2), 10, "both drones linked")
        senders[0].stop()
        wait_until(lambda: reports[-1] == (1, 2), 8, "silent drone counted lost")
    finally:
        senders[1].stop()
        assert core.stop(4.0)


def test_a_drone_not_in_the_site_file_is_not_counted(caplog: pytest.LogCaptureFixture) -> None:
    known = HeartbeatSender(1)
    reports: list[tuple[int, int]] = []
    core = CoreLoop()
    core.start()
    fleet = Fleet([dock(1, known.port)])
    fleet.add_listener(lambda _e, f=fleet: reports.append(f.link_counts()))
    core.on_shutdown(fleet.close)

    async def start() -> None:
        asyncio.create_task(fleet.run())

    core.call(start())
    stranger = None
    try:
        # The stranger talks on the known drone's link: to the console's address the known drone learned.
        console_addr = wait_until(lambda: known.target, 10, "the console's first heartbeat")
        stranger = HeartbeatSender(9, target=console_addr)  # type: ignore[arg-type]
        wait_until(lambda: reports and reports[-1] == (1, 1), 10, "the known drone linked")
        wait_until(lambda: "MAVLink system 9 is not in the site file; ignored" in caplog.text, 10,
                   "the stranger heard and ignored")
        assert all(c <= 1 for c, _ in reports)
    finally:
        if stranger:
            stranger.stop()
        known.stop()
        assert core.stop(4.0)
