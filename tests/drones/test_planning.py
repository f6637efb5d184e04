"""Flight planning on the demo site: routes around no-fly zones, refusals naming the zone, the ceiling,
the mission's shape, and an energy estimate never below what the simulator's drone really uses."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from drones.airspace import airspace_for
from drones.geo import destination, distance_m, initial_bearing_deg
from drones.model import DispatchRefused
from drones.nofly import NoFlyZone, first_zone_crossed, load_nofly, zones_containing
from drones.patterns import Pattern, PatternBook, load_patterns
from drones.planning import (MAV_CMD_DO_CHANGE_SPEED, MAV_CMD_DO_SET_ROI_LOCATION, MAV_CMD_DO_SET_ROI_NONE,
                             MAV_CMD_NAV_LOITER_TIME, MAV_CMD_NAV_LOITER_TURNS, MAV_CMD_NAV_RETURN_TO_LAUNCH,
                             MAV_CMD_NAV_TAKEOFF, MAV_CMD_NAV_WAYPOINT, MIN_ZONE_CLEARANCE_M, ZONE_MARGIN_M, FlightPlan,
                             WindEstimate, estimate_energy_pct, plan_flight)
from drones.sim.flight_model import MultirotorModel, Wind
from drones.sim.mission import MissionItem
from drones.sim.vehicle import SimVehicle
from drones.site import Dock, Site, load_site
from vocab import Reason

ROOT = Path(__file__).resolve().parents[2]
SITE = load_site(ROOT / "resources" / "sites" / "demo.toml")
ZONES = load_nofly(SITE.nofly_path)  # type: ignore[arg-type]
BOOK: PatternBook = load_patterns()
DOCKS = {d.id: d for d in SITE.docks}
ZONE = {z.id: z for z in ZONES}
NORTH_OF_GOVERNMENT = (36.0720, 120.3805)     # SN01 五四广场 lies south of NF02; this point north of it
SIM_STEP_S = 0.1


def assert_safe(plan: FlightPlan, zones: tuple[NoFlyZone, ...] = ZONES) -> None:
    """No leg of the plan's path crosses a zone at its cruise altitude; nothing climbs above the ceiling."""
    for a, b in zip(plan.waypoints, plan.waypoints[1:]):
        crossed = first_zone_crossed(a.lat, a.lon, b.lat, b.lon, zones, plan.cruise_alt_m)
        assert crossed is None, f"leg {a} -> {b} crosses {crossed.id}"
    assert all(item.alt_rel_m <= plan.ceiling_m for item in plan.items)


def fly_in_simulator(plan: FlightPlan, wind_m_s: float, wind_from_deg: float) -> tuple[float, SimVehicle, float]:
    """Flies the plan's mission with the simulator's PX4-like vehicle in a steady wind.

    Returns battery percent used, the vehicle, and the highest height above home reached.
    """
    dock = plan.dock
    model = MultirotorModel(lat=dock.lat, lon=dock.lon, alt_amsl_m=dock.ground_alt_m, ground_alt_m=dock.ground_alt_m,
                            wind=Wind(wind_m_s, wind_from_deg))
    vehicle = SimVehicle(sysid=1, model=model)
    vehicle.mission.replace([MissionItem(seq, it.frame, it.command, 0, 1, it.param1, it.param2, it.param3, it.param4,
                                         round(it.lat * 1e7), round(it.lon * 1e7), it.alt_rel_m)
                             for seq, it in enumerate(plan.items)])
    vehicle.arm(0.0)
    vehicle.start_mission()
    t, top = 0.0, 0.0
    while vehicle.armed and t < 3 * plan.flight_time_s:
        t += SIM_STEP_S
        vehicle.tick(SIM_STEP_S, t)
        top = max(top, model.relative_alt_m)
    return 100.0 - model.battery.remaining_pct, vehicle, top


