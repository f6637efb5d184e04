"""Preflight safety checks and the ranking of docks for an alert (DESIGN.md section 6).

`preflight(plan, drone, dock, limits)` raises `DispatchRefused` with the failed check's name
(battery, wind, rain, dock_offline, cover_fault, link, drone_unhealthy, busy, ceiling) and a
reason in Chinese and English the UI shows as is. A value nobody has reported (None) never
passes a check: an unknown battery is not a full one.

`rank_docks(...)` is the third of the "five automatics": every dock, ranked by estimated
time on scene, with the reason any is excluded. Pure computation; any thread.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from drones.geo import distances_m
from drones.model import CoverState, DispatchRefused, DockState, DroneState, LandedState, LinkState, Reason
from drones.nofly import NoFlyZone
from drones.patterns import Pattern
from drones.planning import (DEFAULT_CRUISE_ALT_AGL_M, DEFAULT_CRUISE_SPEED_M_S, FlightPlan, WindEstimate,
                             Phase, direct_energy_model, estimate_energy_pct, plan_flight, takeoff_and_land_phases)
from drones.site import Dock, Site

log = logging.getLogger(__name__)

GPS_3D_FIX = 3
_FLYING = frozenset({LandedState.IN_AIR, LandedState.TAKING_OFF, LandedState.LANDING})
FULL_BATTERY_PCT = 100.0
#: What an excluded dock is shown as, per failed check (issue 6: battery, weather, offline,
#: no-fly route, busy, out of range).
EXCLUSION_CATEGORY: Mapping[str, str] = {
    "battery": "battery", "wind": "weather", "rain": "weather", "dock_offline": "offline",
    "cover_fault": "offline", "link": "offline", "drone_unhealthy": "offline", "busy": "busy",
    "nofly": "no-fly route", "ceiling": "no-fly route", "range": "out of range",
}


@dataclass(frozen=True, slots=True)
class Limits:
    """The site's dispatch limits; the defaults match the simulated docks' own limits."""

    max_wind_m_s: float = 12.0
    max_rain_level: int = 1                # 0 none, 1 light, 2 moderate, 3 heavy
    reserve_pct: float = 25.0              # battery left on landing, at least
    min_battery_to_arm_pct: float = 30.0
    max_heartbeat_age_s: float = 2.0
    launch_prep_s: float = 30.0            # cover open, arm, start: added to the flight's ETA


def _refused(check: str, zh: str, en: str) -> DispatchRefused:
    return DispatchRefused(Reason(zh, en), check=check)


def readiness_refusal(drone: DroneState | None, dock: DockState | None, limits: Limits,
                      *, busy: bool = False) -> DispatchRefused | None:
    """Why this dock and drone cannot launch now (dock, link, health, busy, weather), or None."""
    if dock is None or not dock.online:
        return _refused("dock_offline", "机场离线", "the dock is offline")
    if dock.cover == CoverState.FAULT:
        return _refused("cover_fault", "机场舱盖故障", "the dock's cover has a fault")
    if dock.cover == CoverState.UNKNOWN:
        return _refused("cover_fault", "机场舱盖状态未知", "the dock's cover state is not known")
    if drone is None or drone.link == LinkState.NEVER:
        return _refused("link", "未与无人机建立链路", "no link to the drone yet")
    if drone.link != LinkState.OK:
        return _refused("link", "无人机链路中断", "the link to the drone is lost")
    if drone.heartbeat_age_s is not None and drone.heartbeat_age_s > limits.max_heartbeat_age_s:
        return _refused("link", f"无人机心跳已 {drone.heartbeat_age_s:.1f} 秒未更新",
                        f"no heartbeat from the drone for {drone.heartbeat_age_s:.1f} s")
    if busy or drone.armed or drone.landed in _FLYING:
        return _refused("busy", "无人机正在执行其他任务", "the drone is busy with another flight")
    if drone.landed == LandedState.UNKNOWN:
        return _refused("drone_unhealthy", "无人机着陆状态未知", "the drone has not reported whether it is landed")
    if drone.healthy is None:
        return _refused("drone_unhealthy", "无人机健康状态未知", "the drone has not reported its health")
    if not drone.healthy:
        return _refused("drone_unhealthy", "无人机自检未通过", "the drone's health checks fail")
    if drone.gps_fix is not None and drone.gps_fix < GPS_3D_FIX:
        return _refused("drone_unhealthy", "无人机无三维定位", "the drone has no 3D GPS fix")
    if dock.wind_speed_m_s is None:
        return _refused("wind", "风速未知", "the wind speed is not known")
    if dock.wind_speed_m_s > limits.max_wind_m_s:
        return _refused("wind", f"风速 {dock.wind_speed_m_s:.1f} m/s 超过 {limits.max_wind_m_s:g} m/s 限值",
                        f"wind {dock.wind_speed_m_s:.1f} m/s is over the {limits.max_wind_m_s:g} m/s limit")
    if dock.rainfall is None:
        return _refused("rain", "降雨情况未知", "the rainfall is not known")
    if dock.rainfall > limits.max_rain_level:
        return _refused("rain", f"降雨等级 {dock.rainfall} 超过限值 {limits.max_rain_level}",
                        f"rainfall level {dock.rainfall} is over the limit of {limits.max_rain_level}")
    return None


def energy_needed_pct(plan: FlightPlan, dock: DockState | None) -> float:
    """Battery the plan's round trip takes, re-estimated when the dock now reports more wind than it assumed."""
    energy = plan.energy_pct
    wind_now = dock.wind_speed_m_s if dock is not None else None
    if wind_now is not None and plan.wind is not None and wind_now > plan.wind.speed_m_s:
        energy = max(energy, estimate_energy_pct(plan.phases, WindEstimate(wind_now)))
    return energy


