"""More flight tasks end to end, through the console's TaskService (planning around no-fly zones,
command authority, preflight): refusals by the console and by the drone itself, operator takeover,
and two consoles on one broker. Same setup as test_tasks_e2e.py: the simulated site over real UDP
and a real Mosquitto, physics at ×20; every wait is on a condition."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import console.core.task_service as task_service
from drones.geo import destination, distance_m
from drones.model import CommandRefused, CoverState, DispatchRefused, DockState, DroneState, LandedState
from vocab import Reason, TaskState
from drones.nofly import load_nofly
from drones.planning import FlightPlan
from drones.safety import Limits
from tests.drones.task_harness import ZoneSpec, console, lateral_offset_m, service_console, with_nofly
from tests.mqtt_port import eventually

# The site_and_sim fixture comes from tests/drones/conftest.py.

BAT_LOW_THR_TYPE = 9   # MAV_PARAM_TYPE_REAL32


@pytest.fixture
def preflight_spy(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The checks the TaskService's preflight ran: None when all passed, else the failed check's name."""
    outcomes: list[str | None] = []
    real = task_service.preflight

    def spy(plan: FlightPlan, drone: DroneState | None, dock: DockState | None, limits: Limits = Limits()) -> None:
        try:
            real(plan, drone, dock, limits)
        except DispatchRefused as exc:
            outcomes.append(exc.check)
            raise
        outcomes.append(None)

    monkeypatch.setattr(task_service, "preflight", spy)
    return outcomes


