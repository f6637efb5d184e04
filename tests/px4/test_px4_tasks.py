"""The console's fleet and task layers against real PX4 autopilots (SITL, SIH physics) parked on demo docks.

Everything a dispatcher does with a drone, flown by the real autopilot: discovery and health, a dispatch
through every task state with the dock's cover and charger, every takeover, PX4's own refusals, a link
that dies mid-flight, and a console restart mid-task. Docks are simulated and hear their drone on its
ground-station link (drones/sim/real_drones.py); the console flies over the onboard link. PX4 runs
PX4_SIM_SPEED_FACTOR times faster than real time (tests/px4/conftest.py); every wait is on a condition.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from drones.fleet_events import FleetEvent, LinkStateChanged
from drones.geo import destination, distance_m
from drones.model import CommandRefused, CoverState, LandedState
from drones.sim.px4_sitl import Px4Sitl
from drones.site import Dock
from tests.conftest import ARTIFACTS, MosquittoBroker
from tests.drones.task_harness import LinkNotOpened, ServiceConsole, service_console
from tests.mqtt_port import eventually
from tests.px4.conftest import SPEED_FACTOR
from tests.px4.px4_site import Px4Site, px4_site
from vocab import LinkState, TaskState

#: Real seconds a whole short flight may take here: ten minutes of the vehicle's time, sped up by SPEED_FACTOR.
FLIGHT_S = 600.0 / SPEED_FACTOR
#: PX4's speed-up when three fly at once (each costs about 40 % of a core at 5, 60 % at 8).
MANY_SPEED = min(SPEED_FACTOR, 5.0)


def test_discovery_health_home_and_telemetry(px4: Px4Sitl, mosquitto: MosquittoBroker, tmp_path: Path) -> None:
    with px4_site(px4, mosquitto.url, 3) as ps:
        async def scenario() -> None:
            async with service_console(ps.site, ps.url, tmp_path / "j.sqlite") as c:
                for d in ps.site.docks:
                    await eventually(lambda d=d: c.fleet.snapshot(d.sysid).home_lat is not None, 20, f"{d.id} home")
                    await eventually(lambda d=d: c.fleet.snapshot(d.sysid).link_loss_action is not None, 30,
                                     f"{d.id} NAV_DLL_ACT read")
                    await eventually(lambda d=d: c.docks.state(d.id).drone_in_dock, 20, f"dock {d.id} sees its drone")
                    s = c.fleet.snapshot(d.sysid)
                    assert s.link == LinkState.OK and s.healthy is True, (d.id, s)
                    assert distance_m(s.home_lat, s.home_lon, d.lat, d.lon) < 1.0, (d.id, s.home_lat, s.home_lon)
                    assert s.lat is not None and distance_m(s.lat, s.lon, d.lat, d.lon) < 1.0
                    assert s.alt_rel_m is not None and abs(s.alt_rel_m) < 1.0
                    assert s.landed == LandedState.ON_GROUND and s.armed is False
                    assert s.battery_pct is not None and 50.0 <= s.battery_pct <= 100.0
                    assert s.gps_fix is not None and s.gps_fix >= 3 and (s.satellites or 0) > 5
                    assert s.flight_mode not in (None, "UNKNOWN"), s.flight_mode
                    assert s.link_loss_action == 2      # what the site set, read back from the autopilot
                    assert c.docks.state(d.id).online and c.docks.state(d.id).charge_pct is not None
                # A real autopilot's message rate, as the console measured it
                rates = [c.fleet.snapshot(d.sysid).message_rate_hz for d in ps.site.docks]
                assert all(r is not None and r > 1.0 for r in rates), rates

        asyncio.run(scenario())


def _durations(c: ServiceConsole, task_id: str) -> dict[str, float]:
    """Real seconds spent in each task state, from the journal's transition times."""
    rows = [(ts, to) for ts, _, to, _, _ in c.journal.transitions(task_id)]
    out: dict[str, float] = {}
    for (t0, state), (t1, _) in zip(rows, rows[1:]):
        out[state] = round(out.get(state, 0.0) + (t1 - t0), 2)
    return out


