"""The whole simulated site on one asyncio loop: drones, docks, weather, alerts and video.

Wires the parts together the way the physical site is wired: the dock's cover gates the
drone's arming, the dock's charger charges the drone, the dock's anemometer is the wind the
drone flies in, and the drone's camera feed follows the drone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from drones.cameras import CameraRegistry
from drones.mqtt_tls import tls_context_for
from drones.sim.alerts import AlertFeedSim, AlertGenerator, BurstPolicy
from drones.sim.docks import DockFleetSim
from drones.sim.faults import FaultSpec, parse_fault_message
from drones.sim.fleet_sim import SimFleet
from drones.sim.flight_model import Wind
from drones.sim.real_drones import RealDrones
from drones.sim.video_render import DroneView
from drones.site import MAVLINK_PORT_BASE, BrokerConfig, Dock, Site

log = logging.getLogger(__name__)

MAX_DRONES = 254
DOCK_SYNC_S = 0.5            # how often the docks learn their drone's state (in dock, battery)


@dataclass(frozen=True, slots=True)
class SiteSimOptions:
    """How the simulated site runs (the `main.py sim` options, minus broker and process matters)."""

    #: Where the drones first send (that host's `dock.port`: a console listening with `udpin`); None: they
    #: wait for a ground station to talk first (a console connecting with `udpout` to `mavlink_ports`).
    console_host: str | None = None
    #: Address the drones' UDP sockets bind to (each on a port the system picks).
    mavlink_host: str = "127.0.0.1"
    time_scale: float = 1.0
    alerts_per_min: float = 14.0
    bursts: bool = True
    malformed_fraction: float = 0.0
    seed: int = 7
    dock_count: int | None = None
    #: Seconds after start for one level-1 forest-fire smoke alert in Laoshan (None: none). The demo
    #: site's automation dispatches exactly that, so a newcomer sees a drone launch by itself at once
    #: instead of waiting for the random feed to produce one (about every 12 minutes).
    opening_alert_s: float | None = None
    #: Docks whose drone is a real autopilot, not simulated: dock id -> URL of the drone's ground-station link
    #: (drones/sim/real_drones.py). Their docks run as usual and learn where the drone is from that link.
    real_drones: Mapping[str, str] = field(default_factory=dict)


def docks_for(site: Site, count: int | None) -> tuple[Dock, ...]:
    """The first `count` docks of the site, with synthetic ones added beyond the site's (benchmarks)."""
    docks = list(site.docks)
    if count is None:
        return tuple(docks)
    if not 0 < count <= MAX_DRONES:
        raise ValueError(f"--docks must be 1..{MAX_DRONES}, got {count}")
    if count <= len(docks):
        return tuple(docks[:count])
    used = {d.sysid for d in docks}
    free_ids = (i for i in range(1, MAX_DRONES + 1) if i not in used)
    # Synthetic docks' numbers in the port plan follow the site's highest, so no two docks share one.
    next_port = max((d.port for d in docks), default=MAVLINK_PORT_BASE)
    template = docks or [Dock("X", "x", "shinan", 36.07, 120.38, 10.0, "X", 1, MAVLINK_PORT_BASE + 1)]
    for n in range(len(docks), count):
        sysid = next(free_ids)
        next_port += 1
        base = template[n % len(template)]
        docks.append(Dock(id=f"SYN{sysid:03d}", name=f"{base.name} 扩展{sysid}", district=base.district,
                          lat=base.lat + 0.0008 * ((n // len(template)) % 5), lon=base.lon + 0.0008 * (n % 7),
                          ground_alt_m=base.ground_alt_m, dock_sn=f"QDDOCKS{sysid:04d}", sysid=sysid,
                          port=next_port, video_url=f"/drone/{sysid}.mjpg"))
    return tuple(docks)


def alert_points(reg: CameraRegistry) -> dict[str, np.ndarray]:
    """Where alerts happen: the located cameras of the site's registry."""
    idx = np.flatnonzero(reg.located)
    districts = np.array(reg.district_keys)[reg.district[idx]]
    return {"lat": reg.lat[idx], "lon": reg.lon[idx], "camera_id": reg.ids[idx].astype(str), "district": districts}


class SiteSim:
    """Owns the simulated site's parts; `start()`, then `close()` (on the same loop)."""

    def __init__(self, site: Site, broker: BrokerConfig, opts: SiteSimOptions) -> None:
        self.site = site
        self.broker = broker
        self.opts = opts
        self.docks = docks_for(site, opts.dock_count)
        self.dock_sims = DockFleetSim(self.docks, broker, time_scale=opts.time_scale, seed=opts.seed)
        ds = self.dock_sims
        self.real = RealDrones(self.docks, opts.real_drones)
        self.fleet = SimFleet(
            [d for d in self.docks if d.sysid not in self.real.sysids], console_host=opts.console_host, bind_host=opts.mavlink_host, time_scale=opts.time_scale,
            seed=opts.seed,
            wind_of=lambda d: Wind(ds.dock(d.id).wind_speed_m_s, ds.dock(d.id).wind_direction_deg),
            cover_open_of=lambda d: ds.dock(d.id).cover_open,
            charging_of=lambda d: ds.dock(d.id).charging, params=site.autopilot_params)
        self.cameras = CameraRegistry.load(site.cameras_path) if site.cameras_path else None
        self.alerts: AlertFeedSim | None = None
        if self.cameras is not None and opts.alerts_per_min > 0:
            gen = AlertGenerator(alert_points(self.cameras), rate_per_min=opts.alerts_per_min, topic_root=site.topic_root,
                                 seed=opts.seed, malformed_fraction=opts.malformed_fraction,
                                 bursts=BurstPolicy() if opts.bursts else None)
            # Alert rates are per real minute: the city does not speed up with the physics.
            self.alerts = AlertFeedSim(broker, gen, time_scale=1.0)
        self._tasks: list[asyncio.Task[None]] = []
        self._scheduled: list[asyncio.TimerHandle] = []

    @property
    def mavlink_ports(self) -> dict[int, int]:
        """The UDP port each drone's socket is bound to, by system id (after `start()`): where a console
        connects with `udpout://`."""
        return self.fleet.ports

    def camera_info(self, camera_id: str) -> tuple[str, str] | None:
        """Name and district of a camera, for its simulated picture (video server's loop)."""
        if self.cameras is None:
            return None
        i = self.cameras.find(camera_id)
        if i is None:
            return None
        return self.cameras.name(i), self.cameras.district_names_zh[int(self.cameras.district[i])]

    def drone_view(self, sysid: int) -> DroneView | None:
        """What a drone's camera shows about it (video server's loop, the simulator's loop too)."""
        now = time.monotonic()
        if sysid in self.real.sysids:
            h = self.real.drone(sysid)
            if not h.heard(now) or h.lat != h.lat:
                return None
            return DroneView(h.lat, h.lon, h.relative_alt_m, h.heading_deg, h.ground_speed_m_s,
                             h.battery_pct if h.battery_pct is not None else float("nan"), h.armed, h.mode,
                             docked=self.real.in_dock(self.dock_of(sysid), now))
        ep = self.fleet.endpoints.get(sysid)
        if ep is None or not ep.link_up(now):
            return None  # no radio, no video
        v, m = ep.vehicle, ep.vehicle.model
        return DroneView(m.lat, m.lon, m.relative_alt_m, m.yaw_deg, m.ground_speed_m_s, m.battery.remaining_pct,
                         v.armed, v.mode.name, docked=self.fleet.in_dock(sysid))

    def dock_of(self, sysid: int) -> Dock:
        return next(d for d in self.docks if d.sysid == sysid)

    async def start(self, faults: Sequence[FaultSpec] = ()) -> None:
        await self.fleet.start()
        try:
            await self.real.start()
        except OSError:
            await self.fleet.close()
            raise
        self._tasks.append(asyncio.create_task(self.dock_sims.run(), name="docks"))
        if self.alerts is not None:
            self._tasks.append(asyncio.create_task(self.alerts.run(), name="alerts"))
        self._tasks.append(asyncio.create_task(self._sync_docks(), name="dock-sync"))
        self._tasks.append(asyncio.create_task(self._fault_requests(), name="fault-requests"))
        loop = asyncio.get_running_loop()
        for f in faults:
            self._scheduled.append(loop.call_later(f.after_s, self.apply_fault, f))
        if self.alerts is not None and self.opts.opening_alert_s is not None:
            self._tasks.append(asyncio.create_task(self._opening_alert(self.opts.opening_alert_s), name="opening-alert"))

    async def _opening_alert(self, after_s: float) -> None:
        """One level-1 forest-fire smoke alert in Laoshan, `after_s` after start (demo scenario)."""
        assert self.alerts is not None
        await asyncio.sleep(after_s)  # the scenario's timing, not synchronisation
        gen = self.alerts.generator
        point = gen.points.pick(gen.rng, frozenset({"laoshan"}))
        if point is None or not await self.alerts.wait_connected(10.0):
            log.warning("opening alert not sent (no Laoshan point or no broker)")
            return
        alert = await self.alerts.emit("forest_fire_smoke", 1, point[0], point[1], district="laoshan")
        log.info("opening alert %s: level-1 forest-fire smoke in Laoshan", alert.id)

    async def _sync_docks(self) -> None:
        while True:
            now = time.monotonic()
            for d in self.docks:
                if d.sysid in self.real.sysids:
                    self.dock_sims.dock(d.id).set_drone_state(self.real.in_dock(d, now),
                                                              self.real.drone(d.sysid).battery_pct)
                    continue
                v = self.fleet.vehicle(d.sysid)
                self.dock_sims.dock(d.id).set_drone_state(self.fleet.in_dock(d.sysid), v.model.battery.remaining_pct)
            await asyncio.sleep(DOCK_SYNC_S)  # state sync period, not synchronisation

    async def _fault_requests(self) -> None:
        """Takes faults over MQTT (`{root}/sim/v1/faults`) while running; bad requests are logged."""
        import aiomqtt

        topic = f"{self.site.topic_root}/sim/v1/faults"
        while True:
            try:
                async with aiomqtt.Client(self.broker.host, self.broker.port, username=self.broker.username,
                                          password=self.broker.password, tls_context=tls_context_for(self.broker),
                                          protocol=aiomqtt.ProtocolVersion.V311) as client:
                    await client.subscribe(topic, qos=1)
                    async for message in client.messages:
                        try:
                            self.apply_fault(parse_fault_message(bytes(message.payload)))  # type: ignore[arg-type]
                        except ValueError as exc:
                            log.warning("fault request refused: %s", exc)
            except aiomqtt.MqttError as exc:
                log.info("fault request channel: %s; reconnecting", exc)
                await asyncio.sleep(2.0)  # reconnect backoff

    def apply_fault(self, f: FaultSpec) -> None:
        """Applies one fault now (command line, MQTT or tests)."""
        known = {d.sysid for d in self.docks}
        if f.sysid not in known:
            log.warning("fault %s: no drone with system id %d", f.kind, f.sysid)
            return
        if f.sysid in self.real.sysids and f.kind in ("link", "gps", "battery", "noack"):
            log.warning("fault %s: drone %d is a real autopilot; only its dock's faults can be simulated",
                        f.kind, f.sysid)
            return
        log.info("fault: %s on drone %d (%s)", f.kind, f.sysid, "on" if f.on else "off")
        if f.kind == "link":
            if f.on:
                self.fleet.drop_link(f.sysid, f.seconds or 0.0)
            else:
                self.fleet.vehicle(f.sysid).faults.link_down_until = time.monotonic()
        elif f.kind == "gps":
            self.fleet.set_gps_lost(f.sysid, f.on)
        elif f.kind == "battery":
            self.fleet.set_battery_fault(f.sysid, f.on)
        elif f.kind == "noack":
            self.fleet.set_no_ack(f.sysid, f.on)
        elif f.kind == "cover":
            self.dock_sims.by_sysid(f.sysid).inject("cover_fault", f.on)
        elif f.kind == "offline":
            self.dock_sims.by_sysid(f.sysid).inject("offline", f.on)

    async def close(self) -> None:
        for h in self._scheduled:
            h.cancel()
        if self.alerts is not None:
            await self.alerts.close()
        await self.dock_sims.close()
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.real.close()
        await self.fleet.close()
