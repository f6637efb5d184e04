"""The one bridge from the core loop to the GUI thread (docs/architecture.md, "Threads").

Core events are re-emitted as Qt signals. The bridge lives in the GUI thread, so a signal
emitted from the core thread is queued and its slots run on the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from console.core.alert_events import AlertQuarantined, AlertReceived, AlertUpdated, IncidentChanged
from console.core.events import BrokerStateChanged, Event, EventBus, FleetLinksChanged, OperatorNotice, SignedIn
from console.remote.site_client import ServerStateChanged
from drones.tasks import TaskStateChanged


class CoreBridge(QObject):
    """Qt face of the core's EventBus; disconnect with `detach()` before the core goes away."""

    broker_state = Signal(object)      # BrokerStateChanged
    fleet_links = Signal(int, int)     # connected, total
    notice = Signal(object)            # OperatorNotice
    alert_event = Signal(object)       # AlertReceived | AlertUpdated | AlertQuarantined | IncidentChanged
    task_event = Signal(object)        # TaskStateChanged
    server_state = Signal(object)      # ServerStateChanged
    signed_in = Signal(object)         # SignedIn

    def __init__(self, bus: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe = bus.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        # Runs on the core thread: only emit here, never touch widgets.
        if isinstance(event, BrokerStateChanged):
            self.broker_state.emit(event)
        elif isinstance(event, FleetLinksChanged):
            self.fleet_links.emit(event.connected, event.total)
        elif isinstance(event, OperatorNotice):
            self.notice.emit(event)
        elif isinstance(event, (AlertReceived, AlertUpdated, AlertQuarantined, IncidentChanged)):
            self.alert_event.emit(event)
        elif isinstance(event, TaskStateChanged):
            self.task_event.emit(event)
        elif isinstance(event, ServerStateChanged):
            self.server_state.emit(event)
        elif isinstance(event, SignedIn):
            self.signed_in.emit(event)

    def detach(self) -> None:
        self._unsubscribe()