def test_a_clear_line_is_flown_straight_with_the_mission_in_order() -> None:
    dock = DOCKS["SN02"]
    plan = plan_flight(dock, 36.0700, 120.3600, BOOK.for_category("crowding"), site=SITE, zones=ZONES,
                       wind=WindEstimate(4.0, 340.0))
    assert plan.route == ((dock.lat, dock.lon), (36.0700, 120.3600))
    assert [i.command for i in plan.items] == [
        MAV_CMD_NAV_TAKEOFF, MAV_CMD_DO_CHANGE_SPEED, MAV_CMD_DO_SET_ROI_LOCATION, MAV_CMD_NAV_WAYPOINT,
        MAV_CMD_NAV_LOITER_TIME, MAV_CMD_NAV_WAYPOINT, MAV_CMD_DO_SET_ROI_NONE, MAV_CMD_NAV_WAYPOINT,
        MAV_CMD_NAV_RETURN_TO_LAUNCH]
    takeoff, speed, roi, over, loiter = plan.items[:5]
    assert takeoff.alt_rel_m == plan.cruise_alt_m == 100.0
    assert speed.param2 == plan.cruise_speed_m_s
    assert (roi.lat, roi.lon) == (36.0700, 120.3600)
    assert (loiter.param1, loiter.param3, loiter.alt_rel_m) == (120.0, 80.0, 70.0)   # seconds, radius (clockwise), m
    last_wp = plan.items[-2]
    assert (last_wp.lat, last_wp.lon) == (dock.lat, dock.lon)    # RTL starts over the dock: no straight line home
    straight = distance_m(dock.lat, dock.lon, 36.0700, 120.3600)
    assert plan.distance_m == pytest.approx(2 * straight)
    assert 0 < plan.eta_s < plan.flight_time_s
    assert plan.avoided_zones == () and plan.notes == ()
    assert plan.required_battery_pct == plan.energy_pct + plan.reserve_pct


def test_a_route_goes_around_a_zone_and_keeps_the_margin() -> None:
    dock = DOCKS["SN01"]
    plan = plan_flight(dock, *NORTH_OF_GOVERNMENT, BOOK.for_category("waterlogging"), site=SITE, zones=ZONES)
    assert first_zone_crossed(dock.lat, dock.lon, *NORTH_OF_GOVERNMENT, ZONES) is ZONE["NF02"]
    assert plan.avoided_zones == ("NF02",)
    assert len(plan.route) > 2
    assert_safe(plan)
    nf02 = airspace_for((ZONE["NF02"],), ZONE_MARGIN_M)
    for a, b in zip(plan.route, plan.route[1:]):
        steps = max(2, int(distance_m(*a, *b) // 10))
        for f in np.linspace(0.0, 1.0, steps):
            near = nf02.nearest_zone(a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]))
            assert near is not None and near[1] >= 0.95 * ZONE_MARGIN_M
    # The detour costs distance, but not much: the zone is 700 m across.
    straight = distance_m(dock.lat, dock.lon, *NORTH_OF_GOVERNMENT)
    assert 2 * straight < plan.distance_m < 2 * straight + 1500


def test_a_target_inside_a_zone_is_refused_naming_it() -> None:
    with pytest.raises(DispatchRefused) as err:
        plan_flight(DOCKS["SN01"], 36.0665, 120.3800, BOOK.default, site=SITE, zones=ZONES)
    assert err.value.check == "nofly"
    assert err.value.reason.get("zone") == Reason.data(zh="青岛市人民政府", en="Qingdao Municipal Government")
    assert "Qingdao Municipal Government" in err.value.reason.en


def test_no_route_around_a_zone_is_refused_naming_it() -> None:
    # A ring-shaped zone: the target sits in its hole, outside the zone, but nothing gets in.
    outer = ((36.080, 120.400), (36.080, 120.430), (36.100, 120.430), (36.100, 120.400))
    hole = ((36.088, 120.412), (36.088, 120.418), (36.092, 120.418), (36.092, 120.412))
    ring = NoFlyZone("R1", "环形管制区", "Ring zone", "event", 0.0, 300.0, (outer, hole))
    assert not zones_containing(36.090, 120.415, (ring,))
    with pytest.raises(DispatchRefused) as err:
        plan_flight(DOCKS["SN01"], 36.090, 120.415, BOOK.default, site=SITE, zones=(ring,))
    assert err.value.check == "nofly" and err.value.reason.get("zone").get("zh") == "环形管制区" and "Ring zone" in err.value.reason.en


