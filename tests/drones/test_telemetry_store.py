"""TelemetryStore: unknown stays unknown, readers get consistent copies while a writer thread runs."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from drones.model import LandedState
from vocab import LinkState
from drones.telemetry_store import HISTORY_S, RING_MARGIN, RING_SAMPLES, SAMPLE_HZ, Col, TelemetryStore


class FakeClock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def busy_gil() -> Iterator[None]:
    """Switches threads as often as CPython allows, so that torn reads would show up."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_a_drone_not_heard_yet_is_unknown_not_zero() -> None:
    store = TelemetryStore([7, 8])
    s = store.snapshot(7)
    assert s.sysid == 7 and s.link is LinkState.NEVER and s.landed is LandedState.UNKNOWN
    for name in ("lat", "lon", "alt_amsl_m", "alt_rel_m", "v_north_m_s", "heading_deg", "battery_pct", "battery_v",
                 "gps_fix", "satellites", "healthy", "home_lat", "mission_current", "flight_mode", "armed",
                 "heartbeat_age_s", "message_rate_hz", "updated_at", "ground_speed_m_s"):
        assert getattr(s, name) is None, name
    t, v = store.series(7, "battery_pct", 60)
    assert len(t) == len(v) == 0
    with pytest.raises(KeyError):
        store.snapshot(99)


def test_zero_is_a_value_and_fields_heard_stay_apart_from_fields_not_heard() -> None:
    clock = FakeClock()
    store = TelemetryStore([1], clock=clock)
    w = store.writer(1)
    w.battery(0.0, 13.1, float("nan"))
    w.gps(0, 0)
    clock.t += 0.5
    s = store.snapshot(1)
    assert s.battery_pct == 0.0 and s.battery_v == pytest.approx(13.1) and s.battery_remaining_s is None
    assert s.gps_fix == 0 and s.satellites == 0
    assert s.lat is None and s.heartbeat_age_s is None
    assert s.updated_at == 1000.0
    w.heartbeat()
    clock.t += 0.25
    assert store.snapshot(1).heartbeat_age_s == pytest.approx(0.25)


def test_slots_link_and_rates_show_in_the_snapshot() -> None:
    store = TelemetryStore([1, 2])
    w = store.writer(2)
    w.slots.flight_mode, w.slots.armed, w.slots.landed = "MISSION", True, LandedState.IN_AIR
    w.slots.health_all_ok, w.slots.armable = True, False
    store.set_link(2, LinkState.OK)
    store.set_message_rates(np.array([np.nan, 31.5]))
    s = store.snapshot(2)
    assert (s.flight_mode, s.armed, s.landed, s.healthy, s.link) == ("MISSION", True, LandedState.IN_AIR, False,
                                                                     LinkState.OK)
    assert s.message_rate_hz == 31.5 and store.snapshot(1).message_rate_hz is None


def test_series_sample_the_main_values_on_each_position_and_cut_by_age() -> None:
    clock = FakeClock()
    store = TelemetryStore([3], clock=clock)
    w = store.writer(3)
    w.position(36.0, 120.0, 50.0, 40.0)           # before any velocity or battery: those samples are unknown
    w.velocity(3.0, 4.0, -1.0)
    w.battery(88.0, 16.0, 900.0)
    store.set_message_rates(np.array([12.0]))
    for i in range(1, 1000):                     # 100 s at 10 Hz
        clock.t += 1 / SAMPLE_HZ
        w.position(36.0, 120.0, 50.0 + i, 40.0 + i)
    t, speed = store.series(3, "ground_speed_m_s", 10.0)
    assert t[0] >= clock.t - 10.0 and t[-1] == clock.t and len(t) == pytest.approx(100, abs=1)
    assert np.all(speed == 5.0)
    t, alt = store.series(3, "alt_rel_m", HISTORY_S)
    assert len(t) == 1000 and alt[0] == 40.0 and alt[-1] == 1039.0
    assert np.isnan(store.series(3, "ground_speed_m_s")[1][0]) and np.isnan(store.series(3, "battery_pct")[1][0])
    assert store.series(3, "battery_pct")[1][-1] == 88.0 and store.series(3, "message_rate_hz")[1][-1] == 12.0
    assert store.snapshot(3).ground_speed_m_s == 5.0


def test_the_ring_wraps_around_and_keeps_the_last_ten_minutes_in_order() -> None:
    clock = FakeClock()
    store = TelemetryStore([1], clock=clock)
    w = store.writer(1)
    n = RING_SAMPLES * 2 + 123
    for i in range(n):
        clock.t += 1 / SAMPLE_HZ
        w.position(0.0, 0.0, 0.0, float(i))
    t, alt = store.series(1, "alt_rel_m", HISTORY_S)
    kept = int(HISTORY_S * SAMPLE_HZ)
    assert kept <= RING_SAMPLES - RING_MARGIN
    assert len(alt) == pytest.approx(kept, abs=1)
    assert np.all(np.diff(alt) == 1.0) and alt[-1] == n - 1
    assert np.all(np.diff(t) > 0)


def test_snapshots_are_never_torn_while_a_writer_thread_runs(busy_gil: None) -> None:
    # A clock written in Python lets CPython switch threads inside the writer's seqlock window
    # (the counter is odd about half the times the reader looks), so the retry path runs.
    store = TelemetryStore([1, 2], clock=lambda: time.monotonic())
    w = store.writer(1)
    stop = threading.Event()

    def write() -> None:
        k = 0.0
        while not stop.is_set():
            k += 1.0
            w.position(k, k, k, k)
            w.velocity(k, k, k)
            w.battery(k, k, k)

    writer = threading.Thread(target=write)
    writer.start()
    seen: set[float] = set()
    try:
        while len(seen) < 300:   # until the reader has met 300 different writes
            assert writer.is_alive()
            s = store.snapshot(1)
            if s.lat is None or s.v_north_m_s is None or s.battery_pct is None:
                continue
            assert s.lat == s.lon == s.alt_amsl_m == s.alt_rel_m
            assert s.v_north_m_s == s.v_east_m_s == s.v_down_m_s
            assert s.battery_pct == s.battery_v == s.battery_remaining_s
            seen.add(s.lat)
    finally:
        stop.set()
        writer.join()


def test_series_copies_are_consistent_while_the_writer_laps_the_ring(busy_gil: None) -> None:
    store = TelemetryStore([1])
    w = store.writer(1)
    stop = threading.Event()

    def write() -> None:
        k = 0.0
        while not stop.is_set():
            k += 1.0
            w.position(0.0, 0.0, 0.0, k)

    writer = threading.Thread(target=write)
    writer.start()
    copies = 0
    try:
        while store.position_samples(1) < 3 * RING_SAMPLES:   # a condition, not a time: until it lapped twice
            t, alt = store.series(1, "alt_rel_m", HISTORY_S)
            if len(alt) < 2:
                continue
            copies += 1
            assert np.all(np.diff(alt) == 1.0), "a sample from another lap in the copy"
            assert np.all(np.diff(t) >= 0)
    finally:
        stop.set()
        writer.join()
    assert copies > 100


def test_columns_copy_every_drone_in_order() -> None:
    store = TelemetryStore([5, 6, 5])
    assert store.sysids == (5, 6)
    store.writer(6).position(1.0, 2.0, 3.0, 4.0)
    lat = store.column(Col.LAT)
    assert np.isnan(lat[0]) and lat[1] == 1.0
    lat[1] = 99.0
    assert store.snapshot(6).lat == 1.0
