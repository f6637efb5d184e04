"""Flight planning: a mission from a dock to an alert and back, around no-fly zones, with its energy.

`plan_flight` turns a dock, a target and a verification pattern into a `FlightPlan`: the
route (straight when clear, otherwise the shortest detour through a visibility graph over
the zones' corners pushed out by `ZONE_MARGIN_M`; see `drones.airspace`), the mission items
as plain values (the fleet layer converts them for MAVSDK), times and the battery the round
trip needs. It
raises `DispatchRefused(check="nofly")` naming the zone when the target or the dock is in a
zone or no route gets around one, and `check="ceiling"` when the site's ceiling leaves no
safe cruise altitude. Pure computation, no I/O; any thread.

Altitudes are metres above the dock's ground (the mission's home): the console has no
terrain model, so "above ground" means above the dock's ground everywhere.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Literal

from pymavlink.dialects.v20 import common as mavlink2

from drones.airspace import airspace_for
from drones.geo import destination, distance_m, initial_bearing_deg
from drones.model import DispatchRefused
from vocab import Reason
from drones.nofly import NoFlyZone, first_zone_crossed, zones_containing
from drones.patterns import Pattern
from drones.site import Dock, Site

log = logging.getLogger(__name__)

# MAVLink mission commands and frames the plans use (PX4 flies all of them).
MAV_CMD_NAV_WAYPOINT = mavlink2.MAV_CMD_NAV_WAYPOINT
MAV_CMD_NAV_LOITER_TURNS = mavlink2.MAV_CMD_NAV_LOITER_TURNS
MAV_CMD_NAV_LOITER_TIME = mavlink2.MAV_CMD_NAV_LOITER_TIME
MAV_CMD_NAV_RETURN_TO_LAUNCH = mavlink2.MAV_CMD_NAV_RETURN_TO_LAUNCH
MAV_CMD_NAV_TAKEOFF = mavlink2.MAV_CMD_NAV_TAKEOFF
MAV_CMD_DO_CHANGE_SPEED = mavlink2.MAV_CMD_DO_CHANGE_SPEED
MAV_CMD_DO_SET_ROI_LOCATION = mavlink2.MAV_CMD_DO_SET_ROI_LOCATION
MAV_CMD_DO_SET_ROI_NONE = mavlink2.MAV_CMD_DO_SET_ROI_NONE
MAV_FRAME_GLOBAL_RELATIVE_ALT_INT = mavlink2.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT
MAV_FRAME_MISSION = mavlink2.MAV_FRAME_MISSION
SPEED_TYPE_GROUND = 1.0            # DO_CHANGE_SPEED param1
NO_THROTTLE_CHANGE = -1.0          # DO_CHANGE_SPEED param3

# The site's airframe (a dock-sized quadrotor, 4S pack). A real site would configure these from
# its aircraft's data; each is chosen on the costly side of what the airframe does, so that the
# estimate errs towards "not enough battery". tests/drones/test_planning.py checks the estimate
# against the simulator's flight model.
PLAN_HOVER_DRAIN_PCT_S = 100.0 / (34 * 60)     # hover endurance 34 min (the airframe does about 38)
PLAN_DRAG_DRAIN_PCT_S_PER_M2_S2 = 0.0001       # extra drain per (airspeed m/s)²
PLAN_CLIMB_EXTRA_FRACTION = 0.35               # climbing costs this much more than hovering
PLAN_CLIMB_M_S = 2.5
PLAN_DESCENT_M_S = 1.3
PLAN_LAND_SPEED_M_S = 0.5                      # the last PLAN_LAND_SLOW_ALT_M before touchdown
PLAN_LAND_SLOW_ALT_M = 5.0
PLAN_LANDED_SPIN_S = 5.0                       # motors still running after touchdown
PLAN_ARMED_ON_GROUND_PCT = 0.2                 # arming and waiting for the cover
PLAN_WAYPOINT_STOP_S = 5.0                     # slowing down and speeding up again at a waypoint
PLAN_ORBIT_SPEED_M_S = 6.0                     # ground speed on an orbit
PLAN_GUST_FACTOR = 1.2                         # reported (mean) wind times this
ENERGY_MARGIN_FACTOR = 1.05                    # on top of everything, for what the model leaves out
UNKNOWN_WIND_M_S = 12.0                        # assumed when nobody reports the wind (the usual limit)

DEFAULT_CRUISE_SPEED_M_S = 10.0
MAX_CRUISE_SPEED_M_S = 12.0                    # PX4 MPC_XY_VEL_MAX
DEFAULT_CRUISE_ALT_AGL_M = 100.0               # clamped to the site's ceiling
MIN_CRUISE_ALT_AGL_M = 30.0                    # below this a city flight is not safe from buildings
DEFAULT_RESERVE_PCT = 25.0
ZONE_MARGIN_M = 100.0                          # routes keep this far from zones where they can
MIN_ZONE_CLEARANCE_M = 5.0                     # targets and docks closer to a zone than this are refused
MIN_ORBIT_RADIUS_M = 20.0                      # an orbit squeezed below this becomes a hover
ORBIT_OVERSHOOT_FACTOR = 1.15                  # a drone on an orbit may swing this far outside its radius

PhaseKind = Literal["takeoff", "cruise", "descend", "climb", "hover", "orbit", "land"]


@dataclass(frozen=True, slots=True)
class WindEstimate:
    """Wind for planning: speed and where it blows FROM (degrees), None when the direction is unknown."""

    speed_m_s: float
    from_deg: float | None = None


@dataclass(frozen=True, slots=True)
class PlannedItem:
    """One mission item as plain values (MISSION_ITEM_INT semantics; lat/lon in degrees)."""

    command: int
    frame: int = MAV_FRAME_GLOBAL_RELATIVE_ALT_INT
    param1: float = 0.0
    param2: float = 0.0
    param3: float = 0.0
    param4: float = 0.0
    lat: float = 0.0
    lon: float = 0.0
    alt_rel_m: float = 0.0


@dataclass(frozen=True, slots=True)
class Waypoint:
    """A point of the flight path, height above the dock's ground."""

    lat: float
    lon: float
    alt_rel_m: float


