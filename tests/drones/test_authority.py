"""Command authority over retained messages: two consoles on one real Mosquitto see one holder."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

import pytest

from drones.authority import CommandAuthority
from drones.dock_client import DockClient, DockCommandRefused
from drones.dock_events import AuthorityChanged, AuthorityHolder
from drones.model import CommandRefused
from drones.sim.docks import DockFleetSim, WeatherModel
from drones.site import Dock
from tests.conftest import MosquittoBroker
from tests.mqtt_port import AiomqttPort, eventually

SHINAN = Dock(id="SN01", name="五四广场", district="shinan", lat=36.0617, lon=120.3844, ground_alt_m=8.0,
              dock_sn="QDDOCK0001", sysid=1, port=14540)
LAOSHAN = Dock(id="LS01", name="石老人", district="laoshan", lat=36.0950, lon=120.4720, ground_alt_m=12.0,
               dock_sn="QDDOCK0002", sysid=2, port=14541)
SCALE = 20.0
DOCKS = (SHINAN, LAOSHAN)
ROOT = "qdcb"


@dataclass
class Console:
    """One console's authority view on its own MQTT connection."""

    console_id: str
    port: AiomqttPort
    authority: CommandAuthority
    events: list[AuthorityChanged] = field(default_factory=list)


@asynccontextmanager
async def console(url: str, console_id: str, docks: tuple[Dock, ...] = DOCKS) -> AsyncIterator[Console]:
    port = AiomqttPort(url, client_id=f"console-{console_id}")
    events: list[AuthorityChanged] = []
    authority = CommandAuthority(docks, port, console_id, ROOT, on_event=events.append)
    await port.start()
    try:
        yield Console(console_id, port, authority, events)
        assert port.handler_errors == []
    finally:
        await port.close()


def held_by(c: Console, dock_id: str, console_id: str | None) -> bool:
    holder = c.authority.holder(dock_id)
    return (holder.console if holder is not None else None) == console_id


def test_two_consoles_agree_take_is_refused_force_works_and_release_clears(
        mosquitto: MosquittoBroker, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="drones.authority")

    async def scenario() -> None:
        async with console(mosquitto.url, "A") as a, console(mosquitto.url, "B") as b:
            assert a.authority.holder("SN01") is None and not a.authority.holds("SN01")
            assert await a.authority.take("SN01", "张三") is None
            assert a.authority.holds("SN01")
            await eventually(lambda: held_by(b, "SN01", "A"), 5, "B to see A's authority")
            assert b.authority.holder("SN01") == AuthorityHolder("SN01", "A", "张三", b.authority.holder("SN01").ts)
            assert b.authority.holder("SN01").ts is not None and not b.authority.holds("SN01")
            assert [(e.holder.console, e.mine) for e in b.events if e.holder] == [("A", False)]
            assert [(e.dock_id, e.mine, e.previous) for e in a.events] == [("SN01", True, None)]
            assert b.authority.holder("LS01") is None

            with pytest.raises(CommandRefused) as refused:
                await b.authority.take("SN01", "李四")
            assert refused.value.reason.get("operator") == "张三" and refused.value.reason.get("console") == "A"
            assert "held by 张三 at console A" in refused.value.reason.en and refused.value.command == "take_authority"
            with pytest.raises(CommandRefused):
                b.authority.require("SN01", "cover_open")
            with pytest.raises(CommandRefused):
                await b.authority.release("SN01")
            a.authority.require("SN01", "cover_open")

            # A console that starts later sees the same holder (retained).
            async with console(mosquitto.url, "C") as c:
                await eventually(lambda: held_by(c, "SN01", "A"), 5, "the late joiner to see A")

            displaced = await b.authority.take("SN01", "李四", force=True)
            assert displaced is not None and (displaced.console, displaced.operator) == ("A", "张三")
            await eventually(lambda: held_by(a, "SN01", "B"), 5, "A to learn it lost authority")
            assert not a.authority.holds("SN01") and b.authority.holds("SN01")
            lost = a.events[-1]
            assert (lost.mine, lost.previous.console, lost.holder.operator) == (False, "A", "李四")

            # Taking it again at the holding console (another operator) is no refusal.
            assert await b.authority.take("SN01", "王五") is None
            await eventually(lambda: a.authority.holder("SN01").operator == "王五", 5, "operator change seen")

            await b.authority.release("SN01")
            assert b.authority.holder("SN01") is None
            await eventually(lambda: held_by(a, "SN01", None), 5, "A to see the release")
            assert a.events[-1].holder is None and a.events[-1].previous.console == "B"
            await a.authority.release("SN01")  # nobody holds it: nothing to do

            # Malformed or foreign messages on the authority topics change nothing and raise nothing.
            await a.authority.take("LS01", "张三")
            for bad in (b"\xff", b"[]", b'{"dock_id": "SN01", "console": "X", "operator": "x"}',
                        b'{"dock_id": "LS01", "console": "", "operator": "x"}'):
                await a.port.publish(f"{ROOT}/console/v1/authority/LS01", bad, retain=True)
            await a.port.publish(f"{ROOT}/console/v1/authority/ELSEWHERE", b'{"dock_id": "ELSEWHERE"}', retain=True)
            await b.authority.take("SN01", "李四")  # a marker message after the bad ones
            await eventually(lambda: held_by(a, "SN01", "B"), 5, "the marker")
            assert held_by(a, "LS01", "A") and held_by(b, "LS01", "A")
            with pytest.raises(KeyError):
                a.authority.holder("ELSEWHERE")

            await a.port.drop()
            with pytest.raises(CommandRefused) as refused:
                await a.authority.release("LS01")
            assert "MQTT link down" in refused.value.reason.en

    asyncio.run(scenario())
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(w.startswith("dock LS01: unusable authority message") for w in warnings)
    assert any("forced from A/张三 to B/李四" in w for w in warnings)


def test_dock_commands_need_authority_when_the_client_is_given_one(mosquitto: MosquittoBroker) -> None:
    async def scenario() -> None:
        fleet = DockFleetSim((SHINAN,), mosquitto.url, time_scale=SCALE, seed=7, weather=WeatherModel(calm=True))
        fleet_task = asyncio.create_task(fleet.run())
        try:
            assert await fleet.wait_online(10)
            async with AsyncExitStack() as stack:
                a = await stack.enter_async_context(console(mosquitto.url, "A", (SHINAN,)))
                b = await stack.enter_async_context(console(mosquitto.url, "B", (SHINAN,)))
                docks_a = DockClient((SHINAN,), a.port, on_event=lambda e: None, authority=a.authority)
                docks_b = DockClient((SHINAN,), b.port, on_event=lambda e: None, authority=b.authority)
                await eventually(lambda: docks_a.usable_for_planning("SN01") and docks_b.usable_for_planning("SN01"),
                                 5, "the dock online at both consoles")

                with pytest.raises(CommandRefused) as refused:
                    await docks_a.close_cover("SN01")
                assert "take command authority" in refused.value.reason.en
                assert not isinstance(refused.value, DockCommandRefused)  # refused before anything was sent

                await a.authority.take("SN01", "张三")
                assert (await docks_a.close_cover("SN01"))["result"] == 0
                await eventually(lambda: held_by(b, "SN01", "A"), 5, "B to see A's authority")
                with pytest.raises(CommandRefused) as refused:
                    await docks_b.close_cover("SN01")
                assert "read-only" in refused.value.reason.en
        finally:
            await fleet.close()
            await asyncio.wait_for(fleet_task, 10)

    asyncio.run(scenario())
