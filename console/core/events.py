"""Core events: what the core announces to whoever listens (the GUI bridge, a gateway, tests).

Events are frozen value objects, published on the core loop's thread, and only when a value
really changes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

log = logging.getLogger(__name__)

BrokerState = Literal["connecting", "connected", "disconnected"]


@dataclass(frozen=True, slots=True)
class BrokerStateChanged:
    """The MQTT connection went up or down; `reason` says why it is down."""

    state: BrokerState
    url: str
    reason: str | None = None
    retry_in_s: float | None = None


@dataclass(frozen=True, slots=True)
class FleetLinksChanged:
    """How many of the site's drones have a live MAVLink link."""

    connected: int
    total: int


@dataclass(frozen=True, slots=True)
class OperatorNotice:
    """Something the operator must read (a refused command, a bad payload, a lost stream)."""

    level: Literal["info", "warning", "error"]
    text: str


#: Alert events (console.core.alert_events) and task transitions (drones.tasks.TaskStateChanged) travel on
#: the same bus; they are typed where they are defined, so the union stays open here.
@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who is signed in on this console changed (bus event): the account and its role, or None for nobody, and
    why nobody is ("sign_out", "account_disabled", "refused": the broker no longer takes the password)."""

    user: str | None
    role: str | None
    why: str | None = None


Event = BrokerStateChanged | FleetLinksChanged | OperatorNotice | object
Listener = Callable[[Event], None]


class EventBus:
    """Fan-out of core events to listeners; a listener that raises is logged, never fatal."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Adds a listener; returns the function that removes it again."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def publish(self, event: Event) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # noqa: BLE001 - a broken view must not break the core
                log.exception("event listener %r failed on %r", listener, event)
