"""Role gating in the drone panel, the dispatch panel and the alert desk: a button the signed-in role may not
use is disabled and says which role it needs; the role is one more reason, never undone by another update."""

from __future__ import annotations

import pytest

from console.core.roles import LOWEST_ROLE, OP_POWER, Power, Role, powers
from tests.widgets.test_alert_desk import NOW, AnsweringDesk, row
from tests.widgets.test_dispatch_panel import AnsweringPanel as AnsweringDispatch, view
from tests.widgets.test_drone_panel import MINE, WANG, AnsweringPanel as AnsweringDrone, detail
from widgets import powers as widget_powers
from widgets.alert_desk import ACTION_POWER
from widgets.alert_views import AlertAction
from widgets.drone_panel import COMMAND_POWER
from widgets.powers import role_name
from widgets.situation import DroneCommand, Selection, SelectionKind, SelectionModel

VIEWER = frozenset(str(p) for p in powers(Role.VIEWER))
OPERATOR = frozenset(str(p) for p in powers(Role.OPERATOR))
DISPATCHER = frozenset(str(p) for p in powers(Role.DISPATCHER))
SUPERVISOR = frozenset(str(p) for p in powers(Role.SUPERVISOR))
NEEDS_DISPATCHER = "Needs the dispatcher role (you are: viewer)"


def test_the_widgets_copy_of_the_role_table_matches_it() -> None:
    # Widgets may not import console/core/roles.py: their copy of the lowest roles is checked here.
    assert widget_powers.LOWEST_ROLE == {str(p): str(r) for p, r in LOWEST_ROLE.items()}
    assert widget_powers.ALL_POWERS == {str(p) for p in Power}
    assert set(widget_powers.ROLE_NAMES) == {str(r) for r in Role}
    # Each gated command and action needs the power its server operation needs.
    ops = {DroneCommand.HOLD: "drone.hold", DroneCommand.RESUME: "drone.resume", DroneCommand.GOTO: "drone.goto",
           DroneCommand.ALTITUDE: "drone.altitude", DroneCommand.RETURN: "drone.return",
           DroneCommand.LAND: "drone.land", DroneCommand.ABORT: "drone.abort",
           DroneCommand.EMERGENCY_STOP: "drone.emergency_stop", DroneCommand.REACTIVATE: "drone.reactivate",
           DroneCommand.TAKE_AUTHORITY: "authority.take", DroneCommand.RELEASE_AUTHORITY: "authority.release",
           DroneCommand.FORCE_TAKE: "authority.force"}
    assert {c: str(OP_POWER[op]) for c, op in ops.items()} == COMMAND_POWER
    assert {a: str(OP_POWER[f"alert.{a.value}"]) for a in AlertAction} == ACTION_POWER


def test_role_names_are_translated() -> None:
    assert role_name("dispatcher") == "dispatcher" and role_name("robot") == "robot"


# ----- drone panel -----------------------------------------------------------------------------------


@pytest.fixture
def drone(qtbot):  # type: ignore[no-untyped-def]
    p = AnsweringDrone(SelectionModel(), clock=lambda: MINE.since + 60)
    p.asked = []
    qtbot.addWidget(p)
    p.set_detail(detail())
    p.set_authority(MINE)
    return p


def enabled(panel: AnsweringDrone) -> set[DroneCommand]:
    return {c for c, b in panel.buttons.items() if b.isEnabled()}


def test_without_set_powers_the_drone_panel_is_as_before(drone: AnsweringDrone) -> None:
    assert DroneCommand.HOLD in enabled(drone) and "(shortcut H)" in drone.buttons[DroneCommand.HOLD].toolTip()


def test_a_viewer_sends_no_drone_command_and_is_told_why(drone: AnsweringDrone, qtbot) -> None:  # type: ignore[no-untyped-def]
    drone.set_powers(VIEWER, "viewer")
    assert enabled(drone) == set()
    assert not drone.alt_spin.isEnabled()
    for cmd in DroneCommand:
        if cmd in (DroneCommand.FORCE_TAKE, DroneCommand.REACTIVATE):
            assert drone.buttons[cmd].toolTip().startswith("Needs the supervisor role (you are: viewer)")
        else:
            assert drone.buttons[cmd].toolTip().startswith(NEEDS_DISPATCHER), cmd
    assert "(shortcut H)" in drone.buttons[DroneCommand.HOLD].toolTip()   # the button's own tip follows
    assert drone.disabled_reason() == NEEDS_DISPATCHER
    # Another state update (authority, a new detail, the server back) never turns a button back on.
    drone.set_authority(MINE)
    drone.set_detail(detail(status_texts=("again",)))
    drone.set_server_lost(None)
    assert enabled(drone) == set()
    # A command key says why on the message line, and sends nothing.
    with qtbot.assertNotEmitted(drone.command_requested):
        drone.press(DroneCommand.HOLD)
    assert drone.notice_label.text() == "Hold not sent: " + NEEDS_DISPATCHER


