"""The health summary of a running console: what `--smoke` prints and IT staff read.

Qt-free. Every problem names its cause in plain words (which port, which dock, which task, why):
IT staff act on this line without opening a log. Later capabilities add their own counters
through `HealthModel.set()`/`add()`.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from console.core.events import BrokerStateChanged, Event, FleetLinksChanged


class ErrorCounter(logging.Handler):
    """Counts log records at ERROR or above, so the health line can say how many errors were logged."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.count = 0
        self.last: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        self.last = f"{record.name}: {record.getMessage()}"[:300]


class HealthModel:
    """Latest health figures, fed by core events; readable from any thread."""

    def __init__(self, errors: ErrorCounter | None = None) -> None:
        self._lock = threading.Lock()
        self._errors = errors
        self._values: dict[str, Any] = {
            "broker_connected": False,
            "broker_url": None,
            "broker_reason": None,
            "drones_connected": 0,
            "drones_total": 0,
            "docks_online": 0,
            "docks_total": 0,
            "alerts_received": 0,
            "alerts_quarantined": 0,
        }
        self._tasks: Counter[str] = Counter()
        self._failures: list[str] = []   # "task T from dock D failed: why", in the order they happened
        self._providers: list[Callable[[], dict[str, Any]]] = []

    def on_event(self, event: Event) -> None:
        """Bus listener (core thread)."""
        if isinstance(event, BrokerStateChanged):
            self.set(broker_connected=event.state == "connected", broker_url=event.url, broker_reason=event.reason)
        elif isinstance(event, FleetLinksChanged):
            self.set(drones_connected=event.connected, drones_total=event.total)

    def set(self, **values: Any) -> None:
        with self._lock:
            self._values.update(values)

    def add(self, key: str, n: int = 1) -> None:
        with self._lock:
            self._values[key] = self._values.get(key, 0) + n

    def set_task_counts(self, counts: dict[str, int]) -> None:
        with self._lock:
            self._tasks = Counter(counts)

    def add_provider(self, provider: Callable[[], dict[str, Any]]) -> None:
        """Figures read fresh at every snapshot (any thread), e.g. which drones have never linked."""
        self._providers.append(provider)

    def task_failed(self, task_id: str, dock_id: str, why: str) -> None:
        """A flight task failed while this console ran: unhealthy until the console restarts."""
        with self._lock:
            self._failures.append(f"task {task_id} from dock {dock_id} failed: {why}")

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy of every figure, with the problems that make the console unhealthy."""
        with self._lock:
            snap = dict(self._values)
            snap["tasks_by_state"] = dict(self._tasks)
            snap["tasks_failed"] = list(self._failures)
        for provider in self._providers:
            snap.update(provider())
        snap["errors_logged"] = self._errors.count if self._errors else 0
        if self._errors and self._errors.last:
            snap["last_error"] = self._errors.last
        snap["problems"] = problems(snap)
        snap["healthy"] = not snap["problems"]
        return snap


#: Docks named one by one in a problem line, before "and N more".
NAMED = 8


def _named(items: list[str]) -> str:
    return ", ".join(items[:NAMED]) + (f" and {len(items) - NAMED} more" if len(items) > NAMED else "")


def problems(snap: dict[str, Any]) -> list[str]:
    """Plain-language reasons why a snapshot is not healthy (empty when it is)."""
    out: list[str] = []
    if not snap.get("broker_connected"):
        reason = snap.get("broker_reason") or "not connected"
        out.append(f"MQTT broker {snap.get('broker_url') or '(none)'}: {reason}")
    attached = "server_present" in snap   # a console attached to a site server: the fleet is the server's
    if attached:
        if snap.get("server_problem"):
            out.append(snap["server_problem"])
        out.extend(f"site server: {p}" for p in snap.get("server_problems", ()))
    if snap.get("demo_site_exit") is not None:
        out.append(f"the demo site's simulator stopped (exit code {snap['demo_site_exit']}): its drones, docks "
                   "and cameras are gone")
    if snap.get("demo_server_exit") is not None:
        out.append(f"the demo's site server stopped (exit code {snap['demo_server_exit']}): no drone can be "
                   "commanded")
    if not attached:
        out.extend(_fleet_problems(snap))
    if snap.get("errors_logged", 0):
        out.append(f"{snap['errors_logged']} errors logged (last: {snap.get('last_error')})")
    return out


def _fleet_problems(snap: dict[str, Any]) -> list[str]:
    """What is wrong with the drones, docks and flights of a core that runs them."""
    out: list[str] = []
    for dock_id, url, result in snap.get("mavlink_open_failures", []):
        out.append(f"MAVLink {url} for dock {dock_id} could not be opened ({result}): is another program using it?")
    never, lost = snap.get("drones_never_linked", []), snap.get("drones_link_lost", [])
    if never:
        out.append(f"{len(never)} of {snap.get('drones_total', 0)} drones never linked: {_named(never)}")
    if lost:
        out.append(f"{len(lost)} drones lost their link: {_named(lost)}")
    total, connected = snap.get("drones_total", 0), snap.get("drones_connected", 0)
    if connected < total and not never and not lost:
        out.append(f"{total - connected} of {total} drones have no MAVLink link")
    out.extend(snap.get("tasks_failed", []))
    requested, started = snap.get("demo_flights_requested"), snap.get("demo_flights_started")
    if requested and started is not None and started < requested:
        out.append(f"only {started} of {requested} demo flights could start (see the log for each dock's reason)")
    docks_total, docks_online = snap.get("docks_total", 0), snap.get("docks_online", 0)
    if docks_online < docks_total:
        out.append(f"{docks_total - docks_online} of {docks_total} docks offline")
    return out
