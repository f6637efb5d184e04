"""Values that widgets/ mirrors from the core (the layer rules forbid importing them) must not drift."""

from __future__ import annotations

from console.core.alert_events import TRANSITIONS
from console.core.fleet_status import Status
from widgets.alert_views import NEXT_STATES
from widgets.situation import DockStatus


def test_the_desk_knows_the_same_workflow_as_the_alert_core() -> None:
    assert dict(NEXT_STATES) == dict(TRANSITIONS)


def test_the_widgets_know_every_dock_state_the_console_derives() -> None:
    core = {v for k, v in vars(Status).items() if not k.startswith("_")}
    assert core == {s.value for s in DockStatus}
