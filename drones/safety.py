"""Preflight safety checks and the ranking of docks for an alert (docs/architecture.md, "Safety rules").

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
from drones.model import LINK_LOSS_NONE, CoverState, DispatchRefused, DockState, DroneState, LandedState
from vocab import ExclusionKind, LinkState, Reason
from drones.nofly import NoFlyZone
from drones.patterns import Pattern
from drones.planning import (DEFAULT_CRUISE_ALT_AGL_M, DEFAULT_CRUISE_SPEED_M_S, FlightPlan, WindEstimate,
                             Phase, direct_energy_model, estimate_energy_pct, plan_flight, takeoff_and_land_phases)
from drones.site import Dock, Site

log = logging.getLogger(__name__)

GPS_3D_FIX = 3
_FLYING = frozenset({LandedState.IN_AIR, LandedState.TAKING_OFF, LandedState.LANDING})
FULL_BATTERY_PCT = 100.0
#: What an excluded dock is shown as, per failed check: battery, weather, offline, no-fly route, busy,
#: out of range.
EXCLUSION_KIND: Mapping[str, ExclusionKind] = {
    "battery": ExclusionKind.BATTERY, "wind": ExclusionKind.WEATHER, "rain": ExclusionKind.WEATHER,
    "dock_offline": ExclusionKind.OFFLINE, "cover_fault": ExclusionKind.OFFLINE, "link": ExclusionKind.OFFLINE,
    "drone_unhealthy": ExclusionKind.OFFLINE, "link_loss_action": ExclusionKind.OFFLINE,
    "busy": ExclusionKind.BUSY, "nofly": ExclusionKind.NOFLY, "ceiling": ExclusionKind.NOFLY,
    "range": ExclusionKind.RANGE,
}


@dataclass(frozen=True, slots=True)
class Limits:
    """The site's dispatch limits; the defaults match the simulated docks' own limits."""

    max_wind_m_s: float = 12.0
    max_rain_level: int = 1                # 0 none, 1 light, 2 moderate, 3 heavy
    reserve_pct: float = 25.0              # battery left on landing, at least
    min_battery_to_arm_pct: float = 30.0
    # A docked drone with at least this much battery counts as ready: half a battery covers the round
    # trip to the far side of a district with the reserve (planning.py's energy model).
    ready_battery_pct: float = 50.0
    # The docks' charger, empty to full in 40 minutes: the rate a ready time is estimated from until
    # the drone's own battery has shown its trend.
    charge_rate_pct_min: float = 2.5
    max_heartbeat_age_s: float = 2.0
    launch_prep_s: float = 30.0            # cover open, arm, start: added to the flight's ETA
    # Site policy: refuse a drone whose data-link loss action is none or not known (else only warn).
    require_link_loss_action: bool = False


def _refused(check: str, code: str, **params: object) -> DispatchRefused:
    return DispatchRefused(Reason.of(code, **params), check=check)


def readiness_refusal(drone: DroneState | None, dock: DockState | None, limits: Limits,
                      *, busy: bool = False) -> DispatchRefused | None:
    """Why this dock and drone cannot launch now (dock, link, health, busy, weather), or None."""
    if dock is None or not dock.online:
        return _refused("dock_offline", "preflight.dock_offline")
    if dock.cover == CoverState.FAULT:
        return _refused("cover_fault", "preflight.cover_fault")
    if dock.cover == CoverState.UNKNOWN:
        return _refused("cover_fault", "preflight.cover_unknown")
    if drone is None or drone.link == LinkState.NEVER:
        return _refused("link", "preflight.no_link")
    if drone.link != LinkState.OK:
        return _refused("link", "preflight.link_lost")
    if drone.heartbeat_age_s is not None and drone.heartbeat_age_s > limits.max_heartbeat_age_s:
        return _refused("link", "preflight.heartbeat_old", age_s=drone.heartbeat_age_s)
    if busy or drone.armed or drone.landed in _FLYING:
        return _refused("busy", "preflight.busy")
    if drone.landed == LandedState.UNKNOWN:
        return _refused("drone_unhealthy", "preflight.landed_unknown")
    if drone.healthy is None:
        return _refused("drone_unhealthy", "preflight.health_unknown")
    if not drone.healthy:
        return _refused("drone_unhealthy", "preflight.unhealthy")
    if drone.gps_fix is not None and drone.gps_fix < GPS_3D_FIX:
        return _refused("drone_unhealthy", "preflight.no_gps")
    if limits.require_link_loss_action and drone.link_loss_action in (None, LINK_LOSS_NONE):
        return _refused("link_loss_action", "preflight.no_link_loss_action" if drone.link_loss_action is not None
                        else "preflight.link_loss_unknown")
    if dock.wind_speed_m_s is None:
        return _refused("wind", "preflight.wind_unknown")
    if dock.wind_speed_m_s > limits.max_wind_m_s:
        return _refused("wind", "preflight.wind_over", wind_m_s=dock.wind_speed_m_s, limit_m_s=limits.max_wind_m_s)
    if dock.rainfall is None:
        return _refused("rain", "preflight.rain_unknown")
    if dock.rainfall > limits.max_rain_level:
        return _refused("rain", "preflight.rain_over", rain=dock.rainfall, limit=limits.max_rain_level)
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
        return _refused("battery", "preflight.battery_unknown")
    if pct < limits.min_battery_to_arm_pct:
        return _refused("battery", "preflight.battery_to_arm", pct=pct, min_pct=limits.min_battery_to_arm_pct)
    energy = energy_needed_pct(plan, dock)
    reserve = max(plan.reserve_pct, limits.reserve_pct)
    if pct < energy + reserve:
        return _refused("battery", "preflight.battery_round_trip", pct=pct, energy_pct=energy, reserve_pct=reserve)
    return None


def ceiling_refusal(plan: FlightPlan) -> DispatchRefused | None:
    """Why the plan's mission climbs above the site's ceiling, or None."""
    top = plan.max_alt_rel_m
    if top > plan.ceiling_m or plan.cruise_alt_m > plan.ceiling_m:
        return _refused("ceiling", "preflight.ceiling", top_m=top, ceiling_m=plan.ceiling_m)
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
    check: str | None = None           # the failed check's name (see EXCLUSION_KIND)

    @property
    def available(self) -> bool:
        return self.excluded is None

    @property
    def kind(self) -> ExclusionKind | None:
        """How the exclusion is grouped on screen; None when available."""
        return EXCLUSION_KIND.get(self.check, ExclusionKind.OFFLINE) if self.check else None


def _out_of_range(distance_m: float, reach_m: float) -> DispatchRefused:
    return _refused("range", "preflight.range", distance_km=distance_m / 1000, reach_km=reach_m / 1000)


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
                refusal = _refused("range", "preflight.full_battery", energy_pct=plan.energy_pct, reserve_pct=plan.reserve_pct)
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
        return Reason.of("enroute.battery_home", pct=drone.battery_pct, need_pct=need, reserve_pct=reserve_pct)
    return None
