"""Flight tasks end to end: the console's core (MAVSDK fleet, dock client, journal, task manager)
against the simulated site over real UDP and a real Mosquitto, physics at ×20."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from drones.model import CommandRefused, CoverState, DispatchRefused
from vocab import LinkState, Reason, TaskState
from tests.drones.task_harness import console
from tests.mqtt_port import eventually

# The site_and_sim fixture comes from tests/drones/conftest.py.


FULL = ["planned", "preflight", "launching", "en_route", "on_scene", "returning", "landing", "docked", "completed"]


def test_a_task_flies_from_dock_to_scene_and_back_into_the_dock(site_and_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, sim, url = site_and_sim
    dock = site.docks[0]

    async def scenario() -> None:
        async with console(site, url, tmp_path / "j.sqlite") as c:
            task = await c.dispatch(dock)
            assert await asyncio.wait_for(task.wait(), 120) == TaskState.COMPLETED
            assert c.states_of(task) == FULL
            await eventually(lambda: c.published.get(f"qdcb/console/v1/tasks/{task.task_id}", {}).get("state")
                             == "completed", 5, "retained task state")
            await eventually(lambda: c.docks.state(dock.id).cover == CoverState.CLOSED
                             and c.docks.state(dock.id).charging, 10, "cover closed and charging")
            assert [e.state.value for e in c.events] == FULL[1:]

    asyncio.run(scenario())
    assert sim.do(sim.sim.fleet.in_dock, dock.sysid)


def test_refusals_fail_the_task_with_the_reason(site_and_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, sim, url = site_and_sim
    low, fault = site.docks[0], site.docks[1]

    async def scenario() -> None:
        async with console(site, url, tmp_path / "j.sqlite") as c:
            sim.do(sim.sim.fleet.set_battery, low.sysid, 22.0)
            await eventually(lambda: (c.fleet.snapshot(low.sysid).battery_pct or 100) < 23, 5, "battery seen")
            with pytest.raises(DispatchRefused) as refused:   # the launch-time preflight answers the dispatch
                await c.dispatch(low)
            assert refused.value.check == "battery" and "battery" in refused.value.reason.en
            assert refused.value.task_id and c.states_of(refused.value.task_id) == ["planned", "preflight", "failed"]
            sim.do(sim.sim.dock_sims.dock(fault.id).inject, "cover_fault", True)
            task2 = await c.dispatch(fault)
            assert await asyncio.wait_for(task2.wait(), 60) == TaskState.FAILED
            assert c.states_of(task2)[-2:] == ["launching", "failed"]
            assert task2.reason is not None and task2.reason.code.startswith("dock.")
            with pytest.raises(CommandRefused):
                await c.tasks.hold(99, by="op1")  # no such drone on the site

    asyncio.run(scenario())


def test_takeover_hold_resume_then_abort_brings_the_drone_home(site_and_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, sim, url = site_and_sim
    dock = site.docks[0]

    async def scenario() -> None:
        async with console(site, url, tmp_path / "j.sqlite") as c:
            task = await c.dispatch(dock, distance_m=600.0)
            await eventually(lambda: task.state == TaskState.EN_ROUTE, 60, "en route")
            await c.tasks.hold(dock.sysid, by="op2")
            await eventually(lambda: c.fleet.snapshot(dock.sysid).flight_mode == "HOLD", 5, "holding")
            stopped = await c.tasks.emergency_stop(dock.sysid, by="op2")
            assert stopped.code == "estop.hold_accepted" and dock.sysid in c.tasks.locked
            with pytest.raises(CommandRefused) as info:
                await c.tasks.resume(dock.sysid, by="op2")
            assert "emergency" in info.value.reason.en
            c.tasks.reactivate(dock.sysid, by="op2")
            await c.tasks.resume(dock.sysid, by="op2")
            await eventually(lambda: c.fleet.snapshot(dock.sysid).flight_mode == "MISSION", 5, "mission resumed")
            await c.tasks.abort(task.task_id, by="op2")
            assert await asyncio.wait_for(task.wait(), 120) == TaskState.ABORTED
            assert "op2" in (task.reason.en if task.reason else "")
            commands = [(cmd, by, result) for _, _, cmd, by, result, _ in c.journal.commands(f"drone:{dock.sysid}")]
            assert commands == [("hold", "op2", "accepted"), ("emergency_stop", "op2", "locked"),
                                ("resume", "op2", "refused"), ("reactivate", "op2", "accepted"),
                                ("resume", "op2", "accepted"), ("return_home", "op2", "accepted")]

    asyncio.run(scenario())
    assert sim.do(sim.sim.fleet.in_dock, dock.sysid)


def test_link_cut_mid_flight_is_marked_and_the_drone_comes_home_by_itself(site_and_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, sim, url = site_and_sim
    dock = site.docks[2]
    sim.do(lambda: sim.sim.fleet.vehicle(dock.sysid).params.__setitem__("COM_DL_LOSS_T", (6, 2)))

    async def scenario() -> None:
        async with console(site, url, tmp_path / "j.sqlite") as c:
            task = await c.dispatch(dock, distance_m=800.0)
            await eventually(lambda: task.state == TaskState.EN_ROUTE, 60, "en route")
            sim.do(sim.sim.fleet.drop_link, dock.sysid, 5.0)
            await eventually(lambda: task.link_lost, 5, "link loss marked on the task")
            # What the console says the drone does is what it is configured to do (NAV_DLL_ACT 2 here: return).
            assert task.reason == Reason.of("task.link_lost", action=Reason.of("dll.return")), task.reason
            # A command that cannot reach the drone is refused for that reason, not sent to time out in MAVSDK.
            with pytest.raises(CommandRefused) as refused:
                await c.tasks.hold(dock.sysid, by="op1")
            assert refused.value.reason.code == "command.link_lost"
            # An emergency stop still locks the drone, and says its hold did not go out (and why).
            stopped = await c.tasks.emergency_stop(dock.sysid, by="op1")
            assert stopped == Reason.of("estop.hold_not_delivered", why=Reason.of("command.link_lost"))
            assert dock.sysid in c.tasks.locked
            assert c.journal.commands(f"drone:{dock.sysid}")[-1][3:] == ("op1", "locked", stopped.en)
            c.tasks.reactivate(dock.sysid, by="op1")
            await eventually(lambda: c.fleet.snapshot(dock.sysid).link == LinkState.OK, 15, "link back")
            assert await asyncio.wait_for(task.wait(), 120) == TaskState.COMPLETED
            # It came home by itself: it never reached the scene. (At x20 and a loaded machine it may
            # already be back in its dock when the link returns, so "returning" is not always seen.)
            states = c.states_of(task)
            assert "on_scene" not in states and "docked" in states

    asyncio.run(scenario())


def test_console_restart_mid_task_recovers_and_completes(site_and_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, sim, url = site_and_sim
    dock = site.docks[1]
    journal = tmp_path / "j.sqlite"

    async def first_run() -> str:
        async with console(site, url, journal) as c:
            task = await c.dispatch(dock, distance_m=700.0)
            await eventually(lambda: task.state == TaskState.EN_ROUTE, 60, "en route")
            return task.task_id  # the console goes away here, mid-flight

    async def second_run(task_id: str) -> None:
        async with console(site, url, journal) as c:
            recovered = await c.tasks.recover()
            assert [t.task_id for t in recovered] == [task_id]
            assert await asyncio.wait_for(recovered[0].wait(), 120) == TaskState.COMPLETED
            assert c.states_of(recovered[0])[-1] == "completed"

    task_id = asyncio.run(first_run())
    asyncio.run(second_run(task_id))


def test_two_tasks_on_two_docks_at_once(site_and_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, sim, url = site_and_sim

    async def scenario() -> None:
        async with console(site, url, tmp_path / "j.sqlite") as c:
            a = await c.dispatch(site.docks[0], 90.0, 300.0)
            b = await c.dispatch(site.docks[1], 270.0, 300.0)
            with pytest.raises(CommandRefused):
                await c.dispatch(site.docks[0])  # one open task per drone
            done = await asyncio.wait_for(asyncio.gather(a.wait(), b.wait()), 150)
            assert done == [TaskState.COMPLETED, TaskState.COMPLETED]

    asyncio.run(scenario())
