"""The camera registry: ids, names, stream URLs, nearest-camera queries and text search."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drones.cameras import FORMAT_VERSION, NO_ROAD, NO_SIGNAL_URL, UNKNOWN_E6, CameraRegistry
from drones.geo import distances_m

ROOT = Path(__file__).resolve().parents[2]
DEMO_CAMERAS = ROOT / "resources" / "sites" / "demo_cameras.npz"


@pytest.fixture(scope="module")
def registry() -> CameraRegistry:
    return CameraRegistry.load(DEMO_CAMERAS)


def small_arrays(lats: list[float], lons: list[float]) -> dict[str, np.ndarray]:
    """A registry of len(lats) cameras in one district, NaN latitude meaning unknown."""
    n = len(lats)
    lat = np.array(lats, dtype=float)
    lon = np.array(lons, dtype=float)
    unknown = np.isnan(lat)
    return {
        "format_version": np.array(FORMAT_VERSION),
        "ids": np.array([f"3702020000132{i:07d}" for i in range(1, n + 1)], dtype="S20"),
        "district": np.zeros(n, np.uint8), "district_keys": np.array(["shinan"]),
        "district_names_zh": np.array(["市南区"]),
        "lat_e6": np.where(unknown, UNKNOWN_E6, np.round(np.nan_to_num(lat) * 1e6)).astype(np.int32),
        "lon_e6": np.where(unknown, UNKNOWN_E6, np.round(np.nan_to_num(lon) * 1e6)).astype(np.int32),
        "vocab": np.array(["香港中路", "燕儿岛路"]), "road1": np.zeros(n, np.uint16),
        "road2": np.full(n, NO_ROAD, np.uint16), "house_no": np.arange(n, dtype=np.uint16),
        "cam_no": np.ones(n, np.uint8), "kind": np.zeros(n, np.uint8), "kinds": np.array(["枪机"]),
        "live": np.zeros(n, bool), "has_substream": np.zeros(n, bool),
    }


def brute_force(registry: CameraRegistry, lat: float, lon: float, k: int) -> np.ndarray:
    located = np.nonzero(registry.located)[0]
    dist = distances_m(lat, lon, registry.lat[located], registry.lon[located])
    return np.sort(dist)[:k]


def test_the_demo_registry_has_230000_cameras_96_percent_located(registry: CameraRegistry) -> None:
    assert len(registry) == 230_000
    share = registry.located.mean()
    assert 0.955 <= share <= 0.965
    assert np.isnan(registry.lat[~registry.located]).all() and np.isnan(registry.lon[~registry.located]).all()
    assert np.isfinite(registry.lat[registry.located]).all()


def test_ids_are_unique_20_digit_gb28181_codes_matching_the_district(registry: CameraRegistry) -> None:
    ids = registry.ids.astype(str)
    assert len(set(ids.tolist())) == len(ids)
    assert all(len(i) == 20 and i.isdigit() for i in ids[::997])
    adcodes = {"shinan": "370202", "shibei": "370203", "licang": "370213", "laoshan": "370212"}
    for i in range(0, len(registry), 4999):
        cid = registry.id(i)
        assert cid[:6] == adcodes[registry.district_key(i)]
        assert cid[10:13] in ("131", "132")


def test_find_returns_the_camera_with_that_id(registry: CameraRegistry) -> None:
    for i in (0, 1, 123_456, len(registry) - 1):
        assert registry.find(registry.id(i)) == i
    assert registry.find("37020200001310000001") == 0  # the id of the alert contract's example
    assert registry.find("99999999999999999999") is None
    assert registry.find("not an id") is None


def test_names_and_stream_urls(registry: CameraRegistry) -> None:
    assert re.fullmatch(r"\S+(-\S+口|\d+号)? \d号(枪机|球机|半球|全景)", registry.name(0))
    live = np.nonzero(registry.live)[0]
    assert 40 <= len(live) <= 56
    assert registry.located[live].all()
    assert {registry.district_key(i) for i in live} == {"shinan", "shibei", "licang", "laoshan"}
    assert registry.stream_url(int(live[0])) == f"/camera/{registry.id(int(live[0]))}.mjpg"
    assert registry.stream_url(int(np.nonzero(~registry.live)[0][0])) == NO_SIGNAL_URL


@given(st.floats(36.02, 36.36), st.floats(120.26, 120.98), st.integers(1, 20))
@settings(max_examples=150, deadline=None)
def test_nearest_matches_brute_force(registry: CameraRegistry, lat: float, lon: float, k: int) -> None:
    idx, dist = registry.nearest(lat, lon, k)
    assert len(idx) == k
    assert np.all(np.diff(dist) >= 0)
    assert registry.located[idx].all()
    assert np.allclose(dist, distances_m(lat, lon, registry.lat[idx], registry.lon[idx]))
    assert np.allclose(dist, brute_force(registry, lat, lon, k), rtol=0, atol=1e-6)


def test_nearest_far_away_and_in_edge_cases() -> None:
    reg = CameraRegistry(small_arrays([36.1, 36.2, float("nan"), 36.3], [120.4, 120.5, float("nan"), 120.6]))
    idx, dist = reg.nearest(30.0, 110.0, 2)  # far outside the grid
    assert idx.tolist() == [0, 1]
    idx, _ = reg.nearest(36.29, 120.59, 10)  # more than there are located cameras
    assert idx.tolist() == [3, 1, 0]
    assert len(reg.nearest(36.1, 120.4, 0)[0]) == 0
    assert len(reg.nearest(float("nan"), 120.4, 3)[0]) == 0
    nowhere = CameraRegistry(small_arrays([float("nan")], [float("nan")]))
    assert len(nowhere.nearest(36.1, 120.4, 3)[0]) == 0


def test_search_by_name_words_id_and_district(registry: CameraRegistry) -> None:
    hits = registry.search("香港中路", 30)
    assert len(hits) == 30 and all("香港中路" in registry.name(i) for i in hits)
    hits = registry.search("香港中路 球机", 30)
    assert hits and all("香港中路" in registry.name(i) and "球机" in registry.name(i) for i in hits)
    hits = registry.search("370213", 10)
    assert len(hits) == 10 and all(registry.id(i).startswith("370213") for i in hits)
    assert registry.search("37020200001310000001") == [0]
    hits = registry.search("LiCang 半球", 5)
    assert len(hits) == 5 and all(registry.district_key(i) == "licang" for i in hits)
    assert registry.search("   ") == []
    assert registry.search("没有这条路", 10) == []
    assert hits == sorted(hits)


@pytest.mark.parametrize("breakage", ["garbage", "missing", "version", "rows", "unsorted", "vocab"])
def test_a_broken_registry_file_is_reported_with_its_name(tmp_path: Path, breakage: str) -> None:
    path = tmp_path / "cams.npz"
    arrays = small_arrays([36.1, 36.2], [120.4, 120.5])
    if breakage == "garbage":
        path.write_bytes(b"not a zip file")
    else:
        if breakage == "missing":
            del arrays["lat_e6"]
        elif breakage == "version":
            arrays["format_version"] = np.array(FORMAT_VERSION + 1)
        elif breakage == "rows":
            arrays["live"] = np.zeros(3, bool)
        elif breakage == "vocab":
            arrays["road1"][1] = len(arrays["vocab"])
        else:
            arrays["ids"] = arrays["ids"][::-1].copy()
        np.savez_compressed(path, **arrays)
    with pytest.raises(ValueError, match=re.escape(str(path))):
        CameraRegistry.load(path)