def record_timings(name: str, durations: dict[str, float]) -> None:
    """Keeps the per-state timings of a flight for the record (artifacts/, not committed)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "px4-task-timings.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    data[name] = {"speed_factor": SPEED_FACTOR, "real_s": durations,
                  "vehicle_s": {k: round(v * SPEED_FACTOR, 1) for k, v in durations.items()}}
    path.write_text(json.dumps(data, indent=1))


#: The alert category the flights here go to: its pattern is a 30 s hover, the shortest the pattern book has.
CATEGORY = "illegal_parking"


async def _dispatch(c: ServiceConsole, dock: Dock, bearing: float = 60.0, distance: float = 300.0):  # type: ignore[no-untyped-def]
    return await c.dispatch_to(dock, *c.target(dock, bearing, distance), category=CATEGORY)


def test_a_dispatch_flies_through_every_state_to_completed_with_the_dock_across_a_console_restart(
        px4: Px4Sitl, mosquitto: MosquittoBroker, tmp_path: Path) -> None:
    """One flight: dispatched, the console restarted while the drone is on scene, recovered and flown home through
    every task state, with the dock's cover, charger and "drone in dock" following the real aircraft."""
    for attempt in range(3):   # a listening port drawn at random may be another program's: draw again
        try:
            return _dispatch_and_restart(px4, mosquitto, tmp_path / f"j{attempt}.sqlite")
        except LinkNotOpened as exc:
            print(f"console port taken ({exc}); drawing another")
    pytest.fail("three console ports drawn were all taken")


def _dispatch_and_restart(px4: Px4Sitl, mosquitto: MosquittoBroker, journal: Path) -> None:
    # A real site's drones send to the console's fixed port: PX4 talks to the first peer of a link only, so a
    # console that came back on another port would never hear its drone again.
    with px4_site(px4, mosquitto.url, 1, console_listens=True) as ps:
        dock = ps.site.docks[0]
        covers: list[CoverState] = []
        in_dock: list[bool | None] = []

        def watch(c: ServiceConsole) -> bool:
            st = c.docks.state(dock.id)
            if not covers or covers[-1] != st.cover:
                covers.append(st.cover)
            if not in_dock or in_dock[-1] != st.drone_in_dock:
                in_dock.append(st.drone_in_dock)
            return False

        async def first_run() -> str:
            async with service_console(ps.site, ps.url, journal, console_id="console-R") as c:
                await eventually(lambda: c.docks.state(dock.id).drone_in_dock, 20, "the dock to see its drone")
                task = await _dispatch(c, dock)
                assert c.service.authority.holds(dock.id)
                await eventually(lambda: watch(c) or task.state == TaskState.ON_SCENE, FLIGHT_S, "on scene")
                return task.task_id   # the console goes away with its drone on scene

        async def second_run(task_id: str) -> dict[str, float]:
            async with service_console(ps.site, ps.url, journal, console_id="console-R") as c:
                task = c.tasks.tasks.get(task_id)
                assert task is not None and task.state.open, c.states_of(task_id)
                assert c.service.authority.holds(dock.id)
                await eventually(lambda: watch(c) or not task.state.open, FLIGHT_S, "the task to end")
                assert task.state == TaskState.COMPLETED, (c.states_of(task), task.reason)
                # In that order; a state journaled again is a change of its reason only (a link lost for a moment
                # and back, as on a starved machine), never another state.
                states = c.states_of(task)
                assert [s for i, s in enumerate(states) if i == 0 or states[i - 1] != s] == [
                    "planned", "preflight", "launching", "en_route", "on_scene", "returning", "landing", "docked",
                    "completed"], states
                # The dock opened for the launch and the return and closes after it, with the drone inside
                await eventually(lambda: watch(c) or c.docks.state(dock.id).cover == CoverState.CLOSED, 30,
                                 "the cover to close")
                assert CoverState.OPEN in covers and covers[0] == CoverState.CLOSED, covers
                assert in_dock[0] is True and False in in_dock and in_dock[-1] is True, in_dock
                s = c.fleet.snapshot(dock.sysid)
                # The dock shows the drone's own battery, and charges it unless PX4 says it is full
                # (PX4's simulated battery drains only while armed).
                assert s.battery_pct is not None
                await eventually(lambda: abs((c.docks.state(dock.id).charge_pct or -9) - s.battery_pct) <= 1.0, 10,
                                 "the dock to show the drone's battery")
                if s.battery_pct < 99.0:
                    await eventually(lambda: c.docks.state(dock.id).charging, 10, "the dock to charge its drone")
                else:
                    assert c.docks.state(dock.id).charging is False
                assert s.armed is False and s.landed == LandedState.ON_GROUND
                assert distance_m(s.lat, s.lon, dock.lat, dock.lon) < 3.0
                await eventually(lambda: not c.service.authority.holds(dock.id), 10, "authority released at the end")
                return _durations(c, task.task_id)

        task_id = asyncio.run(first_run())
        record_timings("px4: dispatch 300 m, console restarted on scene", asyncio.run(second_run(task_id)))


