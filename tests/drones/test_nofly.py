"""No-fly zones: loading, containment with altitude bands, route crossing, broken files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drones.nofly import NoFlyZone, first_zone_crossed, load_nofly, zones_containing

ROOT = Path(__file__).resolve().parents[2]
DEMO_NOFLY = ROOT / "resources" / "sites" / "demo_nofly.geojson"


def square(zone_id: str, lat: float, lon: float, half_deg: float = 0.01, floor_m: float = 0.0,
           ceiling_m: float = 500.0) -> NoFlyZone:
    ring = ((lat - half_deg, lon - half_deg), (lat - half_deg, lon + half_deg),
            (lat + half_deg, lon + half_deg), (lat + half_deg, lon - half_deg))
    return NoFlyZone(zone_id, zone_id, zone_id, "test", floor_m, ceiling_m, (ring,))


def feature(**overrides: object) -> dict:
    props = {"id": "Z1", "name_zh": "测试区", "name_en": "Test zone", "reason": "event", "floor_m": 0, "ceiling_m": 300}
    geometry = {"type": "Polygon", "coordinates": [[[120.0, 36.0], [120.1, 36.0], [120.1, 36.1], [120.0, 36.0]]]}
    props.update({k: v for k, v in overrides.items() if k != "geometry"})
    return {"type": "Feature", "properties": props, "geometry": overrides.get("geometry", geometry)}


def write(tmp_path: Path, features: list[dict]) -> Path:
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def test_demo_zones_load_with_their_properties() -> None:
    zones = load_nofly(DEMO_NOFLY)
    assert len(zones) >= 4
    assert len({z.id for z in zones}) == len(zones)
    reasons = {z.reason for z in zones}
    assert {"airport approach", "government", "event"} <= reasons
    for zone in zones:
        assert zone.name_zh and zone.name_en
        assert 0 <= zone.floor_m < zone.ceiling_m
        assert all(len(ring) >= 3 for ring in zone.polygon)


def test_a_route_through_a_demo_zone_is_detected_and_one_around_it_is_not() -> None:
    zones = load_nofly(DEMO_NOFLY)
    government = next(z for z in zones if z.reason == "government")
    lat, lon = sum(p[0] for p in government.polygon[0]) / len(government.polygon[0]), \
        sum(p[1] for p in government.polygon[0]) / len(government.polygon[0])
    assert first_zone_crossed(lat, lon - 0.02, lat, lon + 0.02, zones) is government
    assert first_zone_crossed(lat + 0.02, lon - 0.02, lat + 0.02, lon + 0.02, zones) is None
    assert zones_containing(lat, lon, zones) == [government]


def test_first_zone_crossed_is_the_one_met_first_along_the_route() -> None:
    near, far = square("near", 36.1, 120.40), square("far", 36.1, 120.50)
    assert first_zone_crossed(36.1, 120.30, 36.1, 120.60, [far, near]) is near
    assert first_zone_crossed(36.1, 120.60, 36.1, 120.30, [near, far]) is far
    assert first_zone_crossed(36.1, 120.40, 36.1, 120.30, [far, near]) is near  # starts inside


def test_altitude_bands_limit_which_zones_count() -> None:
    low = square("low", 36.1, 120.4, floor_m=0, ceiling_m=50)
    assert low.contains(36.1, 120.4)
    assert low.contains(36.1, 120.4, altitude_agl_m=30)
    assert not low.contains(36.1, 120.4, altitude_agl_m=100)
    assert first_zone_crossed(36.1, 120.3, 36.1, 120.5, [low], altitude_agl_m=100) is None
    assert first_zone_crossed(36.1, 120.3, 36.1, 120.5, [low], altitude_agl_m=50) is low


def test_zones_with_holes_let_routes_inside_the_hole_pass() -> None:
    outer = ((36.0, 120.0), (36.0, 120.2), (36.2, 120.2), (36.2, 120.0))
    hole = ((36.05, 120.05), (36.15, 120.05), (36.15, 120.15), (36.05, 120.15))
    ring_zone = NoFlyZone("R", "环", "ring", "test", 0, 100, (outer, hole))
    assert not ring_zone.contains(36.1, 120.1)
    assert first_zone_crossed(36.08, 120.08, 36.12, 120.12, [ring_zone]) is None
    assert first_zone_crossed(36.1, 120.1, 36.1, 120.3, [ring_zone]) is ring_zone


@pytest.mark.parametrize(("features", "message"), [
    ([feature(id="")], "feature 0: property 'id'"),
    ([feature(name_en=None)], "feature 0 (Z1): property 'name_en'"),
    ([feature(floor_m="low")], "feature 0 (Z1): property 'floor_m'"),
    ([feature(floor_m=300, ceiling_m=100)], "feature 0 (Z1): no-fly zone 'Z1': needs 0 <= floor_m < ceiling_m"),
    ([feature(geometry={"type": "Point", "coordinates": [120, 36]})], "feature 0 (Z1): geometry must be"),
    ([feature(geometry={"type": "Polygon", "coordinates": [[[120, 36], [120.1, 36]]]})],
     "feature 0 (Z1): ring 0 has fewer than 3 distinct points"),
    ([feature(geometry={"type": "Polygon", "coordinates": [[[120, 36], [220, 36], [120, 37]]]})],
     "feature 0 (Z1): ring 0 position 1"),
    ([feature(), feature()], "feature 1: duplicate zone id 'Z1'"),
])
def test_a_broken_zone_file_names_file_and_feature(tmp_path: Path, features: list[dict], message: str) -> None:
    path = write(tmp_path, features)
    with pytest.raises(ValueError) as info:
        load_nofly(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_unreadable_zone_files_are_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.geojson: cannot read"):
        load_nofly(bad)
    with pytest.raises(ValueError, match="missing.geojson: cannot read"):
        load_nofly(tmp_path / "missing.geojson")
    bad.write_text('{"type": "Feature"}', encoding="utf-8")
    with pytest.raises(ValueError, match="not a GeoJSON FeatureCollection"):
        load_nofly(bad)
