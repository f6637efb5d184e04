"""Dock readiness, charge trends, coverage rings and trails, from plain states (no Qt, no network)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from vocab import DockStatus
from console.core.fleet_status import (TrailBook, charge_outlook, charge_trend_pct_min, coverage_radius_m,
                                       district_counts, dock_readiness)
from console.resources import resource_path
from drones.model import CoverState, DockState, DroneState, LandedState
from vocab import LinkState
from drones.patterns import load_patterns
from drones.safety import Limits
from drones.site import load_site

LIMITS = Limits()
READY_PCT = LIMITS.ready_battery_pct
DOCK = DockState("D1", "SN1", online=True, cover=CoverState.CLOSED, drone_in_dock=True, charging=False,
                 wind_speed_m_s=3.0, rainfall=0, updated_at=1.0)
DRONE = DroneState(1, link=LinkState.OK, landed=LandedState.ON_GROUND, battery_pct=90.0, healthy=True)


@pytest.mark.parametrize(("dock", "drone", "task_open", "expected"), [
    (DOCK, DRONE, False, DockStatus.READY),
    (DOCK, DRONE, True, DockStatus.IN_FLIGHT),
    (DOCK, replace(DRONE, landed=LandedState.IN_AIR), False, DockStatus.IN_FLIGHT),
    (replace(DOCK, online=False), DRONE, False, DockStatus.OFFLINE),
    (None, DRONE, False, DockStatus.UNKNOWN),
    (replace(DOCK, cover=CoverState.FAULT), DRONE, False, DockStatus.FAULT),
    (DOCK, replace(DRONE, link=LinkState.LOST), False, DockStatus.FAULT),
    (DOCK, replace(DRONE, link=LinkState.NEVER), False, DockStatus.UNKNOWN),
    (DOCK, replace(DRONE, healthy=False), False, DockStatus.FAULT),
    (DOCK, replace(DRONE, healthy=None), False, DockStatus.UNKNOWN),
    (DOCK, replace(DRONE, landed=LandedState.UNKNOWN), False, DockStatus.UNKNOWN),
    (replace(DOCK, wind_speed_m_s=LIMITS.max_wind_m_s + 1), DRONE, False, DockStatus.WEATHER_HOLD),
    (replace(DOCK, rainfall=3), DRONE, False, DockStatus.WEATHER_HOLD),
    (replace(DOCK, charging=True), replace(DRONE, battery_pct=READY_PCT - 1), False, DockStatus.CHARGING),
    (replace(DOCK, charging=True), replace(DRONE, battery_pct=READY_PCT), False, DockStatus.READY),  # topping up
    (DOCK, replace(DRONE, battery_pct=READY_PCT - 1), False, DockStatus.FAULT),  # low and the charger off
    (DOCK, replace(DRONE, battery_pct=None), False, DockStatus.UNKNOWN),
])
def test_dock_readiness(dock: DockState | None, drone: DroneState, task_open: bool, expected: str) -> None:
    r = dock_readiness(dock, drone, task_open=task_open, limits=LIMITS)
    assert r.status == expected
    assert (r.reason is None) == (expected in (DockStatus.READY, DockStatus.IN_FLIGHT))


def test_charge_trend_and_ready_time() -> None:
    t = np.arange(0.0, 120.0, 0.1)
    pct = 30.0 + t * (2.0 / 60.0)                # 2 % per minute
    pct[::7] = np.nan                            # gaps are skipped, not zeros
    trend = charge_trend_pct_min(t, pct)
    assert trend == pytest.approx(2.0, rel=1e-6)
    charging = replace(DOCK, charging=True, charging_since=0.0)
    outlook = charge_outlook(DockStatus.CHARGING, charging, 30.0, t, pct, LIMITS)
    assert outlook.trend_pct_min == pytest.approx(2.0, rel=1e-6)
    assert outlook.ready_in_s == pytest.approx((READY_PCT - 30.0) / 2.0 * 60.0)
    # Only a charging dock has a ready time; a ready or flying one has none.
    assert charge_outlook(DockStatus.READY, charging, READY_PCT + 5, t, pct, LIMITS).ready_in_s is None
    assert charge_outlook(DockStatus.IN_FLIGHT, DOCK, 30.0, t, -pct, LIMITS).ready_in_s is None
    assert charge_trend_pct_min(t[:50], pct[:50]) is None   # 5 s of samples: too short to call a trend


def test_a_drone_charging_after_a_flight_trends_up() -> None:
    """A flight's drain, then the dock's charger: the trend is the charger's, up, from the switch on."""
    t = np.arange(0.0, 120.0, 0.1)
    landed_at = 60.0
    flying = 70.0 - t * (20.0 / 60.0)                                       # 20 %/min in the air: 70 → 50
    pct = np.where(t < landed_at, flying, 50.0 + (t - landed_at) * (3.0 / 60.0))   # then 3 %/min on the charger
    pct = np.floor(pct - 10.0)                                              # a gauge in whole percent, 40 % at landing
    dock = replace(DOCK, charging=True, charging_since=landed_at + 1.0)     # the dock says so a second later
    outlook = charge_outlook(DockStatus.CHARGING, dock, float(pct[-1]), t, pct, LIMITS)
    assert outlook.trend_pct_min is not None and 2.0 < outlook.trend_pct_min < 4.0   # 3 %/min, seen in 1 % steps
    assert outlook.ready_in_s == pytest.approx((READY_PCT - pct[-1]) / outlook.trend_pct_min * 60.0)
    # The whole window mixes both phases and calls it a drain: what the board said before.
    mixed = charge_trend_pct_min(t, pct)
    assert mixed is not None and mixed < 0


