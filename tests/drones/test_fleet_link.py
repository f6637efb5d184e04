"""The fleet counts live MAVLink links over real UDP, through MAVSDK, from the barest autopilot there is."""

from __future__ import annotations

import asyncio
import threading

from pymavlink.dialects.v20 import common as mavlink2
from pymavlink import mavutil

from console.core.core_loop import CoreLoop
from drones.fleet import Fleet
from drones.site import Dock
from tests.conftest import free_port, wait_until


class HeartbeatSender:
    """A minimal PX4-looking autopilot: sends HEARTBEAT at 5 Hz to the console's UDP port until stopped."""

    def __init__(self, sysid: int, port: int) -> None:
        self.conn = mavutil.mavlink_connection(f"udpout:127.0.0.1:{port}", source_system=sysid, source_component=1)
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop_flag.wait(0.2):  # 5 Hz heartbeat rate, like an autopilot
            self.conn.mav.heartbeat_send(mavlink2.MAV_TYPE_QUADROTOR, mavlink2.MAV_AUTOPILOT_PX4, 0, 0,
                                         mavlink2.MAV_STATE_STANDBY)

    def stop(self) -> None:
        self.stop_flag.set()
        self.thread.join()
        self.conn.close()


def dock(sysid: int, port: int) -> Dock:
    return Dock(id=f"D{sysid}", name=f"dock {sysid}", district="shinan", lat=36.06, lon=120.38, ground_alt_m=5,
                dock_sn=f"SN{sysid}", sysid=sysid, port=port)


def test_links_come_up_and_a_silent_drone_is_counted_lost() -> None:
    ports = [free_port(), free_port()]
    reports: list[tuple[int, int]] = []
    core = CoreLoop()
    core.start()
    fleet = Fleet([dock(1, ports[0]), dock(2, ports[1])])
    fleet.add_listener(lambda _e, f=fleet: reports.append(f.link_counts()))

    async def start() -> None:
        asyncio.create_task(fleet.run())

    core.call(start())
    core.on_shutdown(fleet.close)
    assert fleet.link_counts() == (0, 2)
    senders = [HeartbeatSender(1, ports[0]), HeartbeatSender(2, ports[1])]
    try:
        wait_until(lambda: reports and reports[-1] == (2, 2), 10, "both drones linked")
        senders[0].stop()
        wait_until(lambda: reports[-1] == (1, 2), 8, "silent drone counted lost")
    finally:
        senders[1].stop()
        assert core.stop(4.0)


def test_a_drone_not_in_the_site_file_is_not_counted() -> None:
    port = free_port()
    reports: list[tuple[int, int]] = []
    core = CoreLoop()
    core.start()
    fleet = Fleet([dock(1, port)])
    fleet.add_listener(lambda _e, f=fleet: reports.append(f.link_counts()))
    core.on_shutdown(fleet.close)

    async def start() -> None:
        asyncio.create_task(fleet.run())

    core.call(start())
    stranger = HeartbeatSender(9, port)
    known = None
    try:
        known = HeartbeatSender(1, port)
        wait_until(lambda: reports and reports[-1] == (1, 1), 10, "the known drone linked")
        assert all(c <= 1 for c, _ in reports)
    finally:
        stranger.stop()
        if known:
            known.stop()
        assert core.stop(4.0)
