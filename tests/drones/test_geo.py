"""Geodesy helpers: distances, bearings, local plane, polygons, route crossings, GCJ-02."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drones.geo import (
    LocalProjection,
    destination,
    distance_m,
    distances_m,
    gcj02_to_wgs84,
    initial_bearing_deg,
    point_in_polygon,
    point_in_ring,
    points_in_polygon,
    segment_entry_fraction,
    segment_intersects_polygon,
    wgs84_to_gcj02,
)

QINGDAO_LAT = st.floats(35.8, 36.4)
QINGDAO_LON = st.floats(120.2, 121.0)
# A 2 km x 2 km square around (36.1, 120.4) with a 1 km square hole, as (lat, lon) rings.
OUTER = [(36.09, 120.39), (36.09, 120.41), (36.11, 120.41), (36.11, 120.39), (36.09, 120.39)]
HOLE = [(36.095, 120.395), (36.105, 120.395), (36.105, 120.405), (36.095, 120.405)]
DONUT = [OUTER, HOLE]


def test_one_degree_of_latitude_is_about_111_km() -> None:
    assert distance_m(36.0, 120.0, 37.0, 120.0) == pytest.approx(111_195, rel=1e-4)
    assert distance_m(36.0, 120.0, 36.0, 120.0) == 0.0


def test_bearings_point_the_right_way() -> None:
    assert initial_bearing_deg(36.0, 120.0, 36.1, 120.0) == pytest.approx(0.0, abs=1e-9)
    assert initial_bearing_deg(36.0, 120.0, 36.0, 120.1) == pytest.approx(90.0, abs=0.1)
    assert initial_bearing_deg(36.0, 120.0, 35.9, 120.0) == pytest.approx(180.0)
    assert initial_bearing_deg(36.0, 120.0, 36.0, 119.9) == pytest.approx(270.0, abs=0.1)


@given(QINGDAO_LAT, QINGDAO_LON, st.floats(0, 360), st.floats(1, 50_000))
@settings(max_examples=200, deadline=None)
def test_destination_goes_the_distance_along_the_bearing(lat: float, lon: float, bearing: float, dist: float) -> None:
    lat2, lon2 = destination(lat, lon, bearing, dist)
    assert distance_m(lat, lon, lat2, lon2) == pytest.approx(dist, rel=1e-9, abs=1e-6)
    back = initial_bearing_deg(lat, lon, lat2, lon2)
    assert min(abs(back - bearing), 360 - abs(back - bearing)) < 1e-6


def test_vectorised_distances_match_the_scalar_ones() -> None:
    rng = np.random.default_rng(3)
    lats, lons = rng.uniform(35.9, 36.3, 100), rng.uniform(120.3, 120.9, 100)
    expected = [distance_m(36.1, 120.4, a, b) for a, b in zip(lats, lons, strict=True)]
    assert np.allclose(distances_m(36.1, 120.4, lats, lons), expected, rtol=1e-12)


@given(QINGDAO_LAT, QINGDAO_LON)
@settings(max_examples=100, deadline=None)
def test_local_projection_round_trips_and_measures_like_haversine(lat: float, lon: float) -> None:
    proj = LocalProjection(36.1, 120.5)
    east, north = proj.to_enu_m(lat, lon)
    assert proj.to_latlon(east, north) == pytest.approx((lat, lon), abs=1e-9)
    # Within ~50 km of the origin the plane is within 0.5% of the sphere.
    assert math.hypot(east, north) == pytest.approx(distance_m(36.1, 120.5, lat, lon), rel=5e-3, abs=1.0)


def test_point_in_polygon_honours_holes() -> None:
    assert point_in_ring(36.1, 120.4, OUTER)
    assert not point_in_polygon(36.1, 120.4, DONUT)  # in the hole
    assert point_in_polygon(36.092, 120.392, DONUT)  # in the ring band
    assert not point_in_polygon(36.2, 120.4, DONUT)
    assert not point_in_polygon(36.1, 120.38, DONUT)


def test_vectorised_point_in_polygon_agrees_with_the_scalar_test() -> None:
    rng = np.random.default_rng(7)
    lats, lons = rng.uniform(36.085, 36.115, 3000), rng.uniform(120.385, 120.415, 3000)
    lats[:5] = np.nan
    got = points_in_polygon(lats, lons, DONUT)
    expected = [point_in_polygon(a, b, DONUT) for a, b in zip(lats, lons, strict=True)]
    assert got.tolist() == expected
    assert not got[:5].any()
    assert 0 < got.sum() < len(got)


def test_a_route_through_a_polygon_is_detected() -> None:
    t = segment_entry_fraction(36.10, 120.38, 36.10, 120.42, [OUTER])  # west to east through the middle
    assert t == pytest.approx(0.25)
    assert segment_intersects_polygon(36.08, 120.40, 36.12, 120.40, [OUTER])


def test_a_route_around_a_polygon_is_clear() -> None:
    assert segment_entry_fraction(36.08, 120.38, 36.08, 120.42, [OUTER]) is None  # south of it
    assert not segment_intersects_polygon(36.08, 120.38, 36.12, 120.38, [OUTER])  # west of it


def test_a_route_starting_inside_or_inside_a_hole() -> None:
    assert segment_entry_fraction(36.092, 120.392, 36.2, 120.6, DONUT) == 0.0
    assert segment_entry_fraction(36.099, 120.399, 36.101, 120.401, DONUT) is None  # stays in the hole
    assert segment_entry_fraction(36.1, 120.4, 36.1, 120.5, DONUT) == pytest.approx(0.05)  # leaves the hole


@given(QINGDAO_LAT, QINGDAO_LON)
@settings(max_examples=300, deadline=None)
def test_gcj02_round_trip_error_is_far_below_half_a_metre(lat: float, lon: float) -> None:
    g_lat, g_lon = wgs84_to_gcj02(lat, lon)
    w_lat, w_lon = gcj02_to_wgs84(g_lat, g_lon)
    assert distance_m(lat, lon, w_lat, w_lon) < 0.5
    assert distance_m(lat, lon, w_lat, w_lon) < 0.001


# Published known answers of the standard GCJ-02 forward formula (Krasovsky 1940 ellipsoid,
# a = 6378245.0, ee = 0.00669342162296594323), as WGS-84 (lat, lon) -> GCJ-02 (lat, lon):
# - Shanghai, Shenzhen, Beijing: the test vectors of github.com/googollee/eviltransform
#   (go/transform_test.go, python/test.py), copied by its ports in many languages;
# - Beijing 39.915, 116.404: github.com/wandergis/coordtransform, README, `wgs84togcj02(116.404, 39.915)`
#   (that library takes and prints lon, lat).
GCJ02_KNOWN_ANSWERS = [
    pytest.param((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215), id="shanghai-eviltransform"),
    pytest.param((22.543847, 113.912316), (22.540796131694766, 113.9171764808363), id="shenzhen-eviltransform"),
    pytest.param((39.911954, 116.377817), (39.91334545536069, 116.38404722455657), id="beijing-eviltransform"),
    pytest.param((39.915, 116.404), (39.91640428150164, 116.41024449916938), id="beijing-coordtransform"),
]


@pytest.mark.parametrize(("wgs", "gcj"), GCJ02_KNOWN_ANSWERS)
def test_gcj02_matches_published_known_answers_both_ways(wgs: tuple[float, float], gcj: tuple[float, float]) -> None:
    # 1e-9 degrees is about 0.1 mm: the published values are the formula's own doubles.
    assert wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-9)
    # Back from the published GCJ-02 point to the published WGS-84 one (the inverse is iterative).
    assert distance_m(*gcj02_to_wgs84(*gcj), *wgs) < 0.001
    g_lat, g_lon = wgs84_to_gcj02(np.array([wgs[0]]), np.array([wgs[1]]))
    assert (g_lat[0], g_lon[0]) == pytest.approx(gcj, abs=1e-9)     # the array form gives the same answer


def test_gcj02_shift_in_qingdao_is_a_few_hundred_metres() -> None:
    g_lat, g_lon = wgs84_to_gcj02(36.0612, 120.3802)
    assert 300 < distance_m(36.0612, 120.3802, g_lat, g_lon) < 700


def test_gcj02_works_on_arrays_and_leaves_points_outside_china_alone() -> None:
    lats, lons = np.array([36.06, 48.85]), np.array([120.38, 2.35])  # Qingdao, Paris
    g_lat, g_lon = wgs84_to_gcj02(lats, lons)
    assert isinstance(g_lat, np.ndarray) and g_lat.shape == (2,)
    assert (g_lat[1], g_lon[1]) == (48.85, 2.35)
    w_lat, w_lon = gcj02_to_wgs84(g_lat, g_lon)
    assert np.allclose(w_lat, lats, atol=1e-8) and np.allclose(w_lon, lons, atol=1e-8)
    assert isinstance(gcj02_to_wgs84(36.0, 120.0)[0], float)
