"""The console's Qt-free core: the services that run on the core loop, started and stopped together.

This is what a headless gateway would run; the Qt side only watches its events and sends
it coroutines.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid

from console.core_loop import CoreLoop
from console.events import EventBus, FleetLinksChanged
from console.health import ErrorCounter, HealthModel
from console.mqtt_link import MqttLink
from drones.dock_status import STATUS_TOPIC_FILTER, DockStatusTracker
from drones.fleet_link import FleetLink
from drones.site import Site

log = logging.getLogger(__name__)


def default_console_id() -> str:
    """A stable-enough id for this workstation's presence: host name plus a short random suffix."""
    host = socket.gethostname().split(".")[0] or "console"
    return f"{host}-{uuid.uuid4().hex[:6]}"


class CoreServices:
    """Starts MQTT and the fleet link on a CoreLoop and feeds the health model."""

    def __init__(self, site: Site, core: CoreLoop, *, errors: ErrorCounter | None = None,
                 console_id: str | None = None) -> None:
        if site.broker is None:
            raise ValueError("site has no broker")
        self.site = site
        self.core = core
        self.bus = EventBus()
        self.health = HealthModel(errors)
        self.bus.subscribe(self.health.on_event)
        self.health.set(broker_url=site.broker.url, docks_total=len(site.docks), drones_total=len(site.docks))
        self.mqtt = MqttLink(site.broker, console_id=console_id or default_console_id(),
                             topic_root=site.topic_root, bus=self.bus)
        self.fleet = FleetLink(site.docks, lambda c, t: self.bus.publish(FleetLinksChanged(c, t)))
        self.dock_status = DockStatusTracker((d.dock_sn for d in site.docks),
                                             lambda online, _total: self.health.set(docks_online=online))
        self.mqtt.subscribe(STATUS_TOPIC_FILTER,
                            lambda m: self.dock_status.handle(str(m.topic), bytes(m.payload)))  # type: ignore[arg-type]
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Starts every service on the core loop (call from any thread once the loop runs)."""
        self.core.call(self._start())
        self.core.on_shutdown(self._stop)

    async def _start(self) -> None:
        self._tasks = [
            asyncio.create_task(self.mqtt.run(), name="mqtt"),
            asyncio.create_task(self._guard(self.fleet.run(), "fleet"), name="fleet"),
        ]

    async def _guard(self, coro, what: str) -> None:  # type: ignore[no-untyped-def]
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a failed service is logged (health shows it), the rest go on
            log.exception("%s service stopped with an error", what)

    async def _stop(self) -> None:
        await self.mqtt.close()
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.fleet.close()
