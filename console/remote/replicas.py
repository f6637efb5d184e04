"""A console's copy of what the site server knows: fleet, docks, open tasks, alerts
(docs/architecture.md, "Site server").

Each replica has the read side of the core service it mirrors (`Fleet`, `DockClient`, `TaskService`,
`AlertService`), so the views read it exactly as they read the core in one process: from any thread, on
their timers, never blocking. They are written on the console's core loop, from the server's frames and
records (console/remote/site_client.py); each value is replaced whole, so a reader never sees half of one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import replace
from collections.abc import Iterable
from typing import Any

import numpy as np

from console.core.alert_incidents import SlaSummary, shift_start, sla_summary
from console.core.alert_store import AlertRecord, QuarantineRecord
from console.core.server_contract import FRAME_COLUMNS, swap_ages
from console.core.task_service import TaskView
from console.core.wire import from_wire
from drones.fleet import StatusLine
from drones.model import DockState, DroneState, LandedState
from drones.site import Dock
from drones.tasks import TaskStateChanged
from drones.telemetry_store import N_COLS, Col, TelemetryStore
from vocab import LinkState

log = logging.getLogger(__name__)

#: Status texts kept per drone (the panel shows the last few).
TEXTS_KEPT = 20



class FleetReplica:
    """The fleet as the server's frames tell it: a TelemetryStore of the site's drones (so history for the plots
    builds up from the frames), their status texts and attitude, and the link counts."""

    def __init__(self, docks: Iterable[Dock]) -> None:
        self.store = TelemetryStore(d.sysid for d in docks)
        self._texts: dict[int, deque[StatusLine]] = {s: deque(maxlen=TEXTS_KEPT) for s in self.store.sysids}
        self._attitude: dict[int, tuple[float, float] | None] = dict.fromkeys(self.store.sysids)
        self._links = (0, len(self.store.sysids))

    def apply(self, header: dict[str, Any], numbers: np.ndarray) -> None:
        """One frame (console core loop)."""
        now = time.monotonic()
        slots = header.get("slots") or {}
        texts = header.get("texts") or {}
        # Whole columns at once into a matrix in the store's column order, then a row per drone.
        rows = np.full((len(numbers), N_COLS), np.nan)
        for name, col in FRAME_COLUMNS:
            rows[:, col] = numbers[name]
        rows[:, Col.UPDATED_AT] = now - numbers["updated_age"]
        rows[:, Col.HEARTBEAT_AT] = now - numbers["heartbeat_age"]
        rates, rolls, pitches = numbers["rate_hz"].tolist(), numbers["roll"].tolist(), numbers["pitch"].tolist()
        for i, sysid in enumerate(header.get("sysids", ())):
            if sysid not in self.store:
                continue
            values = rows[i].tolist()
            writer = self.store.writer(sysid)
            moved = values[Col.MESSAGES] != writer.value(Col.MESSAGES)
            writer.mirror(values, rates[i], sample=moved and not np.isnan(values[Col.LAT]))
            roll, pitch = rolls[i], pitches[i]
            self._attitude[sysid] = None if np.isnan(roll) or np.isnan(pitch) else (roll, pitch)
            s = slots.get(str(sysid))
            if s is not None:
                self._apply_slots(writer.slots, s)
            lines = texts.get(str(sysid))
            if lines:
                kept = self._texts[sysid]
                if header.get("full"):
                    kept.clear()
                kept.extend(StatusLine(float(ts), str(sev), str(text)) for ts, sev, text in lines)
        links = header.get("links")
        if isinstance(links, list) and len(links) == 2:
            self._links = (int(links[0]), int(links[1]))

    @staticmethod
    def _apply_slots(slots: Any, s: dict[str, Any]) -> None:
        slots.flight_mode = s.get("mode")
        slots.armed = s.get("armed")
        slots.landed = LandedState(s.get("landed", "unknown"))
        slots.health_all_ok = s.get("health")
        slots.armable = s.get("armable")
        slots.status_text = s.get("text")
        slots.link = LinkState(s.get("link", "never"))
        mission = s.get("mission")
        slots.mission = (int(mission[0]), int(mission[1])) if mission else None
        slots.link_loss_action = s.get("lla")

    # ----- the read side of drones.fleet.Fleet (any thread) -----

    def snapshot(self, sysid: int) -> DroneState:
        return self.store.snapshot(sysid)

    def snapshots(self) -> list[DroneState]:
        return self.store.snapshots()

    def link_counts(self) -> tuple[int, int]:
        return self._links

    def status_texts(self, sysid: int) -> tuple[StatusLine, ...]:
        return tuple(self._texts.get(sysid, ()))

    def attitude(self, sysid: int) -> tuple[float, float] | None:
        return self._attitude.get(sysid)


class DockReplica:
    """Dock states as the server's frames tell them (the read side of drones.dock_client.DockClient)."""

    def __init__(self, docks: Iterable[Dock]) -> None:
        self._states = {d.id: DockState(d.id, d.dock_sn) for d in docks}

    def apply(self, changed: dict[str, Any]) -> None:
        now = time.monotonic()
        states = dict(self._states)
        for dock_id, data in changed.items():
            if dock_id in states:
                try:
                    states[dock_id] = from_wire(DockState, swap_ages(data, now))
                except ValueError as exc:
                    log.warning("dock %s: unusable state from the server: %s", dock_id, exc)
        self._states = states   # replaced whole: readers on other threads see one or the other

    def state(self, dock_id: str) -> DockState:
        return self._states[dock_id]

    def states(self) -> dict[str, DockState]:
        return dict(self._states)

    @property
    def online_count(self) -> int:
        return sum(1 for s in self._states.values() if s.online)