def test_nofly_target_inside_is_refused_and_one_behind_is_flown_around(site_and_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, sim, url = site_and_sim
    dock = site.docks[0]
    centre = destination(dock.lat, dock.lon, 90.0, 350.0)
    spec = ZoneSpec("ZT01", "测试禁飞区", "Test exclusion zone", *centre, radius_m=100.0)
    site = with_nofly(site, tmp_path / "nofly.geojson", [spec])
    zone, = load_nofly(site.nofly_path)
    behind = destination(dock.lat, dock.lon, 90.0, 750.0)

    async def scenario() -> None:
        async with service_console(site, url, tmp_path / "j.sqlite") as c:
            assert c.service.zones == (zone,)
            # (i) a target inside the zone: refused while planning, before any task or command exists
            with pytest.raises(DispatchRefused) as info:
                await c.dispatch_to(dock, *centre)
            assert info.value.check == "nofly"
            assert info.value.reason.get("zone").get("zh") == "测试禁飞区"
            assert "Test exclusion zone" in info.value.reason.en and "ZT01" in info.value.reason.en
            assert c.tasks.tasks == {} and c.journal.counts_by_state() == {} and c.journal.commands() == []
            assert c.service.authority.holder(dock.id) is None

            # (ii) a target behind the zone: the route goes around it, and so does the drone
            task = await c.dispatch_to(dock, *behind)
            samples: list[tuple[float, float, float | None]] = []
            seen: set[float | None] = set()

            def sample_until_done() -> bool:
                s = c.fleet.snapshot(dock.sysid)
                if s.updated_at not in seen and s.lat is not None and s.lon is not None:
                    seen.add(s.updated_at)
                    samples.append((s.lat, s.lon, s.alt_rel_m))
                return not task.state.open

            await eventually(sample_until_done, 50, "the task to end")
            assert task.state == TaskState.COMPLETED, (c.states_of(task), task.reason)
            assert c.states_of(task)[-3:] == ["landing", "docked", "completed"]
            airborne = [p for p in samples if (p[2] or 0.0) > 5.0]
            assert len(airborne) > 50, f"only {len(airborne)} airborne samples"
            inside = [p for p in samples if zone.contains(p[0], p[1])]
            assert inside == [], f"{len(inside)} samples inside the zone, first {inside[0]}"
            detour = max(lateral_offset_m(lat, lon, (dock.lat, dock.lon), behind) for lat, lon, _ in airborne)
            assert detour > spec.radius_m, f"flew at most {detour:.0f} m off the straight line"
            far = max(distance_m(lat, lon, dock.lat, dock.lon) for lat, lon, _ in airborne)
            assert far > 500.0, "never got past the zone"

    asyncio.run(scenario())
    assert sim.do(sim.sim.fleet.in_dock, dock.sysid)


def test_high_wind_at_the_dock_fails_the_task_at_preflight(site_and_sim, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                           preflight_spy: list[str | None]) -> None:
    site, sim, url = site_and_sim
    dock = site.docks[1]

    async def scenario() -> None:
        async with service_console(site, url, tmp_path / "j.sqlite") as c:
            sim.do(sim.sim.dock_sims.dock(dock.id).inject, "weather_hold", True)
            await eventually(lambda: (c.docks.state(dock.id).wind_speed_m_s or 0.0) > Limits().max_wind_m_s, 10,
                             "storm wind in the dock's osd")
            with pytest.raises(DispatchRefused) as refused:
                await c.dispatch(dock)
            assert refused.value.task_id and c.states_of(refused.value.task_id) == ["planned", "preflight", "failed"]
            assert preflight_spy == ["wind"]
            assert refused.value.reason.code == "preflight.wind_over" and "wind" in refused.value.reason.en
            assert c.docks.state(dock.id).cover == CoverState.CLOSED

    asyncio.run(scenario())
    assert sim.do(sim.sim.fleet.in_dock, dock.sysid)


def test_dock_offline_fails_the_task_at_preflight(site_and_sim, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                  preflight_spy: list[str | None]) -> None:
    site, sim, url = site_and_sim
    dock = site.docks[2]

    async def scenario() -> None:
        async with service_console(site, url, tmp_path / "j.sqlite") as c:
            sim.do(sim.sim.dock_sims.dock(dock.id).inject, "offline", True)
            await eventually(lambda: not c.docks.state(dock.id).online, 10, "the dock seen offline")
            with pytest.raises(DispatchRefused) as refused:
                await c.dispatch(dock)
            assert refused.value.task_id and c.states_of(refused.value.task_id) == ["planned", "preflight", "failed"]
            assert preflight_spy == ["dock_offline"]
            assert refused.value.reason.code == "preflight.dock_offline" and "offline" in refused.value.reason.en

    asyncio.run(scenario())
    assert sim.do(sim.sim.fleet.in_dock, dock.sysid)


def test_the_drone_refusing_to_arm_fails_the_launch_with_its_own_words(site_and_sim, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                       preflight_spy: list[str | None]) -> None:
    site, sim, url = site_and_sim
    dock = site.docks[0]
    sim.do(sim.sim.fleet.set_battery, dock.sysid, 60.0)   # plenty for the console (30 % to take off)

    def drone_wants_99_pct() -> None:
        sim.sim.fleet.vehicle(dock.sysid).params["BAT_LOW_THR"] = (BAT_LOW_THR_TYPE, 0.99)

    async def scenario() -> Reason:
        async with service_console(site, url, tmp_path / "j.sqlite") as c:
            await eventually(lambda: (c.fleet.snapshot(dock.sysid).battery_pct or 100.0) < 61.0, 5, "battery seen")
            task = await c.dispatch(dock)
            # The drone reports a failing pre-arm check as soon as its threshold is above its battery, and
            # the console's preflight would refuse it as unhealthy: so the threshold goes up once the
            # console's checks have passed, while the dock opens its cover, as a drone's state can change
            # between the preflight and the arming.
            await eventually(lambda: task.state != TaskState.PREFLIGHT and task.state != TaskState.PLANNED, 10,
                             "preflight over")
            assert task.state == TaskState.LAUNCHING and preflight_spy == [None]  # the console's checks passed
            sim.do(drone_wants_99_pct)
            assert await asyncio.wait_for(task.wait(), 30) == TaskState.FAILED
            assert c.states_of(task) == ["planned", "preflight", "launching", "failed"]
            assert task.reason is not None and "the drone refused the command" in task.reason.en, task.reason
            await eventually(lambda: c.docks.state(dock.id).cover == CoverState.CLOSED, 10, "cover closed again")
            assert c.fleet.snapshot(dock.sysid).armed is False
            # Authority taken for the flight, the dispatch, authority given back when the task ended; closing the
            # cover was not refused (it would be journaled between them).
            expected = [("take_authority", "op1", "accepted"), ("dispatch", "op1", "accepted"),
                        ("release_authority", "task end", "accepted")]
            await eventually(lambda: c.commands(dock.id) == expected, 5, "authority released after the task")
            await eventually(lambda: "Arming denied" in (c.fleet.snapshot(dock.sysid).status_text or ""), 5,
                             "the drone's own words in its telemetry")
            return task.reason

    reason = asyncio.run(scenario())
    assert sim.do(sim.sim.fleet.in_dock, dock.sysid)
    # The task's reason carries the drone's own words (its STATUSTEXT may follow the COMMAND_ACK).
    assert "Arming denied" in reason.en and reason.code == "mav.with_words", reason


def test_takeover_goto_change_altitude_then_land_here(site_and_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, sim, url = site_and_sim
    dock = site.docks[0]

    async def scenario() -> tuple[float, float]:
        async with service_console(site, url, tmp_path / "j.sqlite") as c:
            task = await c.dispatch(dock, 90.0, 900.0)
            await eventually(lambda: task.state == TaskState.EN_ROUTE, 60, "en route")
            s = c.fleet.snapshot(dock.sysid)
            assert s.lat is not None and s.lon is not None and s.home_alt_amsl_m is not None
            point = destination(s.lat, s.lon, 180.0, 150.0)   # 150 m aside of the route east

            def at(alt_rel_m: float) -> bool:
                s = c.fleet.snapshot(dock.sysid)
                return (s.lat is not None and s.lon is not None and s.alt_rel_m is not None
                        and distance_m(s.lat, s.lon, *point) < 3.0 and abs(s.alt_rel_m - alt_rel_m) < 1.5)

            await c.tasks.goto(dock.sysid, *point, s.home_alt_amsl_m + 50.0, by="op3")
            await eventually(lambda: at(50.0), 20, "the drone at the goto point")
            await c.tasks.change_altitude(dock.sysid, 40.0, by="op3")
            await eventually(lambda: at(40.0), 20, "the drone at 40 m")
            assert task.state == TaskState.EN_ROUTE
            await c.tasks.land_here(dock.sysid, by="op3")
            assert await asyncio.wait_for(task.wait(), 40) == TaskState.ABORTED
            assert task.reason is not None and "op3" in task.reason.en and task.reason.get("by") == "op3"
            assert "landed" in task.reason.en, task.reason
            transitions = [(to, by) for _, _, to, by, _ in c.journal.transitions(task.task_id)]
            assert transitions[-2][0] == "landing" and transitions[-2][1] == "op3"
            assert transitions[-1][0] == "aborted"
            assert c.commands(f"drone:{dock.sysid}") == [("goto", "op3", "accepted"),
                                                        ("change_altitude", "op3", "accepted"),
                                                        ("land_here", "op3", "accepted")]
            s = c.fleet.snapshot(dock.sysid)
            assert s.landed == LandedState.ON_GROUND and s.armed is False
            assert s.lat is not None and s.lon is not None and distance_m(s.lat, s.lon, *point) < 5.0
            return point

    point = asyncio.run(scenario())
    lat, lon, on_ground = sim.do(lambda: (sim.sim.fleet.vehicle(dock.sysid).model.lat,
                                          sim.sim.fleet.vehicle(dock.sysid).model.lon,
                                          not sim.sim.fleet.vehicle(dock.sysid).in_air))
    assert on_ground and distance_m(lat, lon, *point) < 5.0
    assert not sim.do(sim.sim.fleet.in_dock, dock.sysid)


def test_command_authority_between_two_consoles(site_and_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, sim, url = site_and_sim
    dock = site.docks[0]

    async def scenario() -> None:
        async with service_console(site, url, tmp_path / "a.sqlite", console_id="console-A") as a, \
                service_console(site, url, tmp_path / "b.sqlite", console_id="console-B", share_fleet=a.fleet) as b:
            task = await a.dispatch(dock, 90.0, 800.0, by="op-a")
            assert a.service.authority.holds(dock.id)
            await eventually(lambda: (h := b.service.authority.holder(dock.id)) is not None
                             and h.console == "console-A", 5, "console B to see A's authority")
            await eventually(lambda: task.state == TaskState.EN_ROUTE, 60, "en route")

            with pytest.raises(CommandRefused) as info:
                await b.tasks.hold(dock.sysid, by="op-b")
            assert "console-A" in info.value.reason.en and "op-a" in info.value.reason.en
            assert info.value.reason.get("console") == "console-A"

            displaced = await b.service.authority.take(dock.id, "op-b", force=True)
            assert displaced is not None and displaced.console == "console-A"
            await eventually(lambda: b.service.authority.holds(dock.id), 5, "B to hold authority")
            await b.tasks.hold(dock.sysid, by="op-b")
            await eventually(lambda: a.fleet.snapshot(dock.sysid).flight_mode == "HOLD", 5, "holding")
            assert b.commands(f"drone:{dock.sysid}") == [("hold", "op-b", "refused"), ("hold", "op-b", "accepted")]

            # and console A, whose task it still is, is now read-only on that dock
            await eventually(lambda: not a.service.authority.holds(dock.id), 5, "A to see B's authority")
            with pytest.raises(CommandRefused) as info:
                await a.tasks.resume(dock.sysid, by="op-a")
            assert "console-B" in info.value.reason.en
            assert task.state.open

    asyncio.run(scenario())


def test_the_console_reads_what_each_drone_does_on_a_lost_link(site_and_sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, sim, url = site_and_sim
    hover, home = site.docks[0], site.docks[1]
    sim.do(lambda: sim.sim.fleet.vehicle(hover.sysid).params.__setitem__("NAV_DLL_ACT", (6, 0)))   # PX4's default

    async def scenario() -> None:
        async with console(site, url, tmp_path / "j.sqlite") as c:
            await eventually(lambda: c.fleet.snapshot(hover.sysid).link_loss_action == 0, 15, "NAV_DLL_ACT 0 read")
            await eventually(lambda: c.fleet.snapshot(home.sysid).link_loss_action == 2, 15, "NAV_DLL_ACT 2 read")

    asyncio.run(scenario())
