"""Starting a mission right after its upload, which PX4 refuses until it has checked the new mission: the console
tries again for a bounded time, then refuses with the drone's words. On the simulated site (physics x20,
real UDP, real Mosquitto); the simulator refuses mission mode for MISSION_SETTLE_S after every upload."""

from __future__ import annotations

import asyncio
from pathlib import Path

from drones.drone_control import MISSION_START_RETRY_PERIOD_S, MISSION_START_RETRY_S
from drones.model import CoverState
from drones.sim.vehicle import MISSION_NOT_AVAILABLE
from tests.drones.task_harness import console
from tests.mqtt_port import eventually
from vocab import TaskState

# The site_and_sim fixture comes from tests/drones/conftest.py.


def test_a_start_refused_just_after_the_upload_is_tried_again_and_the_task_flies(site_and_sim,  # type: ignore[no-untyped-def]
                                                                                  tmp_path: Path) -> None:
    site, sim, url = site_and_sim
    dock = site.docks[0]

    async def scenario() -> None:
        async with console(site, url, tmp_path / "j.sqlite") as c:
            task = await c.dispatch(dock)
            await eventually(lambda: task.state == TaskState.EN_ROUTE, 30, "en route")

    asyncio.run(scenario())
    assert sim.do(lambda: sim.sim.fleet.vehicle(dock.sysid).mission_refusals) >= 1   # refused first, then flew


def test_a_start_refused_for_longer_than_the_retries_fails_the_task_in_the_drones_words(site_and_sim,  # type: ignore[no-untyped-def]
                                                                                      tmp_path: Path) -> None:
    site, sim, url = site_and_sim
    dock = site.docks[1]
    sim.do(lambda: setattr(sim.sim.fleet.vehicle(dock.sysid), "mission_settle_s", 60.0))

    async def scenario() -> None:
        async with console(site, url, tmp_path / "j.sqlite") as c:
            task = await c.dispatch(dock)
            assert await asyncio.wait_for(task.wait(), 30) == TaskState.FAILED
            assert c.states_of(task) == ["planned", "preflight", "launching", "failed"]
            assert task.reason is not None and MISSION_NOT_AVAILABLE in task.reason.en, task.reason
            await eventually(lambda: c.fleet.snapshot(dock.sysid).armed is False, 10, "disarmed again")
            await eventually(lambda: c.docks.state(dock.id).cover == CoverState.CLOSED, 15, "cover closed again")

    asyncio.run(scenario())
    refusals = sim.do(lambda: sim.sim.fleet.vehicle(dock.sysid).mission_refusals)
    # Tried for the whole retry window, about once a period, and no longer.
    expected = MISSION_START_RETRY_S / MISSION_START_RETRY_PERIOD_S
    assert expected / 2 <= refusals <= expected + 2, refusals
