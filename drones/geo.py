"""Geodesy for a city-sized area: distances, bearings, local projections, polygons, GCJ-02.

Everything here takes and returns WGS-84 latitude/longitude in degrees, in that order
(`lat`, `lon`), and distances in metres. Polygons are sequences of rings; a ring is a
sequence (or an `(n, 2)` array) of `(lat, lon)` pairs, the first ring the outer boundary and
any further rings holes. Rings may be closed (last point equal to the first) or not.

Planar tests (point in polygon, segment crossing) work directly on latitude/longitude: over
a few tens of kilometres the equirectangular projection is an affine map of lat/lon, and
affine maps preserve containment and intersection, so no projection is needed for them.

Chinese map data (AMap, Baidu after its own shift) is published in GCJ-02; it is converted
to WGS-84 once, when the project's map resources are built (docs/architecture.md, "MAVLink").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np

#: Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8

Ring = Sequence[tuple[float, float]] | np.ndarray
Polygon = Sequence[Ring]


# ---------------------------------------------------------------------------- sphere


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance between two points, metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def distances_m(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Haversine distances from one point to many (numpy arrays of degrees), metres."""
    p1, p2 = math.radians(lat), np.radians(lats)
    dp, dl = p2 - p1, np.radians(lons - lon)
    h = np.sin(dp / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def initial_bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Bearing to fly from point 1 towards point 2, degrees clockwise from true north, 0..360."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def destination(lat: float, lon: float, bearing_deg: float, distance_m: float) -> tuple[float, float]:
    """The point `distance_m` metres from (lat, lon) along `bearing_deg`; returns (lat, lon)."""
    d = distance_m / EARTH_RADIUS_M
    b = math.radians(bearing_deg)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0


# ---------------------------------------------------------------------------- local plane


@dataclass(frozen=True, slots=True)
class LocalProjection:
    """Equirectangular east/north metres around an origin: a local ENU plane for a city.

    Accurate to about 0.1% within 30 km of the origin, which is what route lengths, grid
    indexes and line simplification need. Works on floats and numpy arrays alike.
    """

    lat0: float
    lon0: float

    @property
    def metres_per_deg_lat(self) -> float:
        return math.radians(1.0) * EARTH_RADIUS_M

    @property
    def metres_per_deg_lon(self) -> float:
        return math.radians(1.0) * EARTH_RADIUS_M * math.cos(math.radians(self.lat0))

    @overload
    def to_enu_m(self, lat: float, lon: float) -> tuple[float, float]: ...
    @overload
    def to_enu_m(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def to_enu_m(self, lat, lon):  # type: ignore[no-untyped-def]
        """(east_m, north_m) of a point, or of arrays of points."""
        return (lon - self.lon0) * self.metres_per_deg_lon, (lat - self.lat0) * self.metres_per_deg_lat

    @overload
    def to_latlon(self, east_m: float, north_m: float) -> tuple[float, float]: ...
    @overload
    def to_latlon(self, east_m: np.ndarray, north_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def to_latlon(self, east_m, north_m):  # type: ignore[no-untyped-def]
        """(lat, lon) of a point given in east/north metres from the origin."""
        return self.lat0 + north_m / self.metres_per_deg_lat, self.lon0 + east_m / self.metres_per_deg_lon


# ---------------------------------------------------------------------------- polygons


def _ring_array(ring: Ring) -> np.ndarray:
    """A ring as a float (n, 2) array of (lat, lon), open (without the repeated first point)."""
    arr = np.asarray(ring, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != 2 or len(arr) < 3:
        raise ValueError(f"a ring needs at least 3 (lat, lon) points, got shape {arr.shape}")
    if len(arr) > 3 and arr[0, 0] == arr[-1, 0] and arr[0, 1] == arr[-1, 1]:
        arr = arr[:-1]
    return arr


def point_in_ring(lat: float, lon: float, ring: Ring) -> bool:
    """Whether a point lies inside one ring (ray casting; points on the boundary may go either way)."""
    arr = _ring_array(ring)
    y1, x1 = arr[:, 0], arr[:, 1]
    y2, x2 = np.roll(y1, -1), np.roll(x1, -1)
    crosses = (y1 > lat) != (y2 > lat)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_at = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
    return bool(np.count_nonzero(crosses & (lon < x_at)) % 2)


def point_in_polygon(lat: float, lon: float, polygon: Polygon) -> bool:
    """Whether a point lies inside a polygon: inside its outer ring and in none of its holes."""
    if not point_in_ring(lat, lon, polygon[0]):
        return False
    return not any(point_in_ring(lat, lon, hole) for hole in polygon[1:])


def points_in_ring(lats: np.ndarray, lons: np.ndarray, ring: Ring) -> np.ndarray:
    """Vectorised `point_in_ring` for many points: a boolean array.

    Sweeps the ring's edges over the points sorted by latitude, so each edge only touches
    the points in its own latitude band: about O(edges · log n + crossings).
    """
    lats = np.asarray(lats, dtype=float)
    lons = np.asarray(lons, dtype=float)
    arr = _ring_array(ring)
    order = np.argsort(lats, kind="stable")
    ys, xs = lats[order], lons[order]
    parity = np.zeros(len(ys), dtype=bool)
    y1s, x1s = arr[:, 0], arr[:, 1]
    y2s, x2s = np.roll(y1s, -1), np.roll(x1s, -1)
    lo = np.minimum(y1s, y2s)
    hi = np.maximum(y1s, y2s)
    # A point crosses an edge when lo <= y < hi: the same half-open rule as point_in_ring.
    starts = np.searchsorted(ys, lo, side="left")
    ends = np.searchsorted(ys, hi, side="left")
    for k in np.nonzero(ends > starts)[0]:
        a, b = starts[k], ends[k]
        y1, x1, y2, x2 = y1s[k], x1s[k], y2s[k], x2s[k]
        x_at = x1 + (ys[a:b] - y1) * ((x2 - x1) / (y2 - y1))
        parity[a:b] ^= xs[a:b] < x_at
    inside = np.empty_like(parity)
    inside[order] = parity
    return inside


def points_in_polygon(lats: np.ndarray, lons: np.ndarray, polygon: Polygon) -> np.ndarray:
    """Vectorised `point_in_polygon` for many points: a boolean array (NaN points are outside)."""
    inside = points_in_ring(lats, lons, polygon[0])
    for hole in polygon[1:]:
        inside &= ~points_in_ring(lats, lons, hole)
    return inside


def segment_entry_fraction(lat1: float, lon1: float, lat2: float, lon2: float, polygon: Polygon) -> float | None:
    """Where a straight route from point 1 to point 2 first touches a polygon.

    Returns the fraction 0..1 of the route at which it first meets the polygon (0 when it
    starts inside), or None when it never does. A route that only grazes a vertex counts as
    touching: for no-fly zones erring on the safe side is what we want.
    """
    if point_in_polygon(lat1, lon1, polygon):
        return 0.0
    py, px = lat1, lon1
    ry, rx = lat2 - lat1, lon2 - lon1
    best: float | None = None
    for ring in polygon:
        arr = _ring_array(ring)
        qy, qx = arr[:, 0], arr[:, 1]
        sy, sx = np.roll(qy, -1) - qy, np.roll(qx, -1) - qx
        denom = rx * sy - ry * sx
        dy, dx = qy - py, qx - px
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (dx * sy - dy * sx) / denom
            u = (dx * ry - dy * rx) / denom
        # Parallel edges (denom == 0) are skipped: a route running along an edge also meets
        # that edge's end points, which belong to the neighbouring, non-parallel edges.
        hit = (denom != 0) & (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1)
        if hit.any():
            first = float(t[hit].min())
            best = first if best is None else min(best, first)
    return best


def segment_intersects_polygon(lat1: float, lon1: float, lat2: float, lon2: float, polygon: Polygon) -> bool:
    """Whether the straight route from point 1 to point 2 enters, crosses or starts in a polygon."""
    return segment_entry_fraction(lat1, lon1, lat2, lon2, polygon) is not None


# ---------------------------------------------------------------------------- GCJ-02

_GCJ_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the GCJ-02 obfuscation
_GCJ_EE = 0.00669342162296594323  # its first eccentricity squared
_GCJ_TOLERANCE_DEG = 1e-10  # about 0.01 mm: stop the inverse iteration here
_GCJ_MAX_ITERATIONS = 30


def _in_china(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Where GCJ-02 applies: the rough bounding box the published algorithm uses."""
    return (lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271)


def _gcj_offset(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 shift (dlat, dlon) in degrees at a WGS-84 point, zero outside China."""
    x, y = lon - 105.0, lat - 35.0
    pi = math.pi
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad = np.radians(lat)
    magic = 1.0 - _GCJ_EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * pi)
    dlon = (dlon * 180.0) / (_GCJ_A / sqrt_magic * np.cos(rad) * pi)
    inside = _in_china(lat, lon)
    return np.where(inside, dlat, 0.0), np.where(inside, dlon, 0.0)


@overload
def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]: ...
@overload
def wgs84_to_gcj02(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


def wgs84_to_gcj02(lat, lon):  # type: ignore[no-untyped-def]
    """WGS-84 → GCJ-02 (the published forward formula); floats or numpy arrays."""
    la, lo = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    dlat, dlon = _gcj_offset(la, lo)
    return _like(lat, la + dlat), _like(lon, lo + dlon)


@overload
def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]: ...
@overload
def gcj02_to_wgs84(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


def gcj02_to_wgs84(lat, lon):  # type: ignore[no-untyped-def]
    """GCJ-02 → WGS-84, by fixed-point iteration of the forward formula (error far below 1 mm)."""
    g_lat, g_lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    w_lat, w_lon = g_lat.copy(), g_lon.copy()
    for _ in range(_GCJ_MAX_ITERATIONS):
        dlat, dlon = _gcj_offset(w_lat, w_lon)
        err_lat, err_lon = (w_lat + dlat) - g_lat, (w_lon + dlon) - g_lon
        w_lat, w_lon = w_lat - err_lat, w_lon - err_lon
        if np.all(np.abs(err_lat) < _GCJ_TOLERANCE_DEG) and np.all(np.abs(err_lon) < _GCJ_TOLERANCE_DEG):
            break
    return _like(lat, w_lat), _like(lon, w_lon)


def _like(template: object, value: np.ndarray) -> float | np.ndarray:
    """A plain float when the caller passed a scalar, the array otherwise."""
    return float(value) if np.ndim(template) == 0 else value