@dataclass(frozen=True, slots=True)
class Phase:
    """A piece of the flight for the energy model: how long, how fast over ground, which way."""

    kind: PhaseKind
    duration_s: float
    ground_speed_m_s: float = 0.0
    course_deg: float | None = None    # None: all directions (an orbit) or standing still
    climbing: bool = False


@dataclass(frozen=True, slots=True)
class FlightPlan:
    """A verification flight, ready for preflight checks and upload.

    `waypoints` is the whole path (dock, route, scene, route back, dock); `items` the mission;
    `energy_pct` the battery the round trip needs, `reserve_pct` what must be left on landing.
    """

    dock: Dock
    target_lat: float
    target_lon: float
    scene_lat: float                   # where the pattern is flown: the target, or a standoff point
    scene_lon: float
    pattern: Pattern
    pattern_radius_m: float            # the orbit radius flown (0: hover)
    pattern_alt_m: float
    cruise_alt_m: float
    cruise_speed_m_s: float
    ceiling_m: float
    route: tuple[tuple[float, float], ...]     # outbound (lat, lon), dock to scene
    waypoints: tuple[Waypoint, ...]
    items: tuple[PlannedItem, ...]
    distance_m: float                  # horizontal, round trip
    eta_s: float                       # takeoff to on scene
    flight_time_s: float               # takeoff to touchdown
    wind: WindEstimate | None          # the wind the estimate assumed (None: unknown)
    phases: tuple[Phase, ...]
    energy_pct: float
    reserve_pct: float
    avoided_zones: tuple[str, ...] = ()
    notes: tuple[Reason, ...] = ()

    @property
    def required_battery_pct(self) -> float:
        """Battery needed at takeoff: the round trip plus the reserve."""
        return self.energy_pct + self.reserve_pct

    @property
    def max_alt_rel_m(self) -> float:
        return max(item.alt_rel_m for item in self.items)