def test_a_dispatcher_commands_but_only_a_supervisor_forces_or_reactivates(drone: AnsweringDrone, qtbot) -> None:  # type: ignore[no-untyped-def]
    drone.set_powers(DISPATCHER, "dispatcher")
    assert {DroneCommand.HOLD, DroneCommand.RESUME, DroneCommand.GOTO, DroneCommand.ALTITUDE, DroneCommand.RETURN,
            DroneCommand.LAND, DroneCommand.ABORT, DroneCommand.EMERGENCY_STOP,
            DroneCommand.RELEASE_AUTHORITY} <= enabled(drone)
    with qtbot.waitSignal(drone.command_requested):
        drone.buttons[DroneCommand.HOLD].click()
    # Another console holds authority: force-take is shown (a supervisor could) but disabled for a dispatcher.
    drone.set_authority(WANG)
    force = drone.buttons[DroneCommand.FORCE_TAKE]
    assert not force.isHidden() and not force.isEnabled()
    assert force.toolTip().startswith("Needs the supervisor role (you are: dispatcher)")
    assert drone.buttons[DroneCommand.TAKE_AUTHORITY].isEnabled()
    # Emergency-stopped: re-activation is a supervisor's.
    drone.set_authority(MINE)
    drone.set_detail(detail(locked_out=True))
    reactivate = drone.buttons[DroneCommand.REACTIVATE]
    assert not reactivate.isHidden() and not reactivate.isEnabled()
    assert "supervisor" in drone.disabled_reason()
    drone.set_powers(SUPERVISOR, "supervisor")
    assert reactivate.isEnabled()
    drone.set_authority(WANG)
    assert drone.buttons[DroneCommand.FORCE_TAKE].isEnabled()


def test_the_role_tooltip_follows_the_language_switch(drone: AnsweringDrone) -> None:
    drone.set_powers(VIEWER, "viewer")
    drone.retranslate()   # as a LanguageChange does: the role reason stays in front
    assert drone.buttons[DroneCommand.HOLD].toolTip().startswith(NEEDS_DISPATCHER)


# ----- dispatch panel --------------------------------------------------------------------------------


@pytest.fixture
def dispatch(qtbot):  # type: ignore[no-untyped-def]
    p = AnsweringDispatch()
    p.asked = []
    p.answer = True
    qtbot.addWidget(p)
    p.set_view(view())
    return p


def test_only_a_dispatcher_dispatches(dispatch: AnsweringDispatch, qtbot) -> None:  # type: ignore[no-untyped-def]
    assert dispatch.dispatch_button.isEnabled()   # set_powers never called: as before
    for role, powers_ in (("viewer", VIEWER), ("operator", OPERATOR)):
        dispatch.set_powers(powers_, role)
        assert not dispatch.dispatch_button.isEnabled()
        assert dispatch.dispatch_button.toolTip() == f"Needs the dispatcher role (you are: {role})"
        assert dispatch.role_label.isVisibleTo(dispatch) and dispatch.role_label.text().startswith("Needs the")
    # The server lost and back, a new view: the role still holds the button off, and its reason comes first.
    dispatch.set_server_lost("server lost at 10:00")
    assert dispatch.dispatch_button.toolTip().startswith("Needs the dispatcher role")
    dispatch.set_server_lost(None)
    dispatch.set_view(view(alert_id="ALR-9"))
    assert not dispatch.dispatch_button.isEnabled()
    with qtbot.assertNotEmitted(dispatch.dispatch_requested):
        assert not dispatch.request_dispatch()
    assert dispatch.asked == [] and "dispatcher" in dispatch.result_label.text()
    dispatch.set_powers(DISPATCHER, "dispatcher")
    assert dispatch.dispatch_button.isEnabled() and not dispatch.role_label.isVisibleTo(dispatch)
    assert dispatch.dispatch_button.toolTip() == "Send the proposed drone; asks for confirmation"
    with qtbot.waitSignal(dispatch.dispatch_requested):
        dispatch.dispatch_button.click()


# ----- alert desk ------------------------------------------------------------------------------------


@pytest.fixture
def desk(qtbot, tmp_path):  # type: ignore[no-untyped-def]
    d = AnsweringDesk(SelectionModel(), clock=lambda: NOW)
    d.sound.directory = tmp_path
    qtbot.addWidget(d)
    d.resize(1000, 500)
    d.show()
    d.update_rows([row("a"), row("b", incident_id="INC-1"), row("c", incident_id="INC-1")], announce=False)
    d.selection.select(Selection(SelectionKind.ALERT, "b"))
    return d


def desk_enabled(d: AnsweringDesk) -> set[AlertAction]:
    return {a for a, b in d.buttons.items() if b.isEnabled()}


def test_a_viewer_takes_no_alert_action(desk: AnsweringDesk, qtbot) -> None:  # type: ignore[no-untyped-def]
    everything = desk_enabled(desk)
    assert AlertAction.ACKNOWLEDGE in everything and AlertAction.SPLIT in everything
    desk.set_powers(VIEWER, "viewer")
    assert desk_enabled(desk) == set()
    for a, b in desk.buttons.items():
        needed = "dispatcher" if a is AlertAction.DISPATCH else "operator"
        assert b.toolTip().startswith(f"Needs the {needed} role (you are: viewer)"), a
        assert "(shortcut " in b.toolTip()
    # New rows and another selection do not turn them on; keys and double-clicks send nothing.
    desk.update_rows([row("d")], announce=False)
    desk.selection.select(Selection(SelectionKind.ALERT, "a"))
    assert desk_enabled(desk) == set()
    with qtbot.assertNotEmitted(desk.action_requested):
        qtbot.keyClick(desk.table, "A")
        desk.trigger(AlertAction.ACKNOWLEDGE)


def test_an_operator_works_alerts_but_does_not_dispatch(desk: AnsweringDesk, qtbot) -> None:  # type: ignore[no-untyped-def]
    before = desk_enabled(desk)
    desk.set_powers(OPERATOR, "operator")
    assert desk_enabled(desk) == before - {AlertAction.DISPATCH}
    assert desk.buttons[AlertAction.DISPATCH].toolTip().startswith("Needs the dispatcher role (you are: operator)")
    desk.set_powers(DISPATCHER, "dispatcher")
    assert desk_enabled(desk) == before
    assert desk.buttons[AlertAction.ACKNOWLEDGE].toolTip() == "Acknowledge (shortcut A)"
    with qtbot.waitSignal(desk.action_requested):
        desk.buttons[AlertAction.ACKNOWLEDGE].click()