def test_a_zone_above_the_cruise_altitude_does_not_block() -> None:
    dock = DOCKS["SN01"]
    high = NoFlyZone("H1", "高空管制", "High band", "airway", 150.0, 600.0, ZONE["NF02"].polygon)
    plan = plan_flight(dock, *NORTH_OF_GOVERNMENT, BOOK.for_category("waterlogging"), site=SITE, zones=(high,))
    assert len(plan.route) == 2


def test_the_ceiling_is_respected_and_a_site_may_allow_more() -> None:
    low = dataclasses.replace(SITE, max_altitude_agl_m=60.0)
    plan = plan_flight(DOCKS["SN01"], 36.0560, 120.4050, BOOK.for_category("forest_fire_smoke"), site=low, zones=ZONES)
    assert plan.cruise_alt_m == plan.pattern_alt_m == 60.0
    assert max(i.alt_rel_m for i in plan.items) == 60.0
    assert any("60" in n.en for n in plan.notes)
    high = dataclasses.replace(SITE, max_altitude_agl_m=150.0)
    plan = plan_flight(DOCKS["SN01"], 36.0560, 120.4050, BOOK.default, site=high, zones=ZONES, cruise_alt_m=140.0)
    assert plan.cruise_alt_m == 140.0 and plan.max_alt_rel_m == 140.0
    with pytest.raises(DispatchRefused) as err:
        plan_flight(DOCKS["SN01"], 36.0560, 120.4050, BOOK.default, site=dataclasses.replace(SITE, max_altitude_agl_m=20.0))
    assert err.value.check == "ceiling"


def test_an_orbit_next_to_a_zone_is_cut_down_to_stay_clear() -> None:
    nf02 = ZONE["NF02"]
    east = destination(36.0665, nf02.bbox[3], 90.0, 60.0)        # 60 m east of the government zone
    plan = plan_flight(DOCKS["SN01"], *east, BOOK.for_category("crowding"), site=SITE, zones=ZONES)
    assert 0 < plan.pattern_radius_m < 60
    assert plan.notes and "Qingdao Municipal Government" in plan.notes[0].en
    for bearing in range(0, 360, 5):
        edge = destination(*east, bearing, plan.pattern_radius_m * 1.15)
        assert not zones_containing(*edge, ZONES)
    squeezed = plan_flight(DOCKS["SN01"], *destination(36.0665, nf02.bbox[3], 90.0, 25.0),
                           BOOK.for_category("crowding"), site=SITE, zones=ZONES)
    assert squeezed.pattern_radius_m == 0.0
    loiter = next(i for i in squeezed.items if i.command == MAV_CMD_NAV_LOITER_TIME)
    assert (loiter.param1, loiter.param3) == (120.0, 0.0)


def test_an_orbit_by_turns_and_counter_clockwise() -> None:
    plan = plan_flight(DOCKS["LS01"], DOCKS["LS01"].lat + 0.01, DOCKS["LS01"].lon, BOOK.for_category("forest_fire_smoke"),
                       site=SITE, zones=ZONES)
    turns = next(i for i in plan.items if i.command == MAV_CMD_NAV_LOITER_TURNS)
    assert (turns.param1, turns.param3, turns.alt_rel_m) == (2.0, 150.0, 100.0)
    ccw = Pattern("x", "orbit", 60.0, radius_m=40.0, duration_s=30.0, clockwise=False)
    plan = plan_flight(DOCKS["LS01"], DOCKS["LS01"].lat + 0.01, DOCKS["LS01"].lon, ccw, site=SITE, zones=ZONES)
    assert next(i for i in plan.items if i.command == MAV_CMD_NAV_LOITER_TIME).param3 == -40.0