def _at(c: ServiceConsole, sysid: int, point: tuple[float, float], alt_rel_m: float, tol_m: float = 4.0) -> bool:
    s = c.fleet.snapshot(sysid)
    return (s.lat is not None and s.lon is not None and s.alt_rel_m is not None
            and distance_m(s.lat, s.lon, *point) < tol_m and abs(s.alt_rel_m - alt_rel_m) < 2.0)


def _away(c: ServiceConsole, dock: Dock, metres: float) -> bool:
    s = c.fleet.snapshot(dock.sysid)
    return s.lat is not None and s.lon is not None and distance_m(s.lat, s.lon, dock.lat, dock.lon) > metres


def test_every_takeover_on_three_real_autopilots(px4_build: Path, mosquitto: MosquittoBroker, tmp_path: Path) -> None:
    """A: hold, emergency stop (resume locked out), re-activate, resume, go to, change altitude, return home.
    B: land here. C: abort. All three fly at once, as they would on a busy night."""
    # Three autopilots flying at once: at MANY_SPEED, where three of them and the console stay within 2 cores.
    px4 = Px4Sitl(px4_build, tmp_path / "px4", speed_factor=MANY_SPEED)
    try:
        _takeovers(px4, mosquitto, tmp_path, 600.0 / MANY_SPEED)
    finally:
        px4.close()


