"""The situation views on a live simulated site: real MAVSDK over UDP, real Mosquitto, real widgets offscreen.

A site server (tests/site_server.py) runs the site; the console's link to it (RemoteServices on its own core loop)
runs as in the application. The test looks at the map, the fleet board and the drone panel the way an operator
would, and commands a drone; flights it starts itself are dispatched on the server for this console.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from console.core.core_loop import CoreLoop
from console.core.workstation import Workstation
from console.client.situation_controller import SituationController
from console.remote.site_client import RemoteServices
from drones.authority import ACTING_CONSOLE
from drones.geo import destination
from drones.model import DispatchRefused
from drones.site import Site, parse_broker_url
from tests.conftest import MosquittoBroker
from tests.drones.sim.conftest import make_docks
from tests.drones.task_harness import SiteThread
from tests.site_server import InProcessServer
from widgets.situation import DroneCommand, Selection, SelectionKind
from vocab import DockStatus, TaskState

WAIT_MS = 30_000


@pytest.fixture
def live(mosquitto: MosquittoBroker, tmp_path: Path, qtbot) -> Iterator[SituationController]:  # type: ignore[no-untyped-def]
    sim = SiteThread(Site("测试站点", None, parse_broker_url(mosquitto.url), make_docks(3)), mosquitto.url)
    site = sim.console_site
    server = InProcessServer(site, tmp_path / "server")
    core = CoreLoop()
    core.start()
    services = RemoteServices(site, core, station=Workstation("console-T", tmp_path))
    services.start()
    controller = SituationController(services, language="en")
    controller.sim = sim  # type: ignore[attr-defined]   # the tests reach into the simulated site
    controller.server = server  # type: ignore[attr-defined]   # and into the site server's core
    for w in (controller.map, controller.board, controller.panel):
        qtbot.addWidget(w)
        w.resize(900, 600)
        w.show()
    qtbot.waitUntil(lambda: services.present, timeout=WAIT_MS)
    try:
        yield controller
    finally:
        controller.stop()
        core.stop()
        server.close()
        sim.close()


def dispatch(c: SituationController, dock, lat: float, lon: float, by: str = "op1"):  # type: ignore[no-untyped-def]
    """A flight to a point from `dock`, dispatched on the site server for this console (as the alert desk's
    one-click does for an alert): the server's FlightTask."""
    server = c.server.services  # type: ignore[attr-defined]
    plan = server.tasks.plan_to(dock, lat, lon, "default")

    async def for_this_console():  # type: ignore[no-untyped-def]
        ACTING_CONSOLE.set(c.services.console_id)
        return await server.tasks.dispatch(dock, plan, by=by)

    return c.server.call(for_this_console(), timeout_s=WAIT_MS / 1000)  # type: ignore[attr-defined]


def board_status(c: SituationController, dock_id: str) -> DockStatus | None:
    row = c.board.model.row_of(dock_id)
    return None if row is None else c.board.model.fleet_row(row).status