def battery_refusal(plan: FlightPlan, drone: DroneState | None, dock: DockState | None,
                    limits: Limits) -> DispatchRefused | None:
    """Why the drone's battery is not enough for this plan plus the reserve, or None."""
    pct = drone.battery_pct if drone is not None else None
    if pct is None or not math.isfinite(pct):
        return _refused("battery", "电池电量未知", "the battery level is not known")
    if pct < limits.min_battery_to_arm_pct:
        return _refused("battery", f"电量 {pct:.0f}% 低于起飞下限 {limits.min_battery_to_arm_pct:g}%",
                        f"battery {pct:.0f}% is below the {limits.min_battery_to_arm_pct:g}% needed to take off")
    energy = energy_needed_pct(plan, dock)
    reserve = max(plan.reserve_pct, limits.reserve_pct)
    if pct < energy + reserve:
        return _refused("battery", f"电量 {pct:.0f}% 不足：往返需 {energy:.0f}%，另需保留 {reserve:g}%",
                        f"battery {pct:.0f}% is not enough: the round trip needs {energy:.0f}% "
                        f"plus a {reserve:g}% reserve")
    return None


def ceiling_refusal(plan: FlightPlan) -> DispatchRefused | None:
    """Why the plan's mission climbs above the site's ceiling, or None."""
    top = plan.max_alt_rel_m
    if top > plan.ceiling_m or plan.cruise_alt_m > plan.ceiling_m:
        return _refused("ceiling", f"任务高度 {top:g} m 超过限高 {plan.ceiling_m:g} m",
                        f"the mission climbs to {top:g} m, above the {plan.ceiling_m:g} m ceiling")
    return None


def preflight(plan: FlightPlan, drone: DroneState | None, dock: DockState | None, limits: Limits = Limits(),
              *, busy: bool = False) -> None:
    """Raises DispatchRefused when this plan must not be flown now; returns None when every check passes."""
    refusal = (readiness_refusal(drone, dock, limits, busy=busy) or ceiling_refusal(plan)
               or battery_refusal(plan, drone, dock, limits))
    if refusal is not None:
        log.info("preflight refused for dock %s: %s", plan.dock.id, refusal)
        raise refusal


@dataclass(frozen=True, slots=True)
class DockOption:
    """One dock for an alert: its plan and time on scene, or why it is excluded."""

    dock: Dock
    distance_m: float                  # straight line to the target
    plan: FlightPlan | None = None
    eta_s: float | None = None         # launch preparation plus flight to the scene
    excluded: Reason | None = None
    check: str | None = None           # the failed check's name (see EXCLUSION_CATEGORY)

    @property
    def available(self) -> bool:
        return self.excluded is None

    @property
    def category(self) -> str | None:
        """battery, weather, offline, no-fly route, busy or out of range; None when available."""
        return EXCLUSION_CATEGORY.get(self.check, self.check) if self.check else None


def _out_of_range(distance_m: float, reach_m: float) -> DispatchRefused:
    return _refused("range", f"距离 {distance_m / 1000:.1f} km 超出续航范围（约 {reach_m / 1000:.1f} km）",
                    f"{distance_m / 1000:.1f} km is beyond the drone's reach (about {reach_m / 1000:.1f} km)")


