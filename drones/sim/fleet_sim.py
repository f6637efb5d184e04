"""All simulated drones of a site in one asyncio loop: one UDP endpoint each, one physics clock.

Physics advance in simulated time (real time × `time_scale`); telemetry and protocol
timing stay on the real clock, so a ×10 flight still looks like a PX4 to MAVSDK.

Every vehicle binds a UDP socket of its own on port 0 and keeps it; `ports` tells a ground
station where to connect (`udpout://host:port`). No port number is ever assumed free.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Callable, Mapping, Sequence

from drones.geo import distance_m
from drones.sim.endpoint import VehicleEndpoint
from drones.sim.flight_model import Battery, MultirotorModel, Wind
from drones.sim.vehicle import SimVehicle
from drones.site import Dock

log = logging.getLogger(__name__)

PHYSICS_HZ = 25.0
MAX_SUBSTEP_S = 0.1          # simulated seconds per physics sub-step, for stability at high time scales
IN_DOCK_RADIUS_M = 1.5


class SimFleet:
    """Runs one SimVehicle per dock; faults can be injected per system id (tests, demos, CLI).

    `bind_host` is the address the vehicles' sockets bind to. `console_host`, when given, is an
    initial target for every vehicle: that host's UDP port `dock.port` (a console listening with
    `udpin`); without it a vehicle waits for a ground station to talk first. `params` are PX4 parameters
    set on every vehicle at start (the site's `[autopilot.params]`); the rest keep PX4's defaults.
    """

    def __init__(self, docks: Sequence[Dock], *, console_host: str | None = None, bind_host: str = "127.0.0.1",
                 time_scale: float = 1.0, seed: int = 7, wind_of: Callable[[Dock], Wind] | None = None,
                 cover_open_of: Callable[[Dock], bool] | None = None,
                 charging_of: Callable[[Dock], bool] | None = None,
                 params: Mapping[str, float] | None = None) -> None:
        self.docks = tuple(docks)
        self.console_host = console_host
        self.bind_host = bind_host
        self.time_scale = time_scale
        self._wind_of = wind_of
        self._charging_of = charging_of
        rng = random.Random(seed)
        self.endpoints: dict[int, VehicleEndpoint] = {}
        self._dock_of: dict[int, Dock] = {}
        for dock in self.docks:
            model = MultirotorModel(lat=dock.lat, lon=dock.lon, alt_amsl_m=dock.ground_alt_m,
                                    ground_alt_m=dock.ground_alt_m, yaw_deg=rng.uniform(0, 360),
                                    battery=Battery(remaining_pct=rng.uniform(62.0, 100.0)))
            cover = (lambda d=dock: cover_open_of(d)) if cover_open_of else None
            vehicle = SimVehicle(dock.sysid, model, cover_open=cover)
            vehicle.set_params(params or {})   # the site's autopilot table, over PX4's defaults
            target = (console_host, dock.port) if console_host else None
            self.endpoints[dock.sysid] = VehicleEndpoint(vehicle, target)
            self._dock_of[dock.sysid] = dock
        self._task: asyncio.Task[None] | None = None
        self.ticks = 0

    def vehicle(self, sysid: int) -> SimVehicle:
        return self.endpoints[sysid].vehicle

    @property
    def ports(self) -> dict[int, int]:
        """The local UDP port of every vehicle by system id (after `start()`)."""
        return {sysid: port for sysid, ep in self.endpoints.items() if (port := ep.local_port) is not None}

    async def start(self) -> None:
        """Binds every vehicle's UDP socket (port 0: the system picks a free one) and starts the physics loop."""
        loop = asyncio.get_running_loop()
        try:
            for ep in self.endpoints.values():
                await loop.create_datagram_endpoint(lambda ep=ep: ep, local_addr=(self.bind_host, 0))
        except OSError:
            await self.close()
            raise
        self._task = asyncio.create_task(self._run(), name="sim-physics")
        log.info("simulating %d drones (time scale x%g), each on a UDP port of its own on %s, %s",
                 len(self.endpoints), self.time_scale, self.bind_host,
                 f"first sending to {self.console_host}" if self.console_host else "waiting for a ground station")

    async def _run(self) -> None:
        period = 1.0 / PHYSICS_HZ
        last = time.monotonic()
        while True:
            now = time.monotonic()
            dt_sim = (now - last) * self.time_scale
            last = now
            steps = max(1, math.ceil(dt_sim / MAX_SUBSTEP_S))
            for sysid, ep in self.endpoints.items():
                v = ep.vehicle
                if self._wind_of is not None:
                    v.model.wind = self._wind_of(self._dock_of[sysid])
                in_dock = self.in_dock(sysid)
                charging = in_dock and (self._charging_of(self._dock_of[sysid]) if self._charging_of else True)
                if charging and not v.charging:
                    v.reset_battery_flags()
                v.charging = charging
                for _ in range(steps):
                    v.tick(dt_sim / steps, now)
                ep.service(now)
            self.ticks += 1
            await asyncio.sleep(max(0.0, period - (time.monotonic() - now)))  # physics rate, not synchronisation

    def in_dock(self, sysid: int) -> bool:
        """True when the drone sits disarmed on its dock's landing pad."""
        v = self.vehicle(sysid)
        if v.armed or v.in_air:
            return False
        dock = self._dock_of[sysid]
        return distance_m(v.model.lat, v.model.lon, dock.lat, dock.lon) <= IN_DOCK_RADIUS_M

    # ----- fault injection ------------------------------------------------------------------------

    def drop_link(self, sysid: int, seconds: float) -> None:
        """Silences the radio both ways for `seconds` of real time."""
        self.vehicle(sysid).faults.link_down_until = time.monotonic() + seconds
        log.info("drone %d: link dropped for %.1f s", sysid, seconds)

    def set_gps_lost(self, sysid: int, lost: bool) -> None:
        self.vehicle(sysid).faults.gps_lost = lost

    def set_battery_fault(self, sysid: int, fault: bool) -> None:
        v = self.vehicle(sysid)
        v.faults.battery_fault = fault
        v.model.battery.fault = fault

    def set_no_ack(self, sysid: int, on: bool) -> None:
        self.vehicle(sysid).faults.no_ack = on

    def set_battery(self, sysid: int, pct: float) -> None:
        self.vehicle(sysid).model.battery.remaining_pct = max(0.0, min(100.0, pct))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for ep in self.endpoints.values():
            if ep.transport is not None:
                ep.transport.close()