def test_gas_is_watched_from_upwind_with_the_nose_on_the_leak() -> None:
    dock, leak = DOCKS["SN02"], (36.0700, 120.3600)
    plan = plan_flight(dock, *leak, BOOK.for_category("gas_leak"), site=SITE, zones=ZONES, wind=WindEstimate(5.0, 90.0))
    assert distance_m(*leak, plan.scene_lat, plan.scene_lon) == pytest.approx(120.0, abs=1.0)
    assert initial_bearing_deg(*leak, plan.scene_lat, plan.scene_lon) == pytest.approx(90.0, abs=1.0)
    roi = next(i for i in plan.items if i.command == MAV_CMD_DO_SET_ROI_LOCATION)
    assert (roi.lat, roi.lon) == leak
    # Without a wind direction it stands off on the dock's side.
    plan = plan_flight(dock, *leak, BOOK.for_category("gas_leak"), site=SITE, zones=ZONES, wind=WindEstimate(5.0))
    assert distance_m(plan.scene_lat, plan.scene_lon, dock.lat, dock.lon) < distance_m(*leak, dock.lat, dock.lon)


def test_energy_grows_with_wind_and_distance_and_unknown_wind_is_costly() -> None:
    dock = DOCKS["SN02"]
    near = plan_flight(dock, 36.0650, 120.3500, BOOK.default, site=SITE, zones=ZONES, wind=WindEstimate(2.0))
    far = plan_flight(dock, 36.0750, 120.3400, BOOK.default, site=SITE, zones=ZONES, wind=WindEstimate(2.0))
    assert near.energy_pct < far.energy_pct
    assert estimate_energy_pct(far.phases, WindEstimate(2.0)) < estimate_energy_pct(far.phases, WindEstimate(9.0))
    assert estimate_energy_pct(far.phases, WindEstimate(9.0)) <= estimate_energy_pct(far.phases, None)


def test_bad_inputs_are_errors_not_plans() -> None:
    with pytest.raises(ValueError):
        plan_flight(DOCKS["SN01"], math.nan, 120.38, BOOK.default, site=SITE)
    with pytest.raises(ValueError):
        plan_flight(DOCKS["SN01"], 36.07, 120.38, BOOK.default, site=SITE, cruise_speed_m_s=30.0)


SIM_ROUTES = [
    # dock, target, category, wind m/s, wind from deg, whether the planner knows the direction
    ("SN01", NORTH_OF_GOVERNMENT, "waterlogging", 0.0, 0.0, True),
    ("SN01", NORTH_OF_GOVERNMENT, "waterlogging", 9.0, 20.0, False),
    ("SN02", (36.0700, 120.3600), "forest_fire_smoke", 3.0, 340.0, True),
    ("SN02", (36.0700, 120.3600), "crowding", 7.0, 45.0, True),
    ("SN03", (36.0600, 120.3700), "gas_leak", 5.0, 100.0, True),
    ("SN03", (36.0500, 120.3650), "muck_truck", 11.0, 180.0, False),
    ("LS01", None, "default", 6.0, 270.0, True),
]


@pytest.mark.parametrize(("dock_id", "target", "category", "wind_m_s", "wind_from", "known"), SIM_ROUTES)
def test_the_energy_estimate_covers_what_the_simulated_drone_uses(dock_id: str, target: tuple[float, float] | None,
                                                                  category: str, wind_m_s: float, wind_from: float,
                                                                  known: bool) -> None:
    dock = DOCKS[dock_id]
    target = target or destination(dock.lat, dock.lon, 45.0, 1500.0)
    plan = plan_flight(dock, *target, BOOK.for_category(category), site=SITE, zones=ZONES,
                       wind=WindEstimate(wind_m_s, wind_from if known else None))
    used, vehicle, top = fly_in_simulator(plan, wind_m_s, wind_from)
    assert not vehicle.armed and vehicle.mission.complete, "the simulated drone did not finish the mission"
    assert distance_m(vehicle.model.lat, vehicle.model.lon, dock.lat, dock.lon) < 3.0
    assert top <= plan.ceiling_m + 0.5
    assert used <= plan.energy_pct, f"simulator used {used:.1f}%, estimate {plan.energy_pct:.1f}%"


