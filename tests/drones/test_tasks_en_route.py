"""En-route safety: a drone whose battery falls to what the way home needs is called home by the console."""

from __future__ import annotations

import asyncio
from pathlib import Path

from drones.model import DroneState
from vocab import TaskState
from drones.safety import EN_ROUTE_RESERVE_PCT, en_route_refusal, return_home_pct
from drones.site import Dock
from tests.drones.task_harness import service_console
from tests.mqtt_port import eventually


def test_the_way_home_costs_more_from_further_and_higher() -> None:
    dock = Dock("D", "d", "shinan", 36.06, 120.38, 10.0, "SN", 1, 14540)
    near = DroneState(1, lat=36.061, lon=120.38, alt_rel_m=50.0, battery_pct=80.0)
    far = DroneState(1, lat=36.08, lon=120.38, alt_rel_m=100.0, battery_pct=80.0)
    assert return_home_pct(near, dock, None) < return_home_pct(far, dock, None)  # type: ignore[operator]
    assert en_route_refusal(near, dock, None) is None
    need = return_home_pct(far, dock, None)
    low = DroneState(1, lat=36.08, lon=120.38, alt_rel_m=100.0, battery_pct=need + EN_ROUTE_RESERVE_PCT - 1)  # type: ignore[operator]
    why = en_route_refusal(low, dock, None)
    assert why is not None and "returning" in why.en and why.code == "enroute.battery_home"
    assert en_route_refusal(DroneState(1), dock, None) is None  # nothing known: nothing decided


def test_low_battery_in_flight_brings_the_drone_home_and_aborts_the_task(site_and_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, sim, url = site_and_sim
    dock = site.docks[0]

    async def scenario() -> None:
        async with service_console(site, url, tmp_path / "j.sqlite") as c:
            task = await c.dispatch(dock, distance_m=500.0)
            await eventually(lambda: task.state == TaskState.EN_ROUTE, 60, "en route")
            sim.do(sim.sim.fleet.set_battery, dock.sysid, 24.0)  # above the drone's own 15 % failsafe
            await eventually(lambda: task.state == TaskState.RETURNING, 10, "called home")
            assert task.reason is not None and "battery" in task.reason.en
            assert await asyncio.wait_for(task.wait(), 120) == TaskState.ABORTED
            assert ("return_home", "automation", "accepted") in c.commands(f"drone:{dock.sysid}")

    asyncio.run(scenario())
    assert sim.do(sim.sim.fleet.in_dock, dock.sysid)


def test_an_abort_before_takeoff_stands_the_launch_down(site_and_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, sim, url = site_and_sim
    dock = site.docks[1]

    async def scenario() -> None:
        async with service_console(site, url, tmp_path / "j.sqlite") as c:
            task = await c.dispatch(dock)    # returns once the launch-time checks have passed
            await c.tasks.abort(task.task_id, by="op9")  # while the dock opens and the drone arms
            assert await asyncio.wait_for(task.wait(), 30) == TaskState.ABORTED
            assert c.states_of(task) == ["planned", "preflight", "launching", "aborted"]
            assert task.reason is not None and task.reason.code == "task.aborted_before_takeoff"
            assert c.fleet.snapshot(dock.sysid).armed is False
            assert ("abort", "op9", "accepted") in c.commands(f"drone:{dock.sysid}")

    asyncio.run(scenario())
    assert sim.do(sim.sim.fleet.in_dock, dock.sysid)
