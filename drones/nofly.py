"""No-fly zones: where the console refuses to send a drone (docs/architecture.md, "Safety rules").

A zone file is a GeoJSON FeatureCollection of Polygon features (WGS-84; holes allowed) with
the properties `id`, `name_zh`, `name_en`, `reason` (free text such as "airport approach",
"military", "government", "event"), and the altitude band it covers, `floor_m` and
`ceiling_m`, in metres above ground. A drone is in a zone when it is inside the polygon and
its height above ground lies within the band; without a height, every zone counts.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from drones.geo import point_in_polygon, segment_entry_fraction
from vocab import Reason

log = logging.getLogger(__name__)

LatLon = tuple[float, float]


@dataclass(frozen=True, slots=True)
class NoFlyZone:
    """One no-fly zone: a polygon (rings of (lat, lon), outer ring first) and an altitude band AGL."""

    id: str
    name_zh: str
    name_en: str
    reason: str
    floor_m: float
    ceiling_m: float
    polygon: tuple[tuple[LatLon, ...], ...]
    bbox: tuple[float, float, float, float] = field(init=False, repr=False, compare=False)  # lat/lon min, max

    def __post_init__(self) -> None:
        if not self.polygon or any(len(ring) < 3 for ring in self.polygon):
            raise ValueError(f"no-fly zone {self.id!r}: a ring needs at least 3 points")
        if not 0.0 <= self.floor_m < self.ceiling_m:
            raise ValueError(f"no-fly zone {self.id!r}: needs 0 <= floor_m < ceiling_m, "
                             f"got {self.floor_m}..{self.ceiling_m}")
        lats = [p[0] for p in self.polygon[0]]
        lons = [p[1] for p in self.polygon[0]]
        object.__setattr__(self, "bbox", (min(lats), min(lons), max(lats), max(lons)))

    @property
    def name(self) -> Reason:
        """The zone's name as the site file gives it, in both languages."""
        return Reason.data(zh=self.name_zh, en=self.name_en)

    def applies_at(self, altitude_agl_m: float | None) -> bool:
        """Whether the zone's altitude band covers this height above ground (None: any height)."""
        return altitude_agl_m is None or self.floor_m <= altitude_agl_m <= self.ceiling_m

    def contains(self, lat: float, lon: float, altitude_agl_m: float | None = None) -> bool:
        """Whether a position (and height, when given) lies inside the zone."""
        min_lat, min_lon, max_lat, max_lon = self.bbox
        if not (min_lat <= lat <= max_lat and min_lon <= lon <= max_lon):
            return False
        return self.applies_at(altitude_agl_m) and point_in_polygon(lat, lon, self.polygon)

    def entry_fraction(self, lat1: float, lon1: float, lat2: float, lon2: float) -> float | None:
        """Where the straight route 1→2 first touches the zone (0..1 along it), None if it never does."""
        min_lat, min_lon, max_lat, max_lon = self.bbox
        if (max(lat1, lat2) < min_lat or min(lat1, lat2) > max_lat
                or max(lon1, lon2) < min_lon or min(lon1, lon2) > max_lon):
            return None
        return segment_entry_fraction(lat1, lon1, lat2, lon2, self.polygon)


def zones_containing(lat: float, lon: float, zones: Iterable[NoFlyZone],
                     altitude_agl_m: float | None = None) -> list[NoFlyZone]:
    """The zones a position (and height, when given) lies in, in the order given."""
    return [z for z in zones if z.contains(lat, lon, altitude_agl_m)]


def first_zone_crossed(lat1: float, lon1: float, lat2: float, lon2: float, zones: Iterable[NoFlyZone],
                       altitude_agl_m: float | None = None) -> NoFlyZone | None:
    """The zone a straight route from point 1 to point 2 enters first, or None when it is clear.

    A route that starts inside a zone crosses it at once. With `altitude_agl_m`, only zones
    whose altitude band covers that cruise height count.
    """
    best: tuple[float, NoFlyZone] | None = None
    for zone in zones:
        if not zone.applies_at(altitude_agl_m):
            continue
        t = zone.entry_fraction(lat1, lon1, lat2, lon2)
        if t is not None and (best is None or t < best[0]):
            best = (t, zone)
    return best[1] if best else None


def load_nofly(path: Path | str) -> tuple[NoFlyZone, ...]:
    """Reads a no-fly zone file; ValueError naming the file and feature for anything unusable."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the no-fly zones ({exc})") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        raise ValueError(f"{path}: not a GeoJSON FeatureCollection")
    zones: list[NoFlyZone] = []
    seen: set[str] = set()
    for i, feature in enumerate(data["features"]):
        zone = _zone_from_feature(feature, f"{path}: feature {i}")
        if zone.id in seen:
            raise ValueError(f"{path}: feature {i}: duplicate zone id {zone.id!r}")
        seen.add(zone.id)
        zones.append(zone)
    log.debug("no-fly zones %s: %s", path, ", ".join(z.id for z in zones))
    return tuple(zones)


def _zone_from_feature(feature: object, where: str) -> NoFlyZone:
    """One GeoJSON feature as a zone, or ValueError starting with `where`."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ValueError(f"{where}: not a GeoJSON Feature")
    props = feature.get("properties")
    if not isinstance(props, dict):
        raise ValueError(f"{where}: no properties")
    zone_id = props.get("id")
    if not isinstance(zone_id, str) or not zone_id.strip():
        raise ValueError(f"{where}: property 'id' must be a non-empty string")
    where = f"{where} ({zone_id})"
    texts = {}
    for key in ("name_zh", "name_en", "reason"):
        value = props.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{where}: property {key!r} must be a non-empty string")
        texts[key] = value
    band = {}
    for key in ("floor_m", "ceiling_m"):
        value = props.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{where}: property {key!r} must be a number of metres, got {value!r}")
        band[key] = float(value)
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") != "Polygon":
        raise ValueError(f"{where}: geometry must be a GeoJSON Polygon")
    polygon = _rings(geometry.get("coordinates"), where)
    try:
        return NoFlyZone(id=zone_id, polygon=polygon, **texts, **band)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _rings(coords: object, where: str) -> tuple[tuple[LatLon, ...], ...]:
    """GeoJSON Polygon coordinates ([lon, lat] positions) as rings of (lat, lon), checked."""
    if not isinstance(coords, list) or not coords:
        raise ValueError(f"{where}: Polygon coordinates must be a non-empty list of rings")
    rings = []
    for r, ring in enumerate(coords):
        if not isinstance(ring, list):
            raise ValueError(f"{where}: ring {r} is not a list of positions")
        points: list[LatLon] = []
        for p, pos in enumerate(ring):
            if (not isinstance(pos, list) or len(pos) < 2
                    or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pos[:2])):
                raise ValueError(f"{where}: ring {r} position {p} is not [lon, lat]")
            lon, lat = float(pos[0]), float(pos[1])
            if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
                raise ValueError(f"{where}: ring {r} position {p} [{lon}, {lat}] is outside lon/lat range")
            points.append((lat, lon))
        if len(points) > 1 and points[0] == points[-1]:
            points.pop()
        if len(set(points)) < 3:
            raise ValueError(f"{where}: ring {r} has fewer than 3 distinct points")
        rings.append(tuple(points))
    return tuple(rings)
