"""Simulated docks against a real Mosquitto: status and last will, osd, services and faults."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiomqtt
from hypothesis import given, settings
from hypothesis import strategies as st

from drones.sim.docks import (
    WIND_LIMIT_M_S,
    CoverState,
    DockFleetSim,
    ServiceResult,
    WeatherModel,
    parse_service_request,
)
from drones.site import Dock, parse_broker_url
from tests.conftest import MosquittoBroker
from tests.mqtt_port import eventually

SHINAN = Dock(id="SN01", name="五四广场", district="shinan", lat=36.0617, lon=120.3844, ground_alt_m=8.0,
              dock_sn="QDDOCK0001", sysid=1, port=14540)
LAOSHAN = Dock(id="LS01", name="石老人", district="laoshan", lat=36.0950, lon=120.4720, ground_alt_m=12.0,
               dock_sn="QDDOCK0002", sysid=2, port=14541)
SCALE = 20.0  # cover 20 s -> 1 s


@dataclass(frozen=True, slots=True)
class Received:
    topic: str
    payload: bytes
    retain: bool
    t: float

    def json(self) -> Any:
        return json.loads(self.payload)


class Observer:
    """A console-side MQTT client that records everything the docks say and sends them requests."""

    def __init__(self, url: str) -> None:
        cfg = parse_broker_url(url)
        self.client = aiomqtt.Client(cfg.host, cfg.port, protocol=aiomqtt.ProtocolVersion.V311)
        self.got: list[Received] = []
        self._task: asyncio.Task[None] | None = None
        self._tid = 0

    async def __aenter__(self) -> Observer:
        await self.client.__aenter__()
        await self.client.subscribe("thing/product/+/osd", qos=0)
        for topic in ("thing/product/+/services_reply", "thing/product/+/events", "sys/product/+/status"):
            await self.client.subscribe(topic, qos=1)
        self._task = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self.client.__aexit__(None, None, None)

    async def _read(self) -> None:
        async for m in self.client.messages:
            payload = bytes(m.payload)  # type: ignore[arg-type]
            self.got.append(Received(str(m.topic), payload, bool(m.retain), time.monotonic()))

    def on(self, topic: str, since: float = 0.0) -> list[Received]:
        return [r for r in self.got if r.topic == topic and r.t >= since]

    def osd(self, dock: Dock, since: float = 0.0) -> list[dict[str, Any]]:
        return [r.json() for r in self.on(f"thing/product/{dock.dock_sn}/osd", since)]

    def statuses(self, dock: Dock) -> list[dict[str, Any]]:
        return [r.json() for r in self.on(f"sys/product/{dock.dock_sn}/status")]

    async def send(self, dock: Dock, payload: bytes | str) -> None:
        await self.client.publish(f"thing/product/{dock.dock_sn}/services", payload, qos=1)

    async def call(self, dock: Dock, method: str, timeout_s: float = 5.0) -> tuple[dict[str, Any], float]:
        """Sends a service request; returns its reply and the seconds it took."""
        self._tid += 1
        tid, bid = f"tid-{self._tid}", f"bid-{self._tid}"
        t0 = time.monotonic()
        await self.send(dock, json.dumps({"tid": tid, "bid": bid, "timestamp": 0, "method": method, "data": {}}))
        reply = await eventually(lambda: self.reply(dock, tid), timeout_s, f"reply to {method}")
        assert reply["bid"] == bid and reply["method"] == method and reply["gateway"] == dock.dock_sn
        return reply, time.monotonic() - t0

    def reply(self, dock: Dock, tid: str) -> dict[str, Any] | None:
        for r in self.on(f"thing/product/{dock.dock_sn}/services_reply"):
            body = r.json()
            if body.get("tid") == tid:
                return body
        return None


@asynccontextmanager
async def running(url: str, *docks: Dock, time_scale: float = SCALE) -> AsyncIterator[tuple[DockFleetSim, Observer]]:
    fleet = DockFleetSim(docks or (SHINAN, LAOSHAN), url, time_scale=time_scale, seed=7,
                         weather=WeatherModel(calm=True))
    task = asyncio.create_task(fleet.run())
    try:
        assert await fleet.wait_online(10)
        async with Observer(url) as obs:
            yield fleet, obs
    finally:
        await fleet.close()
        await asyncio.wait_for(task, 10)


async def read_retained(url: str, topic: str) -> dict[str, Any]:
    cfg = parse_broker_url(url)
    async with aiomqtt.Client(cfg.host, cfg.port, protocol=aiomqtt.ProtocolVersion.V311) as c:
        await c.subscribe(topic, qos=1)
        async with asyncio.timeout(5):
            async for m in c.messages:
                assert m.retain
                return json.loads(m.payload)  # type: ignore[arg-type]
    raise AssertionError("no retained message")


def test_status_retained_and_osd_at_about_1_hz_with_documented_fields(mosquitto: MosquittoBroker) -> None:
    async def scenario() -> None:
        async with running(mosquitto.url) as (fleet, obs):
            for dock in (SHINAN, LAOSHAN):
                status = await eventually(lambda d=dock: obs.on(f"sys/product/{d.dock_sn}/status"), 5, "status")
                assert status[0].retain and status[0].json()["online"] is True
            osd = await eventually(lambda: len(obs.osd(SHINAN)) >= 4 and obs.osd(SHINAN), 8, "4 osd messages")
        stamps = [m["timestamp"] for m in osd[:4]]
        assert 0.6 <= (stamps[-1] - stamps[0]) / 3 / 1000 <= 1.6
        m = osd[0]
        assert m["gateway"] == SHINAN.dock_sn and isinstance(m["tid"], str) and isinstance(m["bid"], str)
        assert abs(m["timestamp"] / 1000 - time.time()) < 60
        d = m["data"]
        assert d["mode_code"] in (0, 1, 2, 3, 4) and d["cover_state"] == 0 and d["drone_in_dock"] is True
        assert d["drone_charge_state"]["state"] in (0, 1)
        assert isinstance(d["drone_charge_state"]["capacity_percent"], int)
        assert isinstance(d["wind_speed_m_s"], float) and d["rainfall"] in (0, 1, 2, 3)
        assert isinstance(d["environment_temperature_c"], float)
        assert d["network_state"]["type"] == "ethernet" and 0 <= d["network_state"]["quality"] <= 5
        assert d["sub_device"]["device_sn"] and d["sub_device"]["device_online_status"] in (0, 1)
        assert (d["latitude"], d["longitude"], d["height"]) == (SHINAN.lat, SHINAN.lon, SHINAN.ground_alt_m)

    asyncio.run(scenario())


def test_offline_fault_fires_the_last_will_and_the_dock_comes_back(mosquitto: MosquittoBroker) -> None:
    async def scenario() -> None:
        fleet = DockFleetSim((SHINAN, LAOSHAN), mosquitto.url, time_scale=SCALE, seed=7,
                             weather=WeatherModel(calm=True))
        task = asyncio.create_task(fleet.run())
        assert await fleet.wait_online(10)
        async with Observer(mosquitto.url) as obs:
            await eventually(lambda: obs.osd(SHINAN), 5, "first osd")
            fleet.dock("SN01").inject("offline")
            await eventually(lambda: any(s["online"] is False for s in obs.statuses(SHINAN)), 5, "last will")
            assert (await read_retained(mosquitto.url, f"sys/product/{SHINAN.dock_sn}/status"))["online"] is False
            silent_since = time.monotonic()
            # While the other dock reports twice more, the offline one says nothing.
            await eventually(lambda: len(obs.osd(LAOSHAN, silent_since)) >= 2, 5, "two osd from the other dock")
            assert obs.osd(SHINAN, silent_since) == []
            fleet.dock("SN01").inject("offline", on=False)
            await eventually(lambda: obs.statuses(SHINAN)[-1]["online"] is True, 5, "back online")
            await eventually(lambda: obs.osd(SHINAN, time.monotonic() - 0.5), 5, "osd again")
            # Killed without a goodbye: the broker speaks for every dock.
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            for dock in (SHINAN, LAOSHAN):
                await eventually(lambda d=dock: obs.statuses(d)[-1]["online"] is False, 5, f"{dock.id} last will")

    asyncio.run(scenario())


def test_cover_open_replies_after_its_scaled_duration_and_close_is_idempotent(mosquitto: MosquittoBroker) -> None:
    async def scenario() -> None:
        async with running(mosquitto.url) as (fleet, obs):
            reply, took = await obs.call(SHINAN, "cover_open")
            assert reply["data"]["result"] == 0, reply
            assert took >= 0.9 * 20.0 / SCALE
            events = [r.json() for r in obs.on(f"thing/product/{SHINAN.dock_sn}/events")]
            assert [e["data"]["output"]["status"] for e in events if e["tid"] == reply["tid"]] == ["in_progress", "ok"]
            assert fleet.dock("SN01").cover_open
            after = time.monotonic()
            await eventually(lambda: any(o["data"]["cover_state"] == CoverState.OPEN for o in obs.osd(SHINAN, after)),
                             5, "osd showing the cover open")
            again, _ = await obs.call(SHINAN, "cover_open")
            assert again["data"]["result"] == 0 and "already" in again["data"]["reason"]
            closed, took = await obs.call(SHINAN, "cover_close")
            assert closed["data"]["result"] == 0 and took >= 0.9 * 20.0 / SCALE
            twice, _ = await obs.call(SHINAN, "cover_close")
            assert twice["data"]["result"] == 0 and "already closed" in twice["data"]["reason"]
            assert twice["data"]["reason_zh"]
            assert not fleet.dock("SN01").cover_open

    asyncio.run(scenario())


def test_cover_refusals_on_fault_wind_and_rain_with_reasons(mosquitto: MosquittoBroker) -> None:
    async def scenario() -> None:
        async with running(mosquitto.url) as (fleet, obs):
            dock = fleet.dock("SN01")
            dock.inject("cover_fault")
            after = time.monotonic()
            reply, _ = await obs.call(SHINAN, "cover_open")
            assert reply["data"]["result"] == ServiceResult.COVER_FAULT
            assert "fault" in reply["data"]["reason"] and reply["data"]["reason_zh"]
            await eventually(lambda: any(o["data"]["cover_state"] == CoverState.FAULT for o in obs.osd(SHINAN, after)),
                             5, "osd showing the cover fault")
            dock.inject("cover_fault", on=False)

            dock.inject("weather_hold")
            after = time.monotonic()
            windy = await eventually(lambda: obs.osd(SHINAN, after), 5, "osd in the storm")
            assert windy[0]["data"]["wind_speed_m_s"] > WIND_LIMIT_M_S
            reply, _ = await obs.call(SHINAN, "cover_open")
            assert reply["data"]["result"] == ServiceResult.WIND_TOO_HIGH
            assert "wind" in reply["data"]["reason"] and "风速" in reply["data"]["reason_zh"]
            dock.set_drone_state(in_dock=False)  # a returning drone is let in whatever the wind
            reply, _ = await obs.call(SHINAN, "cover_open")
            assert reply["data"]["result"] == 0
            dock.inject("weather_hold", on=False)

            other = fleet.dock("LS01")
            other.inject("heavy_rain")
            reply, _ = await obs.call(LAOSHAN, "cover_open")
            assert reply["data"]["result"] == ServiceResult.RAIN_TOO_HEAVY and "rain" in reply["data"]["reason"]
            other.inject("heavy_rain", on=False)

            # A fault while the cover moves fails the action, and the reply says so.
            task = asyncio.create_task(obs.call(LAOSHAN, "cover_open"))
            await eventually(lambda: other.cover_state == CoverState.MOVING, 5, "cover moving")
            other.inject("cover_fault")
            reply, _ = await task
            assert reply["data"]["result"] == ServiceResult.COVER_FAULT and not other.cover_open

    asyncio.run(scenario())


def test_bad_requests_get_errors_and_the_dock_keeps_working(mosquitto: MosquittoBroker) -> None:
    async def scenario() -> None:
        async with running(mosquitto.url) as (fleet, obs):
            reply, _ = await obs.call(SHINAN, "fly_to_the_moon")
            assert reply["data"]["result"] == ServiceResult.UNKNOWN_METHOD
            assert "fly_to_the_moon" in reply["data"]["reason"]
            await obs.send(SHINAN, b'{"tid": "broken-1", "bid": "b", "method": "cover_open", "data": {')
            await obs.send(SHINAN, b"\xff\xfe not utf-8")
            await obs.send(SHINAN, b"[1, 2, 3]")
            await obs.send(SHINAN, json.dumps({"tid": "no-method", "bid": "b"}))
            await obs.send(SHINAN, json.dumps({"tid": "bad-data", "bid": "b", "method": "cover_open", "data": 5}))
            for tid in ("broken-1", "no-method", "bad-data"):
                bad = await eventually(lambda t=tid: obs.reply(SHINAN, t), 5, f"error reply to {tid}")
                assert bad["data"]["result"] == ServiceResult.BAD_REQUEST and bad["data"]["reason"]
            reply, _ = await obs.call(SHINAN, "cover_open")
            assert reply["data"]["result"] == 0
            assert fleet.dock("SN01").online

    asyncio.run(scenario())


def test_charging_in_the_dock_refusals_and_stop(mosquitto: MosquittoBroker) -> None:
    async def scenario() -> None:
        async with running(mosquitto.url, SHINAN, time_scale=240.0) as (fleet, obs):  # full charge in 10 s
            dock = fleet.dock("SN01")
            dock.set_drone_state(in_dock=False, battery_pct=30.0)
            reply, _ = await obs.call(SHINAN, "charge_open")
            assert reply["data"]["result"] == ServiceResult.DRONE_NOT_IN_DOCK
            dock.set_drone_state(in_dock=True, battery_pct=50.0)  # lands: charging starts by itself
            assert dock.charging
            await eventually(lambda: dock.drone_battery_pct > 55.0, 5, "battery rising")
            after = time.monotonic()
            osd = await eventually(lambda: obs.osd(SHINAN, after), 5, "osd while charging")
            assert osd[0]["data"]["drone_charge_state"]["state"] == 1
            assert osd[0]["data"]["drone_charge_state"]["capacity_percent"] > 50
            reply, _ = await obs.call(SHINAN, "charge_close")
            assert reply["data"]["result"] == 0 and not dock.charging
            dock.inject("charge_fault")
            reply, _ = await obs.call(SHINAN, "charge_open")
            assert reply["data"]["result"] == ServiceResult.CHARGE_FAULT
            dock.inject("charge_fault", on=False)
            dock.set_drone_state(in_dock=True, battery_pct=97.0)
            reply, _ = await obs.call(SHINAN, "charge_open")
            assert reply["data"]["result"] == 0 and dock.charging
            await eventually(lambda: dock.drone_battery_pct >= 100.0 and not dock.charging, 5, "full, charger off")

    asyncio.run(scenario())


def test_reboot_and_broker_restart_bring_the_dock_back(mosquitto: MosquittoBroker) -> None:
    async def scenario() -> None:
        fleet = DockFleetSim((SHINAN,), mosquitto.url, time_scale=120.0, seed=7, weather=WeatherModel(calm=True))
        task = asyncio.create_task(fleet.run())
        dock = fleet.dock("SN01")
        assert await fleet.wait_online(10)
        async with Observer(mosquitto.url) as obs:
            reply, _ = await obs.call(SHINAN, "device_reboot")  # 60 s at x120: half a second away
            assert reply["data"]["result"] == 0
            await eventually(lambda: obs.statuses(SHINAN)[-1]["online"] is False, 5, "offline while rebooting")
            await eventually(lambda: obs.statuses(SHINAN)[-1]["online"] is True, 5, "online after the reboot")
        await asyncio.to_thread(mosquitto.stop)
        await eventually(lambda: not dock.online, 5, "dock noticing the broker is gone")
        await asyncio.to_thread(mosquitto.start)
        assert await dock.wait_online(10)
        assert (await read_retained(mosquitto.url, f"sys/product/{SHINAN.dock_sn}/status"))["online"] is True
        await fleet.close()
        await asyncio.wait_for(task, 5)

    asyncio.run(scenario())


def test_close_publishes_offline_retained(mosquitto: MosquittoBroker) -> None:
    async def scenario() -> None:
        fleet = DockFleetSim((SHINAN, LAOSHAN), mosquitto.url, time_scale=SCALE, seed=7)
        task = asyncio.create_task(fleet.run())
        assert await fleet.wait_online(10)
        assert (await read_retained(mosquitto.url, f"sys/product/{LAOSHAN.dock_sn}/status"))["online"] is True
        await fleet.close()
        await asyncio.wait_for(task, 5)
        for dock in (SHINAN, LAOSHAN):
            assert (await read_retained(mosquitto.url, f"sys/product/{dock.dock_sn}/status"))["online"] is False

    asyncio.run(scenario())


def test_weather_is_deterministic_laoshan_windier_and_rain_comes_and_goes() -> None:
    def run(seed: int) -> tuple[list[float], list[float], list[int]]:
        w = WeatherModel(seed=seed)
        laoshan, shibei, rain = [], [], []
        for _ in range(10 * 24 * 60):  # ten days in one-minute steps
            w.step(60.0)
            laoshan.append(w.district("laoshan").wind_speed_m_s)
            shibei.append(w.district("shibei").wind_speed_m_s)
            rain.append(int(w.district("shinan").rainfall))
        return laoshan, shibei, rain

    laoshan, shibei, rain = run(3)
    assert run(3) == (laoshan, shibei, rain)
    assert sum(laoshan) / len(laoshan) > 1.3 * sum(shibei) / len(shibei)
    assert min(laoshan + shibei) >= 0.0 and max(shibei) < 25.0
    assert 0 < sum(r > 0 for r in rain) < len(rain) / 2
    calm = WeatherModel(seed=1, calm=True)
    calm.step(3600)
    assert calm.district("laoshan").wind_speed_m_s < WIND_LIMIT_M_S and calm.district("laoshan").rainfall == 0


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=200).map(str.encode)
       | st.dictionaries(st.sampled_from(["tid", "bid", "method", "data"]),
                         st.none() | st.integers() | st.text(max_size=10) | st.lists(st.integers(), max_size=2))
       .map(lambda d: json.dumps(d).encode()))
def test_parsing_a_service_request_never_raises(payload: bytes) -> None:
    req = parse_service_request(payload)
    assert req.problem is not None or (req.tid and req.method)