def _takeovers(px4: Px4Sitl, mosquitto: MosquittoBroker, tmp_path: Path, FLIGHT_S: float) -> None:  # noqa: N803
    with px4_site(px4, mosquitto.url, 3) as ps:
        a, b, cc = ps.site.docks

        async def fly_a(c: ServiceConsole) -> None:
            task = await _dispatch(c, a, 30.0, 400.0)
            await eventually(lambda: task.state == TaskState.EN_ROUTE, FLIGHT_S, "A en route")
            await c.tasks.hold(a.sysid, by="op1")
            await eventually(lambda: c.fleet.snapshot(a.sysid).flight_mode == "HOLD", 10, "A holding")
            stopped = await c.tasks.emergency_stop(a.sysid, by="op1")
            assert stopped.code == "estop.hold_accepted" and a.sysid in c.tasks.locked
            with pytest.raises(CommandRefused) as info:
                await c.tasks.resume(a.sysid, by="op1")
            assert "emergency" in info.value.reason.en
            c.tasks.reactivate(a.sysid, by="op1")
            await c.tasks.resume(a.sysid, by="op1")
            await eventually(lambda: c.fleet.snapshot(a.sysid).flight_mode == "MISSION", 10, "A's mission resumed")
            s = c.fleet.snapshot(a.sysid)
            assert s.lat is not None and s.lon is not None and s.home_alt_amsl_m is not None
            point = destination(s.lat, s.lon, 120.0, 60.0)
            await c.tasks.goto(a.sysid, *point, s.home_alt_amsl_m + 45.0, by="op1")
            await eventually(lambda: _at(c, a.sysid, point, 45.0), FLIGHT_S / 3, "A at the go-to point")
            await c.tasks.change_altitude(a.sysid, 35.0, by="op1")
            await eventually(lambda: _at(c, a.sysid, point, 35.0), FLIGHT_S / 3, "A at 35 m")
            await c.tasks.return_home(a.sysid, by="op1")
            await eventually(lambda: c.fleet.snapshot(a.sysid).flight_mode == "RETURN_TO_LAUNCH", 10, "A returning")
            assert await asyncio.wait_for(task.wait(), FLIGHT_S) == TaskState.COMPLETED, (c.states_of(task), task.reason)
            assert c.commands(f"drone:{a.sysid}") == [
                ("hold", "op1", "accepted"), ("emergency_stop", "op1", "locked"), ("resume", "op1", "refused"),
                ("reactivate", "op1", "accepted"), ("resume", "op1", "accepted"), ("goto", "op1", "accepted"),
                ("change_altitude", "op1", "accepted"), ("return_home", "op1", "accepted")]

        async def fly_b(c: ServiceConsole) -> tuple[float, float]:
            task = await _dispatch(c, b, 90.0, 400.0)
            await eventually(lambda: task.state == TaskState.EN_ROUTE and _away(c, b, 80.0), FLIGHT_S,
                             "B en route, 80 m out")
            s = c.fleet.snapshot(b.sysid)
            assert s.lat is not None and s.lon is not None
            where = (s.lat, s.lon)
            await c.tasks.land_here(b.sysid, by="op2")
            await eventually(lambda: c.fleet.snapshot(b.sysid).flight_mode == "LAND", 10, "B landing")
            assert await asyncio.wait_for(task.wait(), FLIGHT_S) == TaskState.ABORTED
            assert task.reason is not None and "landed" in task.reason.en and task.reason.get("by") == "op2"
            s = c.fleet.snapshot(b.sysid)
            assert s.landed == LandedState.ON_GROUND
            await eventually(lambda: c.fleet.snapshot(b.sysid).armed is False, 15, "B disarmed by PX4 after landing")
            # Where it was told, give or take its braking from cruise speed and the command's way there at x8.
            assert s.lat is not None and s.lon is not None and distance_m(s.lat, s.lon, *where) < 60.0
            assert distance_m(s.lat, s.lon, b.lat, b.lon) > 50.0
            return s.lat, s.lon

        async def fly_c(c: ServiceConsole) -> None:
            task = await _dispatch(c, cc, 200.0, 400.0)
            await eventually(lambda: task.state == TaskState.EN_ROUTE, FLIGHT_S, "C en route")
            await c.tasks.abort(task.task_id, by="op3")
            await eventually(lambda: c.fleet.snapshot(cc.sysid).flight_mode == "RETURN_TO_LAUNCH", 10, "C returning")
            assert await asyncio.wait_for(task.wait(), FLIGHT_S) == TaskState.ABORTED
            assert task.reason is not None and "op3" in task.reason.en
            assert "docked" in c.states_of(task)

        async def scenario() -> None:
            async with service_console(ps.site, ps.url, tmp_path / "j.sqlite") as c:
                await asyncio.gather(fly_a(c), fly_b(c), fly_c(c))
                await eventually(lambda: c.docks.state(a.id).drone_in_dock and c.docks.state(cc.id).drone_in_dock, 20,
                                 "A and C back on their pads")
                assert not c.docks.state(b.id).drone_in_dock

        asyncio.run(scenario())