# ---------------------------------------------------------------------------- energy


def _airspeed_sq(phase: Phase, wind_m_s: float, from_deg: float | None) -> float:
    """Mean square airspeed of a phase: ground velocity minus the air's velocity."""
    v = phase.ground_speed_m_s
    if v == 0.0:
        return wind_m_s ** 2
    if phase.course_deg is None or from_deg is None:
        # Averaged over wind directions; exact for legs flown out and back, as every route leg is.
        return v * v + wind_m_s * wind_m_s
    to = math.radians(from_deg + 180.0)
    course = math.radians(phase.course_deg)
    dn = v * math.cos(course) - wind_m_s * math.cos(to)
    de = v * math.sin(course) - wind_m_s * math.sin(to)
    return dn * dn + de * de


def estimate_energy_pct(phases: tuple[Phase, ...] | list[Phase], wind: WindEstimate | None) -> float:
    """Battery percent the phases take in this wind (None: unknown, assumes UNKNOWN_WIND_M_S)."""
    wind_m_s = (wind.speed_m_s if wind is not None else UNKNOWN_WIND_M_S) * PLAN_GUST_FACTOR
    from_deg = wind.from_deg if wind is not None else None
    total = PLAN_ARMED_ON_GROUND_PCT
    for ph in phases:
        rate = PLAN_HOVER_DRAIN_PCT_S + PLAN_DRAG_DRAIN_PCT_S_PER_M2_S2 * _airspeed_sq(ph, wind_m_s, from_deg)
        if ph.climbing:
            rate += PLAN_CLIMB_EXTRA_FRACTION * PLAN_HOVER_DRAIN_PCT_S
        total += rate * ph.duration_s
    return total * ENERGY_MARGIN_FACTOR


def _scene_phases(radius_m: float, turns: float | None, duration_s: float, cruise_alt_m: float,
                  pattern_alt_m: float, speed_m_s: float) -> tuple[list[Phase], list[Phase]]:
    """Phases from arriving over the scene until on scene, and from there until leaving it."""
    arrive = [Phase("hover", PLAN_WAYPOINT_STOP_S)]
    change = abs(cruise_alt_m - pattern_alt_m)
    down = Phase("descend", change / PLAN_DESCENT_M_S)
    up = Phase("climb", change / PLAN_CLIMB_M_S, climbing=True)
    if change:
        arrive.append(down if pattern_alt_m < cruise_alt_m else up)
    on_scene: list[Phase] = []
    if radius_m > 0:
        # Out to the circle and back to its centre, and around it.
        orbit_speed = min(speed_m_s, PLAN_ORBIT_SPEED_M_S)
        on_scene.append(Phase("cruise", 2 * radius_m / orbit_speed + PLAN_WAYPOINT_STOP_S, orbit_speed))
        orbit_s = turns * 2 * math.pi * radius_m / orbit_speed if turns is not None else duration_s
        on_scene.append(Phase("orbit", orbit_s, PLAN_ORBIT_SPEED_M_S))
    else:
        on_scene.append(Phase("hover", duration_s))
    if change:
        on_scene.append(up if pattern_alt_m < cruise_alt_m else down)
    return arrive, on_scene


def _legs(points: list[tuple[float, float]], speed_m_s: float) -> list[Phase]:
    return [Phase("cruise", distance_m(*a, *b) / speed_m_s + PLAN_WAYPOINT_STOP_S, speed_m_s,
                  initial_bearing_deg(*a, *b)) for a, b in zip(points, points[1:])]


def takeoff_and_land_phases(cruise_alt_m: float) -> tuple[Phase, Phase]:
    slow = min(PLAN_LAND_SLOW_ALT_M, cruise_alt_m)
    land_s = (cruise_alt_m - slow) / PLAN_DESCENT_M_S + slow / PLAN_LAND_SPEED_M_S + PLAN_LANDED_SPIN_S
    return Phase("takeoff", cruise_alt_m / PLAN_CLIMB_M_S, climbing=True), Phase("land", land_s)