def test_a_charging_dock_has_a_ready_time_before_its_trend_is_known() -> None:
    """Just switched on: too few samples for a trend, so the chargers' nominal rate gives the time."""
    t = np.arange(0.0, 120.0, 0.1)
    pct = np.full_like(t, 40.0)
    dock = replace(DOCK, charging=True, charging_since=115.0)
    outlook = charge_outlook(DockStatus.CHARGING, dock, 40.0, t, pct, LIMITS)
    assert outlook.trend_pct_min is None
    assert outlook.ready_in_s == pytest.approx((READY_PCT - 40.0) / LIMITS.charge_rate_pct_min * 60.0)


def test_coverage_radius_shrinks_with_battery_and_wind() -> None:
    site = load_site(resource_path("sites", "demo.toml"))
    pattern = load_patterns().default
    full = coverage_radius_m(100.0, 2.0, pattern, site, LIMITS)
    half = coverage_radius_m(50.0, 2.0, pattern, site, LIMITS)
    windy = coverage_radius_m(100.0, 11.0, pattern, site, LIMITS)
    assert full is not None and half is not None and windy is not None
    assert 2_000 < full < 30_000
    assert 0 < half < full and windy < full
    assert coverage_radius_m(LIMITS.reserve_pct, 2.0, pattern, site, LIMITS) == 0.0
    assert coverage_radius_m(None, 2.0, pattern, site, LIMITS) is None


def test_district_counts_follow_the_site_order() -> None:
    site = load_site(resource_path("sites", "demo.toml"))
    statuses = {d.id: DockStatus.READY for d in site.docks[:3]}
    counts = district_counts(site.docks, statuses)
    assert [c.district for c in counts] == list(dict.fromkeys(d.district for d in site.docks))
    assert sum(c.total for c in counts) == len(site.docks)
    assert sum(c.ready for c in counts) == 3


def test_trail_keeps_moving_positions_and_drops_standing_ones() -> None:
    now = [0.0]
    book = TrailBook(clock=lambda: now[0])
    for i in range(10):
        now[0] = i * 2.5
        book.add([DroneState(1, lat=36.0 + i * 1e-4, lon=120.4), DroneState(2, lat=36.1, lon=120.5)])
    lats, lons = book.trail(1)
    assert len(lats) == 10 and lats[0] < lats[-1] and np.all(lons == 120.4)
    assert len(book.trail(2)[0]) == 1                     # parked: just where it stands
    assert len(book.trail(1, since=15.0)[0]) == 4          # the part flown since a task began
    assert len(book.trail(3)[0]) == 0