def rank_docks(target: tuple[float, float], pattern: Pattern, docks: Iterable[Dock],
               drone_states: Mapping[int, DroneState], dock_states: Mapping[str, DockState],
               zones: Iterable[NoFlyZone], site: Site, busy_sysids: Collection[int] = frozenset(), *,
               limits: Limits = Limits(), cruise_speed_m_s: float = DEFAULT_CRUISE_SPEED_M_S) -> list[DockOption]:
    """Every dock for an alert at `target` (lat, lon): available ones by time on scene, then excluded ones
    (nearest first) with their reason. Drone states are keyed by system id, dock states by dock id."""
    lat, lon = target
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"target {target!r} is not a position")
    docks = tuple(docks)
    zones = tuple(zones)
    if not docks:
        return []
    distances = distances_m(lat, lon, np.array([d.lat for d in docks]), np.array([d.lon for d in docks]))
    # Reach: how far a full battery could go straight out and back in calm air (a lower bound on any plan).
    cruise = min(DEFAULT_CRUISE_ALT_AGL_M, site.max_altitude_agl_m)
    fixed_pct, pct_per_m = direct_energy_model(pattern, cruise_alt_m=cruise,
                                               pattern_alt_m=min(pattern.altitude_m, site.max_altitude_agl_m),
                                               cruise_speed_m_s=cruise_speed_m_s, wind=WindEstimate(0.0))
    reach_m = max(0.0, (FULL_BATTERY_PCT - limits.reserve_pct - fixed_pct) / pct_per_m)
    options: list[DockOption] = []
    for dock, dist in zip(docks, distances.tolist()):
        drone, state = drone_states.get(dock.sysid), dock_states.get(dock.id)
        refusal = _out_of_range(dist, reach_m) if dist > reach_m else None
        refusal = refusal or readiness_refusal(drone, state, limits, busy=dock.sysid in busy_sysids)
        plan: FlightPlan | None = None
        if refusal is None:
            assert state is not None and state.wind_speed_m_s is not None   # readiness checked both
            try:
                plan = plan_flight(dock, lat, lon, pattern, site=site, zones=zones, cruise_speed_m_s=cruise_speed_m_s,
                                   wind=WindEstimate(state.wind_speed_m_s), reserve_pct=limits.reserve_pct)
            except DispatchRefused as exc:
                refusal = exc
        if plan is not None:
            if plan.required_battery_pct > FULL_BATTERY_PCT:
                refusal = _refused("range", f"往返需 {plan.energy_pct:.0f}% 电量，加保留 {plan.reserve_pct:g}% "
                                            "超出满电", f"the round trip needs {plan.energy_pct:.0f}% plus a "
                                                       f"{plan.reserve_pct:g}% reserve: more than a full battery")
            else:
                refusal = ceiling_refusal(plan) or battery_refusal(plan, drone, state, limits)
        if refusal is not None:
            options.append(DockOption(dock, dist, plan, None, refusal.reason, refusal.check))
        else:
            assert plan is not None
            options.append(DockOption(dock, dist, plan, limits.launch_prep_s + plan.eta_s))
    options.sort(key=lambda o: (not o.available, o.eta_s if o.eta_s is not None else o.distance_m))
    return options


#: In flight, the drone is called home when its battery falls to what the way home needs plus this.
EN_ROUTE_RESERVE_PCT = 15.0


def return_home_pct(drone: DroneState, dock: Dock, dock_state: DockState | None,
                    cruise_speed_m_s: float = DEFAULT_CRUISE_SPEED_M_S) -> float | None:
    """Battery percent the straight way home from where the drone is takes (None: position unknown)."""
    if drone.lat is None or drone.lon is None:
        return None
    distance = float(distances_m(drone.lat, drone.lon, np.array([dock.lat]), np.array([dock.lon]))[0])
    _, land = takeoff_and_land_phases(max(drone.alt_rel_m or 0.0, 0.0))
    wind = dock_state.wind_speed_m_s if dock_state is not None else None
    phases = [Phase("cruise", distance / cruise_speed_m_s, cruise_speed_m_s), land]
    return estimate_energy_pct(phases, WindEstimate(wind) if wind is not None else None)


def en_route_refusal(drone: DroneState, dock: Dock, dock_state: DockState | None,
                     reserve_pct: float = EN_ROUTE_RESERVE_PCT) -> Reason | None:
    """Why a flying drone must come home now (battery only enough for the way back), or None."""
    need = return_home_pct(drone, dock, dock_state)
    if need is None or drone.battery_pct is None:
        return None
    if drone.battery_pct < need + reserve_pct:
        return Reason(f"电量 {drone.battery_pct:.0f}% 仅够返航（需 {need:.0f}% + {reserve_pct:.0f}% 余量），自动返航",
                      f"battery {drone.battery_pct:.0f}% is only enough to get home (needs {need:.0f}% + "
                      f"{reserve_pct:.0f}% reserve): returning")
    return None
