"""Fleet against the simulated drones over real UDP: discovery, telemetry, links, events, clean-up."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from mavsdk.plugins.mission_raw import MissionItem
from pymavlink.dialects.v20 import common as mav

from console.core.core_loop import CoreLoop
from drones.drone_control import MavsdkDroneControl
from drones.fleet import LINK_LOST_S, Fleet
from drones.fleet_events import (ArmedChanged, BatteryLevel, BatteryLevelChanged, DroneAdded, DroneRemoved,
                                 FleetEvent, FlightModeChanged, LandedStateChanged, LinkStateChanged,
                                 MissionProgressChanged, StatusTextReceived)
from drones.geo import destination, distance_m
from drones.model import LandedState
from vocab import LinkState
from drones.site import Dock
from tests.conftest import ROOT, wait_until
from tests.drones.sim.conftest import SimThread, make_docks
from tests.ports import port_of, silent_udp_port

#: Safety rule: a lost link is shown within 2 s.
LOST_SHOWN_WITHIN_S = 2.0


class Recorder:
    """Collects fleet events (called on the core loop; read from the test thread)."""

    def __init__(self) -> None:
        self._events: list[FleetEvent] = []
        self._lock = threading.Lock()

    def __call__(self, event: FleetEvent) -> None:
        with self._lock:
            self._events.append(event)

    def all(self) -> list[FleetEvent]:
        with self._lock:
            return list(self._events)

    def of(self, kind: type, sysid: int | None = None, since: int = 0) -> list[Any]:
        return [e for e in self.all()[since:] if isinstance(e, kind) and (sysid is None or e.sysid == sysid)]


@dataclass
class Site:
    core: CoreLoop
    sim: SimThread
    fleet: Fleet
    events: Recorder
    docks: list[Dock]


def start(docks: list[Dock], sim: SimThread, site_docks: list[Dock] | None = None) -> Site:
    """The console's fleet on `site_docks` (default: the simulated ones), linked to the simulator's drones."""
    core = CoreLoop("test-core")
    core.start()
    fleet = Fleet(site_docks or sim.docks)
    events = Recorder()
    fleet.add_listener(events)
    core.call(fleet.start())
    return Site(core, sim, fleet, events, docks)


def stop(site: Site) -> None:
    try:
        site.core.call(site.fleet.close())
        site.core.stop()
    finally:
        site.sim.close()


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    docks = make_docks(3)
    # Time x2: a takeoff to 10 m lasts longer than one 1 Hz heartbeat, so every mode is reported.
    s = start(docks, SimThread(docks, time_scale=2.0))
    wait_until(lambda: s.fleet.link_counts() == (3, 3), 15, "all three drones linked")
    yield s
    stop(s)


def ready(s: Any) -> bool:
    return (s.link is LinkState.OK and s.healthy is True and s.home_lat is not None and s.battery_pct is not None
            and s.gps_fix is not None and s.flight_mode is not None and s.landed is LandedState.ON_GROUND)


def changes(values: list[Any]) -> bool:
    return all(a != b for a, b in zip(values, values[1:]))


def test_every_drone_is_discovered_healthy_and_its_snapshot_matches_the_simulator(site: Site) -> None:
    fleet, sim = site.fleet, site.sim
    wait_until(lambda: all(ready(s) for s in fleet.snapshots()), 10, "every drone ready")
    assert sorted(e.sysid for e in site.events.of(DroneAdded)) == [1, 2, 3]
    assert fleet.attached() and sorted(fleet.attached()) == [1, 2, 3]
    for dock in site.docks:
        s = fleet.snapshot(dock.sysid)
        v = sim.fleet.vehicle(dock.sysid)
        lat, lon, alt, yaw, pct = sim.do(lambda v=v: (v.model.lat, v.model.lon, v.model.alt_amsl_m, v.model.yaw_deg,
                                                       v.model.battery.remaining_pct))
        assert distance_m(s.lat, s.lon, lat, lon) < 1.0
        assert abs(s.alt_amsl_m - alt) < 0.5 and abs(s.alt_rel_m) < 0.5
        assert abs(s.heading_deg - yaw) < 0.5
        # Whole percent on the wire (BATTERY_STATUS), and the docked battery charges between the two reads.
        assert abs(s.battery_pct - pct) < 1.5 and 14 < s.battery_v < 17 and s.battery_remaining_s > 0
        assert distance_m(s.home_lat, s.home_lon, dock.lat, dock.lon) < 0.5
        assert abs(s.home_alt_amsl_m - dock.ground_alt_m) < 0.1
        assert (s.flight_mode, s.armed, s.landed) == ("HOLD", False, LandedState.ON_GROUND)
        assert s.gps_fix >= 3 and s.satellites >= 10
        assert s.ground_speed_m_s == 0.0
        assert s.heartbeat_age_s < LINK_LOST_S and s.message_rate_hz > 5
        wait_until(lambda sysid=dock.sysid: len(fleet.store.series(sysid, "alt_rel_m", 60)[0]) > 5, 5, "a history")
        assert all(abs(a) < 0.5 for a in fleet.store.series(dock.sysid, "alt_rel_m", 60)[1])
        assert fleet.async_system(dock.sysid) is not None and fleet.action(dock.sysid) is fleet.action(dock.sysid)
    assert fleet.action(42) is None and fleet.system(42) is None


def test_takeoff_and_landing_announce_armed_mode_and_landed_state_in_order_and_only_on_change(site: Site) -> None:
    fleet, core, sysid = site.fleet, site.core, 1
    wait_until(lambda: ready(fleet.snapshot(sysid)), 10, "drone 1 ready")
    mark = len(site.events.all())
    action = fleet.action(sysid)
    assert action is not None
    core.call(action.set_takeoff_altitude(10.0))
    core.call(action.arm())
    core.call(action.takeoff())
    wait_until(lambda: (lambda s: s.landed is LandedState.IN_AIR and s.flight_mode == "HOLD"
                        and s.alt_rel_m > 9.0)(fleet.snapshot(sysid)), 20, "hovering at 10 m")
    assert max(fleet.store.series(sysid, "alt_rel_m", 60)[1]) > 9.0
    core.call(action.land())
    wait_until(lambda: (lambda s: s.armed is False and s.landed is LandedState.ON_GROUND)(fleet.snapshot(sysid)),
               30, "landed and disarmed")
    core.call(_flush())

    armed = [e.armed for e in site.events.of(ArmedChanged, sysid, mark)]
    modes = [e.mode for e in site.events.of(FlightModeChanged, sysid, mark)]
    landed = [e.landed for e in site.events.of(LandedStateChanged, sysid, mark)]
    assert armed == [True, False]
    assert modes[:3] == ["TAKEOFF", "HOLD", "LAND"] and changes(modes)
    assert landed == [LandedState.TAKING_OFF, LandedState.IN_AIR, LandedState.LANDING, LandedState.ON_GROUND]
    assert all(e.previous == p for e, p in zip(site.events.of(LandedStateChanged, sysid, mark),
                                              [LandedState.ON_GROUND] + landed))
    assert any(e.text == "Takeoff detected" for e in site.events.of(StatusTextReceived, sysid, mark))
    others = [e for e in site.events.all()[mark:] if getattr(e, "sysid", sysid) != sysid
              and isinstance(e, (ArmedChanged, FlightModeChanged, LandedStateChanged))]
    assert others == []


async def _flush() -> None:
    """Lets events already handed to the core loop be delivered."""


def test_a_silent_drone_is_shown_lost_and_comes_back_by_itself(site: Site) -> None:
    fleet, sim, sysid = site.fleet, site.sim, 2
    wait_until(lambda: fleet.snapshot(sysid).link is LinkState.OK, 10, "drone 2 linked")
    mark = len(site.events.all())
    sim.do(sim.fleet.drop_link, sysid, 4.0)
    wait_until(lambda: fleet.snapshot(sysid).link is LinkState.LOST, LOST_SHOWN_WITHIN_S, "drone 2 shown lost")
    lost = fleet.snapshot(sysid)
    assert lost.heartbeat_age_s > LINK_LOST_S and fleet.link_counts() == (2, 3)
    wait_until(lambda: fleet.snapshot(sysid).link is LinkState.OK, 10, "drone 2 back")
    wait_until(lambda: fleet.snapshot(sysid).message_rate_hz > 5, 5, "drone 2 streaming again")
    before = fleet.snapshot(sysid).updated_at
    wait_until(lambda: fleet.snapshot(sysid).updated_at > before, 5, "telemetry flowing after the outage")
    links = site.events.of(LinkStateChanged, since=mark)
    assert [(e.sysid, e.link, e.previous) for e in links] == [(sysid, LinkState.LOST, LinkState.OK),
                                                              (sysid, LinkState.OK, LinkState.LOST)]
    assert links[0].silent_s > LINK_LOST_S
    assert site.events.of(DroneAdded, since=mark) == []   # the same drone, not a new one


def test_battery_low_and_critical_are_announced_once_per_crossing(site: Site) -> None:
    fleet, sim, core, sysid = site.fleet, site.sim, site.core, 3
    wait_until(lambda: fleet.snapshot(sysid).battery_pct is not None, 10, "battery known")
    mark = len(site.events.all())
    try:
        for pct, level in ((25.0, BatteryLevel.LOW), (12.0, BatteryLevel.CRITICAL)):
            sim.do(sim.fleet.set_battery, sysid, pct)
            wait_until(lambda level=level: any(e.level is level
                                               for e in site.events.of(BatteryLevelChanged, sysid, mark)),
                       10, f"battery {level.name}")
        sim.do(sim.fleet.set_battery, sysid, 16.0)  # within the hysteresis above critical: no event
        wait_until(lambda: fleet.snapshot(sysid).battery_pct == 16.0, 10, "battery at 16 %")
    finally:
        sim.do(sim.fleet.set_battery, sysid, 80.0)
    wait_until(lambda: site.events.of(BatteryLevelChanged, sysid, mark)[-1].level is BatteryLevel.OK, 10, "battery ok")
    core.call(_flush())
    crossings = site.events.of(BatteryLevelChanged, sysid, mark)
    assert [(e.previous, e.level) for e in crossings] == [(BatteryLevel.OK, BatteryLevel.LOW),
                                                          (BatteryLevel.LOW, BatteryLevel.CRITICAL),
                                                          (BatteryLevel.CRITICAL, BatteryLevel.OK)]
    assert [e.battery_pct for e in crossings] == [25.0, 12.0, 80.0]


def _item(seq: int, command: int, lat: float = 0.0, lon: float = 0.0, alt: float = 0.0) -> MissionItem:
    return MissionItem(seq, mav.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, command, 1 if seq == 0 else 0, 1, 0.0, 0.0, 0.0,
                       math.nan, int(round(lat * 1e7)), int(round(lon * 1e7)), alt, mav.MAV_MISSION_TYPE_MISSION)


@pytest.fixture
def nobody() -> Iterator[str]:
    """A MAVLink link to a UDP port the test holds and no drone answers on."""
    with silent_udp_port() as sock:
        yield f"udpout://127.0.0.1:{port_of(sock)}"


def test_mission_progress_a_stranger_ignored_and_every_drone_removed_at_close(caplog: pytest.LogCaptureFixture,
                                                                            nobody: str) -> None:
    docks = make_docks(2)
    sim = SimThread([docks[0], replace(docks[1], sysid=9)], time_scale=10.0)   # drone 9 is not in the site
    site_docks = [sim.docks[0], replace(docks[1], mavlink=nobody)]             # drone 2 is, and never shows up
    s = start(docks, sim, site_docks=site_docks)
    try:
        fleet, core = s.fleet, s.core
        wait_until(lambda: ready(fleet.snapshot(1)), 15, "drone 1 ready")
        # The stranger talks on drone 1's link: to the console's address drone 1 learned from its heartbeats.
        console_addr = sim.do(lambda: sim.fleet.endpoints[1].target)
        sim.do(setattr, sim.fleet.endpoints[9], "target", console_addr)
        wait_until(lambda: "MAVLink system 9 is not in the site file; ignored" in caplog.text, 10,
                   "the stranger heard and ignored")
        dock = docks[0]
        wp = destination(dock.lat, dock.lon, 90.0, 60.0)
        plan = [_item(0, mav.MAV_CMD_NAV_TAKEOFF, dock.lat, dock.lon, 15.0),
                _item(1, mav.MAV_CMD_NAV_WAYPOINT, *wp, 15.0),
                _item(2, mav.MAV_CMD_NAV_RETURN_TO_LAUNCH)]
        mission, action = fleet.mission_raw(1), fleet.action(1)
        assert mission is not None and action is not None
        core.call(mission.upload_mission(plan))
        core.call(action.arm())
        core.call(MavsdkDroneControl(action, mission).start_mission())   # retried while the new mission is checked
        wait_until(lambda: any(e.current == e.total == 3 for e in s.events.of(MissionProgressChanged, 1)), 30,
                   "mission finished")
        progress = [(e.current, e.total) for e in s.events.of(MissionProgressChanged, 1)]
        assert changes(progress) and [c for c, t in progress if t == 3] == sorted(c for c, t in progress if t == 3)
        assert fleet.snapshot(1).mission_current == 3 and fleet.snapshot(1).mission_total == 3
        assert fleet.attached() == (1,) and {e.sysid for e in s.events.of(DroneAdded)} == {1}
        assert fleet.snapshot(2).link is LinkState.NEVER and fleet.link_counts() == (1, 2)
        core.call(fleet.close())
        assert [e.sysid for e in s.events.of(DroneRemoved)] == [1]
        assert fleet.action(1) is None
    finally:
        stop(s)


_LIFECYCLE = """
import glob, json, os, sys, time
from console.core.core_loop import CoreLoop
from drones.fleet import Fleet
from tests.drones.sim.conftest import SimThread, make_docks
docks = make_docks(2)
sim = SimThread(docks, time_scale=1.0)
core = CoreLoop()
core.start()
fleet = Fleet(sim.docks)
core.call(fleet.start())
deadline = time.monotonic() + 15
while fleet.link_counts() != (2, 2) and time.monotonic() < deadline:
    time.sleep(0.02)
dirs = lambda: len(glob.glob(os.path.join(os.environ["TMPDIR"], "mavsdk-component-metadata-*")))
running = dirs()
if sys.argv[1] == "close":
    core.call(fleet.close())
    core.stop()
    sim.close()
    print(json.dumps({"running": running, "after": dirs()}))
else:
    print(json.dumps({"running": running}))  # and exit with the fleet still running
"""


@pytest.mark.parametrize("ending", ["close", "exit"])
def test_no_mavsdk_metadata_directories_are_left_behind(tmp_path: Path, ending: str) -> None:
    # Its own process with its own TMPDIR: other MAVSDK users on the machine make the same directories.
    result = subprocess.run([sys.executable, "-c", _LIFECYCLE, ending], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert counts["running"] == 2, "MAVSDK made no directory per drone: the test proves nothing"
    assert counts.get("after", 0) == 0
    assert list(tmp_path.glob("mavsdk-component-metadata-*")) == []
