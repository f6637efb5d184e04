"""Turns the core's fleet, dock and task snapshots into the values the situation widgets draw.

Runs on the GUI thread from timers (docs/architecture.md, "Threads"): the fleet store, dock states and the
task service's open-task tuple are safe to read from any thread; nothing here awaits the core.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QCoreApplication

translate = QCoreApplication.translate

from console.core.fleet_status import (TREND_WINDOW_S, TrailBook, charge_outlook, coverage_radius_m,
                                       district_counts, dock_readiness)
from console.core.task_service import TaskView
from drones.basemap import Basemap
from drones.cameras import CameraRegistry
from drones.dock_client import DockClient
from drones.fleet import Fleet
from drones.model import DockState, DroneState, LandedState
from vocab import LinkState, Reason, TaskState
from drones.nofly import NoFlyZone
from drones.patterns import PatternBook
from drones.safety import Limits
from drones.site import Site
from widgets.fleet_board import dock_status_text
from widgets.texts import flight_mode_text, reason_text, term_text
from widgets.situation import (AlertMark, CameraLayer, DistrictReadiness, DistrictShape, DockMark, DroneDetail,
                               DroneMark, FleetRow, MapScene, RouteMark, ZoneShape)
from vocab import DockStatus


def district_name(basemap: Basemap | None, key: str, language: str) -> str:
    if basemap is not None:
        for d in basemap.districts:
            if d.key == key:
                return d.name_zh if language.startswith("zh") else d.name_en
    return key


def district_shapes(basemap: Basemap) -> list[DistrictShape]:
    return [DistrictShape(d.key, d.name_zh, d.name_en, tuple(r for poly in d.polygons for r in poly), d.bbox)
            for d in basemap.districts]


def zone_shapes(zones: tuple[NoFlyZone, ...], language: str) -> list[ZoneShape]:
    zh = language.startswith("zh")
    return [ZoneShape(z.id, z.name_zh if zh else z.name_en, z.reason,
                      tuple(np.array([(lon, lat) for lat, lon in ring]) for ring in z.polygon)) for z in zones]


def camera_layer(registry: CameraRegistry) -> CameraLayer:
    return CameraLayer(registry.lat, registry.lon, label=lambda i: f"{registry.name(i)}\n{registry.id(i)}",
                       camera_id=registry.id, live=registry.live)


def drone_text(drone: DroneState, task: TaskView | None) -> str:
    """One word for what the drone is doing: the fleet board's drone column."""
    if drone.link == LinkState.NEVER:
        return translate("SituationFeed", "no link yet")
    if drone.link == LinkState.LOST:
        return translate("SituationFeed", "link lost")
    if drone.landed in (LandedState.IN_AIR, LandedState.TAKING_OFF, LandedState.LANDING):
        return translate("SituationFeed", "flying")
    if task is not None:
        return translate("SituationFeed", "preparing")
    if drone.landed == LandedState.ON_GROUND:
        return translate("SituationFeed", "in dock")
    return translate("SituationFeed", "on the ground?")


def link_text(drone: DroneState) -> str:
    if drone.link == LinkState.NEVER:
        return "--"
    if drone.link == LinkState.LOST:
        age = drone.heartbeat_age_s
        if age is None:
            return translate("SituationFeed", "lost")
        return translate("SituationFeed", "lost %1 s").replace("%1", f"{age:.0f}")
    rate = drone.message_rate_hz
    return f"{rate:.0f} Hz" if rate is not None else translate("SituationFeed", "ok")


