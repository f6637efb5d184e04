"""The simulated drones, driven by MAVSDK 4 over real UDP exactly as the console drives them."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mavsdk.asyncio import ComponentType, Configuration, Mavsdk, System
from mavsdk.asyncio.plugins.action import ActionAsync
from mavsdk.asyncio.plugins.mission_raw import MissionRawAsync
from mavsdk.asyncio.plugins.telemetry import TelemetryAsync
from mavsdk.plugins.action import ActionError, ActionResult
from mavsdk.plugins.mission_raw import MissionItem, MissionRawError
from mavsdk.plugins.telemetry import FlightMode
from pymavlink.dialects.v20 import common as mav

from drones.drone_control import MavsdkDroneControl
from drones.geo import destination, distance_m
from drones.site import Dock
from tests.drones.sim.conftest import SimThread, make_docks

REL = mav.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT


class Drone:
    """MAVSDK plugins of one connected system."""

    def __init__(self, system: System, dock: Dock) -> None:
        self.system, self.dock = system, dock
        self.action = ActionAsync(system)
        self.telemetry = TelemetryAsync(system)
        self.mission = MissionRawAsync(system)


@asynccontextmanager
async def connect(docks: list[Dock], timeout_s: float = 15.0) -> AsyncIterator[list[Drone]]:
    m = Mavsdk(Configuration.create_with_component_type(ComponentType.GROUND_STATION))
    try:
        for d in docks:
            await m.add_any_connection(d.mavlink_url)
        deadline = time.monotonic() + timeout_s
        by_id: dict[int, System] = {}
        while len(by_id) < len(docks):
            assert time.monotonic() < deadline, f"only {len(by_id)} of {len(docks)} drones discovered"
            for s in await m.get_systems():
                if await s.is_connected():
                    by_id[await s.get_system_id()] = s
            await asyncio.sleep(0.05)  # polling MAVSDK's system list
        yield [Drone(by_id[d.sysid], d) for d in docks]
    finally:
        m.destroy()


async def until(stream: AsyncIterator[Any], pred: Callable[[Any], bool], timeout_s: float = 30.0) -> Any:
    """First value of a MAVSDK stream that satisfies pred."""
    async with asyncio.timeout(timeout_s):
        async for value in stream:
            if pred(value):
                return value
    raise AssertionError("stream ended")


async def healthy(d: Drone) -> None:
    await until(d.telemetry.subscribe_health(), lambda h: h.is_global_position_ok and h.is_home_position_ok
                and h.is_armable, 10)


async def take_off(d: Drone, alt_m: float = 20.0) -> None:
    await healthy(d)
    await d.action.set_takeoff_altitude(alt_m)
    await d.action.arm()
    await d.action.takeoff()
    await until(d.telemetry.subscribe_position(), lambda p: p.relative_altitude_m > alt_m - 0.5, 30)


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(coro)  # type: ignore[arg-type]


def item(seq: int, command: int, lat: float = 0.0, lon: float = 0.0, alt: float = 0.0,
         p1: float = 0.0, p2: float = 0.0, p3: float = 0.0, p4: float = math.nan) -> MissionItem:
    return MissionItem(seq, REL, command, 1 if seq == 0 else 0, 1, p1, p2, p3, p4,
                       int(round(lat * 1e7)), int(round(lon * 1e7)), alt, mav.MAV_MISSION_TYPE_MISSION)


def test_discovered_healthy_with_home_battery_and_takeoff_altitude_param(sim_one: SimThread) -> None:
    dock = sim_one.docks[0]

    async def scenario() -> None:
        async with connect([dock]) as (d,):
            await healthy(d)
            home = await until(d.telemetry.subscribe_home(), lambda h: not math.isnan(h.latitude_deg), 10)
            assert distance_m(home.latitude_deg, home.longitude_deg, dock.lat, dock.lon) < 0.5
            assert abs(home.absolute_altitude_m - dock.ground_alt_m) < 0.1
            battery = await until(d.telemetry.subscribe_battery(), lambda b: b.remaining_percent > 0, 5)
            assert 60 <= battery.remaining_percent <= 100 and 14 < battery.voltage_v < 17
            assert await d.telemetry.flight_mode() == FlightMode.HOLD
            await d.action.set_takeoff_altitude(33.0)
            assert abs(await d.action.get_takeoff_altitude() - 33.0) < 1e-3
            gps = await until(d.telemetry.subscribe_gps_info(), lambda g: g.num_satellites > 0, 5)
            assert gps.num_satellites >= 10

    run(scenario())


def test_mission_uploads_downloads_and_flies_to_completion_then_lands_in_the_dock() -> None:
    sim = SimThread(make_docks(1), time_scale=20.0)
    dock = sim.docks[0]
    wp_lat, wp_lon = destination(dock.lat, dock.lon, 60.0, 400.0)
    plan = [
        item(0, mav.MAV_CMD_NAV_TAKEOFF, dock.lat, dock.lon, 40.0),
        item(1, mav.MAV_CMD_DO_CHANGE_SPEED, p2=12.0),
        item(2, mav.MAV_CMD_NAV_WAYPOINT, wp_lat, wp_lon, 60.0),
        item(3, mav.MAV_CMD_NAV_LOITER_TIME, wp_lat, wp_lon, 60.0, p1=20.0, p3=40.0),
        item(4, mav.MAV_CMD_NAV_RETURN_TO_LAUNCH),
    ]

    async def scenario() -> None:
        async with connect([dock]) as (d,):
            await healthy(d)
            await d.mission.upload_mission(plan)
            downloaded = await d.mission.download_mission()
            assert [(i.command, i.x, i.y) for i in downloaded] == [(i.command, i.x, i.y) for i in plan]
            await d.action.arm()
            # Started as the console starts it: mission mode is refused until the new mission is checked (PX4).
            await MavsdkDroneControl(d.action, d.mission).start_mission()
            assert await until(d.telemetry.subscribe_flight_mode(), lambda m: m == FlightMode.MISSION, 5)
            far = await until(d.telemetry.subscribe_position(),
                              lambda p: distance_m(p.latitude_deg, p.longitude_deg, wp_lat, wp_lon) < 45, 60)
            assert far.relative_altitude_m > 55
            await until(d.mission.subscribe_mission_progress(), lambda p: p.current == p.total == 5, 60)
            assert await until(d.telemetry.subscribe_flight_mode(), lambda m: m == FlightMode.RETURN_TO_LAUNCH, 5)
            await until(d.telemetry.subscribe_armed(), lambda armed: not armed, 90)
            pos = await d.telemetry.position()
            assert distance_m(pos.latitude_deg, pos.longitude_deg, dock.lat, dock.lon) < 1.0
            assert abs(pos.relative_altitude_m) < 0.2

    try:
        run(scenario())
        assert sim.do(sim.fleet.in_dock, dock.sysid)
    finally:
        sim.close()


def test_goto_hold_and_land_here(sim_one: SimThread) -> None:
    dock = sim_one.docks[0]
    target = destination(dock.lat, dock.lon, 200.0, 150.0)

    async def scenario() -> None:
        async with connect([dock]) as (d,):
            await take_off(d)
            await d.action.goto_location(target[0], target[1], dock.ground_alt_m + 35.0, float("nan"))
            pos = await until(d.telemetry.subscribe_position(),
                              lambda p: distance_m(p.latitude_deg, p.longitude_deg, *target) < 2.0
                              and abs(p.relative_altitude_m - 35.0) < 1.0, 40)
            assert pos is not None
            await d.action.hold()
            assert await until(d.telemetry.subscribe_flight_mode(), lambda m: m == FlightMode.HOLD, 5)
            await d.action.land()
            await until(d.telemetry.subscribe_landed_state(), lambda s: s.name == "ON_GROUND", 60)
            await until(d.telemetry.subscribe_armed(), lambda a: not a, 10)
            here = await d.telemetry.position()
            assert distance_m(here.latitude_deg, here.longitude_deg, *target) < 3.0

    run(scenario())


def test_refusals_arrive_as_typed_mavsdk_errors_with_a_status_text(sim_one: SimThread) -> None:
    dock = sim_one.docks[0]

    async def scenario() -> None:
        async with connect([dock]) as (d,):
            await healthy(d)
            sim_one.do(sim_one.fleet.set_battery, dock.sysid, 10.0)
            texts = d.telemetry.subscribe_status_text()
            with pytest.raises(ActionError) as info:
                await d.action.arm()
            refused_at = time.monotonic()
            assert info.value.result == ActionResult.COMMAND_DENIED
            text = await until(texts, lambda t: "Arming denied" in t.text, 5)
            # As PX4 does: the reason follows the refusal's ACK within a fraction of a second, and ends with a tab.
            assert time.monotonic() - refused_at < 1.0
            assert "low battery" in text.text and text.text.endswith("\t")
            bad = [item(0, mav.MAV_CMD_NAV_TAKEOFF, dock.lat, dock.lon, 20.0),
                   item(1, mav.MAV_CMD_DO_WINCH, p1=1.0)]  # a command this drone cannot fly
            with pytest.raises(MissionRawError):
                await d.mission.upload_mission(bad)
            sim_one.do(sim_one.fleet.set_no_ack, dock.sysid, True)
            with pytest.raises(ActionError) as info:
                await d.action.hold()
            assert info.value.result == ActionResult.TIMEOUT

    run(scenario())


def test_link_loss_makes_the_drone_return_on_its_own() -> None:
    sim = SimThread(make_docks(1), time_scale=10.0)
    dock = sim.docks[0]
    sim.do(lambda: sim.fleet.vehicle(dock.sysid).params.__setitem__("COM_DL_LOSS_T", (mav.MAV_PARAM_TYPE_INT32, 2)))
    away = destination(dock.lat, dock.lon, 90.0, 200.0)

    async def scenario() -> None:
        async with connect([dock]) as (d,):
            await take_off(d)
            await d.action.goto_location(away[0], away[1], dock.ground_alt_m + 30.0, float("nan"))
            await until(d.telemetry.subscribe_position(),
                        lambda p: distance_m(p.latitude_deg, p.longitude_deg, dock.lat, dock.lon) > 100, 30)
            sim.do(sim.fleet.drop_link, dock.sysid, 4.0)
            await until(d.system.is_connected_state(), lambda c: not c, 10)
            await until(d.system.is_connected_state(), lambda c: c, 15)
            assert await until(d.telemetry.subscribe_flight_mode(), lambda m: m == FlightMode.RETURN_TO_LAUNCH, 5)
            await until(d.telemetry.subscribe_armed(), lambda a: not a, 90)

    try:
        run(scenario())
        assert sim.do(sim.fleet.in_dock, dock.sysid)
    finally:
        sim.close()


def test_battery_and_gps_failsafes(sim_one: SimThread) -> None:
    dock = sim_one.docks[0]

    async def scenario() -> None:
        async with connect([dock]) as (d,):
            await take_off(d)
            sim_one.do(sim_one.fleet.set_battery, dock.sysid, 14.0)
            assert await until(d.telemetry.subscribe_flight_mode(), lambda m: m == FlightMode.RETURN_TO_LAUNCH, 5)
            sim_one.do(sim_one.fleet.set_battery, dock.sysid, 6.0)
            assert await until(d.telemetry.subscribe_flight_mode(), lambda m: m == FlightMode.LAND, 5)
            await until(d.telemetry.subscribe_armed(), lambda a: not a, 60)
            sim_one.do(sim_one.fleet.set_battery, dock.sysid, 90.0)
            await take_off(d, 15.0)
            # Watched from before the loss: at x10 the landing is over in a second or two, and once disarmed
            # the drone shows Hold again (as PX4 does after a landing).
            modes: list[FlightMode] = []

            async def watch() -> None:
                async for m in d.telemetry.subscribe_flight_mode():
                    modes.append(m)

            watcher = asyncio.create_task(watch())
            await until(d.telemetry.subscribe_flight_mode(), lambda m: bool(modes), 5)
            sim_one.do(sim_one.fleet.set_gps_lost, dock.sysid, True)
            await until(d.telemetry.subscribe_health(), lambda h: not h.is_global_position_ok, 5)
            deadline = time.monotonic() + 5
            while FlightMode.LAND not in modes:
                assert time.monotonic() < deadline, f"no Land after the position was lost: {modes}"
                await asyncio.sleep(0.05)  # polling the watched modes
            watcher.cancel()

    run(scenario())


def test_56_drones_are_discovered_and_healthy_through_one_mavsdk() -> None:
    sim = SimThread(make_docks(56), time_scale=1.0)

    async def scenario() -> None:
        async with connect(sim.docks, timeout_s=20) as drones:
            assert len({await d.system.get_system_id() for d in drones}) == 56
            await asyncio.gather(*(healthy(d) for d in drones))

    try:
        run(scenario())
    finally:
        sim.close()
