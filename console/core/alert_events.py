"""What the alert desk announces, and the workflow rules it keeps.

Events are frozen values passed to `AlertService`'s `on_event` callback on the core loop;
the GUI bridge forwards them as Qt signals. Records inside them are snapshots: a later change
arrives as a new event with a new record.

The console-to-console state message (DESIGN.md section 4.2), retained on
`{root}/console/v1/alerts/{alert_id}`:
`{"alert_id", "state", "by", "console", "ts", "task_id"}` plus `assigned_to` and, for a
dismissal, `reason` / `reason_en`. `ts` is epoch seconds (as task states); ISO-8601 is accepted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from console.core.alert_contract import parse_ts
from console.core.alert_incidents import Incident
from console.core.alert_store import WORKFLOW_STATES, AlertRecord, QuarantineRecord, WorkflowState
from drones.model import Reason

AlertChange = Literal["state", "remote_state", "cleared", "assigned", "note", "incident", "dispatch_refused"]

#: Which workflow state may follow which; `reopen` (closed -> acknowledged) is separate.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    "new": frozenset({"acknowledged", "dispatched", "resolved", "dismissed"}),
    "acknowledged": frozenset({"dispatched", "resolved", "dismissed"}),
    "dispatched": frozenset({"on_scene", "resolved", "dismissed"}),
    "on_scene": frozenset({"resolved", "dismissed"}),
    "resolved": frozenset(),
    "dismissed": frozenset(),
}
STATE_NAMES: Mapping[str, Reason] = {
    "new": Reason("新告警", "new"), "acknowledged": Reason("已确认", "acknowledged"),
    "dispatched": Reason("已派出", "dispatched"), "on_scene": Reason("已到场", "on scene"),
    "resolved": Reason("已处置", "resolved"), "dismissed": Reason("已排除", "dismissed"),
}


@dataclass(frozen=True, slots=True)
class AlertReceived:
    """A new alert, journaled."""

    record: AlertRecord


@dataclass(frozen=True, slots=True)
class AlertUpdated:
    """An alert changed: `change` says how; `reason` is what the operator should read (a refusal)."""

    record: AlertRecord
    change: AlertChange
    reason: Reason | None = None


@dataclass(frozen=True, slots=True)
class AlertQuarantined:
    """A payload that could not be used, journaled in the quarantine with its reason."""

    item: QuarantineRecord


@dataclass(frozen=True, slots=True)
class IncidentChanged:
    """An incident gained or lost alerts, or its level or open state changed; `incident` None: gone."""

    incident_id: str
    incident: Incident | None


AlertEvent = AlertReceived | AlertUpdated | AlertQuarantined | IncidentChanged


class WorkflowRefused(Exception):
    """A workflow action that does not apply (unknown alert, a closed alert acknowledged...)."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.en)
        self.reason = reason


def refused_transition(alert_id: str, state: str, to: str) -> WorkflowRefused:
    now, want = STATE_NAMES[state], STATE_NAMES[to]
    return WorkflowRefused(Reason(f"告警 {alert_id} {now.zh}，不能改为{want.zh}",
                                  f"alert {alert_id} is {now.en}; it cannot become {want.en}"))


def unknown_alert(alert_id: str) -> WorkflowRefused:
    return WorkflowRefused(Reason(f"未知告警 {alert_id}", f"unknown alert {alert_id}"))


def state_payload(record: AlertRecord) -> dict[str, Any]:
    """The retained console-to-console message of a record's workflow state."""
    payload: dict[str, Any] = {"alert_id": record.id, "state": record.state, "by": record.state_by,
                               "console": record.state_console, "ts": record.state_ts, "task_id": record.task_id,
                               "assigned_to": record.assigned_to}
    if record.reason is not None:
        payload["reason"], payload["reason_en"] = record.reason.zh, record.reason.en
    return payload


@dataclass(frozen=True, slots=True)
class RemoteState:
    """Another console's workflow state of an alert, checked."""

    alert_id: str
    state: WorkflowState
    by: str
    console: str
    ts: float
    task_id: str | None
    assigned_to: str | None
    reason: Reason | None


def parse_state(alert_id: str, body: Mapping[str, Any]) -> RemoteState | Reason:
    """A state message as RemoteState, or the reason it cannot be used."""
    state, by, console, task_id = body.get("state"), body.get("by"), body.get("console"), body.get("task_id")
    if body.get("alert_id") != alert_id:
        return Reason("状态消息的 alert_id 与主题不符", "the state's alert_id does not match its topic")
    if state not in WORKFLOW_STATES:
        return Reason(f"未知处置状态 {state!r}", f"unknown workflow state {state!r}")
    if not isinstance(by, str) or not isinstance(console, str) or not console:
        return Reason("状态消息缺少 by 或 console", "the state has no by or console")
    if task_id is not None and not isinstance(task_id, str):
        return Reason("task_id 应为文本", "task_id must be text")
    raw_ts = body.get("ts")
    ts: float | None = None
    if isinstance(raw_ts, (int, float)) and not isinstance(raw_ts, bool) and math.isfinite(raw_ts):
        ts = float(raw_ts)
    elif isinstance(raw_ts, str):
        try:
            ts = parse_ts(raw_ts)
        except (ValueError, OverflowError, OSError):
            ts = None
    if ts is None:
        return Reason("状态消息的 ts 不是时间", "the state's ts is not a time")
    assigned = body.get("assigned_to")
    zh, en = body.get("reason"), body.get("reason_en")
    reason = Reason(zh, en if isinstance(en, str) else zh) if isinstance(zh, str) else None
    return RemoteState(alert_id, state, by, console, ts, task_id, assigned if isinstance(assigned, str) else None,
                       reason)