class SituationFeed:
    """Reads the core's state and builds MapScene / FleetRow / DroneDetail values (GUI thread)."""

    def __init__(self, site: Site, fleet: Fleet, docks: DockClient, open_tasks: Callable[[], tuple[TaskView, ...]],
                 *, zones: tuple[NoFlyZone, ...], patterns: PatternBook, limits: Limits,
                 min_ready_per_district: int, basemap: Basemap | None = None, cameras: CameraRegistry | None = None,
                 language: str = "zh_CN", alerts: Callable[[], tuple[AlertMark, ...]] | None = None) -> None:
        self.site = site
        self.fleet = fleet
        self.docks = docks
        self.open_tasks = open_tasks
        self.zones = zones
        self.limits = limits
        self.pattern = patterns.default
        self.min_ready = min_ready_per_district
        self.language = language
        self.trails = TrailBook()
        self.basemap = basemap
        self.cameras = cameras
        self.alerts = alerts   # the alert controller's open alerts (set once it exists)
        self._dock_by_sysid = {d.sysid: d for d in site.docks}
        # Reach per dock, refreshed with the fleet board (1 Hz): battery and wind change slowly, and the
        # map (10 Hz) need not run the energy model 56 times a frame.
        self.coverage_m: dict[str, float | None] = {}

    # ----- map (about 10 Hz) ----------------------------------------------------------------------

    def scene(self) -> MapScene:
        drones = self.fleet.snapshots()
        self.trails.add(drones)
        tasks = {t.sysid: t for t in self.open_tasks()}
        dock_states = self.docks.states()
        by_sysid = {s.sysid: s for s in drones}
        dock_marks = []
        for dock in self.site.docks:
            drone, state = by_sysid.get(dock.sysid), dock_states.get(dock.id)
            status, why = self._status(state, drone, dock.sysid in tasks)
            radius = self.coverage_m.get(dock.id) if status in (DockStatus.READY, DockStatus.CHARGING) else None
            tip = f"{dock.name} ({dock.id})\n{dock_status_text(status)}"
            if why:
                tip += f" · {why}"
            dock_marks.append(DockMark(dock.id, dock.name, dock.district, dock.lat, dock.lon, status, dock.sysid,
                                       radius, tip))
        drone_marks = []
        for s in drones:
            if s.lat is None or s.lon is None:
                continue
            dock = self._dock_by_sysid.get(s.sysid)
            airborne = s.landed in (LandedState.IN_AIR, LandedState.TAKING_OFF, LandedState.LANDING)
            trail = self.trails.trail(s.sysid)
            drone_marks.append(DroneMark(s.sysid, dock.id if dock else "", s.lat, s.lon, s.heading_deg, s.alt_rel_m,
                                         s.battery_pct, airborne, s.link == LinkState.LOST, trail[0], trail[1],
                                         self._drone_tip(s, dock.name if dock else "", tasks.get(s.sysid))))
        routes = []
        for t in tasks.values():
            route = np.array(t.route) if t.route else np.empty((0, 2))
            flown = self.trails.trail(t.sysid, since=t.since)
            routes.append(RouteMark(t.task_id, t.sysid, route[:, 0], route[:, 1], flown[0], flown[1]))
        alerts = self.alerts() if self.alerts is not None else ()
        return MapScene(tuple(dock_marks), tuple(drone_marks), alerts, tuple(routes))

    def _status(self, state: DockState | None, drone: DroneState | None,
                task_open: bool) -> tuple[DockStatus, str]:
        r = dock_readiness(state, drone, task_open=task_open, limits=self.limits)
        return r.status, reason_text(r.reason)

    def _drone_tip(self, s: DroneState, dock_name: str, task: TaskView | None) -> str:
        alt = f"{s.alt_rel_m:.0f} m" if s.alt_rel_m is not None else "-- m"
        bat = f"{s.battery_pct:.0f}%" if s.battery_pct is not None else "--%"
        lines = [translate("SituationFeed", "Drone %1 (%2)").replace("%1", str(s.sysid)).replace("%2", dock_name),
                 f"{alt} · {bat} · {flight_mode_text(s.flight_mode)}"]
        if task is not None:
            lines.append(f"{task.task_id} · {term_text(task.state)}")
        if s.link == LinkState.LOST:
            lines.append(translate("SituationFeed", "LINK LOST"))
        return "\n".join(lines)


    # ----- fleet board (about 1 Hz) -------------------------------------------------------------------

    def fleet_rows(self) -> tuple[list[FleetRow], list[DistrictReadiness]]:
        tasks = {t.sysid: t for t in self.open_tasks()}
        dock_states = self.docks.states()
        rows = []
        statuses: dict[str, DockStatus] = {}
        for dock in self.site.docks:
            drone = self.fleet.snapshot(dock.sysid)
            state = dock_states.get(dock.id)
            task = tasks.get(dock.sysid)
            status, _why = self._status(state, drone, task is not None)
            statuses[dock.id] = status
            t, v = self.fleet.store.series(dock.sysid, "battery_pct", TREND_WINDOW_S)
            charge = charge_outlook(status, state, drone.battery_pct, t, v, self.limits)
            self.coverage_m[dock.id] = coverage_radius_m(drone.battery_pct, state.wind_speed_m_s if state else None,
                                                         self.pattern, self.site, self.limits)
            rows.append(FleetRow(
                dock.id, dock.name, dock.district, district_name(self.basemap, dock.district, self.language), status,
                drone_text(drone, task), drone.battery_pct, charge.trend_pct_min, link_text(drone),
                None if drone.link == LinkState.NEVER else drone.link == LinkState.OK,
                term_text(task.state) if task else "", charge.ready_in_s, dock.sysid))
        readiness = [DistrictReadiness(c.district, district_name(self.basemap, c.district, self.language), c.ready,
                                       c.total, self.min_ready) for c in district_counts(self.site.docks, statuses)]
        return rows, readiness

    # ----- drone panel (about 5 Hz) -------------------------------------------------------------------

    def sysid_for(self, dock_id: str) -> int | None:
        return next((d.sysid for d in self.site.docks if d.id == dock_id), None)

    def dock_id_of(self, sysid: int) -> str:
        return self._dock_by_sysid[sysid].id

    def detail(self, sysid: int, *, locked_out: bool) -> DroneDetail | None:
        dock = self._dock_by_sysid.get(sysid)
        if dock is None:
            return None
        s = self.fleet.snapshot(sysid)
        task = next((t for t in self.open_tasks() if t.sysid == sysid), None)
        attitude = self.fleet.attitude(sysid) if s.link == LinkState.OK else None
        climb = -s.v_down_m_s if s.v_down_m_s is not None else None
        airborne = None if s.landed == LandedState.UNKNOWN else s.landed != LandedState.ON_GROUND
        texts = tuple(f"{time.strftime('%H:%M:%S', time.localtime(line.ts))} {line.text}"
                      for line in self.fleet.status_texts(sysid))
        return DroneDetail(
            sysid=sysid, dock_id=dock.id, dock_name=dock.name, link_lost=s.link == LinkState.LOST,
            link_text=link_text(s), mode=s.flight_mode, armed=s.armed, airborne=airborne,
            roll_deg=attitude[0] if attitude else None, pitch_deg=attitude[1] if attitude else None,
            heading_deg=s.heading_deg, alt_rel_m=s.alt_rel_m, ground_speed_m_s=s.ground_speed_m_s, climb_m_s=climb,
            battery_pct=s.battery_pct, battery_v=s.battery_v, gps_fix=s.gps_fix, satellites=s.satellites,
            lat=s.lat, lon=s.lon, mission_current=s.mission_current, mission_total=s.mission_total,
            task_id=task.task_id if task else None, task_state=term_text(task.state) if task else None,
            status_texts=texts, locked_out=locked_out)

    def series(self, sysid: int, name: str, seconds: float) -> tuple[np.ndarray, np.ndarray]:
        """The drone's series for the plots: (time.monotonic() of each sample, values)."""
        return self.fleet.store.series(sysid, name, seconds)
