"""A site whose drones are real PX4 autopilots: PX4 SITL instances parked on demo docks, their docks
simulated (`SiteSim` with `real_drones`, hearing each drone on its ground-station link), on a real
Mosquitto. The console's parts under test (tests/drones/task_harness.py) fly them over the onboard link.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace

from drones.sim.px4_sitl import Px4Instance, Px4Sitl
from drones.sim.site_sim import SiteSimOptions
from drones.site import Dock, Site, load_site, parse_broker_url
from console.resources import resource_path
from tests.drones.task_harness import SiteThread

@dataclass
class Px4Site:
    """The console's view of the site (MAVLink to PX4's onboard ports), the PX4 instances and the docks' simulator."""

    site: Site
    url: str
    instances: dict[int, Px4Instance]     # by MAVLink system id
    docks: SiteThread
    sitl: Px4Sitl

    def instance(self, sysid: int) -> Px4Instance:
        return self.instances[sysid]


@contextmanager
def px4_site(sitl: Px4Sitl, broker_url: str, count: int, *, params: Mapping[str, object] | None = None,
             per_dock: Mapping[int, Mapping[str, object]] | None = None,
             console_listens: bool = False) -> Iterator[Px4Site]:
    """The demo site's first `count` docks with a real PX4 on each (`per_dock`: parameters by dock index).

    `console_listens`: each drone sends its onboard link to a fixed port the console listens on (udpin://), as on a
    real site, so a restarted console hears it again; the ports are drawn at random below the kernel's ephemeral
    range, and a console that cannot bind one raises LinkNotOpened (draw again). Otherwise the console talks first
    (udpout://) from a port of its own."""
    demo = load_site(resource_path("sites", "demo.toml"))
    docks = demo.docks[:count]
    base = {**demo.autopilot_params, **(params or {})}   # what the demo site sets on its drones, and the test's
    groups: dict[tuple[tuple[str, object], ...], list[Dock]] = {}   # one parallel boot per parameter set
    for k, d in enumerate(docks):
        groups.setdefault(tuple(sorted({**base, **(per_dock or {}).get(k, {})}.items())), []).append(d)
    instances: list[Px4Instance] = []
    rng = random.Random()
    ports = {d.sysid: rng.randrange(20000, 32000) for d in docks} if console_listens else None
    for key, group in groups.items():
        instances += sitl.start_many([(d.sysid, d.lat, d.lon, d.ground_alt_m) for d in group], dict(key), ports)
    by_sysid = {i.sysid: i for i in instances}
    site = replace(demo, name="PX4 测试站点", docks=docks, broker=parse_broker_url(broker_url), cameras_path=None,
                   automation=())
    opts = SiteSimOptions(time_scale=sitl.speed_factor, alerts_per_min=0.0,
                          real_drones={d.id: f"udpout://127.0.0.1:{by_sysid[d.sysid].gcs_port}" for d in docks})
    sim = SiteThread(site, broker_url, opts)
    try:
        yield Px4Site(site.with_mavlink({s: i.mavlink_url for s, i in by_sysid.items()}), broker_url, by_sysid, sim,
                      sitl)
    finally:
        sim.close()
