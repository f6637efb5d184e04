"""Preflight checks (every refusal, unknown values never passing) and the ranking of docks for an alert."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from drones.model import CoverState, DispatchRefused, DockState, DroneState, LandedState
from vocab import ExclusionKind, LinkState
from drones.nofly import first_zone_crossed, load_nofly
from drones.patterns import load_patterns
from drones.planning import FlightPlan, PlannedItem, WindEstimate, plan_flight
from drones.safety import EXCLUSION_KIND, Limits, battery_refusal, energy_needed_pct, preflight, rank_docks
from drones.site import load_site

ROOT = Path(__file__).resolve().parents[2]
SITE = load_site(ROOT / "resources" / "sites" / "demo.toml")
ZONES = load_nofly(SITE.nofly_path)  # type: ignore[arg-type]
BOOK = load_patterns()
DOCKS = {d.id: d for d in SITE.docks}
LIMITS = Limits()
NEAR_SN01 = (36.0720, 120.3805)       # north of the government zone: SN01, SN05, SN13, SN14 reach it


def drone(sysid: int = 1, **changes: object) -> DroneState:
    """A drone ready to fly: linked, landed, disarmed, healthy, full."""
    ready = DroneState(sysid, link=LinkState.OK, heartbeat_age_s=0.2, armed=False, landed=LandedState.ON_GROUND,
                       battery_pct=100.0, healthy=True, gps_fix=3, satellites=14)
    return dataclasses.replace(ready, **changes)  # type: ignore[arg-type]


def dock_state(dock_id: str = "SN01", **changes: object) -> DockState:
    """A dock ready to launch: online, cover closed, light wind, no rain."""
    ready = DockState(dock_id, DOCKS[dock_id].dock_sn, online=True, cover=CoverState.CLOSED, drone_in_dock=True,
                      wind_speed_m_s=3.0, rainfall=0)
    return dataclasses.replace(ready, **changes)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def plan() -> FlightPlan:
    return plan_flight(DOCKS["SN01"], *NEAR_SN01, BOOK.for_category("waterlogging"), site=SITE, zones=ZONES,
                       wind=WindEstimate(3.0))


def test_a_ready_drone_and_dock_pass(plan: FlightPlan) -> None:
    preflight(plan, drone(), dock_state(), LIMITS)


@pytest.mark.parametrize(("drone_changes", "dock_changes", "check"), [
    ({}, {"online": False}, "dock_offline"),
    ({}, {"cover": CoverState.FAULT}, "cover_fault"),
    ({}, {"cover": CoverState.UNKNOWN}, "cover_fault"),
    ({"link": LinkState.NEVER}, {}, "link"),
    ({"link": LinkState.LOST}, {}, "link"),
    ({"heartbeat_age_s": 5.0}, {}, "link"),
    ({"armed": True}, {}, "busy"),
    ({"landed": LandedState.IN_AIR}, {}, "busy"),
    ({"landed": LandedState.UNKNOWN}, {}, "drone_unhealthy"),
    ({"healthy": False}, {}, "drone_unhealthy"),
    ({"healthy": None}, {}, "drone_unhealthy"),
    ({"gps_fix": 2}, {}, "drone_unhealthy"),
    ({}, {"wind_speed_m_s": None}, "wind"),
    ({}, {"wind_speed_m_s": 13.5}, "wind"),
    ({}, {"rainfall": None}, "rain"),
    ({}, {"rainfall": 2}, "rain"),
    ({"battery_pct": None}, {}, "battery"),
    ({"battery_pct": 20.0}, {}, "battery"),
])
def test_each_unsafe_state_is_refused_with_its_check(plan: FlightPlan, drone_changes: dict, dock_changes: dict,
                                                      check: str) -> None:
    with pytest.raises(DispatchRefused) as err:
        preflight(plan, drone(**drone_changes), dock_state(**dock_changes), LIMITS)
    assert err.value.check == check
    assert err.value.reason.code.startswith("preflight.") and err.value.reason.en


def test_missing_snapshots_are_refused_not_assumed(plan: FlightPlan) -> None:
    with pytest.raises(DispatchRefused, match="dock_offline"):
        preflight(plan, drone(), None, LIMITS)
    with pytest.raises(DispatchRefused, match="link"):
        preflight(plan, None, dock_state(), LIMITS)


def test_a_busy_drone_is_refused(plan: FlightPlan) -> None:
    with pytest.raises(DispatchRefused) as err:
        preflight(plan, drone(), dock_state(), LIMITS, busy=True)
    assert err.value.check == "busy"


def test_the_battery_must_cover_the_round_trip_plus_the_reserve(plan: FlightPlan) -> None:
    needed = plan.energy_pct + LIMITS.reserve_pct
    preflight(plan, drone(battery_pct=needed + 0.5), dock_state(), LIMITS)
    with pytest.raises(DispatchRefused) as err:
        preflight(plan, drone(battery_pct=needed - 0.5), dock_state(), LIMITS)
    assert err.value.check == "battery"
    assert f"{plan.energy_pct:.0f}%" in err.value.reason.en and "25% reserve" in err.value.reason.en
    stricter = Limits(reserve_pct=40.0)
    assert battery_refusal(plan, drone(battery_pct=needed + 0.5), dock_state(), stricter) is not None


def test_more_wind_than_planned_for_needs_more_battery(plan: FlightPlan) -> None:
    windy = dock_state(wind_speed_m_s=10.0)
    assert energy_needed_pct(plan, windy) > plan.energy_pct
    assert energy_needed_pct(plan, dock_state(wind_speed_m_s=1.0)) == plan.energy_pct
    enough_for_calm = plan.energy_pct + LIMITS.reserve_pct + 0.5
    preflight(plan, drone(battery_pct=enough_for_calm), dock_state(), LIMITS)
    with pytest.raises(DispatchRefused, match="battery"):
        preflight(plan, drone(battery_pct=enough_for_calm), windy, LIMITS)


def test_a_mission_above_the_ceiling_is_refused(plan: FlightPlan) -> None:
    too_high = dataclasses.replace(plan, items=(*plan.items[:-1], PlannedItem(16, alt_rel_m=plan.ceiling_m + 1),
                                                plan.items[-1]))
    with pytest.raises(DispatchRefused) as err:
        preflight(too_high, drone(), dock_state(), LIMITS)
    assert err.value.check == "ceiling"


# ---------------------------------------------------------------------------- ranking

def all_ready() -> tuple[dict[int, DroneState], dict[str, DockState]]:
    return ({d.sysid: drone(d.sysid) for d in SITE.docks}, {d.id: dock_state(d.id) for d in SITE.docks})


def test_reachable_docks_come_first_by_time_on_scene_then_the_excluded_with_reasons() -> None:
    drones, docks = all_ready()
    options = rank_docks(NEAR_SN01, BOOK.for_category("waterlogging"), SITE.docks, drones, docks, ZONES, SITE)
    assert len(options) == len(SITE.docks) and {o.dock.id for o in options} == set(DOCKS)
    available = [o for o in options if o.available]
    assert len(available) >= 3 and options[:len(available)] == available
    etas = [o.eta_s for o in available]
    assert etas == sorted(etas) and all(e is not None and e > LIMITS.launch_prep_s for e in etas)
    assert available[0].plan is not None and available[0].plan.dock == available[0].dock
    excluded = options[len(available):]
    assert all(o.excluded is not None and o.eta_s is None and o.kind for o in excluded)
    assert [o.distance_m for o in excluded] == sorted(o.distance_m for o in excluded)
    far = next(o for o in excluded if o.dock.district == "laoshan")
    assert far.kind is ExclusionKind.RANGE and "km" in far.excluded.en  # type: ignore[union-attr]


def test_each_exclusion_reason_is_shown() -> None:
    drones, docks = all_ready()
    first = rank_docks(NEAR_SN01, BOOK.for_category("waterlogging"), SITE.docks, drones, docks, ZONES, SITE)
    a, b, c, d = [o.dock for o in first if o.available][:4]
    docks[a.id] = dock_state(a.id, online=False)
    docks[b.id] = dock_state(b.id, wind_speed_m_s=14.0)
    drones[c.sysid] = drone(c.sysid, battery_pct=None)          # unknown battery: not assumed full
    options = rank_docks(NEAR_SN01, BOOK.for_category("waterlogging"), SITE.docks, drones, docks, ZONES, SITE,
                         busy_sysids={d.sysid})
    by_id = {o.dock.id: o for o in options}
    assert (by_id[a.id].kind, by_id[a.id].check) == (ExclusionKind.OFFLINE, "dock_offline")
    assert (by_id[b.id].kind, by_id[b.id].check) == (ExclusionKind.WEATHER, "wind")
    assert (by_id[c.id].kind, by_id[c.id].check) == (ExclusionKind.BATTERY, "battery")
    assert by_id[d.id].kind is ExclusionKind.BUSY
    assert set(EXCLUSION_KIND.values()) == set(ExclusionKind)


def test_a_target_in_a_zone_excludes_every_dock_in_reach_as_no_fly() -> None:
    drones, docks = all_ready()
    options = rank_docks((36.0665, 120.3800), BOOK.default, SITE.docks, drones, docks, ZONES, SITE)
    assert not any(o.available for o in options)
    nofly = [o for o in options if o.kind is ExclusionKind.NOFLY]
    assert nofly and all(o.excluded.get("zone").get("zh") == "青岛市人民政府" for o in nofly)  # type: ignore[union-attr]


def test_no_docks_no_options() -> None:
    assert rank_docks(NEAR_SN01, BOOK.default, (), {}, {}, ZONES, SITE) == []


# ---------------------------------------------------------------------------- properties

LAT_RANGE = (min(d.lat for d in SITE.docks) - 0.01, max(d.lat for d in SITE.docks) + 0.01)
LON_RANGE = (min(d.lon for d in SITE.docks) - 0.01, max(d.lon for d in SITE.docks) + 0.01)


@st.composite
def alert_positions(draw: st.DrawFn) -> tuple[float, float]:
    """In and around the four districts, mostly within a drone's reach of some dock."""
    if draw(st.integers(0, 3)) == 0:
        return draw(st.floats(*LAT_RANGE)), draw(st.floats(*LON_RANGE))
    dock = draw(st.sampled_from(SITE.docks))
    return dock.lat + draw(st.floats(-0.008, 0.008)), dock.lon + draw(st.floats(-0.01, 0.01))


