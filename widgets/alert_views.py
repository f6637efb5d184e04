"""What the alert desk and the dispatch panel show: plain frozen values, and the workflow rules the
buttons follow.

The console turns its alert records, quarantine, SLA figures and five automatics into these values
(already localized) and hands them over; the widgets know nothing of the alert service, MQTT or the
fleet (docs/architecture.md, "Layers"). Values not known are `None`, never zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from vocab import ALERT_TRANSITIONS, CLOSED_ALERT_STATES, AlertState
from vocab.states import DISPATCHABLE_ALERT_STATES

#: Workflow states of an alert, in the order of a normal life.
STATES: tuple[AlertState, ...] = tuple(AlertState)
OPEN_STATES = frozenset(AlertState) - CLOSED_ALERT_STATES
class AlertAction(Enum):
    """What the operator can do with an alert from the desk."""

    ACKNOWLEDGE = "acknowledge"
    DISPATCH = "dispatch"
    ASSIGN = "assign"       # args: operator (None: unassign)
    NOTE = "note"           # args: text
    DISMISS = "dismiss"     # args: reason
    RESOLVE = "resolve"
    REOPEN = "reopen"
    SPLIT = "split"


def action_allowed(action: AlertAction, state: str, *, in_shared_incident: bool = False) -> bool:
    """Whether the workflow lets `action` apply to an alert in `state` (the core has the last word)."""
    if action is AlertAction.ACKNOWLEDGE:
        return AlertState.ACKNOWLEDGED in ALERT_TRANSITIONS[AlertState(state)]
    if action is AlertAction.DISPATCH:
        return state in DISPATCHABLE_ALERT_STATES
    if action is AlertAction.DISMISS:
        return AlertState.DISMISSED in ALERT_TRANSITIONS[AlertState(state)]
    if action is AlertAction.RESOLVE:
        return AlertState.RESOLVED in ALERT_TRANSITIONS[AlertState(state)]
    if action is AlertAction.REOPEN:
        return state in CLOSED_ALERT_STATES
    if action is AlertAction.SPLIT:
        return in_shared_incident
    return True  # assign and note apply to any alert


@dataclass(frozen=True, slots=True)
class AlertRow:
    """One alert on the desk. `ts` is the source's time and `received_ts` this console's (epoch s)."""

    alert_id: str
    level: int                   # 1 (most severe) .. 4
    level_name: str              # localized: 一级 / level 1
    category: str                # the raw key (filters)
    category_name: str           # localized, "unknown category: x" for an unknown one
    title: str
    district: str                # the key ("" when not known)
    district_name: str           # localized
    ts: float
    received_ts: float
    state: str                   # one of STATES
    state_name: str              # localized
    assigned_to: str | None = None
    task_id: str | None = None
    incident_id: str | None = None
    source_cleared: bool = False  # the camera or sensor reported the condition gone
    reason: str = ""             # why dismissed (localized)
    detail: str = ""

    @property
    def open(self) -> bool:
        return self.state in OPEN_STATES


@dataclass(frozen=True, slots=True)
class AlertFilter:
    """What the desk shows: `None` (or empty text) means any."""

    levels: frozenset[int] | None = None
    category: str | None = None
    district: str | None = None
    states: frozenset[str] | None = OPEN_STATES
    within_s: float | None = None   # received in the last N seconds
    text: str = ""                  # case-insensitive, in id, title, category, district, operator, task

    def accepts(self, row: AlertRow, haystack: str, now: float) -> bool:
        if self.levels is not None and row.level not in self.levels:
            return False
        if self.category is not None and row.category != self.category:
            return False
        if self.district is not None and row.district != self.district:
            return False
        if self.states is not None and row.state not in self.states:
            return False
        if self.within_s is not None and row.received_ts < now - self.within_s:
            return False
        return not self.text or self.text.casefold() in haystack


def search_text(row: AlertRow) -> str:
    """What the search box looks in, folded once per row version."""
    return " ".join((row.alert_id, row.title, row.category, row.category_name, row.district, row.district_name,
                     row.assigned_to or "", row.task_id or "", row.state_name)).casefold()


@dataclass(frozen=True, slots=True)
class QuarantineRow:
    """A payload that could not be used: why (localized) and what it was."""

    quarantine_id: int
    topic: str
    reason: str
    raw: bytes
    size: int
    received_ts: float
    alert_id: str | None = None

    def raw_text(self) -> str:
        """The payload as text when it is UTF-8, else as escaped bytes."""
        try:
            return self.raw.decode("utf-8")
        except UnicodeDecodeError:
            return repr(self.raw)


@dataclass(frozen=True, slots=True)
class DockChoice:
    """One dock for the selected alert: time on scene, or why it cannot go (localized)."""

    dock_id: str
    name: str
    district_name: str
    distance_m: float
    eta_s: float | None
    excluded: str = ""           # "" when the dock can go
    exclusion_kind: str = ""     # battery, weather, offline, no-fly route, busy, out of range (localized)

    @property
    def available(self) -> bool:
        return not self.excluded


@dataclass(frozen=True, slots=True)
class NearbyCameraRow:
    camera_id: str
    name: str
    distance_m: float
    live: bool = True


@dataclass(frozen=True, slots=True)
class NearbyAlertRow:
    alert_id: str
    level: int
    category_name: str
    state_name: str
    distance_m: float


@dataclass(frozen=True, slots=True)
class ProposalView:
    """What the dispatch confirmation shows; `refused` (localized) when no dock can go. `plan_id` names the
    plan this view shows, so the confirmation asks for exactly that dock and route to fly."""

    plan_id: str | None
    dock_id: str | None
    dock_name: str
    route_length_m: float | None
    eta_s: float | None
    pattern: str
    checks_passed: tuple[str, ...]
    refused: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AutomaticsView:
    """The five automatics of the selected alert, localized."""

    alert_id: str
    title: str
    state: str                   # the alert's workflow state (dispatch applies to new/acknowledged)
    alert_level: int
    response_level: int
    response_rule: str
    radius_m: float
    area_rule: str
    docks: tuple[DockChoice, ...]
    cameras: tuple[NearbyCameraRow, ...]
    nearby_alerts: tuple[NearbyAlertRow, ...]
    proposal: ProposalView

    @property
    def can_dispatch(self) -> bool:
        return action_allowed(AlertAction.DISPATCH, self.state) and not self.proposal.refused


def format_duration(seconds: float | None) -> str:
    """m:ss (h:mm:ss past an hour); "--" when not known."""
    if seconds is None:
        return "--"
    s = max(0, int(round(seconds)))
    if s >= 3600:
        return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


def format_distance(metres: float | None) -> str:
    if metres is None:
        return "--"
    return f"{metres:.0f} m" if metres < 1000 else f"{metres / 1000:.1f} km"
