"""Flight model and mission runner in simulated time, without any network."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymavlink.dialects.v20 import common as mav

from drones.geo import destination, distance_m
from drones.sim.faults import parse_fault, parse_fault_message
from drones.sim.flight_model import CLIMB_M_S, MAX_SPEED_M_S, Battery, MultirotorModel, Target, Wind
from drones.sim.mission import MissionItem, MissionRunner, Step

LAT, LON, GROUND = 36.06, 120.38, 10.0


def flying_model(**kw: object) -> MultirotorModel:
    m = MultirotorModel(lat=LAT, lon=LON, alt_amsl_m=GROUND + 50, ground_alt_m=GROUND, **kw)  # type: ignore[arg-type]
    m.flying = m.armed = True
    return m


def run_until(m: MultirotorModel, done, max_s: float = 600.0, dt: float = 0.1) -> float:  # type: ignore[no-untyped-def]
    t = 0.0
    while not done(m):
        m.step(dt)
        t += dt
        assert t < max_s, "target never reached"
    return t


def test_flies_to_a_target_within_speed_and_accel_limits() -> None:
    m = flying_model()
    tlat, tlon = destination(LAT, LON, 45.0, 1000.0)
    m.target = Target(tlat, tlon, GROUND + 80, speed_m_s=12.0)
    top_speed = 0.0
    t = 0.0
    while m.distance_to_target_m() > 0.5:
        before = m.ground_speed_m_s
        m.step(0.1)
        t += 0.1
        top_speed = max(top_speed, m.ground_speed_m_s)
        assert m.ground_speed_m_s - before <= 3.0 * 0.1 + 1e-6  # acceleration limit
        assert -m.v_down_m_s <= CLIMB_M_S + 1e-6
        assert t < 300
    assert 11.5 < top_speed <= 12.0 + 1e-6
    assert 1000 / 12.0 < t < 1000 / 12.0 + 30  # cruise time plus acceleration and braking
    assert 40 < m.yaw_deg < 50  # nose along the course


def test_battery_drains_faster_into_the_wind_and_charges_in_the_dock() -> None:
    calm, windy = flying_model(), flying_model(wind=Wind(10.0, 0.0))  # wind from the north
    north = destination(LAT, LON, 0.0, 2000.0)
    for m in (calm, windy):
        m.battery = Battery(80.0)
        m.target = Target(*north, GROUND + 50, speed_m_s=10.0)
        run_until(m, lambda mm: mm.distance_to_target_m() < 1.0)
    assert windy.battery.remaining_pct < calm.battery.remaining_pct < 80.0
    assert windy.battery.voltage_v < Battery(80.0).voltage_v
    dock = MultirotorModel(lat=LAT, lon=LON, alt_amsl_m=GROUND, ground_alt_m=GROUND, battery=Battery(20.0))
    for _ in range(600):
        dock.charge(1.0)
    assert dock.battery.remaining_pct > 40.0


@settings(max_examples=40, deadline=None)
@given(st.floats(0, 359), st.floats(20, 800), st.floats(15, 110), st.floats(0, 12), st.floats(0, 359))
def test_any_target_is_reached_without_exceeding_limits(bearing: float, dist: float, alt: float, wind: float,
                                                        wind_dir: float) -> None:
    m = flying_model(wind=Wind(wind, wind_dir))
    m.target = Target(*destination(LAT, LON, bearing, dist), GROUND + alt, speed_m_s=15.0)
    def check(mm: MultirotorModel) -> bool:
        assert mm.ground_speed_m_s <= MAX_SPEED_M_S + 1e-6
        assert mm.alt_amsl_m >= GROUND
        return mm.distance_to_target_m() < 0.5
    run_until(m, check)


def mission_item(seq: int, cmd: int, lat: float = 0.0, lon: float = 0.0, alt: float = 0.0, p1: float = 0.0,
                 p2: float = 0.0, p3: float = 0.0) -> MissionItem:
    return MissionItem(seq, mav.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, cmd, 0, 1, p1, p2, p3, math.nan,
                       int(lat * 1e7), int(lon * 1e7), alt)


def test_mission_runner_orbits_for_the_loiter_time_facing_the_centre_then_returns() -> None:
    clat, clon = destination(LAT, LON, 90.0, 300.0)
    runner = MissionRunner()
    runner.replace([
        mission_item(0, mav.MAV_CMD_DO_SET_ROI_LOCATION, clat, clon),
        mission_item(1, mav.MAV_CMD_NAV_LOITER_TIME, clat, clon, 60.0, p1=60.0, p3=50.0),
        mission_item(2, mav.MAV_CMD_NAV_RETURN_TO_LAUNCH),
    ])
    m = flying_model()
    t, closest, farthest = 0.0, 1e9, 0.0
    while True:
        leg = runner.tick(0.1, m.lat, m.lon, m.alt_amsl_m, GROUND, 2.0)
        if leg.step == Step.RTL:
            break
        m.target = Target(leg.lat, leg.lon, leg.alt_amsl_m, 10.0, leg.yaw_deg)
        m.step(0.1)
        t += 0.1
        if runner.current == 1 and t > 60:
            d = distance_m(m.lat, m.lon, clat, clon)
            closest, farthest = min(closest, d), max(farthest, d)
        assert t < 400
    assert runner.reached == [0, 1, 2]
    assert 40 < closest and farthest < 60  # flew a ring of about 50 m
    assert runner.complete


def test_mission_items_the_vehicle_cannot_fly_are_named_at_upload() -> None:
    ok = mission_item(0, mav.MAV_CMD_NAV_WAYPOINT, LAT, LON, 50)
    assert ok.problem() is None
    assert mission_item(0, mav.MAV_CMD_DO_WINCH).problem() == mav.MAV_MISSION_UNSUPPORTED
    bad_lat = MissionItem(0, mav.MAV_FRAME_GLOBAL_INT, mav.MAV_CMD_NAV_WAYPOINT, 0, 1, 0, 0, 0, 0, int(95e7), 0, 50)
    assert bad_lat.problem() == mav.MAV_MISSION_INVALID_PARAM5_X


def test_fault_specs() -> None:
    f = parse_fault("link:3:20@60")
    assert (f.kind, f.sysid, f.seconds, f.after_s) == ("link", 3, 20.0, 60.0)
    assert parse_fault("link:4").seconds == 30.0
    assert parse_fault("gps:5").seconds is None
    for bad in ("wing:3", "link", "link:x", "gps:3:a"):
        with pytest.raises(ValueError):
            parse_fault(bad)
    assert parse_fault_message(b'{"kind": "noack", "sysid": 2, "on": false}').on is False
    for bad in (b"nope", b"[]", b'{"kind": "gps", "sysid": "2"}', b'{"kind": "link", "sysid": 2, "seconds": -1}'):
        with pytest.raises(ValueError):
            parse_fault_message(bad)