# ---------------------------------------------------------------------------- properties
#
# The properties count what the planner did with the generated cases: a property over plans
# passes vacuously when nearly every case is refused, and a refusal check never runs when no
# case is refused. Each property runs its `@given` function inside a plain test, then asserts
# on the tally. Which zone a refusal should name is computed here, independently of
# drones/nofly.py and drones/airspace.py (ray casting, segment crossing and distances written
# out below), and compared with the zone the refusal names.

DOCK_LIST = tuple(SITE.docks)
LAT_RANGE = (min(d.lat for d in DOCK_LIST) - 0.02, max(d.lat for d in DOCK_LIST) + 0.02)
LON_RANGE = (min(d.lon for d in DOCK_LIST) - 0.02, max(d.lon for d in DOCK_LIST) + 0.02)
CATEGORIES = ["default", *BOOK.categories]
METRES_PER_DEG_LAT = math.radians(1.0) * 6_371_008.8     # mean Earth radius: the checks' own metre scale
# The planner tests a point against the zones whose altitude band meets its flight (0 m up to the
# cruise or pattern altitude, at most 100 m here). Every zone these properties use covers 0..150 m
# or more, so every zone applies to every check and the independent checks below need no bands.
ALL_BANDS_M = (0.0, 150.0)
assert all(z.floor_m <= ALL_BANDS_M[0] and z.ceiling_m >= ALL_BANDS_M[1] for z in ZONES)
assert max(p.altitude_m for p in (BOOK.default, *map(BOOK.for_category, BOOK.categories))) <= ALL_BANDS_M[1]
#: What a point refusal names as refused (plan.what_* codes) -> which point of the plan it is.
REFUSED_WHAT = {"plan.what_target": "target", "plan.what_dock": "dock", "plan.what_standoff": "standoff point"}


def inside(lat: float, lon: float, zone: NoFlyZone) -> bool:
    """Even-odd ray casting over all of the zone's rings (a point in a hole crosses the outer ring and the hole's)."""
    odd = False
    for ring in zone.polygon:
        for (y1, x1), (y2, x2) in zip(ring, ring[1:] + ring[:1]):
            if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                odd = not odd
    return odd


def boundary_m(lat: float, lon: float, zone: NoFlyZone) -> float:
    """Distance from a point to the zone's nearest edge, metres, in an equirectangular plane centred on the point."""
    ky, kx = METRES_PER_DEG_LAT, METRES_PER_DEG_LAT * math.cos(math.radians(lat))
    best = math.inf
    for ring in zone.polygon:
        for (y1, x1), (y2, x2) in zip(ring, ring[1:] + ring[:1]):
            ax, ay, bx, by = (x1 - lon) * kx, (y1 - lat) * ky, (x2 - lon) * kx, (y2 - lat) * ky
            dx, dy = bx - ax, by - ay
            length_sq = dx * dx + dy * dy
            t = min(1.0, max(0.0, -(ax * dx + ay * dy) / length_sq)) if length_sq else 0.0
            best = min(best, math.hypot(ax + t * dx, ay + t * dy))
    return best


def entry_fraction(a: tuple[float, float], b: tuple[float, float], zone: NoFlyZone) -> float | None:
    """Where the straight line a → b first meets the zone (0..1 along it; 0 when a is inside), None if never."""
    if inside(*a, zone):
        return 0.0
    ry, rx = b[0] - a[0], b[1] - a[1]
    first = None
    for ring in zone.polygon:
        for (y1, x1), (y2, x2) in zip(ring, ring[1:] + ring[:1]):
            ey, ex = y2 - y1, x2 - x1
            denom = rx * ey - ry * ex
            if denom == 0:
                continue   # parallel: the line meets this edge's end points on the neighbouring edges
            dy, dx = y1 - a[0], x1 - a[1]
            t, u = (dx * ey - dy * ex) / denom, (dx * ry - dy * rx) / denom
            if 0.0 <= t <= 1.0 and 0.0 <= u <= 1.0:
                first = t if first is None else min(first, t)
    return first


