"""The generated demo-site data: docks, districts, cameras and no-fly zones agree with each other."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from drones.basemap import Basemap, load_basemap
from drones.cameras import CameraRegistry
from drones.nofly import NoFlyZone, load_nofly
from drones.site import DISTRICTS, Site, load_site

ROOT = Path(__file__).resolve().parents[2]
DEMO_SITE = ROOT / "resources" / "sites" / "demo.toml"


@pytest.fixture(scope="module")
def site() -> Site:
    return load_site(DEMO_SITE)


@pytest.fixture(scope="module")
def basemap(site: Site) -> Basemap:
    assert site.basemap_path is not None
    return load_basemap(site.basemap_path)


@pytest.fixture(scope="module")
def zones(site: Site) -> tuple[NoFlyZone, ...]:
    assert site.nofly_path is not None
    return load_nofly(site.nofly_path)


def test_the_demo_site_has_56_docks_with_unique_ids_serials_and_sysids(site: Site) -> None:
    assert site.name == "青岛市内四区低空演示站点"
    assert site.topic_root == "qdcb" and site.max_altitude_agl_m == 120
    assert len(site.docks) == 56
    assert sorted(d.sysid for d in site.docks) == list(range(1, 57))
    assert len({d.id for d in site.docks}) == len({d.dock_sn for d in site.docks}) == 56
    assert len({d.port for d in site.docks}) == 56
    assert all(re.fullmatch(r"(SN|SB|LC|LS)\d\d", d.id) for d in site.docks)
    counts = Counter(d.district for d in site.docks)
    assert set(counts) == set(DISTRICTS) and min(counts.values()) >= 10


#: What PX4 SITL instances 0..9 on the same machine bind or send to (onboard link 14540+i from 14580+i,
#: ground-station link 14550 from 18570+i; instances 10 and above all send to 14549).
PX4_SITL_PORTS = frozenset([*range(14540, 14551), *range(14580, 14590), *range(18570, 18580)])


def test_the_demo_sites_port_plan_keeps_clear_of_px4_sitl(site: Site) -> None:
    ports = {d.port for d in site.docks}
    assert ports.isdisjoint(PX4_SITL_PORTS), sorted(ports & PX4_SITL_PORTS)
    assert all(d.mavlink is None for d in site.docks)   # the demo connects out to whatever the simulator bound


def test_the_demo_site_points_at_its_data_files_and_video_server(site: Site) -> None:
    assert site.basemap_path is not None
    assert site.basemap_path.resolve() == ROOT / "resources" / "map" / "qingdao.geojson"
    assert site.cameras_path is not None and site.cameras_path.exists()
    assert site.video_base_url == "http://127.0.0.1:18080"
    dock = site.docks[0]
    assert dock.video_url == f"/drone/{dock.sysid}.mjpg"
    assert site.stream_url(dock.video_url) == f"http://127.0.0.1:18080/drone/{dock.sysid}.mjpg"


def test_the_base_map_has_the_four_districts_and_the_city(basemap: Basemap) -> None:
    assert [d.key for d in basemap.districts] == list(DISTRICTS)
    assert {d.adcode for d in basemap.districts} == {370202, 370203, 370212, 370213}
    assert basemap.city is not None and basemap.city.adcode == 370200
    assert [d.name_zh for d in basemap.districts] == ["市南区", "市北区", "李沧区", "崂山区"]
    assert basemap.district_of(36.0612, 120.3802) == "shinan"  # May Fourth Square
    assert basemap.district_of(36.1692, 120.3717) == "licang"  # Qingdao North railway station
    assert basemap.district_of(36.0, 120.3) is None  # in the sea


def test_every_dock_is_inside_its_district_and_outside_every_no_fly_zone(
        site: Site, basemap: Basemap, zones: tuple[NoFlyZone, ...]) -> None:
    for dock in site.docks:
        assert basemap.district_of(dock.lat, dock.lon) == dock.district, dock
        assert not [z.id for z in zones if z.contains(dock.lat, dock.lon)], dock


def test_at_least_three_no_fly_zones_reach_into_the_districts(basemap: Basemap, zones: tuple[NoFlyZone, ...]) -> None:
    reaching = []
    for zone in zones:
        min_lat, min_lon, max_lat, max_lon = zone.bbox
        lats, lons = np.meshgrid(np.linspace(min_lat, max_lat, 40), np.linspace(min_lon, max_lon, 40))
        points = [(a, b) for a, b in zip(lats.ravel(), lons.ravel(), strict=True) if zone.contains(a, b)]
        if any(basemap.district_of(a, b) for a, b in points):
            reaching.append(zone.id)
    assert len(reaching) >= 3, reaching


def test_every_located_camera_lies_in_its_own_district(site: Site, basemap: Basemap) -> None:
    assert site.cameras_path is not None
    cameras = CameraRegistry.load(site.cameras_path)
    located = cameras.located
    where = basemap.districts_of(cameras.lat[located], cameras.lon[located])
    assert (where >= 0).all()
    keys = np.array([d.key for d in basemap.districts])[where]
    own = np.array(cameras.district_keys)[cameras.district[located]]
    assert (keys == own).all()


def test_generated_resources_stay_small(site: Site) -> None:
    assert site.cameras_path is not None and site.basemap_path is not None and site.nofly_path is not None
    sizes = {p.name: p.stat().st_size for p in (site.cameras_path, site.basemap_path, site.nofly_path, DEMO_SITE)}
    assert sizes["demo_cameras.npz"] < 8_000_000
    assert sizes["qingdao.geojson"] < 300_000
    assert sum(sizes.values()) < 10_000_000