def mostly(draw: st.DrawFn, usual: st.SearchStrategy, *others: st.SearchStrategy) -> object:
    """A value from `usual` four times in five, else from one of `others`."""
    return draw(usual if draw(st.integers(0, 4)) else st.one_of(*others))


@st.composite
def fleet_states(draw: st.DrawFn) -> tuple[dict[int, DroneState], dict[str, DockState]]:
    """Every dock and drone: mostly ready with any battery and wind, some with a fault or an unknown value."""
    drones, docks = {}, {}
    for d in SITE.docks:
        battery = mostly(draw, st.floats(60.0, 100.0), st.floats(0.0, 100.0), st.none())
        wind = mostly(draw, st.floats(0.0, 10.0), st.floats(0.0, 16.0), st.none())
        rain = mostly(draw, st.just(0), st.integers(0, 3), st.none())
        fault = mostly(draw, st.none(), st.sampled_from(["offline", "cover", "link", "health"]))
        drones[d.sysid] = drone(d.sysid, battery_pct=battery, healthy=fault != "health",
                                link=LinkState.LOST if fault == "link" else LinkState.OK)
        docks[d.id] = dock_state(d.id, online=fault != "offline", wind_speed_m_s=wind, rainfall=rain,
                                 cover=CoverState.FAULT if fault == "cover" else CoverState.CLOSED)
    return drones, docks


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(target=alert_positions(), category=st.sampled_from(["unknown_algorithm", *BOOK.categories]),
       fleet=fleet_states(), busy=st.sets(st.sampled_from([d.sysid for d in SITE.docks]), max_size=5))