class AlertReplica:
    """The alert records, SLA figures and quarantine the server publishes (the read side of AlertService)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, AlertRecord] = {}
        self._quarantine: tuple[QuarantineRecord, ...] = ()
        self.quarantined = 0

    def put(self, record: AlertRecord) -> AlertRecord | None:
        """Stores a record; returns the one it replaced (None: new here)."""
        with self._lock:
            old = self._records.get(record.id)
            self._records[record.id] = record
        return old

    def drop(self, alert_id: str) -> None:
        with self._lock:
            self._records.pop(alert_id, None)

    def set_quarantine(self, quarantine: tuple[QuarantineRecord, ...], quarantined: int) -> bool:
        """The server's recent quarantine and its total; True when it changed."""
        changed = [q.id for q in quarantine] != [q.id for q in self._quarantine]
        self._quarantine, self.quarantined = quarantine, quarantined
        return changed

    def alerts(self) -> tuple[AlertRecord, ...]:
        with self._lock:
            return tuple(self._records.values())

    def alert(self, alert_id: str) -> AlertRecord | None:
        with self._lock:
            return self._records.get(alert_id)

    def quarantine(self) -> tuple[QuarantineRecord, ...]:
        return self._quarantine

    def sla(self, now: float | None = None) -> SlaSummary:
        """SLA figures of the shift running at `now`, from the records the server sent (as AlertService.sla)."""
        return sla_summary(self.alerts(), shift_start(now if now is not None else time.time()))


class TaskReplica:
    """Open tasks and locked drones as the server's frames tell them."""

    def __init__(self) -> None:
        self.open_tasks: tuple[TaskView, ...] = ()
        self.locked: frozenset[int] = frozenset()
        self.counts: dict[str, int] = {}
        #: Transitions announced (server time) that a frame may not know yet: {task_id: (state, ts)}.
        self._announced: dict[str, tuple[TaskState, float]] = {}

    def apply_tasks(self, data: list[Any], sent: float | None = None) -> None:
        """The open tasks of a frame the server sent at `sent` (its clock). A transition announced after the frame
        was made stays: the frame and the announcement travel apart, and a frame made just before a transition
        would otherwise take a task back to its previous state."""
        now = time.monotonic()
        try:
            tasks = from_wire(tuple[TaskView, ...], swap_ages(data, now))
        except ValueError as exc:
            log.warning("unusable task list from the server: %s", exc)
            return
        if sent is not None:
            self._announced = {k: v for k, v in self._announced.items() if v[1] > sent}
        newer = self._announced
        tasks = tuple(replace(t, state=newer[t.task_id][0]) if t.task_id in newer else t for t in tasks)
        self.open_tasks = tuple(t for t in tasks if t.state.open)

    def transition(self, event: TaskStateChanged, ts: float | None = None) -> None:
        """A task's transition, as soon as it is announced (at `ts`, server time; the next frame brings the same,
        and a new task's route and time to scene, which the announcement does not carry)."""
        if ts is not None:
            self._announced[event.task_id] = (event.state, ts)
        known = any(t.task_id == event.task_id for t in self.open_tasks)
        tasks = tuple(replace(t, state=event.state, reason=event.reason) if t.task_id == event.task_id else t
                      for t in self.open_tasks)
        if not known:
            tasks += (TaskView(event.task_id, event.sysid, event.dock_id, event.alert_id, event.state, (), None,
                               event.reason, time.monotonic()),)
        self.open_tasks = tuple(t for t in tasks if t.state.open)

    def find(self, task_id: str) -> TaskView | None:
        return next((t for t in self.open_tasks if t.task_id == task_id), None)

    def open_task_for(self, sysid: int) -> TaskView | None:
        return next((t for t in self.open_tasks if t.sysid == sysid), None)
