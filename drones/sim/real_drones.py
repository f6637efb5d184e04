"""Docks whose drones are real autopilots: where each drone is, heard on its ground-station MAVLink link.

A simulated dock must know whether its drone sits on the pad (drone in dock, charging, the
cover interlock), and its battery. For a simulated drone the simulator knows; for a real
autopilot (PX4 SITL in the mixed demo and the real-autopilot tests, a real aircraft on a site) the
dock listens to the drone's second MAVLink link, the one PX4 sends to a ground station, while the
console flies it over the onboard link. See docs/architecture.md, "Real autopilots".

Two ways to reach that link (`RealDroneLink.url`):
- `udpout://HOST:PORT`: the dock talks first to the drone's ground-station port (PX4 SITL instance I:
  18570+I); PX4 then sends that link to whoever talked to it last. The dock's socket binds port 0.
- `udpin://HOST:PORT`: the dock listens where the drones send (PX4's default ground station, 14550)
  and tells drones apart by MAVLink system id.

What the dock sends is addressed to the drone itself (never forwarded to the console's link by
PX4): SET_MESSAGE_INTERVAL requests that turn the link's 50 Hz streams down to what a dock needs,
re-sent one a second in turn, which also keeps the drone's link pointed at the dock and restores
the rates after the drone reboots.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from pymavlink.dialects.v20 import common as mavlink2

from drones.geo import distance_m
from drones.mavlink_url import parse_mavlink_url
from drones.site import Dock

log = logging.getLogger(__name__)

M = mavlink2
#: The dock's own MAVLink identity (a peripheral on the ground, not a ground station: PX4 does not count it as one).
DOCK_SYSID = 250
DOCK_COMPID = M.MAV_COMP_ID_PERIPHERAL
KEEPALIVE_S = 1.0
#: A drone unheard this long is treated as gone: its dock no longer reports it in the dock.
SILENT_S = 3.0
#: Where a real drone counts as on its pad: a PX4 return lands within a metre or two of home.
IN_DOCK_RADIUS_M = 3.0
#: Message intervals the dock asks of the drone's ground-station link (µs; -1: off).
DOCK_INTERVALS_US: tuple[tuple[int, int], ...] = (
    (M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT, 250_000),   # where the drone is: 4 Hz is plenty for "on the pad"
    (M.MAVLINK_MSG_ID_EXTENDED_SYS_STATE, 500_000),    # landed state
    (M.MAVLINK_MSG_ID_BATTERY_STATUS, 1_000_000),
    (M.MAVLINK_MSG_ID_ATTITUDE, -1),
    (M.MAVLINK_MSG_ID_ATTITUDE_QUATERNION, -1),
    (M.MAVLINK_MSG_ID_ATTITUDE_TARGET, -1),
    (M.MAVLINK_MSG_ID_LOCAL_POSITION_NED, -1),
    (M.MAVLINK_MSG_ID_POSITION_TARGET_LOCAL_NED, -1),
    (M.MAVLINK_MSG_ID_SERVO_OUTPUT_RAW, -1),
    (M.MAVLINK_MSG_ID_RC_CHANNELS, -1),
    (M.MAVLINK_MSG_ID_OPTICAL_FLOW_RAD, -1),
)
_LANDED_ON_GROUND = M.MAV_LANDED_STATE_ON_GROUND
# PX4's custom mode (main mode bits 16-23, sub mode 24-31) as the names the console shows.
_PX4_MODES = {(3, 0): "POSCTL", (2, 0): "ALTCTL", (1, 0): "MANUAL", (4, 2): "TAKEOFF", (4, 3): "HOLD",
              (4, 4): "MISSION", (4, 5): "RTL", (4, 6): "LAND", (4, 1): "READY"}


@dataclass
class HeardDrone:
    """What a dock last heard of its real drone (the loop's thread writes and reads it)."""

    sysid: int
    lat: float = math.nan
    lon: float = math.nan
    relative_alt_m: float = math.nan
    heading_deg: float = 0.0
    ground_speed_m_s: float = 0.0
    armed: bool = False
    landed_state: int = M.MAV_LANDED_STATE_UNDEFINED
    battery_pct: float | None = None
    mode: str = "UNKNOWN"
    heard_at: float = -math.inf        # monotonic time of the last message

    def heard(self, now: float) -> bool:
        return now - self.heard_at <= SILENT_S

    def on_pad(self, dock: Dock, now: float) -> bool:
        """Heard lately, disarmed, on the ground and within IN_DOCK_RADIUS_M of the dock."""
        return (self.heard(now) and not self.armed and self.landed_state == _LANDED_ON_GROUND
                and math.isfinite(self.lat)
                and distance_m(self.lat, self.lon, dock.lat, dock.lon) <= IN_DOCK_RADIUS_M)


class _Writer:
    def __init__(self, link: RealDroneLink) -> None:
        self.link = link

    def write(self, data: bytes) -> None:
        self.link.send_raw(data)


class RealDroneLink(asyncio.DatagramProtocol):
    """One UDP socket on which the dock(s) hear real drones; `udpout` talks to one drone, `udpin` hears many."""

    def __init__(self, url: str, drones: Mapping[int, HeardDrone]) -> None:
        parts = urlsplit(parse_mavlink_url(url))
        if parts.scheme not in ("udpin", "udpout"):
            raise ValueError(f"a real drone's link must be udpin:// or udpout://, got {url!r}")
        self.url = url
        self.kind = parts.scheme
        self.address = (parts.hostname or "127.0.0.1", int(parts.port or 0))
        self.drones = dict(drones)
        self.transport: asyncio.DatagramTransport | None = None
        self.peers: dict[int, tuple[str, int]] = {}
        self.mav = M.MAVLink(_Writer(self), srcSystem=DOCK_SYSID, srcComponent=DOCK_COMPID)
        self.mav.robust_parsing = True
        self._to: tuple[str, int] | None = None
        self._turn = 0
        self.strangers: set[int] = set()

    # ----- asyncio protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            messages = self.mav.parse_buffer(data) or []
        except Exception:  # noqa: BLE001 - a bad datagram must not stop the dock hearing its drone
            log.debug("unparsable datagram from %s", addr)
            return
        now = time.monotonic()
        for msg in messages:
            src = msg.get_srcSystem()
            drone = self.drones.get(src)
            if drone is None:
                continue   # the console's heartbeats forwarded by PX4, or another site's drone
            if msg.get_srcComponent() != M.MAV_COMP_ID_AUTOPILOT1:
                continue
            self.peers[src] = addr
            self._update(drone, msg, now)

    def error_received(self, exc: Exception) -> None:
        log.debug("real-drone link %s: %s", self.url, exc)   # ICMP refusals while a drone is down

    @staticmethod
    def _update(d: HeardDrone, msg: object, now: float) -> None:
        kind = msg.get_type()  # type: ignore[attr-defined]
        d.heard_at = now
        if kind == "HEARTBEAT":
            d.armed = bool(msg.base_mode & M.MAV_MODE_FLAG_SAFETY_ARMED)  # type: ignore[attr-defined]
            custom = int(msg.custom_mode)  # type: ignore[attr-defined]
            d.mode = _PX4_MODES.get(((custom >> 16) & 0xFF, (custom >> 24) & 0xFF), "OTHER")
        elif kind == "GLOBAL_POSITION_INT":
            d.lat, d.lon = msg.lat / 1e7, msg.lon / 1e7  # type: ignore[attr-defined]
            d.relative_alt_m = msg.relative_alt / 1000.0  # type: ignore[attr-defined]
            if msg.hdg != 65535:  # type: ignore[attr-defined]
                d.heading_deg = msg.hdg / 100.0  # type: ignore[attr-defined]
            d.ground_speed_m_s = math.hypot(msg.vx, msg.vy) / 100.0  # type: ignore[attr-defined]
        elif kind == "EXTENDED_SYS_STATE":
            d.landed_state = int(msg.landed_state)  # type: ignore[attr-defined]
        elif kind == "BATTERY_STATUS":
            if msg.battery_remaining >= 0:  # type: ignore[attr-defined]
                d.battery_pct = float(msg.battery_remaining)  # type: ignore[attr-defined]
        elif kind == "SYS_STATUS" and d.battery_pct is None and msg.battery_remaining >= 0:  # type: ignore[attr-defined]
            d.battery_pct = float(msg.battery_remaining)  # type: ignore[attr-defined]

    # ----- sending -------------------------------------------------------------------------------

    def send_raw(self, data: bytes) -> None:
        if self.transport is not None and self._to is not None:
            self.transport.sendto(data, self._to)

    def keepalive(self) -> None:
        """Sends each drone the next of the dock's interval requests (to where it was heard, or the udpout target)."""
        request = DOCK_INTERVALS_US[self._turn % len(DOCK_INTERVALS_US)]
        self._turn += 1
        for sysid in self.drones:
            self._to = self.peers.get(sysid) or (self.address if self.kind == "udpout" else None)
            if self._to is None:
                continue   # udpin: not heard yet, so nowhere to send
            self.mav.command_long_send(sysid, M.MAV_COMP_ID_AUTOPILOT1, M.MAV_CMD_SET_MESSAGE_INTERVAL, 0,
                                       request[0], request[1], 0, 0, 0, 0, 0)
        self._to = None


class RealDrones:
    """The real drones of a simulated site, each heard through its link; `start()`, then `close()` (one loop)."""

    def __init__(self, docks: Iterable[Dock], links: Mapping[str, str]) -> None:
        """`links`: dock id -> URL of its drone's ground-station link (udpout://...) or a shared udpin:// listener."""
        self.docks = {d.id: d for d in docks if d.id in links}
        unknown = set(links) - set(self.docks)
        if unknown:
            raise ValueError(f"real drones for docks not in the site: {', '.join(sorted(unknown))}")
        self.heard = {d.sysid: HeardDrone(d.sysid) for d in self.docks.values()}
        by_url: dict[str, dict[int, HeardDrone]] = {}
        for dock_id, url in links.items():
            sysid = self.docks[dock_id].sysid
            by_url.setdefault(url, {})[sysid] = self.heard[sysid]
        self.links = [RealDroneLink(url, drones) for url, drones in by_url.items()]
        self._task: asyncio.Task[None] | None = None

    @property
    def sysids(self) -> frozenset[int]:
        return frozenset(self.heard)

    def drone(self, sysid: int) -> HeardDrone:
        return self.heard[sysid]

    def in_dock(self, dock: Dock, now: float | None = None) -> bool:
        return self.heard[dock.sysid].on_pad(dock, time.monotonic() if now is None else now)

    async def start(self) -> None:
        """Opens every link (udpout: port 0; udpin: the port it names, an OSError if taken) and starts talking."""
        loop = asyncio.get_running_loop()
        try:
            for link in self.links:
                local = ("0.0.0.0" if link.address[0] == "0.0.0.0" else "127.0.0.1", 0)
                if link.kind == "udpin":
                    local = link.address
                await loop.create_datagram_endpoint(lambda link=link: link, local_addr=local)
        except OSError:
            await self.close()
            raise
        self._task = asyncio.create_task(self._keepalive(), name="real-drones")
        log.info("docks %s hear their real drones on %s", ", ".join(self.docks),
                 ", ".join(link.url for link in self.links))

    async def _keepalive(self) -> None:
        while True:
            for link in self.links:
                link.keepalive()
            await asyncio.sleep(KEEPALIVE_S)  # the keepalive's period, not synchronisation

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for link in self.links:
            if link.transport is not None:
                link.transport.close()
