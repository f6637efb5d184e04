"""The base map: outlines of the four inner districts (and the city) the console draws and reasons with.

The file is the GeoJSON FeatureCollection `resources/map/qingdao.geojson`, built by
`scripts/build_site_data.py` from AMap boundaries (GCJ-02) converted to WGS-84. Each
feature is a Polygon or MultiPolygon with the properties `district` (`shinan`, `shibei`,
`licang`, `laoshan`, or `city` for the whole municipality), `name_zh`, `name_en` and
`adcode`.

Rings are kept as numpy arrays of (lon, lat) columns — x then y, as a map widget plots
them; `MapArea.contains` and `Basemap.district_of` answer "which district is this point in".
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from drones.geo import point_in_polygon, points_in_polygon

log = logging.getLogger(__name__)

#: The `district` property of the feature outlining the whole municipality.
CITY_KEY = "city"


@dataclass(frozen=True, slots=True, eq=False)
class MapArea:
    """One administrative area of the base map: a district, or the whole city.

    `polygons` holds one tuple of rings per polygon (outer ring first, then holes); each ring
    is a float array of shape (n, 2) with columns lon, lat, closed (last point = first).
    """

    key: str
    name_zh: str
    name_en: str
    adcode: int
    polygons: tuple[tuple[np.ndarray, ...], ...]
    bbox: tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat

    def contains(self, lat: float, lon: float) -> bool:
        """Whether a WGS-84 point lies inside the area (any of its polygons)."""
        min_lon, min_lat, max_lon, max_lat = self.bbox
        if not (min_lat <= lat <= max_lat and min_lon <= lon <= max_lon):
            return False
        return any(point_in_polygon(lat, lon, [ring[:, ::-1] for ring in poly]) for poly in self.polygons)

    def contains_many(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        """Vectorised `contains`: a boolean array, False for NaN positions."""
        lats, lons = np.asarray(lats, dtype=float), np.asarray(lons, dtype=float)
        inside = np.zeros(lats.shape, dtype=bool)
        min_lon, min_lat, max_lon, max_lat = self.bbox
        box = (lats >= min_lat) & (lats <= max_lat) & (lons >= min_lon) & (lons <= max_lon)
        idx = np.nonzero(box)[0]
        if len(idx):
            hit = np.zeros(len(idx), dtype=bool)
            for poly in self.polygons:
                hit |= points_in_polygon(lats[idx], lons[idx], [ring[:, ::-1] for ring in poly])
            inside[idx] = hit
        return inside

    @property
    def vertex_count(self) -> int:
        return sum(len(ring) for poly in self.polygons for ring in poly)


@dataclass(frozen=True, slots=True, eq=False)
class Basemap:
    """The districts of the base map, in file order, and the city outline when the file has one."""

    districts: tuple[MapArea, ...]
    city: MapArea | None = None

    def district(self, key: str) -> MapArea:
        """The district with this key; KeyError when the map has none."""
        for area in self.districts:
            if area.key == key:
                return area
        raise KeyError(key)

    def district_of(self, lat: float, lon: float) -> str | None:
        """The key of the district a WGS-84 point lies in, or None outside all of them."""
        for area in self.districts:
            if area.contains(lat, lon):
                return area.key
        return None

    def districts_of(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        """For many points, the index into `districts` of the one each lies in, -1 for none."""
        out = np.full(np.shape(lats), -1, dtype=np.int8)
        for i, area in enumerate(self.districts):
            out[(out < 0) & area.contains_many(lats, lons)] = i
        return out


def load_basemap(path: Path | str) -> Basemap:
    """Reads the base map GeoJSON; ValueError naming the file and feature when it cannot be used."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the base map ({exc})") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        raise ValueError(f"{path}: not a GeoJSON FeatureCollection")
    districts: list[MapArea] = []
    city: MapArea | None = None
    for i, feature in enumerate(data["features"]):
        area = _area_from_feature(feature, f"{path}: feature {i}")
        if area.key == CITY_KEY:
            city = area
        elif any(d.key == area.key for d in districts):
            raise ValueError(f"{path}: feature {i}: district {area.key!r} appears twice")
        else:
            districts.append(area)
    if not districts:
        raise ValueError(f"{path}: no district features")
    log.debug("base map %s: %s", path, ", ".join(f"{d.key} ({d.vertex_count} points)" for d in districts))
    return Basemap(tuple(districts), city)


def _area_from_feature(feature: object, where: str) -> MapArea:
    """One feature as a MapArea, or ValueError starting with `where`."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ValueError(f"{where}: not a GeoJSON Feature")
    props = feature.get("properties") or {}
    try:
        key, name_zh, name_en = str(props["district"]), str(props["name_zh"]), str(props["name_en"])
        adcode = int(props["adcode"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{where}: properties need district, name_zh, name_en and adcode ({exc!r})") from None
    where = f"{where} ({key})"
    geometry = feature.get("geometry") or {}
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        coords = [coords]
    elif kind != "MultiPolygon":
        raise ValueError(f"{where}: geometry must be Polygon or MultiPolygon, got {kind!r}")
    polygons: list[tuple[np.ndarray, ...]] = []
    try:
        for poly in coords:
            rings = tuple(np.asarray(ring, dtype=float).reshape(-1, 2) for ring in poly)
            if not rings or any(len(r) < 4 for r in rings):
                raise ValueError("a ring has fewer than 4 positions")
            polygons.append(rings)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: bad coordinates ({exc})") from None
    if not polygons:
        raise ValueError(f"{where}: no polygons")
    outer = np.concatenate([poly[0] for poly in polygons])
    if not (np.all(np.abs(outer[:, 0]) <= 180) and np.all(np.abs(outer[:, 1]) <= 90)):
        raise ValueError(f"{where}: coordinates outside lon -180..180 / lat -90..90")
    bbox = (float(outer[:, 0].min()), float(outer[:, 1].min()), float(outer[:, 0].max()), float(outer[:, 1].max()))
    return MapArea(key, name_zh, name_en, adcode, tuple(polygons), bbox)