def test_operator_watches_dispatches_and_takes_over_a_drone(live: SituationController, qtbot) -> None:  # type: ignore[no-untyped-def]
    c = live
    services = c.services
    docks = services.site.docks
    # The fleet board and the map fill from the live fleet: every dock ready, every drone drawn.
    qtbot.waitUntil(lambda: all(board_status(c, d.id) == DockStatus.READY for d in docks), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: c.map.stats()["drones_drawn"] == len(docks), timeout=WAIT_MS)

    # Selecting the dock on the board shows its drone in the panel; without authority nothing can be commanded.
    dock = docks[0]
    c.selection.select(Selection(SelectionKind.DOCK, dock.id))
    qtbot.waitUntil(lambda: c.panel.current_sysid == dock.sysid, timeout=WAIT_MS)
    assert not c.panel.buttons[DroneCommand.HOLD].isEnabled()

    assert c.panel.authority_text() == "Command authority: nobody"
    # The H key without authority says why on the panel's message line, at once.
    c.panel.press(DroneCommand.HOLD)
    assert c.panel.notice_label.isVisible() and c.panel.notice_label.text() == (
        "Hold not sent: Take command authority first (T)")

    # A command without authority is refused with the fleet layer's reason, in that drone's command log.
    with qtbot.waitSignal(c.command_done, timeout=WAIT_MS) as refused:
        c.panel.command_requested.emit(DroneCommand.HOLD, dock.sysid, {})
    assert refused.args[1:3] == [dock.sysid, False] and refused.args[3].code == "authority.take_first"
    assert [line.split(" ", 1)[1] for line in c.panel.results()] == [
        f"Hold: refused: take command authority on dock {dock.id} first"]

    # The operator looks at another drone: its log has none of the first drone's commands.
    other = docks[1]
    c.selection.select(Selection(SelectionKind.DRONE, str(other.sysid)))
    assert c.panel.current_sysid == other.sysid and c.panel.results() == []

    # Dispatch (as the alert desk will): the map shows the route, the board the drone in flight, and the
    # panel follows the dispatched drone, with its own log.
    task = dispatch(c, dock, *destination(dock.lat, dock.lon, 60.0, 400.0))
    qtbot.waitUntil(lambda: c.panel.current_sysid == dock.sysid, timeout=WAIT_MS)
    assert len(c.panel.results()) == 1
    qtbot.waitUntil(lambda: any(r.task_id == task.task_id for r in c.map.scene.routes), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: board_status(c, dock.id) == DockStatus.IN_FLIGHT, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: task.state in (TaskState.EN_ROUTE, TaskState.ON_SCENE), timeout=WAIT_MS)
    # Dispatch took authority for this console: the panel's commands open up.
    qtbot.waitUntil(lambda: c.panel.buttons[DroneCommand.HOLD].isEnabled(), timeout=WAIT_MS)
    # The panel shows the core's state at its next refresh (5 Hz), not the instant the core moves on.
    qtbot.waitUntil(lambda: c.panel.detail is not None and c.panel.detail.airborne, timeout=WAIT_MS)
    detail = c.panel.detail
    assert detail is not None and detail.task_id == task.task_id and detail.airborne
    assert c.panel.authority_text().startswith("Command authority: this console (op1), for ")
    assert not c.panel.buttons[DroneCommand.RELEASE_AUTHORITY].isHidden()

    with qtbot.waitSignal(c.command_done, timeout=WAIT_MS) as held:
        c.panel.command_requested.emit(DroneCommand.HOLD, dock.sysid, {})
    assert held.args[0] is DroneCommand.HOLD and held.args[2] is True
    qtbot.waitUntil(lambda: (c.panel.detail is not None and c.panel.detail.mode == "HOLD"), timeout=WAIT_MS)

    with qtbot.waitSignal(c.command_done, timeout=WAIT_MS) as returned:
        c.panel.command_requested.emit(DroneCommand.RETURN, dock.sysid, {})
    assert returned.args[2] is True
    qtbot.waitUntil(lambda: not task.state.open, timeout=120_000)
    assert task.state is TaskState.COMPLETED
    # The flight is over: its authority goes back (journaled), and the panel asks for it again.
    qtbot.waitUntil(lambda: services.tasks.authority.holder(dock.id) is None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not c.panel.buttons[DroneCommand.HOLD].isEnabled(), timeout=WAIT_MS)
    assert c.panel.authority_text() == "Command authority: nobody"
    assert c.panel.buttons[DroneCommand.RELEASE_AUTHORITY].isHidden()
    journal = c.server.services.tasks.journal  # type: ignore[attr-defined]
    assert ("release_authority", "task end", "accepted") in [
        (cmd, by, result) for _, _, cmd, by, result, _ in journal.commands(dock.id)]
    qtbot.waitUntil(lambda: not c.map.scene.routes, timeout=WAIT_MS)
    assert services.health.snapshot()["map_drones_drawn"] == len(docks)


