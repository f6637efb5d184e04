"""Harness for end-to-end flight-task tests: the simulated site on a loop thread, and the console's
drone-control core (MAVSDK fleet, dock client, journal, task manager or the whole TaskService) on
the test's loop, over real UDP and a real Mosquitto, physics at ×20.

The `site_and_sim` fixture lives in tests/drones/conftest.py.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from console.core.task_service import TaskService
from drones.dock_client import DockClient
from drones.drone_control import MavsdkDroneControl
from drones.fleet import Fleet
from drones.geo import destination
from drones.journal import Journal
from drones.patterns import load_patterns
from drones.planning import FlightPlan, WindEstimate, plan_flight
from drones.safety import preflight
from drones.sim.site_sim import SiteSim, SiteSimOptions
from drones.site import BrokerConfig, Dock, Site, parse_broker_url
from drones.task_manager import TaskManager
from drones.tasks import FlightTask, TaskDeps, TaskPlan, TaskStateChanged
from tests.drones.sim.conftest import TEST_AUTOPILOT_PARAMS
from tests.mqtt_port import AiomqttPort, eventually
from vocab import LinkState

TIME_SCALE = 20.0
TASK_TOPICS = "qdcb/console/v1/tasks/+"


class SiteThread:
    """The simulated site (drones + docks) on its own loop thread, as `main.py sim` runs it. A site without
    an autopilot table gets the test sites' one (TEST_AUTOPILOT_PARAMS), as a real site states its own."""

    def __init__(self, site: Site, broker_url: str, opts: SiteSimOptions | None = None, *,
                 broker: BrokerConfig | None = None) -> None:
        """`broker`: how the simulator reaches a secured broker (TLS, its certificate) instead of `broker_url`."""
        if not site.autopilot_params:
            site = replace(site, autopilot_params=dict(TEST_AUTOPILOT_PARAMS))
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sim = SiteSim(site, broker or parse_broker_url(broker_url),
                           opts or SiteSimOptions(time_scale=TIME_SCALE, alerts_per_min=0.0))
        self.call(self.sim.start())
        for sysid in self.sim.fleet.endpoints:  # a full battery for every simulated drone: tests set lower ones
            self.do(self.sim.fleet.set_battery, sysid, 100.0)

    @property
    def console_site(self) -> Site:
        """The site as a console connects to this simulator: `udpout://` to the port each drone bound."""
        return self.sim.site.with_mavlink({sysid: f"udpout://127.0.0.1:{port}"
                                           for sysid, port in self.sim.mavlink_ports.items()})

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(15)

    def do(self, fn: Any, *args: Any) -> Any:
        async def run() -> Any:
            return fn(*args)

        return self.call(run())

    def close(self) -> None:
        self.call(self.sim.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@dataclass
class Console:
    """The console's drone-control core as services.py wires it, minus Qt."""

    site: Site
    mqtt: AiomqttPort
    docks: DockClient
    fleet: Fleet
    journal: Journal
    tasks: TaskManager
    events: list[TaskStateChanged]
    published: dict[str, dict[str, Any]]

    def plan(self, dock: Dock, bearing_deg: float, distance_m: float, category: str = "waterlogging"
             ) -> tuple[FlightPlan, TaskPlan]:
        lat, lon = destination(dock.lat, dock.lon, bearing_deg, distance_m)
        wind = self.docks.state(dock.id).wind_speed_m_s
        fp = plan_flight(dock, lat, lon, load_patterns().for_category(category), site=self.site,
                         wind=WindEstimate(wind) if wind is not None else None)
        return fp, TaskPlan.from_items(fp.items, fp.scene_lat, fp.scene_lon, eta_s=fp.eta_s,
                                       scene_radius_m=fp.pattern_radius_m)

    async def dispatch(self, dock: Dock, bearing_deg: float = 45.0, distance_m: float = 300.0) -> FlightTask:
        fp, tp = self.plan(dock, bearing_deg, distance_m)
        return await self.tasks.dispatch(dock, tp, by="op1", alert_id="ALR-T-1",
                                         preflight=lambda d, k: preflight(fp, d, k))

    def states_of(self, task: FlightTask | str) -> list[str]:
        task_id = task if isinstance(task, str) else task.task_id
        return [to for _, _, to, _, _ in self.journal.transitions(task_id)]


async def _wait_ready(site: Site, fleet: Fleet, docks: DockClient) -> None:
    def ready(d: Dock) -> bool:
        s = fleet.snapshot(d.sysid)
        # A drone already flying (a console restarted mid-task) is ready when heard: PX4 reports itself
        # armable only on the ground. On the ground it must also have reported its battery (preflight checks it;
        # a loaded PX4 may report health before its first battery status).
        on_ground_ready = s.healthy and s.battery_pct is not None
        return bool((on_ground_ready or (s.armed and s.link == LinkState.OK)) and docks.state(d.id).online)

    for d in site.docks:
        await eventually(lambda d=d: ready(d), 20, f"drone and dock {d.id} ready")


@asynccontextmanager
async def console(site: Site, url: str, journal_path: Path) -> AsyncIterator[Console]:
    mqtt = AiomqttPort(url)
    events: list[TaskStateChanged] = []
    published: dict[str, dict[str, Any]] = {}
    docks = DockClient(site.docks, mqtt, on_event=lambda e: None)
    mqtt.subscribe(TASK_TOPICS, lambda m: published.__setitem__(str(m.topic), json.loads(m.payload)))
    fleet = Fleet(site.docks)
    journal = Journal(journal_path)

    async def publish(topic: str, payload: dict[str, Any]) -> None:
        await mqtt.publish(topic, payload, qos=1, retain=True)

    def control_for(sysid: int) -> MavsdkDroneControl | None:
        action, mission = fleet.action(sysid), fleet.mission_raw(sysid)
        if action is None or mission is None:
            return None
        return MavsdkDroneControl(action, mission, words_since=lambda t, w: fleet.words_since(sysid, t, w))

    deps = TaskDeps(journal=journal, drone_state=fleet.snapshot, dock_state=docks.state, docks=docks,
                    control_for=control_for, publish=publish, on_event=events.append)
    manager = TaskManager(site.docks, deps)
    await mqtt.start()
    await fleet.start()
    runners = [asyncio.create_task(fleet.run()), asyncio.create_task(docks.run())]
    try:
        await _wait_ready(site, fleet, docks)
        yield Console(site, mqtt, docks, fleet, journal, manager, events, published)
    finally:
        await manager.close()
        for r in runners:
            r.cancel()
        await asyncio.gather(*runners, return_exceptions=True)
        await fleet.close()
        await mqtt.close()
        journal.close()


# ----- the console's TaskService (planning with no-fly zones, command authority, preflight) ---------

@dataclass
class ServiceConsole:
    """One console as console/core/task_service.py runs it: its own MQTT link, dock client, journal and
    command authority (console id), on a fleet it owns or shares with another console of the test."""

    site: Site
    console_id: str
    mqtt: AiomqttPort
    docks: DockClient
    fleet: Fleet
    service: TaskService
    events: list[TaskStateChanged]
    published: dict[str, dict[str, Any]]

    @property
    def journal(self) -> Journal:
        return self.service.journal

    @property
    def tasks(self) -> TaskManager:
        return self.service.manager

    def target(self, dock: Dock, bearing_deg: float, distance_m: float) -> tuple[float, float]:
        return destination(dock.lat, dock.lon, bearing_deg, distance_m)

    async def dispatch_to(self, dock: Dock, lat: float, lon: float, *, by: str = "op1",
                          category: str = "waterlogging", alert_id: str | None = "ALR-T-1") -> FlightTask:
        return await self.service.dispatch(dock, self.service.plan_to(dock, lat, lon, category), by=by,
                                           alert_id=alert_id)

    async def dispatch(self, dock: Dock, bearing_deg: float = 45.0, distance_m: float = 300.0, *,
                       by: str = "op1") -> FlightTask:
        return await self.dispatch_to(dock, *self.target(dock, bearing_deg, distance_m), by=by)

    def states_of(self, task: FlightTask | str) -> list[str]:
        task_id = task if isinstance(task, str) else task.task_id
        return [to for _, _, to, _, _ in self.journal.transitions(task_id)]

    def commands(self, target: str) -> list[tuple[str, str, str]]:
        """(command, by, result) journaled for `target` ("drone:1", a dock id), oldest first."""
        return [(cmd, by, result) for _, _, cmd, by, result, _ in self.journal.commands(target)]


class LinkNotOpened(Exception):
    """The console could not open a drone's MAVLink connection (e.g. a udpin port another program holds)."""


@asynccontextmanager
async def service_console(site: Site, url: str, journal_path: Path, *, console_id: str = "console-A",
                          share_fleet: Fleet | None = None) -> AsyncIterator[ServiceConsole]:
    """A TaskService console. Two consoles of one test share one fleet, as two consoles on one machine
    cannot both hold the drones' links (a drone answers whoever talked last): the second one passes the
    first one's fleet as `share_fleet` (and leaves it to the first to close)."""
    mqtt = AiomqttPort(url, client_id=f"test-{console_id}")
    events: list[TaskStateChanged] = []
    published: dict[str, dict[str, Any]] = {}
    docks = DockClient(site.docks, mqtt, on_event=lambda e: None)
    mqtt.subscribe(TASK_TOPICS, lambda m: published.__setitem__(str(m.topic), json.loads(m.payload)))
    fleet = share_fleet or Fleet(site.docks)
    service = TaskService(site, mqtt, fleet, docks, console_id=console_id, on_task_event=events.append,
                          journal_file=journal_path)
    await mqtt.start()
    if share_fleet is None:
        await fleet.start()
    runners = [asyncio.create_task(docks.run())]
    if share_fleet is None:
        runners.append(asyncio.create_task(fleet.run()))
    try:
        if fleet.open_failures:
            raise LinkNotOpened(fleet.open_failures)
        await _wait_ready(site, fleet, docks)
        await service.start()
        yield ServiceConsole(site, console_id, mqtt, docks, fleet, service, events, published)
    finally:
        await service.close()
        for r in runners:
            r.cancel()
        await asyncio.gather(*runners, return_exceptions=True)
        if share_fleet is None:
            await fleet.close()
        await mqtt.close()


# ----- no-fly zones for the test site ---------------------------------------------------------------

@dataclass(frozen=True)
class ZoneSpec:
    """A round no-fly zone (a 24-gon) as resources/sites/demo_nofly.geojson writes them."""

    id: str
    name_zh: str
    name_en: str
    lat: float
    lon: float
    radius_m: float
    reason: str = "government"
    floor_m: float = 0.0
    ceiling_m: float = 500.0

    def ring(self, points: int = 24) -> list[list[float]]:
        ring = [destination(self.lat, self.lon, 360.0 * i / points, self.radius_m) for i in range(points)]
        return [[round(lon, 7), round(lat, 7)] for lat, lon in [*ring, ring[0]]]   # GeoJSON: lon, lat


def write_nofly(path: Path, zones: list[ZoneSpec]) -> Path:
    features = [{"type": "Feature",
                 "properties": {"id": z.id, "name_zh": z.name_zh, "name_en": z.name_en, "reason": z.reason,
                                "floor_m": z.floor_m, "ceiling_m": z.ceiling_m},
                 "geometry": {"type": "Polygon", "coordinates": [z.ring()]}} for z in zones]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def with_nofly(site: Site, path: Path, zones: list[ZoneSpec]) -> Site:
    """The same site with a no-fly zone file (the simulator does not care; the console plans with it)."""
    return replace(site, nofly_path=write_nofly(path, zones))


def lateral_offset_m(lat: float, lon: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    """How far a point lies to the side of the straight line a→b (flat-earth, fine over a few km)."""
    k = 111_320.0
    cos_lat = math.cos(math.radians(a[0]))
    bx, by = (b[1] - a[1]) * k * cos_lat, (b[0] - a[0]) * k
    px, py = (lon - a[1]) * k * cos_lat, (lat - a[0]) * k
    return abs(bx * py - by * px) / math.hypot(bx, by)