def direct_energy_model(pattern: Pattern, *, cruise_alt_m: float, pattern_alt_m: float,
                        cruise_speed_m_s: float = DEFAULT_CRUISE_SPEED_M_S,
                        wind: WindEstimate | None = None) -> tuple[float, float]:
    """(fixed_pct, pct_per_m): a lower bound of any plan's energy is fixed + per_m × straight one-way distance.

    For a quick "out of range" test before routing (an orbit counts as its shortest form).
    """
    takeoff, land = takeoff_and_land_phases(cruise_alt_m)
    arrive, on_scene = _scene_phases(0.0, None, pattern.duration_s or 0.0, cruise_alt_m, pattern_alt_m,
                                     cruise_speed_m_s)
    fixed = [takeoff, *arrive, *on_scene, land, Phase("hover", 2 * PLAN_WAYPOINT_STOP_S)]
    e0 = estimate_energy_pct(fixed, wind)
    per_km = Phase("cruise", 2 * 1000.0 / cruise_speed_m_s, cruise_speed_m_s)
    return e0, (estimate_energy_pct([*fixed, per_km], wind) - e0) / 1000.0


# ---------------------------------------------------------------------------- planning


def _band_overlaps(zone: NoFlyZone, low_m: float, high_m: float) -> bool:
    return zone.floor_m <= high_m and zone.ceiling_m >= low_m


def _refuse_in_zone(zone: NoFlyZone, what: str) -> DispatchRefused:
    """`what` is plan.what_dock, plan.what_target or plan.what_standoff."""
    return DispatchRefused(Reason.of("plan.in_zone", what=Reason.of(what), zone=zone.name, zone_id=zone.id),
                           check="nofly")


def _check_point(lat: float, lon: float, zones: tuple[NoFlyZone, ...], margin_m: float, what: str) -> None:
    """Refuses a point that lies in a zone or within MIN_ZONE_CLEARANCE_M of one."""
    inside = zones_containing(lat, lon, zones)
    if inside:
        raise _refuse_in_zone(inside[0], what)
    near = airspace_for(zones, margin_m).nearest_zone(lat, lon)
    if near is not None and near[1] < MIN_ZONE_CLEARANCE_M:
        raise _refuse_in_zone(near[0], what)


def _scene_point(dock: Dock, lat: float, lon: float, pattern: Pattern, wind: WindEstimate | None,
                 zones: tuple[NoFlyZone, ...], margin_m: float) -> tuple[float, float]:
    """Where to fly the pattern: over the target, or at its standoff (upwind, else on the dock's side)."""
    if pattern.standoff_m <= 0:
        return lat, lon
    bearings = [wind.from_deg] if wind is not None and wind.from_deg is not None else []
    bearings.append(initial_bearing_deg(lat, lon, dock.lat, dock.lon))
    refusals = []
    for bearing in bearings:
        point = destination(lat, lon, bearing, pattern.standoff_m)
        try:
            _check_point(*point, zones, margin_m, "plan.what_standoff")
            return point
        except DispatchRefused as exc:
            refusals.append(exc)
    raise refusals[0]


def _orbit_radius(pattern: Pattern, scene: tuple[float, float], zones: tuple[NoFlyZone, ...],
                  margin_m: float, notes: list[Reason]) -> float:
    """The pattern's orbit radius, cut down to stay clear of zones (0: hover instead)."""
    if not pattern.is_orbit:
        return 0.0
    near = airspace_for(zones, margin_m).nearest_zone(*scene)
    room = (near[1] - MIN_ZONE_CLEARANCE_M) / ORBIT_OVERSHOOT_FACTOR if near else math.inf
    if room >= pattern.radius_m:
        return pattern.radius_m
    assert near is not None
    radius = room if room >= MIN_ORBIT_RADIUS_M else 0.0
    zone = near[0]
    if radius:
        notes.append(Reason.of("plan.orbit_cut", radius_m=radius, zone=zone.name))
    else:
        notes.append(Reason.of("plan.hover_instead", zone=zone.name))
    return radius


