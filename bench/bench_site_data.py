"""The demo site's data files: camera registry load, nearest-camera and search times, file sizes.

- load: `CameraRegistry.load` of the 230,000-camera registry (median of 5; goal well under 1 s);
- nearest: `nearest(lat, lon, 8)` for 1,000 random points over the four districts (goal ≤ 1 ms);
- search: the text index build (first search) and searches as an operator types them;
- base map and no-fly zone load times, and the size of every generated resource file.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from drones.basemap import load_basemap
from drones.cameras import CameraRegistry
from drones.nofly import first_zone_crossed, load_nofly
from drones.site import load_site

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "resources" / "sites" / "demo.toml"
LOADS = 5
QUERIES = 1_000
TYPED = ["香", "香港", "香港中路", "香港中路 球机", "燕儿岛路口", "3702", "370212000", "37021300051320000123",
         "licang 半球", "没有这条路"]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _time(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run() -> dict:
    site = load_site(SITE)
    assert site.cameras_path and site.basemap_path and site.nofly_path
    load_s = [_time(lambda: CameraRegistry.load(site.cameras_path)) for _ in range(LOADS)]
    cameras = CameraRegistry.load(site.cameras_path)

    rng = np.random.default_rng(42)
    located = np.nonzero(cameras.located)[0]
    lat_lo, lat_hi = float(np.nanmin(cameras.lat)), float(np.nanmax(cameras.lat))
    lon_lo, lon_hi = float(np.nanmin(cameras.lon)), float(np.nanmax(cameras.lon))
    # Half the queries anywhere in the districts' box (sea and hills included), half where cameras are.
    near = rng.choice(located, QUERIES // 2)
    lats = np.concatenate([rng.uniform(lat_lo, lat_hi, QUERIES // 2), cameras.lat[near] + rng.normal(0, 0.002, len(near))])
    lons = np.concatenate([rng.uniform(lon_lo, lon_hi, QUERIES // 2), cameras.lon[near] + rng.normal(0, 0.002, len(near))])
    nearest_s = [_time(lambda a=a, b=b: cameras.nearest(a, b, 8)) for a, b in zip(lats.tolist(), lons.tolist(), strict=True)]

    index_s = _time(cameras.prepare_search)
    search = {}
    for text in TYPED:
        runs = [_time(lambda t=text: cameras.search(t, 50)) for _ in range(5)]
        search[text] = {"ms_median": _ms(statistics.median(runs)), "hits": len(cameras.search(text, 50))}

    basemap_s = _time(lambda: load_basemap(site.basemap_path))
    zones = load_nofly(site.nofly_path)
    docks = site.docks
    route_s = [_time(lambda a=a, b=b: first_zone_crossed(a.lat, a.lon, b.lat, b.lon, zones))
               for a in docks for b in docks[::7]]
    files = {p.relative_to(ROOT).as_posix(): p.stat().st_size
             for p in (site.basemap_path.resolve(), site.nofly_path, site.cameras_path, SITE)}
    return {
        "cameras": len(cameras), "located": int(cameras.located.sum()), "live": int(cameras.live.sum()),
        "registry_load_ms": {"median": _ms(statistics.median(load_s)), "max": _ms(max(load_s))},
        "nearest8_ms": {"median": _ms(statistics.median(nearest_s)), "p99": _ms(float(np.percentile(nearest_s, 99))),
                        "max": _ms(max(nearest_s)), "queries": len(nearest_s)},
        "search_index_build_ms": _ms(index_s),
        "search_ms": search,
        "basemap_load_ms": _ms(basemap_s),
        "route_check_ms": {"median": _ms(statistics.median(route_s)), "max": _ms(max(route_s)),
                           "zones": len(zones), "routes": len(route_s)},
        "file_bytes": files, "total_bytes": sum(files.values()),
    }
