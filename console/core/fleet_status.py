"""Readiness of docks and drones as the fleet board and the map show it (Qt-free, any thread).

Turns the latest dock and drone states into the few things an operator needs on a night
shift: what each dock can do now, how fast its drone is charging and when it will be ready,
how far it could fly, and whether a district is left without enough ready docks.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from drones.model import CoverState, DockState, DroneState, LandedState
from vocab import DockStatus, LinkState, Reason
from drones.patterns import Pattern
from drones.planning import DEFAULT_CRUISE_ALT_AGL_M, WindEstimate, direct_energy_model
from drones.safety import Limits, readiness_refusal
from drones.site import Dock, Site

#: Window of the charge-trend fit: long enough to see through the 1 % steps of the battery gauge.
TREND_WINDOW_S = 120.0
#: A trend is only reported with at least this many samples spanning at least this long.
TREND_MIN_SPAN_S = 20.0
#: Drone trails on the map: how long, and how often a point is kept.
TRAIL_S = 300.0
TRAIL_STEP_S = 2.0


@dataclass(frozen=True, slots=True)
class DockReadiness:
    """What one dock can do now and why (the reason is None when it is simply ready)."""

    status: DockStatus
    reason: Reason | None = None


def dock_readiness(dock: DockState | None, drone: DroneState | None, *, task_open: bool,
                   limits: Limits) -> DockReadiness:
    """The state of a dock and its drone, in the order an operator would want to hear it."""
    airborne = drone is not None and drone.landed in (LandedState.IN_AIR, LandedState.TAKING_OFF,
                                                       LandedState.LANDING)
    if task_open or airborne:
        return DockReadiness(DockStatus.IN_FLIGHT)
    if dock is None or dock.updated_at is None and not dock.online:
        return DockReadiness(DockStatus.UNKNOWN, Reason.of("ready.dock_not_reported"))
    if not dock.online:
        return DockReadiness(DockStatus.OFFLINE, Reason.of("preflight.dock_offline"))
    if dock.cover == CoverState.FAULT:
        return DockReadiness(DockStatus.FAULT, Reason.of("ready.cover_fault"))
    if drone is None or drone.link == LinkState.NEVER:
        return DockReadiness(DockStatus.UNKNOWN, Reason.of("preflight.no_link"))
    if drone.link == LinkState.LOST:
        return DockReadiness(DockStatus.FAULT, Reason.of("ready.link_lost"))
    if drone.healthy is False:
        return DockReadiness(DockStatus.FAULT, Reason.of("preflight.unhealthy"))
    if drone.healthy is None or drone.landed == LandedState.UNKNOWN:
        return DockReadiness(DockStatus.UNKNOWN, Reason.of("ready.state_unknown"))
    if dock.wind_speed_m_s is not None and dock.wind_speed_m_s > limits.max_wind_m_s:
        return DockReadiness(DockStatus.WEATHER_HOLD, Reason.of("ready.wind", wind_m_s=dock.wind_speed_m_s))
    if dock.rainfall is not None and dock.rainfall > limits.max_rain_level:
        return DockReadiness(DockStatus.WEATHER_HOLD, Reason.of("ready.rain"))
    battery = drone.battery_pct
    if battery is None:
        return DockReadiness(DockStatus.UNKNOWN, Reason.of("ready.battery_unknown"))
    if battery < limits.ready_battery_pct:
        # Charging only when the dock says its charger is on: a low drone it does not charge never gets ready.
        if dock.charging:
            return DockReadiness(DockStatus.CHARGING, Reason.of("ready.battery_low", pct=battery,
                                                                ready_pct=limits.ready_battery_pct))
        return DockReadiness(DockStatus.FAULT, Reason.of("ready.not_charging", pct=battery,
                                                         ready_pct=limits.ready_battery_pct))
    # Ready means a launch would pass its checks: the board, its district counts and automation's reserve rule
    # all read this one answer. Checks the lines above do not name (cover unknown, an old heartbeat, no GPS, the
    # link-loss policy) are the preflight's own words.
    refused = readiness_refusal(drone, dock, limits)
    if refused is not None:
        # A value the dock or drone has not reported yet (cover, wind, rain) is not a fault.
        unknown = refused.reason.code.endswith("_unknown")
        return DockReadiness(DockStatus.UNKNOWN if unknown else DockStatus.FAULT, refused.reason)
    return DockReadiness(DockStatus.READY)


def charge_trend_pct_min(t: np.ndarray, pct: np.ndarray) -> float | None:
    """Battery change in % per minute from samples (t in seconds), by least squares; None if too few."""
    ok = np.isfinite(pct)
    if np.count_nonzero(ok) < 3:
        return None
    t, pct = t[ok], pct[ok]
    if t[-1] - t[0] < TREND_MIN_SPAN_S:
        return None
    slope = np.polyfit(t - t[0], pct, 1)[0]
    return float(slope * 60.0)


@dataclass(frozen=True, slots=True)
class ChargeOutlook:
    """Where a dock's drone battery is going: its trend (%/min, + charging, - draining; None until
    measured) and, for a charging dock, the seconds until it is ready (None otherwise)."""

    trend_pct_min: float | None
    ready_in_s: float | None


def charge_outlook(status: DockStatus, dock: DockState | None, battery_pct: float | None, t: np.ndarray,
                   pct: np.ndarray, limits: Limits) -> ChargeOutlook:
    """The trend of the battery series (t, pct) since the dock's charger last switched, and the ready time.

    Fitting only since the switch keeps phases apart: a drone that has just landed and charges
    trends up, not down with the flight's drain still in the window. The ready time uses the
    measured rate once the battery has shown one, else the chargers' nominal rate, so a charging
    dock always says when it will be ready.
    """
    since = dock.charging_since if dock is not None else None
    if since is not None:
        keep = t >= since
        t, pct = t[keep], pct[keep]
    trend = charge_trend_pct_min(t, pct)
    ready = None
    if status is DockStatus.CHARGING and battery_pct is not None:
        rate = trend if trend is not None and trend > 0 else limits.charge_rate_pct_min
        ready = max(0.0, limits.ready_battery_pct - battery_pct) / rate * 60.0
    return ChargeOutlook(trend, ready)


def coverage_radius_m(battery_pct: float | None, wind_m_s: float | None, pattern: Pattern, site: Site,
                      limits: Limits) -> float | None:
    """How far from its dock the drone could fly out, do the pattern and come back with the reserve.

    The straight-line energy model of planning.py, with the battery it has now and the wind at
    the dock: the ring the map draws, not a promise (routes around zones are longer).
    """
    if battery_pct is None:
        return None
    cruise = min(DEFAULT_CRUISE_ALT_AGL_M, site.max_altitude_agl_m)
    fixed_pct, pct_per_m = direct_energy_model(
        pattern, cruise_alt_m=cruise, pattern_alt_m=min(pattern.altitude_m, site.max_altitude_agl_m),
        wind=WindEstimate(wind_m_s) if wind_m_s is not None else None)
    return max(0.0, (battery_pct - limits.reserve_pct - fixed_pct) / pct_per_m)


@dataclass(frozen=True, slots=True)
class DistrictCount:
    district: str
    ready: int
    total: int


def district_counts(docks: Sequence[Dock], statuses: dict[str, DockStatus]) -> list[DistrictCount]:
    """Ready docks per district, in the site file's district order."""
    order: dict[str, list[int]] = {}
    for d in docks:
        counts = order.setdefault(d.district, [0, 0])
        counts[1] += 1
        counts[0] += statuses.get(d.id) == DockStatus.READY
    return [DistrictCount(k, ready, total) for k, (ready, total) in order.items()]


class TrailBook:
    """Recent positions of each drone for the map's trails, sampled every TRAIL_STEP_S (GUI thread)."""

    def __init__(self, clock=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        self._clock = clock
        self._points: dict[int, deque[tuple[float, float, float]]] = {}

    def add(self, states: Iterable[DroneState]) -> None:
        now = self._clock()
        limit = int(TRAIL_S / TRAIL_STEP_S) + 1
        for s in states:
            if s.lat is None or s.lon is None:
                continue
            points = self._points.setdefault(s.sysid, deque(maxlen=limit))
            if points and now - points[-1][0] < TRAIL_STEP_S:
                continue
            if points and math.isclose(points[-1][1], s.lat) and math.isclose(points[-1][2], s.lon):
                points.clear()  # standing still (in its dock): no trail to draw
            points.append((now, s.lat, s.lon))

    def trail(self, sysid: int, since: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(lats, lons) of the drone's trail, oldest first; only points after `since` when given."""
        points = self._points.get(sysid)
        if not points:
            return np.empty(0), np.empty(0)
        arr = np.array(points)
        if since is not None:
            arr = arr[arr[:, 0] >= since]
        return arr[:, 1].copy(), arr[:, 2].copy()
