"""The alert desk on a live simulated site: a plain MQTT client publishes alerts to a real Mosquitto,
the site server journals them and sends them to the console, the bridge and the alert controller put them on
the desk, and the
operator acknowledges one and dispatches a drone to another in one click (real MAVSDK, physics ×20);
the drone panel follows the dispatched drone, and the alert's task cell selects it.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import pytest
from PySide6.QtCore import Qt

from console.client.alert_controller import AlertController
from console.client.bridge import CoreBridge
from console.client.situation_controller import SituationController
from console.core.core_loop import CoreLoop
from console.core.workstation import Workstation
from console.remote.site_client import RemoteServices
from console.server.site_server import site_console_id
from drones.geo import destination
from drones.site import Site, parse_broker_url
from tests.conftest import MosquittoBroker
from tests.drones.sim.conftest import make_docks
from tests.drones.task_harness import SiteThread
from tests.site_server import InProcessServer
from widgets.alert_table import Column
from widgets.alert_views import AlertAction
from widgets.situation import Selection, SelectionKind

WAIT_MS = 30_000


class Live:
    def __init__(self, controller: AlertController, situation: SituationController, services: RemoteServices,
                 port: int) -> None:
        self.c = controller
        self.situation = situation
        self.services = services
        self.port = port
        self.confirmations: list[str] = []

    def publish(self, topic: str, payloads: list[bytes]) -> None:
        async def run() -> None:
            async with aiomqtt.Client("127.0.0.1", self.port) as client:
                for p in payloads:
                    await client.publish(topic, p, qos=1)

        asyncio.run(run())

    def retained_state(self, alert_id: str) -> dict[str, Any]:
        async def run() -> dict[str, Any]:
            async with aiomqtt.Client("127.0.0.1", self.port) as client:
                await client.subscribe(f"qdcb/console/v1/alerts/{alert_id}", qos=1)
                async with asyncio.timeout(10):
                    async for message in client.messages:
                        assert message.retain
                        return json.loads(bytes(message.payload))  # type: ignore[arg-type]
            raise AssertionError("no retained state")

        return asyncio.run(run())

    def state(self, alert_id: str) -> str | None:
        row = self.c.desk.model.get(alert_id)
        return None if row is None else row.state


@pytest.fixture
def live(mosquitto: MosquittoBroker, tmp_path: Path, qtbot) -> Iterator[Live]:  # type: ignore[no-untyped-def]
    sim = SiteThread(Site("测试站点", None, parse_broker_url(mosquitto.url), make_docks(3)), mosquitto.url)
    site = sim.console_site
    server = InProcessServer(site, tmp_path / "server")
    core = CoreLoop()
    core.start()
    services = RemoteServices(site, core, station=Workstation("console-T", tmp_path))
    bridge = CoreBridge(services.bus)
    situation = SituationController(services, language="en")   # the drone panel, sharing the selection
    controller = AlertController(services, situation.selection, language="en")
    controller.desk.sound.directory = tmp_path
    bridge.alert_event.connect(controller.on_alert_event)
    services.start()
    qtbot.addWidget(controller.widget)
    qtbot.addWidget(situation.panel)
    controller.widget.resize(1400, 700)
    controller.widget.show()
    live = Live(controller, situation, services, mosquitto.port)

    def confirm(title: str, text: str) -> bool:
        live.confirmations.append(text)
        return True

    controller.panel.confirm = confirm  # type: ignore[method-assign]
    try:
        yield live
    finally:
        controller.stop()
        situation.stop()
        bridge.detach()
        core.stop()
        server.close()
        sim.close()


def alert(alert_id: str, lat: float, lon: float, level: int = 2, category: str = "waterlogging") -> bytes:
    return json.dumps({"id": alert_id, "ts": "2026-11-24T15:04:05.123+08:00", "category": category, "level": level,
                       "lat": lat, "lon": lon, "title": f"积水 {alert_id}", "source": {"kind": "camera", "id": "C1"},
                       "status": "active"}, ensure_ascii=False).encode()


def test_alerts_arrive_are_acknowledged_and_dispatched_in_one_click(live: Live, qtbot, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    c, services = live.c, live.services
    qtbot.waitUntil(lambda: services.present, timeout=WAIT_MS)
    dock = services.site.docks[0]
    near = destination(dock.lat, dock.lon, 60.0, 400.0)
    far = destination(dock.lat, dock.lon, 200.0, 700.0)

    # Valid, unknown-category and malformed payloads from a plain MQTT client.
    live.publish("qdcb/alerts/v1/shinan/waterlogging", [alert("E2E-1", *near), alert("E2E-2", *far, level=1)])
    live.publish("qdcb/alerts/v1/shinan/new_algo", [alert("E2E-3", *far, level=4, category="new_algo"),
                                                     b"{not json", json.dumps({"id": "E2E-BAD", "level": 2,
                                                                               "lat": 120.3, "lon": 36.0}).encode()])
    qtbot.waitUntil(lambda: {"E2E-1", "E2E-2", "E2E-3"} <= set(c.desk.model.shown_ids()), timeout=WAIT_MS)
    assert c.desk.model.shown_ids()[0] == "E2E-2"                       # level 1 on top
    unknown = c.desk.model.get("E2E-3")
    assert unknown is not None and "unknown category" in unknown.category_name
    assert c.desk.flash.flashes >= 1 and 1 in c.desk.sound.played     # the level-1 arrival alarmed
    qtbot.waitUntil(lambda: len(c.desk.quarantine_rows) == 2, timeout=WAIT_MS)
    assert "(2)" in c.desk.quarantine_button.text()
    dialog = c.desk.open_quarantine()
    reasons = [dialog.table.item(i, 2).text() for i in range(dialog.table.rowCount())]
    assert any("not valid JSON" in r for r in reasons) and any("latitude 120.3" in r for r in reasons)
    assert "{not json" in dialog.raw_text() or "E2E-BAD" in dialog.raw_text()
    dialog.close()
    def marks() -> dict[str, Any]:
        return {m.alert_id: m for m in c.alert_marks()}

    qtbot.waitUntil(lambda: set(marks()) >= {"E2E-1", "E2E-2", "E2E-3"}, timeout=WAIT_MS)
    assert not marks()["E2E-2"].acknowledged
    assert marks()["E2E-1"].affected_radius_m == services.alert_rules.radius_for("waterlogging")
    assert marks()["E2E-3"].affected_radius_m is None     # a minor alert's area only when selected

    # Acknowledge through the desk: the state goes out retained for the other consoles.
    c.selection.select(Selection(SelectionKind.ALERT, "E2E-2"))
    with qtbot.waitSignal(c.action_done, timeout=WAIT_MS) as done:
        c.desk.buttons[AlertAction.ACKNOWLEDGE].click()
    assert done.args[0] is True
    qtbot.waitUntil(lambda: live.state("E2E-2") == "acknowledged", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: marks()["E2E-2"].acknowledged, timeout=WAIT_MS)   # stops pulsing on the map
    retained = live.retained_state("E2E-2")
    # Journaled and published by the site server's core, for this console's operator.
    assert retained["state"] == "acknowledged" and retained["by"] == c.operator
    assert retained["console"] == site_console_id(services.site)
    # A transition the workflow does not allow is refused, and the core's reason shown on the desk.
    with qtbot.waitSignal(c.action_done, timeout=WAIT_MS) as refused:
        c._on_action(AlertAction.REOPEN, "E2E-2", {})
    assert refused.args[0] is False and refused.args[2].code == "alert.not_closed"
    assert "not closed" in c.desk.result_text()

    # The operator looks at another drone, then works the alert: the drone panel keeps that drone.
    panel, other = live.situation.panel, services.site.docks[1]
    c.selection.select(Selection(SelectionKind.DRONE, str(other.sysid)))
    assert panel.current_sysid == other.sysid
    # The selected alert's five automatics: the panel proposes the nearest dock.
    c.selection.select(Selection(SelectionKind.ALERT, "E2E-1"))
    assert panel.current_sysid == other.sysid
    qtbot.waitUntil(lambda: c.panel.view is not None and c.panel.view.alert_id == "E2E-1", timeout=WAIT_MS)
    # The nearest dock once every dock has reported ready (the panel follows them about once a second).
    qtbot.waitUntil(lambda: c.panel.view is not None and c.panel.view.can_dispatch
                    and c.panel.view.proposal.dock_id == dock.id
                    and all(d.available for d in c.panel.view.docks), timeout=WAIT_MS)
    assert c.panel.docks.rowCount() == 3
    # What the operator sees before the click (artifacts/alert_desk.png, to look at).
    assert c.widget.grab().save(str(artifacts / "alert_desk.png"))

    # One click on the desk: confirmation, a flight task, the alert dispatched, then on scene.
    with qtbot.waitSignal(c.dispatch_done, timeout=WAIT_MS) as dispatched:
        c.desk.buttons[AlertAction.DISPATCH].click()
    assert dispatched.args[0] is True, dispatched.args[2]
    assert live.confirmations and dock.id in live.confirmations[-1]
    # The dock the operator confirmed is the dock that flies (the server's next frame brings the task).
    qtbot.waitUntil(lambda: [t.dock_id for t in services.tasks.open_tasks] == [dock.id], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: live.state("E2E-1") == "dispatched", timeout=WAIT_MS)
    row = c.desk.model.get("E2E-1")
    assert row is not None and row.task_id and any(t.task_id == row.task_id for t in services.tasks.open_tasks)
    # The drone panel follows the dispatched drone; the alert being worked stays selected.
    qtbot.waitUntil(lambda: panel.current_sysid == dock.sysid, timeout=WAIT_MS)
    assert c.selection.current == Selection(SelectionKind.ALERT, "E2E-1")
    # The operator picks another drone, then clicks the alert's task cell: its drone is selected again.
    c.selection.select(Selection(SelectionKind.DRONE, str(other.sysid)))
    assert panel.current_sysid == other.sysid
    table_row = c.desk.model.row_of("E2E-1")
    assert table_row is not None and c.desk.model.cell(table_row, Column.TASK) == row.task_id
    c.desk.table.scrollTo(c.desk.model.qt.index(table_row, Column.TASK))
    cell = c.desk.table.visualRect(c.desk.model.qt.index(table_row, Column.TASK))
    qtbot.mouseClick(c.desk.table.viewport(), Qt.MouseButton.LeftButton, pos=cell.center())
    assert c.selection.current == Selection(SelectionKind.DRONE, str(dock.sysid))
    assert panel.current_sysid == dock.sysid
    qtbot.waitUntil(lambda: live.state("E2E-1") == "on_scene", timeout=120_000)
    assert not c.desk.buttons[AlertAction.DISPATCH].isEnabled()
    sla = services.alerts.sla()
    assert sla.dispatch.count == 1 and sla.on_scene.count == 1
    qtbot.waitUntil(lambda: bool(re.search(r"on scene \d+:\d\d / p90 \d+:\d\d \(1\)", c.desk.sla_label.text())),
                    timeout=WAIT_MS)
