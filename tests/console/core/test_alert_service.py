"""AlertService without a broker: ingest, workflow, other consoles' states, incidents, SLA, automation.

A tiny in-memory broker (`LoopbackBroker`) stands in for MQTT, so workflow rules are tested
without timing; the same behaviour over a real Mosquitto is in test_alert_service_mqtt.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from console.core import alert_service
from console.core.alert_events import (AlertQuarantined, AlertReceived, AlertUpdated, IncidentChanged, WorkflowRefused)
from console.core.alert_incidents import CorrelationPolicy
from console.core.alert_service import AlertService
from console.core.alert_store import AlertRecord
from drones.model import DispatchRefused
from vocab import Reason
from drones.sim.alerts import MALFORMED_KINDS, AlertGenerator
from drones.site import AutomationRule, Site
from tests.mqtt_port import eventually

SITE = Site(name="t", path=None, broker=None)
FIRE = (36.1500, 120.5500)


@dataclass
class Msg:
    topic: str
    payload: bytes


class LoopbackBroker:
    """Routes publishes to every subscribed port, keeps retained messages; `down` makes publishes fail."""

    def __init__(self) -> None:
        self.ports: list[LoopbackPort] = []
        self.retained: dict[str, bytes] = {}
        self.down = False

    def port(self) -> LoopbackPort:
        port = LoopbackPort(self)
        self.ports.append(port)
        return port

    async def deliver(self, topic: str, payload: bytes, retain: bool) -> None:
        if retain:
            self.retained[topic] = payload
        for port in self.ports:
            await port.receive(topic, payload)


class LoopbackPort:
    def __init__(self, broker: LoopbackBroker) -> None:
        self.broker = broker
        self.subs: list[tuple[str, Callable[[Any], Any]]] = []

    def subscribe(self, topic_filter: str, handler: Callable[[Any], Any], qos: int = 1) -> None:
        self.subs.append((topic_filter, handler))

    async def publish(self, topic: str, payload: dict | str | bytes, *, qos: int = 1, retain: bool = False) -> None:
        if self.broker.down:
            raise aiomqtt.MqttError("down")
        data = json.dumps(payload).encode() if isinstance(payload, dict) else (
            payload.encode() if isinstance(payload, str) else payload)
        await self.broker.deliver(topic, data, retain)

    async def receive(self, topic: str, payload: bytes) -> None:
        for topic_filter, handler in self.subs:
            if aiomqtt.Topic(topic).matches(topic_filter):
                result = handler(Msg(topic, payload))   # a handler must never raise: no try here
                if asyncio.iscoroutine(result):
                    await result


class Clock:
    def __init__(self, t: float = 1_764_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def alert_payload(n: int, *, category: str = "forest_fire_smoke", level: int = 2, lat: float = FIRE[0],
                  lon: float = FIRE[1], status: str = "active", ts: str = "2025-11-24T20:00:00+08:00") -> bytes:
    return json.dumps({"id": f"ALR-{n:06d}", "ts": ts, "category": category, "level": level, "lat": lat, "lon": lon,
                       "status": status, "title": f"t{n}"}).encode()


class Desk:
    """One AlertService on a loopback broker, with its events."""

    def __init__(self, broker: LoopbackBroker, tmp: Path, console_id: str = "c1", site: Site = SITE,
                 dispatch: Any = None, clock: Clock | None = None) -> None:
        self.port = broker.port()
        self.events: list[Any] = []
        self.clock = clock or Clock()
        self.service = AlertService(site, self.port, console_id=console_id, journal_file=tmp / f"{console_id}.sqlite",
                                    on_event=self.events.append, dispatch=dispatch, clock=self.clock,
                                    correlation=CorrelationPolicy(300, 900, (frozenset({"forest_fire_smoke",
                                                                                         "outdoor_burning"}),)))

    async def publish_alert(self, payload: bytes, district: str = "laoshan", category: str = "forest_fire_smoke") -> None:
        await self.port.receive(f"qdcb/alerts/v1/{district}/{category}", payload)

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_new_alert_is_journaled_then_announced_and_a_redelivery_is_a_no_op(tmp_path: Path) -> None:
    async def go() -> None:
        desk = Desk(LoopbackBroker(), tmp_path)
        seen_in_journal: list[bool] = []
        desk.service._on_event = lambda e: seen_in_journal.append(  # type: ignore[method-assign]
            desk.service.store.record("ALR-000001") is not None)
        await desk.publish_alert(alert_payload(1))
        assert seen_in_journal and all(seen_in_journal), "announced before it was journaled"
        desk.service._on_event = desk.events.append  # type: ignore[method-assign]
        await desk.publish_alert(alert_payload(1))
        assert desk.events == []
        await desk.publish_alert(alert_payload(1, status="cleared"))
        [update] = desk.of(AlertUpdated)
        assert update.change == "cleared" and update.record.source_cleared
        await desk.publish_alert(alert_payload(1, status="cleared"))
        assert len(desk.events) == 2   # the update and its incident; nothing more for the second cleared
        assert [r.id for r in desk.service.alerts()] == ["ALR-000001"]
    run(go())


def test_every_malformed_payload_goes_to_quarantine_and_the_handler_never_raises(tmp_path: Path) -> None:
    async def go() -> None:
        desk = Desk(LoopbackBroker(), tmp_path)
        generator = AlertGenerator([(FIRE[0], FIRE[1], "37021200001310000001", "laoshan")], seed=1)
        for kind in MALFORMED_KINDS:
            m = generator.malformed(kind)  # type: ignore[arg-type]
            await desk.port.receive(m.topic, m.payload)
        await desk.port.receive("qdcb/console/v1/alerts/X", b"{not json")
        await desk.port.receive("qdcb/console/v1/requests/dispatch", b'{"alert_id": 5}')
        quarantined = desk.of(AlertQuarantined)
        assert len(quarantined) == len(MALFORMED_KINDS) + 2
        assert len(desk.service.quarantine()) == len(quarantined) and desk.service.alerts() == ()
        assert all(q.item.item.reason.code and q.item.item.reason.en for q in quarantined)
    run(go())


def test_workflow_runs_through_and_every_state_is_published_retained(tmp_path: Path) -> None:
    async def go() -> None:
        broker = LoopbackBroker()
        desk = Desk(broker, tmp_path)
        await desk.publish_alert(alert_payload(1))
        s = desk.service
        desk.clock.t += 30
        await s.acknowledge("ALR-000001", by="op1")
        assert (await s.acknowledge("ALR-000001", by="op2")).state_by == "op1"   # a second click changes nothing
        desk.clock.t += 60
        await s.mark_dispatched("ALR-000001", "T-1", by="op1")
        desk.clock.t += 120
        await s.mark_on_scene("ALR-000001", by="task")
        with pytest.raises(WorkflowRefused) as refused:
            await s.mark_dispatched("ALR-000001", "T-2", by="op1")
        assert "on scene" in refused.value.reason.en
        await s.resolve("ALR-000001", by="op1")
        retained = json.loads(broker.retained["qdcb/console/v1/alerts/ALR-000001"])
        assert retained | {"ts": 0} == {"alert_id": "ALR-000001", "state": "resolved", "by": "op1", "console": "c1",
                                        "ts": 0, "task_id": "T-1", "assigned_to": None}
        record = await s.reopen("ALR-000001", by="op2")
        assert record.state == "acknowledged" and record.closed_ts is None
        await s.dismiss("ALR-000001", Reason.said("false alarm"), by="op2")
        assert json.loads(broker.retained["qdcb/console/v1/alerts/ALR-000001"])["reason"] == "false alarm"
        await s.assign("ALR-000001", "张三", by="lead")
        await s.add_note("ALR-000001", "现场无烟", by="张三")
        r = s.alert("ALR-000001")
        assert r is not None and r.assigned_to == "张三" and r.notes[0].text == "现场无烟"
        sla = s.sla(now=desk.clock.t)
        assert (sla.acknowledge.median_s, sla.dispatch.median_s, sla.on_scene.median_s) == (30, 90, 210)
        assert [t[2] for t in s.store.transitions("ALR-000001")][:5] == ["acknowledged", "dispatched", "on_scene",
                                                                         "resolved", "acknowledged"]
        with pytest.raises(WorkflowRefused):
            await s.acknowledge("NOPE", by="op1")
    run(go())


def test_two_consoles_share_states_newest_wins_and_early_states_wait_for_their_alert(tmp_path: Path) -> None:
    async def go() -> None:
        broker = LoopbackBroker()
        clock = Clock()
        a, b = Desk(broker, tmp_path, "A", clock=clock), Desk(broker, tmp_path, "B", clock=clock)
        await broker.deliver("qdcb/alerts/v1/laoshan/forest_fire_smoke", alert_payload(1), False)
        clock.t += 5
        await a.service.acknowledge("ALR-000001", by="opA")
        assert b.service.alert("ALR-000001").state == "acknowledged"   # type: ignore[union-attr]
        clock.t += 5
        await b.service.mark_dispatched("ALR-000001", "T-9", by="opB")
        ra = a.service.alert("ALR-000001")
        assert ra is not None and (ra.state, ra.task_id, ra.state_console) == ("dispatched", "T-9", "B")
        stale = {"alert_id": "ALR-000001", "state": "acknowledged", "by": "x", "console": "C", "ts": clock.t - 100}
        await broker.deliver("qdcb/console/v1/alerts/ALR-000001", json.dumps(stale).encode(), True)
        assert a.service.alert("ALR-000001").state == "dispatched"     # type: ignore[union-attr]
        # A state that arrives before its alert (another console saw the alert first) waits for it.
        early = {"alert_id": "ALR-000002", "state": "acknowledged", "by": "x", "console": "C", "ts": clock.t - 50}
        await broker.deliver("qdcb/console/v1/alerts/ALR-000002", json.dumps(early).encode(), True)
        await broker.deliver("qdcb/alerts/v1/laoshan/forest_fire_smoke", alert_payload(2), False)
        assert a.service.alert("ALR-000002").state == "acknowledged"   # type: ignore[union-attr]
    run(go())


def test_a_state_the_broker_did_not_take_is_published_when_it_is_back(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alert_service, "REPUBLISH_INTERVAL_S", 0.01)

    async def go() -> None:
        broker = LoopbackBroker()
        desk = Desk(broker, tmp_path)
        desk.service.start()
        await desk.publish_alert(alert_payload(1))
        broker.down = True
        record = await desk.service.acknowledge("ALR-000001", by="op1")
        assert record.state == "acknowledged" and not record.published
        assert desk.service.store.unpublished() == ["ALR-000001"]
        broker.down = False
        await eventually(lambda: "qdcb/console/v1/alerts/ALR-000001" in broker.retained, 5, "republished")
        assert desk.service.store.unpublished() == []
        await desk.service.close()
    run(go())


def test_nearby_related_alerts_form_one_incident_that_the_operator_can_split(tmp_path: Path) -> None:
    async def go() -> None:
        desk = Desk(LoopbackBroker(), tmp_path)
        await desk.publish_alert(alert_payload(1))
        await desk.publish_alert(alert_payload(2, lat=FIRE[0] + 0.001))                      # ~110 m away
        await desk.publish_alert(alert_payload(3, category="outdoor_burning", lon=FIRE[1] + 0.002))  # related
        await desk.publish_alert(alert_payload(4, category="waterlogging", lat=FIRE[0] + 0.0005))   # unrelated
        await desk.publish_alert(alert_payload(5, lat=FIRE[0] + 0.05))                        # 5 km away
        await desk.publish_alert(alert_payload(6, ts="2025-11-24T22:00:00+08:00"))            # hours later
        groups = sorted(i.alert_ids for i in desk.service.incidents())
        assert groups == [("ALR-000001", "ALR-000002", "ALR-000003"), ("ALR-000004",), ("ALR-000005",),
                          ("ALR-000006",)]
        new_id = await desk.service.split("ALR-000002", by="op1")
        groups = sorted(i.alert_ids for i in desk.service.incidents())
        assert ("ALR-000001", "ALR-000003") in groups and ("ALR-000002",) in groups
        assert desk.of(IncidentChanged)[-1].incident_id == new_id
        await desk.publish_alert(alert_payload(7, lat=FIRE[0] + 0.001))   # next to the split one: joins the rest
        assert desk.service.alert("ALR-000007").incident_id == desk.service.alert("ALR-000001").incident_id  # type: ignore[union-attr]
    run(go())


def test_a_restarted_service_has_every_alert_state_and_incident(tmp_path: Path) -> None:
    async def go() -> None:
        desk = Desk(LoopbackBroker(), tmp_path)
        for n in range(1, 4):
            await desk.publish_alert(alert_payload(n))
        await desk.service.acknowledge("ALR-000002", by="op1")
        await desk.service.close()
        again = Desk(LoopbackBroker(), tmp_path)
        records = {r.id: r for r in again.service.alerts()}
        assert set(records) == {"ALR-000001", "ALR-000002", "ALR-000003"}
        assert records["ALR-000002"].state == "acknowledged"
        assert [i.alert_ids for i in again.service.incidents()] == [("ALR-000001", "ALR-000002", "ALR-000003")]
        await again.publish_alert(alert_payload(1))
        assert again.events == []   # a redelivery after the restart is still a no-op
    run(go())


AUTOMATED = Site(name="t", path=None, broker=None,
                 automation=(AutomationRule(("forest_fire_smoke",), max_level=1, districts=("laoshan",)),))


def test_automation_dispatches_only_what_the_site_policy_names(tmp_path: Path) -> None:
    async def go() -> None:
        calls: list[AlertRecord] = []

        async def dispatch(record: AlertRecord, by: str, choice: object) -> str:
            calls.append(record)
            assert by == "automation"
            return f"T-{record.id}"

        desk = Desk(LoopbackBroker(), tmp_path, site=AUTOMATED, dispatch=dispatch)
        await desk.publish_alert(alert_payload(1, level=1))
        await desk.publish_alert(alert_payload(2, level=2, lat=FIRE[0] + 0.1))                  # level too low
        await desk.publish_alert(alert_payload(3, level=1, lat=36.06, lon=120.38), district="shinan")   # elsewhere
        await eventually(lambda: desk.service.alert("ALR-000001").state == "dispatched", 5)  # type: ignore[union-attr]
        record = desk.service.alert("ALR-000001")
        assert record is not None and record.task_id == "T-ALR-000001" and record.state_by == "automation"
        assert [c.id for c in calls] == ["ALR-000001"]
        assert desk.service.alert("ALR-000002").state == "new"   # type: ignore[union-attr]
        assert [a[2] for a in desk.service.store.actions("ALR-000001")] == ["automation", "dispatch"]
        await desk.service.close()
    run(go())


def test_a_refused_dispatch_is_announced_and_the_alert_waits_for_an_operator(tmp_path: Path) -> None:
    async def go() -> None:
        async def dispatch(record: AlertRecord, by: str, choice: object) -> str:
            raise DispatchRefused(Reason.of("preflight.wind_over", wind_m_s=13.0, limit_m_s=12.0), check="wind")

        desk = Desk(LoopbackBroker(), tmp_path, site=AUTOMATED, dispatch=dispatch)
        await desk.publish_alert(alert_payload(1, level=1))
        await eventually(lambda: desk.of(AlertUpdated), 5, "refusal announced")
        [update] = desk.of(AlertUpdated)
        assert update.change == "dispatch_refused" and update.reason == Reason.of("preflight.wind_over", wind_m_s=13.0, limit_m_s=12.0)
        assert desk.service.alert("ALR-000001").state == "new"   # type: ignore[union-attr]
        with pytest.raises(WorkflowRefused) as info:
            await desk.service.dispatch_alert("ALR-000001", by="op1")
        assert info.value.reason.en == "wind 13.0 m/s is over the 12 m/s limit"
        await desk.service.close()
    run(go())


def test_a_dispatch_request_from_an_integrator_dispatches_once(tmp_path: Path) -> None:
    async def go() -> None:
        async def dispatch(record: AlertRecord, by: str, choice: object) -> str:
            return "T-REQ"

        desk = Desk(LoopbackBroker(), tmp_path, dispatch=dispatch)
        await desk.publish_alert(alert_payload(1))
        request = json.dumps({"alert_id": "ALR-000001", "requested_by": "12345-hotline"}).encode()
        await desk.port.receive("qdcb/console/v1/requests/dispatch", request)
        await eventually(lambda: desk.service.alert("ALR-000001").state == "dispatched", 5)  # type: ignore[union-attr]
        await desk.port.receive("qdcb/console/v1/requests/dispatch", request)   # again: already dispatched
        await desk.port.receive("qdcb/console/v1/requests/dispatch",
                                json.dumps({"alert_id": "NOPE", "requested_by": "x"}).encode())
        await eventually(lambda: len(desk.service.store.actions()) >= 6, 5, "requests journaled")
        record = desk.service.alert("ALR-000001")
        assert record is not None and record.state_by == "request:12345-hotline" and record.task_id == "T-REQ"
        results = [(a[1], a[4]) for a in desk.service.store.actions()]
        assert ("ALR-000001", "refused") in results and ("NOPE", "refused") in results
        await desk.service.close()
    run(go())


def test_events_are_frozen_values(tmp_path: Path) -> None:
    async def go() -> None:
        desk = Desk(LoopbackBroker(), tmp_path)
        await desk.publish_alert(alert_payload(1))
        event = desk.of(AlertReceived)[0]
        with pytest.raises(AttributeError):
            event.record = None  # type: ignore[misc]
    run(go())