def test_a_killed_autopilot_is_shown_lost_and_the_task_says_what_the_drone_will_do(
        px4: Px4Sitl, mosquitto: MosquittoBroker, tmp_path: Path) -> None:
    """Two drones, one set to return on a lost link (NAV_DLL_ACT 2, the site's choice) and one left at PX4's
    default (0: no action, it keeps flying); both autopilots are killed mid-flight."""
    with px4_site(px4, mosquitto.url, 2, per_dock={1: {"NAV_DLL_ACT": 0}}) as ps:
        home, keep = ps.site.docks

        async def scenario() -> None:
            async with service_console(ps.site, ps.url, tmp_path / "j.sqlite") as c:
                await eventually(lambda: c.fleet.snapshot(home.sysid).link_loss_action == 2
                                 and c.fleet.snapshot(keep.sysid).link_loss_action == 0, 30, "NAV_DLL_ACT read")
                lost: dict[int, float | None] = {}

                def on_event(e: FleetEvent) -> None:
                    if isinstance(e, LinkStateChanged) and e.link == LinkState.LOST:
                        lost[e.sysid] = e.silent_s

                c.fleet.add_listener(on_event)
                tasks = {d.sysid: await _dispatch(c, d, 45.0, 500.0) for d in (home, keep)}
                for d in (home, keep):
                    await eventually(lambda d=d: tasks[d.sysid].state == TaskState.EN_ROUTE and _away(c, d, 40.0),
                                     FLIGHT_S, f"{d.id} en route")
                for d in (home, keep):
                    ps.sitl.kill(ps.instance(d.sysid))
                for d in (home, keep):
                    await eventually(lambda d=d: d.sysid in lost, 5, f"{d.id} shown lost")
                    # Declared lost by the console's own link check, after at most 2 s of silence.
                    assert lost[d.sysid] is not None and lost[d.sysid] <= 2.0, lost
                    await eventually(lambda d=d: tasks[d.sysid].link_lost, 5, f"{d.id}'s task marked")
                    assert tasks[d.sysid].state.open
                marks = {d.sysid: [r for _, _, _, _, r in c.journal.transitions(tasks[d.sysid].task_id)
                                   if r is not None and r.code == "task.link_lost"] for d in (home, keep)}
                assert marks[home.sysid] and marks[keep.sysid], marks
                assert "return" in marks[home.sysid][-1].en.lower(), marks[home.sysid][-1].en
                assert "return" not in marks[keep.sysid][-1].en.lower(), marks[keep.sysid][-1].en

        asyncio.run(scenario())


def test_arming_refused_by_px4_fails_the_task_in_px4s_own_words(px4: Px4Sitl, mosquitto: MosquittoBroker,
                                                                  tmp_path: Path) -> None:
    # PX4 asks an arm authorizer first (COM_ARM_AUTH_REQ=1) and there is none: the autopilot itself refuses.
    with px4_site(px4, mosquitto.url, 1, params={"COM_ARM_AUTH_REQ": 1}) as ps:
        dock = ps.site.docks[0]

        async def scenario() -> None:
            async with service_console(ps.site, ps.url, tmp_path / "j.sqlite") as c:
                task = await _dispatch(c, dock)
                assert await asyncio.wait_for(task.wait(), FLIGHT_S) == TaskState.FAILED
                assert c.states_of(task) == ["planned", "preflight", "launching", "failed"]
                assert task.reason is not None and task.reason.code == "mav.with_words", task.reason
                assert "Arm auth: No response" in task.reason.en, task.reason.en   # PX4's text, its tab stripped
                await eventually(lambda: c.docks.state(dock.id).cover == CoverState.CLOSED, 20, "cover closed again")
                assert c.fleet.snapshot(dock.sysid).armed is False

        asyncio.run(scenario())