def plan_flight(dock: Dock, target_lat: float, target_lon: float, pattern: Pattern, *, site: Site,
                zones: tuple[NoFlyZone, ...] | list[NoFlyZone] = (), wind: WindEstimate | None = None,
                cruise_speed_m_s: float = DEFAULT_CRUISE_SPEED_M_S, cruise_alt_m: float | None = None,
                reserve_pct: float = DEFAULT_RESERVE_PCT, zone_margin_m: float = ZONE_MARGIN_M) -> FlightPlan:
    """A round trip from `dock` to the target with `pattern` on scene; DispatchRefused when it cannot be flown.

    `wind` is the planning wind (None: unknown, UNKNOWN_WIND_M_S assumed); `cruise_alt_m`
    defaults to DEFAULT_CRUISE_ALT_AGL_M; both altitudes are clamped to `site.max_altitude_agl_m`.
    """
    if not (math.isfinite(target_lat) and math.isfinite(target_lon)
            and -90 <= target_lat <= 90 and -180 <= target_lon <= 180):
        raise ValueError(f"target ({target_lat}, {target_lon}) is not a position")
    if not 0.0 < cruise_speed_m_s <= MAX_CRUISE_SPEED_M_S:
        raise ValueError(f"cruise speed must be 0..{MAX_CRUISE_SPEED_M_S:g} m/s, got {cruise_speed_m_s}")
    zones = tuple(zones)
    ceiling = site.max_altitude_agl_m
    cruise = min(cruise_alt_m if cruise_alt_m is not None else DEFAULT_CRUISE_ALT_AGL_M, ceiling)
    if cruise < MIN_CRUISE_ALT_AGL_M:
        raise DispatchRefused(Reason.of("plan.ceiling_low", ceiling_m=ceiling, min_m=MIN_CRUISE_ALT_AGL_M),
                              check="ceiling")
    notes: list[Reason] = []
    pattern_alt = min(pattern.altitude_m, ceiling)
    if pattern_alt < pattern.altitude_m:
        notes.append(Reason.of("plan.scene_lowered", alt_m=pattern_alt))
    # Level flight is at the cruise altitude; the drone moves vertically only over the dock and the scene.
    cruise_zones = tuple(z for z in zones if z.applies_at(cruise))
    scene_zones = tuple(z for z in zones if _band_overlaps(z, min(cruise, pattern_alt), max(cruise, pattern_alt)))
    dock_zones = tuple(z for z in zones if _band_overlaps(z, 0.0, cruise))
    _check_point(target_lat, target_lon, scene_zones, zone_margin_m, "plan.what_target")
    _check_point(dock.lat, dock.lon, dock_zones, zone_margin_m, "plan.what_dock")
    scene = _scene_point(dock, target_lat, target_lon, pattern, wind, scene_zones, zone_margin_m)
    route = airspace_for(cruise_zones, zone_margin_m).route((dock.lat, dock.lon), scene)
    if route is None:
        zone = first_zone_crossed(dock.lat, dock.lon, *scene, cruise_zones)
        assert zone is not None, "a route is only missing when the straight line crosses a zone"
        raise DispatchRefused(Reason.of("plan.no_route", zone=zone.name, zone_id=zone.id), check="nofly")
    avoided = () if len(route) == 2 else tuple(
        z.id for z in cruise_zones if first_zone_crossed(dock.lat, dock.lon, *scene, (z,)))
    pattern_zones = tuple(z for z in zones if z.applies_at(pattern_alt))
    radius = _orbit_radius(pattern, scene, pattern_zones, zone_margin_m, notes)
    if radius > 0:
        turns, duration = pattern.turns, pattern.duration_s or 0.0
    else:   # a hover, or an orbit squeezed into a hover for as long as the orbit would have taken
        turns = None
        duration = pattern.duration_s or (pattern.turns or 0.0) * 2 * math.pi * pattern.radius_m / PLAN_ORBIT_SPEED_M_S
    plan = _assemble(dock, (target_lat, target_lon), scene, pattern, radius, turns, duration, pattern_alt, cruise,
                     ceiling, cruise_speed_m_s, route, wind, reserve_pct, avoided, tuple(notes))
    log.debug("plan %s -> (%.5f, %.5f) %s: %d legs, %.0f m, ETA %.0f s, %.1f%% battery", dock.id, target_lat,
              target_lon, pattern.category, len(route) - 1, plan.distance_m, plan.eta_s, plan.energy_pct)
    return plan