def zones_entered_first(a: tuple[float, float], b: tuple[float, float], zones: tuple[NoFlyZone, ...]) -> set[str]:
    """Ids of the zones the straight line a → b enters first (more than one when they tie)."""
    met = {z.id: t for z in zones if (t := entry_fraction(a, b, z)) is not None}
    return {zid for zid, t in met.items() if t <= min(met.values()) + 1e-9} if met else set()


def scene_of(dock: Dock, target: tuple[float, float], pattern: Pattern) -> tuple[float, float]:
    """Where the pattern is flown without a wind direction: over the target, or its standoff on the dock's side."""
    if pattern.standoff_m <= 0:
        return target
    return destination(*target, initial_bearing_deg(*target, dock.lat, dock.lon), pattern.standoff_m)


def check_refusal_names_the_zone(refusal: DispatchRefused, dock: Dock, target: tuple[float, float],
                                 pattern: Pattern, zones: tuple[NoFlyZone, ...]) -> str:
    """Asserts that a no-fly refusal names a zone the refused point lies in (or within the clearance of),
    or the zone the straight route enters first; returns what was refused: target, dock, standoff point, route."""
    assert refusal.check == "nofly", refusal
    zone_id = refusal.reason.get("zone_id")
    by_id = {z.id: z for z in zones}
    assert zone_id in by_id, f"the refusal names no zone of the site: {refusal.reason}"
    zone = by_id[str(zone_id)]
    assert refusal.reason.get("zone") == zone.name and zone.name_en in refusal.reason.en, refusal.reason
    scene = scene_of(dock, target, pattern)
    if refusal.reason.code == "plan.in_zone":
        what_code = refusal.reason.get("what")
        assert isinstance(what_code, Reason) and what_code.code in REFUSED_WHAT, refusal.reason
        what = REFUSED_WHAT[what_code.code]
        lat, lon = {"target": target, "dock": (dock.lat, dock.lon), "standoff point": scene}[what]
        containing = [z.id for z in zones if inside(lat, lon, z)]
        if containing:
            assert zone.id in containing, f"{what} ({lat}, {lon}) lies in {containing}, the refusal names {zone.id}"
        else:
            # The planner measures in its own plane; 1 % covers the two planes' difference in scale.
            assert boundary_m(lat, lon, zone) < MIN_ZONE_CLEARANCE_M * 1.01, \
                f"{what} ({lat}, {lon}) is {boundary_m(lat, lon, zone):.1f} m from {zone.id}, in none"
        return what
    assert refusal.reason.code == "plan.no_route", f"an unknown no-fly refusal: {refusal.reason}"
    first = zones_entered_first((dock.lat, dock.lon), scene, zones)
    assert zone.id in first, f"the straight line {dock.id} -> {scene} enters {first or 'no zone'} first, " \
                             f"the refusal names {zone.id}"
    return "route"


@st.composite
def positions(draw: st.DrawFn) -> tuple[float, float]:
    """Anywhere in and around the four districts, or close around a zone (where routing is hard)."""
    if draw(st.booleans()):
        return (draw(st.floats(*LAT_RANGE)), draw(st.floats(*LON_RANGE)))
    zone = draw(st.sampled_from(ZONES))
    min_lat, min_lon, max_lat, max_lon = zone.bbox
    return (draw(st.floats(min_lat - 0.01, max_lat + 0.01)), draw(st.floats(min_lon - 0.01, max_lon + 0.01)))