def test_the_health_line_names_a_flight_that_failed_but_not_a_refused_dispatch(live: SituationController,
                                                                                 qtbot) -> None:  # type: ignore[no-untyped-def]
    c = live
    services, sim = c.services, c.sim  # type: ignore[attr-defined]
    fault, windy = services.site.docks[1], services.site.docks[2]
    qtbot.waitUntil(lambda: all(board_status(c, d.id) == DockStatus.READY for d in (fault, windy)), timeout=WAIT_MS)
    # A dispatch the preflight refuses is an answer to the dispatcher, not a fault of the console.
    sim.do(sim.sim.dock_sims.dock(windy.id).inject, "weather_hold", True)
    qtbot.waitUntil(lambda: (services.docks.state(windy.id).wind_speed_m_s or 0) > services.tasks.limits.max_wind_m_s,
                    timeout=WAIT_MS)
    with pytest.raises(DispatchRefused):
        dispatch(c, windy, *destination(windy.lat, windy.lon, 90.0, 300.0))
    # A flight whose dock's cover fails after the checks passed is a fault: the health line names it.
    sim.do(sim.sim.dock_sims.dock(fault.id).inject, "cover_fault", True)
    task = dispatch(c, fault, *destination(fault.lat, fault.lon, 90.0, 300.0))
    qtbot.waitUntil(lambda: task.state is TaskState.FAILED, timeout=WAIT_MS * 2)

    def failed() -> list[str]:
        return [p for p in services.health.snapshot()["problems"] if p.startswith("site server: task ")]

    # The server's health line says so, and the console's health line carries it.
    qtbot.waitUntil(lambda: bool(failed()), timeout=WAIT_MS)
    assert failed() == [f"site server: task {task.task_id} from dock {fault.id} failed: {task.reason.en}"]  # type: ignore[union-attr]


def test_a_drone_back_from_a_flight_charges_up_and_says_when_it_is_ready(live: SituationController,
                                                                          qtbot) -> None:  # type: ignore[no-untyped-def]
    """The battery's arrow and the ready time on the board, from the simulated drone and dock, after a flight."""
    c = live
    services, sim = c.services, c.sim  # type: ignore[attr-defined]
    dock = services.site.docks[0]
    limits = services.tasks.limits
    qtbot.waitUntil(lambda: board_status(c, dock.id) == DockStatus.READY, timeout=WAIT_MS)
    task = dispatch(c, dock, *destination(dock.lat, dock.lon, 60.0, 300.0))
    qtbot.waitUntil(lambda: task.state in (TaskState.EN_ROUTE, TaskState.ON_SCENE), timeout=WAIT_MS)
    # A long flight's drain, in one step: the drone comes home with little more than its reserve.
    low = limits.ready_battery_pct - 28.0
    sim.do(sim.sim.fleet.set_battery, dock.sysid, low)
    qtbot.waitUntil(lambda: not task.state.open, timeout=120_000)

    seen: list[tuple[float | None, float | None]] = []   # (trend, ready in) of each refresh while charging

    def charging_row() -> bool:
        row = c.board.model.fleet_row(c.board.model.row_of(dock.id))  # type: ignore[arg-type]
        if row.status is DockStatus.CHARGING:
            seen.append((row.charge_trend_pct_min, row.ready_in_s))
        trends = [t for t, _ in seen if t is not None]
        return len(trends) >= 3

    # The dock charges its drone: the board says so with a rising trend, never a falling one, and a ready time.
    qtbot.waitUntil(charging_row, timeout=WAIT_MS * 2)
    assert services.docks.state(dock.id).charging is True
    assert all(ready is not None and ready > 0 for _, ready in seen), seen
    assert all(trend > 0 for trend, _ in seen if trend is not None), seen
    # The ready time follows the measured rate: what is left to the ready line at that rate.
    row = c.board.model.fleet_row(c.board.model.row_of(dock.id))  # type: ignore[arg-type]
    if row.status is DockStatus.CHARGING and row.charge_trend_pct_min:
        assert row.battery_pct is not None and row.ready_in_s == pytest.approx(
            (limits.ready_battery_pct - row.battery_pct) / row.charge_trend_pct_min * 60.0)
    # Charged past the ready line, the dock is ready again.
    qtbot.waitUntil(lambda: board_status(c, dock.id) == DockStatus.READY, timeout=WAIT_MS * 2)
