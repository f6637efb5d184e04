"""The dock a dispatch names is the dock that flies: the console's real core (CoreServices) over a real
Mosquitto and the simulated site, with an operator's confirmed plan and integrators' requests naming a dock."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from console.core.alert_events import WorkflowRefused
from console.core.core_loop import CoreLoop
from console.core.services import CoreServices
from console.core.workstation import Workstation
from drones.geo import destination
from drones.site import Site, parse_broker_url
from tests.conftest import MosquittoBroker, wait_until
from tests.drones.sim.conftest import make_docks
from tests.drones.task_harness import SiteThread
from vocab import AlertState

WAIT_S = 30.0


@pytest.fixture
def core(mosquitto: MosquittoBroker, tmp_path: Path) -> Iterator[tuple[CoreServices, SiteThread]]:
    # Three docks in one district and no reserve kept: every dock may fly for an integrator here.
    site = Site("派出测试", None, parse_broker_url(mosquitto.url), make_docks(3), min_ready_per_district=0)
    sim = SiteThread(site, mosquitto.url)
    loop = CoreLoop()
    loop.start()
    services = CoreServices(sim.console_site, loop, station=Workstation("console-D", tmp_path))
    services.start()
    try:
        wait_until(lambda: all(services.fleet.snapshot(d.sysid).healthy and services.docks.state(d.id).online
                               for d in site.docks), WAIT_S, "every drone and dock ready")
        yield services, sim
    finally:
        loop.stop()
        sim.close()


def publish(url: str, topic: str, body: dict[str, Any]) -> None:
    async def send() -> None:
        cfg = parse_broker_url(url)
        async with aiomqtt.Client(cfg.host, cfg.port, protocol=aiomqtt.ProtocolVersion.V311) as client:
            await client.publish(topic, json.dumps(body), qos=1)

    asyncio.run(send())


def raise_alert(services: CoreServices, alert_id: str, near_dock: int) -> None:
    dock = services.site.docks[near_dock]
    lat, lon = destination(dock.lat, dock.lon, 0.0, 250.0)
    assert services.site.broker is not None
    publish(services.site.broker.url, "qdcb/alerts/v1/shinan/waterlogging",
            {"id": alert_id, "category": "waterlogging", "level": 3, "lat": lat, "lon": lon})
    wait_until(lambda: services.alerts.alert(alert_id) is not None, WAIT_S, f"alert {alert_id} received")


def request(services: CoreServices, body: dict[str, Any]) -> None:
    assert services.site.broker is not None
    publish(services.site.broker.url, "qdcb/console/v1/requests/dispatch", body)


def task_docks(services: CoreServices) -> list[str]:
    return [t.dock_id for t in services.tasks.open_tasks]


def actions(services: CoreServices, alert_id: str) -> list[tuple[str, str, str | None]]:
    async def read() -> list[tuple[str, str, str | None]]:
        return [(a[2], a[4], a[5]) for a in services.alerts.store.actions(alert_id)]

    return services.core.call(read())


def test_the_confirmed_plan_flies_and_a_plan_for_another_alert_is_refused(core: tuple[CoreServices, SiteThread]
                                                                          ) -> None:
    services, sim = core
    raise_alert(services, "ALR-P1", near_dock=0)
    raise_alert(services, "ALR-P2", near_dock=2)
    five, _record = services.core.call(services.automatics_for("ALR-P1"))
    plan = five.proposal.plan
    assert plan is not None and plan.dock.id == "T01"
    with pytest.raises(WorkflowRefused) as refused:
        services.core.call(services.alerts.dispatch_alert("ALR-P2", by="op1", choice=plan))
    assert refused.value.reason.code == "alert.plan_for_other"
    # The operator confirmed T01's plan, then a storm reaches T01: the launch re-checks T01 and refuses,
    # it does not send T02 or T03 in its place.
    sim.do(sim.sim.dock_sims.dock("T01").inject, "weather_hold", True)
    wait_until(lambda: (services.docks.state("T01").wind_speed_m_s or 0) > services.tasks.limits.max_wind_m_s,
               WAIT_S, "the storm in T01's report")
    with pytest.raises(WorkflowRefused) as refused:
        services.core.call(services.alerts.dispatch_alert("ALR-P1", by="op1", choice=plan))
    assert refused.value.reason.code == "preflight.wind_over"
    assert task_docks(services) == [] and services.alerts.alert("ALR-P1").state == AlertState.NEW  # type: ignore[union-attr]
    sim.do(sim.sim.dock_sims.dock("T01").inject, "weather_hold", False)
    wait_until(lambda: (services.docks.state("T01").wind_speed_m_s or 99) <= services.tasks.limits.max_wind_m_s,
               WAIT_S, "the storm gone")
    services.core.call(services.alerts.dispatch_alert("ALR-P1", by="op1", choice=plan))
    assert task_docks(services) == ["T01"]
    task = services.tasks.open_tasks[0]
    assert [(lat, lon) for lat, lon in task.route[1:]] == [(i.lat, i.lon) for i in plan.flight.items
                                                           if i.lat or i.lon]    # the very route it showed


def test_an_integrator_naming_a_dock_gets_that_dock_or_its_reason_never_another(
        core: tuple[CoreServices, SiteThread]) -> None:
    services, sim = core
    raise_alert(services, "ALR-I1", near_dock=0)          # T01 is the nearest, T03 the one asked for
    request(services, {"alert_id": "ALR-I1", "requested_by": "hotline", "dock_id": "T03"})
    # The task starts before the alert's workflow records the dispatch (both on the core loop): wait for the record.
    wait_until(lambda: getattr(services.alerts.alert("ALR-I1"), "state", None) == AlertState.DISPATCHED, WAIT_S,
               "ALR-I1 dispatched")
    assert task_docks(services) == ["T03"]
    assert services.alerts.alert("ALR-I1").state_by == "request:hotline"  # type: ignore[union-attr]

    raise_alert(services, "ALR-I2", near_dock=1)
    sim.do(sim.sim.dock_sims.dock("T02").inject, "offline", True)
    wait_until(lambda: not services.docks.state("T02").online, WAIT_S, "T02 offline")
    request(services, {"alert_id": "ALR-I2", "requested_by": "hotline", "dock_id": "T02"})
    wait_until(lambda: ("dispatch", "refused") in [a[:2] for a in actions(services, "ALR-I2")], WAIT_S,
               "the request refused")
    refusal = next(a[2] for a in actions(services, "ALR-I2") if a[:2] == ("dispatch", "refused"))
    assert refusal is not None and refusal.startswith("dock T02 cannot go: the dock is offline")
    assert task_docks(services) == ["T03"]                # T01 was free, and still nothing else flew
    assert services.alerts.alert("ALR-I2").state == AlertState.NEW  # type: ignore[union-attr]

    request(services, {"alert_id": "ALR-I2", "requested_by": "hotline", "dock_id": "NOPE"})
    wait_until(lambda: any(a[2] == "dock NOPE is not on this site" for a in actions(services, "ALR-I2")), WAIT_S,
               "an unknown dock refused")
    request(services, {"alert_id": "ALR-I2", "requested_by": "hotline"})   # no dock named: the best one
    wait_until(lambda: sorted(task_docks(services)) == ["T01", "T03"], WAIT_S, "the best free dock flying")


def test_a_request_with_a_dock_id_that_is_not_text_is_quarantined(core: tuple[CoreServices, SiteThread]) -> None:
    services, _sim = core
    before = len(services.alerts.quarantine())
    request(services, {"alert_id": "ALR-X", "requested_by": "hotline", "dock_id": 3})
    wait_until(lambda: len(services.alerts.quarantine()) == before + 1, WAIT_S, "the request quarantined")
    assert services.alerts.quarantine()[-1].item.reason.code == "request.bad_dock"