def test_property_no_plan_crosses_a_zone_or_the_ceiling() -> None:
    tally: Counter[str] = Counter()

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(dock=st.sampled_from(DOCK_LIST), target=positions(), category=st.sampled_from(CATEGORIES),
           ceiling=st.sampled_from([60.0, 120.0, 200.0]))
    def planned_or_refused_naming_the_zone(dock: Dock, target: tuple[float, float], category: str,
                                           ceiling: float) -> None:
        site: Site = dataclasses.replace(SITE, max_altitude_agl_m=ceiling)
        pattern = BOOK.for_category(category)
        tally["cases"] += 1
        try:
            plan = plan_flight(dock, *target, pattern, site=site, zones=ZONES)
        except DispatchRefused as refusal:
            what = check_refusal_names_the_zone(refusal, dock, target, pattern, ZONES)
            tally["refused"] += 1
            event(f"refused: {what}")
            return
        assert_safe(plan)
        assert plan.max_alt_rel_m <= ceiling
        assert not [z.id for z in ZONES if inside(*target, z)], "a plan to a target inside a zone"
        tally["detours" if len(plan.route) > 2 else "straight"] += 1
        event("detour" if len(plan.route) > 2 else "straight")

    planned_or_refused_naming_the_zone()
    # Most cases must have become plans, some of them detours: otherwise the safety asserts
    # above ran on too few routes to mean anything.
    assert tally["refused"] * 2 < tally["cases"], f"most cases were refused: {dict(tally)}"
    assert tally["detours"] > 0, f"no case needed a detour: {dict(tally)}"


def ring_zone(centre: tuple[float, float], hole_m: float, band_m: float) -> NoFlyZone:
    """A square zone around `centre` with a square hole: the centre is outside the zone, and closed in by it."""
    lat, lon = centre

    def square(half_m: float) -> tuple[tuple[float, float], ...]:
        dlat = half_m / METRES_PER_DEG_LAT
        dlon = half_m / (METRES_PER_DEG_LAT * math.cos(math.radians(lat)))
        return ((lat - dlat, lon - dlon), (lat - dlat, lon + dlon),
                (lat + dlat, lon + dlon), (lat + dlat, lon - dlon))

    return NoFlyZone("RING", "环形管制区", "Ring zone", "event", 0.0, 300.0,
                     (square(hole_m + band_m), square(hole_m)))


@st.composite
def closed_in_targets(draw: st.DrawFn) -> tuple[Dock, tuple[float, float], tuple[NoFlyZone, ...]]:
    """A dock, a target nothing may fly to, and the zones: the target inside a demo zone, or in the
    hole of a ring-shaped zone (added to the demo zones) that the dock lies outside."""
    dock = draw(st.sampled_from(DOCK_LIST))
    if draw(st.booleans()):
        zone = draw(st.sampled_from(ZONES))
        min_lat, min_lon, max_lat, max_lon = zone.bbox
        target = draw(st.tuples(st.floats(min_lat, max_lat), st.floats(min_lon, max_lon))
                      .filter(lambda p: inside(*p, zone)))
        return dock, target, ZONES
    hole_m = draw(st.floats(60.0, 400.0))
    band_m = draw(st.floats(130.0, 600.0))        # wider than any standoff (120 m) reaches out of the hole
    outer_m = hole_m + band_m
    centre = destination(dock.lat, dock.lon, draw(st.floats(0.0, 360.0)),
                         draw(st.floats(1.5 * outer_m + 100.0, 6000.0)))   # the dock well outside the ring
    return dock, centre, (*ZONES, ring_zone(centre, hole_m, band_m))


def test_property_a_target_nothing_may_fly_to_is_refused_naming_the_zone() -> None:
    tally: Counter[str] = Counter()

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(case=closed_in_targets(), category=st.sampled_from(CATEGORIES))
    def refused_naming_the_zone(case: tuple[Dock, tuple[float, float], tuple[NoFlyZone, ...]], category: str) -> None:
        dock, target, zones = case
        pattern = BOOK.for_category(category)
        with pytest.raises(DispatchRefused) as refused:
            plan_flight(dock, *target, pattern, site=SITE, zones=zones)
        what = check_refusal_names_the_zone(refused.value, dock, target, pattern, zones)
        tally[what] += 1
        event(f"refused: {what}")

    refused_naming_the_zone()
    # Both ways of refusing must have been seen, so that both naming checks ran.
    assert tally["target"] > 0 and tally["route"] > 0, dict(tally)
