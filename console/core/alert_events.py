"""What the alert desk announces, and the workflow rules it keeps.

Events are frozen values passed to `AlertService`'s `on_event` callback on the core loop;
the GUI bridge forwards them as Qt signals. Records inside them are snapshots: a later change
arrives as a new event with a new record.

The console-to-console state message (docs/architecture.md, "Console-to-console topics"), retained on
`{root}/console/v1/alerts/{alert_id}`:
`{"alert_id", "state", "by", "console", "ts", "task_id"}` plus `assigned_to` and, for a
dismissal, `reason` (English text) and `reason_code` (`vocab.Reason` as JSON). `ts` is epoch seconds (as task states); ISO-8601 is accepted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from console.core.alert_contract import parse_ts
from console.core.alert_incidents import Incident
from console.core.alert_store import AlertRecord, QuarantineRecord
from vocab import AlertState, Reason

AlertChange = Literal["state", "remote_state", "cleared", "assigned", "note", "incident", "dispatch_refused"]


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
    return WorkflowRefused(Reason.of("alert.transition", alert_id=alert_id, state=AlertState(state),
                                     to=AlertState(to)))


def unknown_alert(alert_id: str) -> WorkflowRefused:
    return WorkflowRefused(Reason.of("alert.unknown", alert_id=alert_id))


def state_payload(record: AlertRecord) -> dict[str, Any]:
    """The retained console-to-console message of a record's workflow state."""
    payload: dict[str, Any] = {"alert_id": record.id, "state": record.state, "by": record.state_by,
                               "console": record.state_console, "ts": record.state_ts, "task_id": record.task_id,
                               "assigned_to": record.assigned_to}
    if record.reason is not None:
        payload["reason"], payload["reason_code"] = record.reason.en, record.reason.to_json()
    return payload


@dataclass(frozen=True, slots=True)
class RemoteState:
    """Another console's workflow state of an alert, checked."""

    alert_id: str
    state: AlertState
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
        return Reason.of("state_msg.alert_id")
    if state not in AlertState.__members__.values():
        return Reason.of("state_msg.unknown_state", state=repr(state))
    if not isinstance(by, str) or not isinstance(console, str) or not console:
        return Reason.of("state_msg.no_by")
    if task_id is not None and not isinstance(task_id, str):
        return Reason.of("state_msg.task_id")
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
        return Reason.of("state_msg.ts")
    assigned = body.get("assigned_to")
    return RemoteState(alert_id, AlertState(state), by, console, ts, task_id,
                       assigned if isinstance(assigned, str) else None, _reason_in(body))


def _reason_in(body: Mapping[str, Any]) -> Reason | None:
    """The reason a state message carries: its code when it has one, else its text as the sender's words."""
    coded, text = body.get("reason_code"), body.get("reason")
    if isinstance(coded, Mapping):
        try:
            return Reason.from_json(coded)
        except (ValueError, KeyError, TypeError):
            pass
    return Reason.said(text) if isinstance(text, str) and text.strip() else None
