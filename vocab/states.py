"""States both the core and the client speak of, with the rules that connect them.

String-valued enums: a state is its wire value (`AlertState.NEW == "new"`), so journals and MQTT
payloads stay plain text. Each member's `term` is the reason naming it on screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum

from vocab.reason import Reason


class _Named:
    """Mixin: `member.term` is the catalogue entry "<prefix>.<value>" that names the member."""

    @property
    def term(self) -> Reason:
        return Reason.of(f"{_PREFIX[type(self).__name__]}.{self.value}")  # type: ignore[attr-defined]


_PREFIX = {"TaskState": "task_state", "AlertState": "alert_state", "DockStatus": "dock_status",
           "ExclusionKind": "exclusion", "LinkState": "link_state"}


class TaskState(_Named, Enum):
    """Flight task states, as published on `{root}/console/v1/tasks/{task_id}`."""


    PLANNED = "planned"
    PREFLIGHT = "preflight"
    LAUNCHING = "launching"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    RETURNING = "returning"
    LANDING = "landing"
    DOCKED = "docked"
    COMPLETED = "completed"
    ABORTED = "aborted"
    FAILED = "failed"

    @property
    def open(self) -> bool:
        return self not in (TaskState.COMPLETED, TaskState.ABORTED, TaskState.FAILED)


class AlertState(_Named, StrEnum):
    """Where an alert's handling stands (the desk's workflow)."""


    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    DISPATCHED = "dispatched"
    ON_SCENE = "on_scene"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


#: Which workflow state may follow which; `reopen` (closed -> acknowledged) is separate.
ALERT_TRANSITIONS: Mapping[AlertState, frozenset[AlertState]] = {
    AlertState.NEW: frozenset({AlertState.ACKNOWLEDGED, AlertState.DISPATCHED, AlertState.RESOLVED,
                               AlertState.DISMISSED}),
    AlertState.ACKNOWLEDGED: frozenset({AlertState.DISPATCHED, AlertState.RESOLVED, AlertState.DISMISSED}),
    AlertState.DISPATCHED: frozenset({AlertState.ON_SCENE, AlertState.RESOLVED, AlertState.DISMISSED}),
    AlertState.ON_SCENE: frozenset({AlertState.RESOLVED, AlertState.DISMISSED}),
    AlertState.RESOLVED: frozenset(),
    AlertState.DISMISSED: frozenset(),
}
CLOSED_ALERT_STATES = frozenset({AlertState.RESOLVED, AlertState.DISMISSED})
#: States an alert can be dispatched from.
DISPATCHABLE_ALERT_STATES = frozenset({AlertState.NEW, AlertState.ACKNOWLEDGED})


class DockStatus(_Named, StrEnum):
    """What a dock can do right now: its colour on the map and its row on the fleet board."""


    READY = "ready"                # online, drone inside and charged enough to fly
    CHARGING = "charging"          # drone inside, charging (not yet ready)
    IN_FLIGHT = "in_flight"        # its drone is out
    WEATHER_HOLD = "weather_hold"  # wind or rain beyond the limits
    OFFLINE = "offline"            # the dock is silent or said offline
    FAULT = "fault"                # cover fault, drone unhealthy, lost link on the ground
    UNKNOWN = "unknown"            # not reported yet


class ExclusionKind(_Named, StrEnum):
    """Why a dock cannot take an alert, as the five automatics group the failed checks."""


    BATTERY = "battery"
    WEATHER = "weather"
    OFFLINE = "offline"
    BUSY = "busy"
    NOFLY = "nofly"
    RANGE = "range"


class LinkState(_Named, Enum):
    """The MAVLink link to one drone."""


    NEVER = "never"          # no message since the console started
    OK = "ok"
    LOST = "lost"            # silent for more than the fleet's LINK_LOST_S
