"""DockClient against a real Mosquitto and the simulated docks (and a dock the test plays itself)."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from vocab import Reason
from hypothesis import given, settings
from hypothesis import strategies as st

from console.core.events import EventBus
from console.core.mqtt_link import MqttLink
from drones.dock_client import DOCK_SILENT_S, DockClient, DockCommandRefused
from drones.dock_osd import parse_osd
from drones.dock_events import DockEvent, DockOffline, DockOnline, DockStateChanged, OfflineReason
from drones.model import CoverState
from drones.mqtt_port import MqttMessage, MqttPort
from drones.sim.docks import DockFleetSim, ServiceResult, WeatherModel
from drones.site import Dock, parse_broker_url
from tests.conftest import MosquittoBroker
from tests.mqtt_port import AiomqttPort, eventually

SHINAN = Dock(id="SN01", name="五四广场", district="shinan", lat=36.0617, lon=120.3844, ground_alt_m=8.0,
              dock_sn="QDDOCK0001", sysid=1, port=14540)
LAOSHAN = Dock(id="LS01", name="石老人", district="laoshan", lat=36.0950, lon=120.4720, ground_alt_m=12.0,
               dock_sn="QDDOCK0002", sysid=2, port=14541)
GHOST = Dock(id="GH01", name="测试机场", district="shibei", lat=36.09, lon=120.37, ground_alt_m=20.0,
             dock_sn="GHOST0003", sysid=3, port=14542)
SCALE = 20.0  # a cover moves in 1 s
COVER_S = 5.0  # generous timeout for a 1 s cover


def full_osd(**data: Any) -> dict[str, Any]:
    body = {"mode_code": 0, "cover_state": 0, "drone_in_dock": True,
            "drone_charge_state": {"state": 0, "capacity_percent": 80}, "wind_speed_m_s": 2.5, "rainfall": 0,
            "environment_temperature_c": 12.5, "network_state": {"type": "ethernet", "quality": 5}}
    return {"tid": "t", "bid": "b", "timestamp": 0, "data": {**body, **data}}


class GhostDock:
    """A dock the test plays by hand: it reports when told and answers services with `answer(request)`."""

    def __init__(self, url: str, dock: Dock) -> None:
        self.dock = dock
        self.port = AiomqttPort(url)
        self.answer: Callable[[dict[str, Any]], Any] = lambda req: None  # None: stay silent
        self.port.subscribe(f"thing/product/{dock.dock_sn}/services", self._on_request)

    async def _on_request(self, message: MqttMessage) -> None:
        reply = self.answer(json.loads(message.payload))  # type: ignore[arg-type]
        if reply is not None:
            await self.send("services_reply", reply)

    async def send(self, kind: str, payload: dict[str, Any] | bytes) -> None:
        await self.port.publish(f"thing/product/{self.dock.dock_sn}/{kind}", payload, qos=1)

    async def status(self, payload: dict[str, Any] | bytes) -> None:
        await self.port.publish(f"sys/product/{self.dock.dock_sn}/status", payload, qos=1, retain=True)

    async def __aenter__(self) -> GhostDock:
        await self.port.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.port.close()


@dataclass
class Harness:
    fleet: DockFleetSim
    client: DockClient
    port: AiomqttPort
    events: list[DockEvent] = field(default_factory=list)

    def events_of(self, kind: type, dock_id: str) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind) and e.dock_id == dock_id]


@asynccontextmanager
async def harness(url: str, *, simulated: tuple[Dock, ...] = (SHINAN, LAOSHAN),
                  site: tuple[Dock, ...] | None = None) -> AsyncIterator[Harness]:
    fleet = DockFleetSim(simulated, url, time_scale=SCALE, seed=7, weather=WeatherModel(calm=True))
    fleet_task = asyncio.create_task(fleet.run())
    port = AiomqttPort(url)
    events: list[DockEvent] = []
    client = DockClient(site or simulated, port, on_event=events.append)
    timer: asyncio.Task[None] | None = None
    try:
        assert await fleet.wait_online(10)
        await port.start()
        timer = asyncio.create_task(client.run())
        yield Harness(fleet, client, port, events)
        assert port.handler_errors == []
    finally:
        if timer is not None:
            timer.cancel()
            await asyncio.gather(timer, return_exceptions=True)
        await port.close()
        await fleet.close()
        await asyncio.wait_for(fleet_task, 10)


def test_states_arrive_and_cover_and_charger_commands_succeed(mosquitto: MosquittoBroker) -> None:
    async def scenario() -> None:
        async with harness(mosquitto.url) as h:
            c = h.client
            for dock in (SHINAN, LAOSHAN):
                await eventually(lambda d=dock: c.usable_for_planning(d.id), 5, f"{dock.id} online")
                assert len(h.events_of(DockOnline, dock.id)) == 1
                s = c.state(dock.id)
                assert (s.online, s.dock_sn, s.cover, s.drone_in_dock, s.mode_code) == (True, dock.dock_sn,
                                                                                        CoverState.CLOSED, True, 0)
                assert isinstance(s.charging, bool) and s.charge_pct is not None and 0 <= s.charge_pct <= 100
                assert s.wind_speed_m_s is not None and s.temperature_c is not None and s.updated_at is not None
                assert s.rainfall in (0, 1, 2, 3) and s.network_quality in (4, 5)
            assert c.online_count == 2

            assert (await c.open_cover("SN01", timeout_s=COVER_S))["result"] == 0
            await eventually(lambda: c.state("SN01").cover is CoverState.OPEN, 5, "osd showing the cover open")
            opened = [e for e in h.events_of(DockStateChanged, "SN01") if e.state.cover is CoverState.OPEN]
            assert opened and "cover" in opened[0].changed and opened[0].previous.cover is not CoverState.OPEN
            assert (await c.close_cover("SN01", timeout_s=COVER_S))["result"] == 0
            await eventually(lambda: c.state("SN01").cover is CoverState.CLOSED, 5, "cover closed again")
            reply = await c.close_cover("SN01")  # already closed: the dock says so, still a success
            assert reply["result"] == 0 and reply["reason_zh"]

            first = c.state("LS01").charging_since   # the first osd's charger state counts from its arrival
            assert first is not None and c.state("LS01").charging is False
            await c.start_charging("LS01")
            await eventually(lambda: c.state("LS01").charging is True, 5, "charging in osd")
            # When the charger switched is kept (the charge trend is fitted from there), not moved by later osds.
            since = c.state("LS01").charging_since
            assert since is not None and since > first
            await eventually(lambda: (c.state("LS01").updated_at or 0) > since + 1, 5, "a later osd")
            assert c.state("LS01").charging_since == since
            await c.stop_charging("LS01")
            await eventually(lambda: c.state("LS01").charging is False, 5, "charging stopped in osd")
            assert (c.state("LS01").charging_since or 0) > since
            assert h.events_of(DockOffline, "SN01") == []

    asyncio.run(scenario())


def test_dock_refusals_arrive_with_the_docks_chinese_and_english_reason(mosquitto: MosquittoBroker) -> None:
    async def scenario() -> None:
        async with harness(mosquitto.url) as h:
            c = h.client
            await eventually(lambda: c.online_count == 2, 5, "docks online")
            h.fleet.dock("SN01").inject("cover_fault")
            with pytest.raises(DockCommandRefused) as refused:
                await c.open_cover("SN01", timeout_s=COVER_S)
            assert refused.value.result == ServiceResult.COVER_FAULT and refused.value.command == "cover_open"
            assert refused.value.reason.get("said") == Reason.data(zh="舱盖电机故障", en="cover motor fault")
            await eventually(lambda: c.state("SN01").cover is CoverState.FAULT, 5, "cover fault in osd")
            assert any(e.state.cover is CoverState.FAULT for e in h.events_of(DockStateChanged, "SN01"))

            h.fleet.dock("LS01").inject("weather_hold")
            with pytest.raises(DockCommandRefused) as refused:
                await c.open_cover("LS01", timeout_s=COVER_S)
            assert refused.value.result == ServiceResult.WIND_TOO_HIGH and refused.value.dock_id == "LS01"
            assert refused.value.reason.get("said").get("zh").startswith("风速") and "wind" in refused.value.reason.en
            await eventually(lambda: (c.state("LS01").wind_speed_m_s or 0) >= 15, 5, "storm wind in osd")

            with pytest.raises(DockCommandRefused) as refused:
                await c.command("LS01", "self_destruct")
            assert refused.value.result == ServiceResult.UNKNOWN_METHOD and "self_destruct" in refused.value.reason.en

    asyncio.run(scenario())


def test_an_offline_dock_is_refused_and_fails_the_command_it_was_running(mosquitto: MosquittoBroker) -> None:
    async def scenario() -> None:
        async with harness(mosquitto.url) as h:
            c, sim = h.client, h.fleet.dock("SN01")
            await eventually(lambda: c.online_count == 2, 5, "docks online")
            opening = asyncio.create_task(c.open_cover("SN01", timeout_s=COVER_S))
            await eventually(lambda: sim.cover_state == 2, 5, "the cover moving")  # 2: moving
            sim.inject("offline")
            with pytest.raises(DockCommandRefused) as refused:
                await opening
            assert refused.value.result is None and "went offline" in refused.value.reason.en
            offline = h.events_of(DockOffline, "SN01")
            assert [e.reason for e in offline] == [OfflineReason.STATUS] and not offline[0].state.online
            assert not c.usable_for_planning("SN01") and c.offline_reason("SN01") is OfflineReason.STATUS
            assert c.usable_for_planning("LS01")

            with pytest.raises(DockCommandRefused) as refused:
                await c.close_cover("SN01")
            assert refused.value.reason.code == "dock.offline_not_sent" and "offline" in refused.value.reason.en

            sim.inject("offline", on=False)
            await eventually(lambda: c.usable_for_planning("SN01"), 10, "back online")
            assert len(h.events_of(DockOnline, "SN01")) == 2 and c.offline_reason("SN01") is None

    asyncio.run(scenario())


def test_unanswered_command_times_out_silent_dock_goes_offline_and_link_down_refuses(
        mosquitto: MosquittoBroker) -> None:
    async def scenario() -> None:
        async with harness(mosquitto.url, simulated=(SHINAN,), site=(SHINAN, GHOST)) as h, \
                GhostDock(mosquitto.url, GHOST) as ghost:
            c = h.client
            await ghost.status({"dock_sn": GHOST.dock_sn, "online": True, "ts": 0})
            await ghost.send("osd", full_osd())
            await eventually(lambda: c.usable_for_planning("GH01"), 5, "ghost online")

            with pytest.raises(DockCommandRefused) as refused:
                await c.open_cover("GH01", timeout_s=0.5)
            assert refused.value.reason == Reason.of("dock.no_answer", timeout_s=0.5)
            assert refused.value.reason.en == "dock did not answer in 0.5 s" and refused.value.result is None

            # No more osd: the ghost goes silent while its status still says online.
            await eventually(lambda: not c.usable_for_planning("GH01"), DOCK_SILENT_S + 2, "silence noticed")
            assert [e.reason for e in h.events_of(DockOffline, "GH01")] == [OfflineReason.SILENT]
            assert c.offline_reason("GH01") is OfflineReason.SILENT
            assert c.usable_for_planning("SN01") and h.events_of(DockOffline, "SN01") == []

            await h.port.drop()
            with pytest.raises(DockCommandRefused) as refused:
                await c.close_cover("SN01")
            assert refused.value.reason.code == "dock.mqtt_down" and "MQTT link down" in refused.value.reason.en

    asyncio.run(scenario())


def test_malformed_messages_are_logged_with_the_dock_and_survived(mosquitto: MosquittoBroker,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="drones.dock_client")

    def reply(req: dict[str, Any], data: Any) -> dict[str, Any]:
        return {"tid": req["tid"], "bid": req["bid"], "method": req["method"], "data": data}

    async def scenario() -> None:
        async with harness(mosquitto.url, simulated=(SHINAN,), site=(SHINAN, GHOST)) as h, \
                GhostDock(mosquitto.url, GHOST) as ghost:
            c = h.client
            await ghost.status({"dock_sn": GHOST.dock_sn, "online": True, "ts": 0})
            await ghost.send("osd", full_osd())
            await eventually(lambda: c.usable_for_planning("GH01") and c.usable_for_planning("SN01"), 5, "online")

            for bad in (b"\xff\xfe", b"[1, 2]", b'{"data": 5}', b"NaN", b""):
                await ghost.send("osd", bad)
                await ghost.port.publish(f"thing/product/{SHINAN.dock_sn}/osd", bad)
            await ghost.status(b"not json")
            await ghost.status({"dock_sn": GHOST.dock_sn, "online": "yes"})
            await ghost.send("services_reply", b"{")
            await ghost.send("services_reply", {"tid": 5, "data": {"result": 0}})
            await ghost.port.publish("thing/product/NOT-OURS/osd", b"garbage from another site")
            # Partial osd with bad fields: the good ones apply, the bad ones are named and skipped.
            await ghost.send("osd", {"data": {"wind_speed_m_s": 3.5, "cover_state": "open",
                                              "drone_charge_state": 7, "rainfall": 9}})
            await eventually(lambda: c.state("GH01").wind_speed_m_s == 3.5, 5, "the partial osd applied")
            s = c.state("GH01")
            assert (s.online, s.cover, s.rainfall, s.charge_pct, s.drone_in_dock) == (True, CoverState.CLOSED,
                                                                                       0, 80.0, True)

            ghost.answer = lambda req: reply(req, "done")
            with pytest.raises(DockCommandRefused) as refused:
                await c.command("GH01", "cover_open", timeout_s=COVER_S)
            assert refused.value.reason.code == "dock.unreadable_answer"
            ghost.answer = lambda req: reply(req, {"result": 42})
            with pytest.raises(DockCommandRefused) as refused:
                await c.command("GH01", "cover_open", timeout_s=COVER_S)
            assert refused.value.result == 42 and refused.value.reason.en == "the dock refused (code 42)"
            ghost.answer = lambda req: reply(req, {"result": 0, "reason": "fine", "reason_zh": "好"})
            assert (await c.command("GH01", "cover_open", {"x": 1}, timeout_s=COVER_S))["reason"] == "fine"

            since = time.monotonic()
            await eventually(lambda: (c.state("SN01").updated_at or 0) > since, 5, "the simulated dock reporting on")
            assert (await c.close_cover("SN01"))["result"] == 0
            assert c.usable_for_planning("SN01") and c.usable_for_planning("GH01")

    asyncio.run(scenario())
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    for what in ("osd", "status", "services_reply"):
        assert any(w.startswith(f"dock {GHOST.dock_sn}: unusable {what}") for w in warnings), what
    assert any(w.startswith(f"dock {SHINAN.dock_sn}: unusable osd") for w in warnings)
    assert any("cover_state" in w and "rainfall" in w and "drone_charge_state" in w for w in warnings)
    assert not any("NOT-OURS" in w for w in warnings)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                    max_leaves=8)
OSD_KEYS = st.sampled_from(["mode_code", "cover_state", "drone_in_dock", "drone_charge_state", "wind_speed_m_s",
                            "rainfall", "environment_temperature_c", "network_state", "extra"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(OSD_KEYS, JSON | st.fixed_dictionaries({"state": JSON, "capacity_percent": JSON,
                                                                "quality": JSON})), st.binary(max_size=40))
def test_reading_osd_never_raises_and_yields_only_typed_fields(data: dict[str, Any], junk: bytes) -> None:
    updates, problems = parse_osd(json.dumps({"data": data}).encode())
    assert updates is not None and all(isinstance(p, str) for p in problems)
    for name, value in updates.items():
        if name == "cover":
            assert isinstance(value, CoverState)
        elif name in ("drone_in_dock", "charging"):
            assert value is None or isinstance(value, bool)
        else:
            assert value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)), (name, value)
    parsed, problems = parse_osd(junk)
    assert parsed is None or isinstance(parsed, dict)


def test_reading_osd_names_out_of_range_values() -> None:
    updates, problems = parse_osd(json.dumps({"data": {
        "wind_speed_m_s": 10 ** 400, "rainfall": 2.0, "environment_temperature_c": None, "mode_code": True,
        "drone_charge_state": None, "network_state": {"quality": 9}, "cover_state": 3}}).encode())
    assert updates == {"rainfall": 2, "temperature_c": None, "charging": None, "charge_pct": None,
                       "cover": CoverState.FAULT}
    assert [p.split(":")[0] for p in problems] == ["mode_code", "wind_speed_m_s", "network_state.quality"]


def shape(fn: Callable[..., Any]) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


def test_the_consoles_mqtt_link_and_the_test_port_are_mqtt_ports() -> None:
    link = MqttLink(parse_broker_url("mqtt://127.0.0.1:1"), console_id="c1", topic_root="qdcb", bus=EventBus())
    assert isinstance(link, MqttPort)
    for impl in (MqttLink, AiomqttPort):
        for name in ("subscribe", "publish"):
            assert shape(getattr(impl, name)) == shape(getattr(MqttPort, name)), (impl, name)
    client = DockClient((SHINAN,), link, on_event=lambda e: None)
    assert not client.usable_for_planning("SN01") and client.state("SN01").cover is CoverState.UNKNOWN