def test_property_no_accepted_plan_crosses_a_zone_exceeds_the_ceiling_or_lacks_energy(  # type: ignore[no-untyped-def]
        target, category, fleet, busy) -> None:
    drones, docks = fleet
    options = rank_docks(target, BOOK.for_category(category), SITE.docks, drones, docks, ZONES, SITE, busy)
    for option in options:
        if not option.available:
            assert option.excluded is not None and option.check in EXCLUSION_KIND
            continue
        plan, sysid = option.plan, option.dock.sysid
        assert plan is not None and sysid not in busy
        for a, b in zip(plan.waypoints, plan.waypoints[1:]):
            assert first_zone_crossed(a.lat, a.lon, b.lat, b.lon, ZONES, plan.cruise_alt_m) is None
        assert plan.max_alt_rel_m <= SITE.max_altitude_agl_m
        battery = drones[sysid].battery_pct
        assert battery is not None
        assert battery >= energy_needed_pct(plan, docks[option.dock.id]) + LIMITS.reserve_pct
        assert battery >= plan.energy_pct + plan.reserve_pct
        preflight(plan, drones[sysid], docks[option.dock.id], LIMITS)   # what was ranked available also flies
    event(f"available docks: {min(3, sum(o.available for o in options))}")


@settings(max_examples=200, deadline=None)
@given(battery=st.one_of(st.none(), st.floats(0.0, 100.0)), wind=st.floats(0.0, 12.0),
       planned_wind=st.floats(0.0, 12.0))
def test_property_preflight_passes_exactly_when_the_battery_covers_trip_and_reserve(  # type: ignore[no-untyped-def]
        battery, wind, planned_wind) -> None:
    plan = plan_flight(DOCKS["SN01"], *NEAR_SN01, BOOK.for_category("waterlogging"), site=SITE, zones=ZONES,
                       wind=WindEstimate(planned_wind))
    needed = energy_needed_pct(plan, dock_state(wind_speed_m_s=wind)) + LIMITS.reserve_pct
    assert needed >= plan.energy_pct + LIMITS.reserve_pct
    enough = battery is not None and battery >= needed
    try:
        preflight(plan, drone(battery_pct=battery), dock_state(wind_speed_m_s=wind), LIMITS)
    except DispatchRefused as refusal:
        assert refusal.check == "battery" and not enough
    else:
        assert enough


def test_a_drone_without_a_link_loss_action_is_refused_only_where_the_site_requires_one(plan: FlightPlan) -> None:
    strict = dataclasses.replace(LIMITS, require_link_loss_action=True)
    preflight(plan, drone(link_loss_action=0), dock_state(), LIMITS)       # the default site only warns
    preflight(plan, drone(link_loss_action=2), dock_state(), strict)        # return home: fine anywhere
    for action, code in ((0, "preflight.no_link_loss_action"), (None, "preflight.link_loss_unknown")):
        with pytest.raises(DispatchRefused) as refused:
            preflight(plan, drone(link_loss_action=action), dock_state(), strict)
        assert (refused.value.check, refused.value.reason.code) == ("link_loss_action", code)