def _assemble(dock: Dock, target: tuple[float, float], scene: tuple[float, float], pattern: Pattern,
              radius: float, turns: float | None, duration_s: float, pattern_alt: float, cruise: float,
              ceiling: float, speed: float, route: list[tuple[float, float]], wind: WindEstimate | None,
              reserve_pct: float, avoided: tuple[str, ...], notes: tuple[Reason, ...]) -> FlightPlan:
    """The mission items, path, times and energy of a routed flight."""
    back = route[::-1]
    nan = math.nan   # yaw NaN: PX4 keeps its heading mode (the next waypoint, or the ROI)

    def waypoint(lat: float, lon: float, alt: float = cruise) -> PlannedItem:
        return PlannedItem(MAV_CMD_NAV_WAYPOINT, param4=nan, lat=lat, lon=lon, alt_rel_m=alt)

    signed_radius = radius if pattern.clockwise else -radius
    if turns is not None:
        on_scene = PlannedItem(MAV_CMD_NAV_LOITER_TURNS, param1=turns, param3=signed_radius,
                               lat=scene[0], lon=scene[1], alt_rel_m=pattern_alt)
    else:
        on_scene = PlannedItem(MAV_CMD_NAV_LOITER_TIME, param1=duration_s, param3=signed_radius,
                               lat=scene[0], lon=scene[1], alt_rel_m=pattern_alt)
    items = (PlannedItem(MAV_CMD_NAV_TAKEOFF, param4=nan, lat=dock.lat, lon=dock.lon, alt_rel_m=cruise),
             PlannedItem(MAV_CMD_DO_CHANGE_SPEED, MAV_FRAME_MISSION, SPEED_TYPE_GROUND, speed, NO_THROTTLE_CHANGE),
             *(waypoint(*p) for p in route[1:-1]),
             PlannedItem(MAV_CMD_DO_SET_ROI_LOCATION, lat=target[0], lon=target[1], alt_rel_m=0.0),
             waypoint(*scene), on_scene, waypoint(*scene),
             PlannedItem(MAV_CMD_DO_SET_ROI_NONE, MAV_FRAME_MISSION),
             *(waypoint(*p) for p in back[1:]),
             PlannedItem(MAV_CMD_NAV_RETURN_TO_LAUNCH, MAV_FRAME_MISSION))
    waypoints = (*(Waypoint(*p, cruise) for p in route), Waypoint(*scene, pattern_alt),
                 *(Waypoint(*p, cruise) for p in back))
    takeoff, land = takeoff_and_land_phases(cruise)
    arrive, at_scene = _scene_phases(radius, turns, duration_s, cruise, pattern_alt, speed)
    outbound = [takeoff, *_legs(route, speed), *arrive]
    phases = (*outbound, *at_scene, *_legs(back, speed), land)
    one_way = sum(distance_m(*a, *b) for a, b in zip(route, route[1:]))
    return FlightPlan(
        dock=dock, target_lat=target[0], target_lon=target[1], scene_lat=scene[0], scene_lon=scene[1],
        pattern=pattern, pattern_radius_m=radius, pattern_alt_m=pattern_alt, cruise_alt_m=cruise,
        cruise_speed_m_s=speed, ceiling_m=ceiling, route=tuple(route), waypoints=waypoints, items=items,
        distance_m=2 * one_way, eta_s=sum(p.duration_s for p in outbound),
        flight_time_s=sum(p.duration_s for p in phases), wind=wind, phases=phases,
        energy_pct=estimate_energy_pct(phases, wind), reserve_pct=reserve_pct, avoided_zones=avoided, notes=notes)
