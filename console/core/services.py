"""The console's Qt-free core: the services that run on the core loop, started and stopped together.

This is what a headless gateway would run; the Qt side only watches its events and sends
it coroutines.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from pathlib import Path

from console.core.core_loop import CoreLoop
from console.core.events import EventBus, FleetLinksChanged
from console.core.health import ErrorCounter, HealthModel
from console.core.alert_events import AlertEvent, AlertQuarantined, AlertReceived, WorkflowRefused
from console.core.alert_service import AUTOMATION_BY, AlertService
from console.core.alert_store import AlertRecord, alerts_path
from console.core.five_automatics import Automatics, FiveAutomatics, load_alert_rules
from console.core.mqtt_link import MqttLink
from console.core.task_service import TaskService, journal_path
from drones.basemap import Basemap, load_basemap
from drones.cameras import CameraRegistry
from drones.dock_client import DockClient
from drones.dock_events import DockEvent, DockOffline, DockOnline
from drones.fleet import Fleet
from drones.fleet_events import DroneAdded, DroneRemoved, FleetEvent, LinkStateChanged
from drones.model import TaskState
from drones.site import Site
from drones.tasks import TaskStateChanged

log = logging.getLogger(__name__)


def default_console_id() -> str:
    """A stable-enough id for this workstation's presence: host name plus a short random suffix."""
    host = socket.gethostname().split(".")[0] or "console"
    return f"{host}-{uuid.uuid4().hex[:6]}"


class CoreServices:
    """Starts MQTT and the fleet on a CoreLoop and feeds the health model."""

    def __init__(self, site: Site, core: CoreLoop, *, errors: ErrorCounter | None = None,
                 console_id: str | None = None, journal_file: Path | None = None) -> None:
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
        self.fleet = Fleet(site.docks)
        self._fleet_links: tuple[int, int] | None = None
        self.fleet.add_listener(self._on_fleet_event)
        self.docks = DockClient(site.docks, self.mqtt, on_event=self._on_dock_event)
        self.tasks = TaskService(site, self.mqtt, self.fleet, self.docks, console_id=self.mqtt.console_id,
                                 on_task_event=self._on_task_event, journal_file=journal_file)
        self.health.set_task_counts(self.tasks.counts_by_state())
        self.basemap: Basemap | None = load_basemap(site.basemap_path) if site.basemap_path else None
        self.cameras: CameraRegistry | None = CameraRegistry.load(site.cameras_path) if site.cameras_path else None
        rules = load_alert_rules()
        self.automatics = Automatics(site, rules=rules, patterns=self.tasks.patterns, zones=self.tasks.zones,
                                     cameras=self.cameras, basemap=self.basemap, limits=self.tasks.limits)
        self.alerts = AlertService(site, self.mqtt, console_id=self.mqtt.console_id,
                                   journal_file=alerts_path(journal_file or journal_path()),
                                   on_event=self._on_alert_event, dispatch=self._dispatch_alert,
                                   correlation=rules.correlation, basemap=self.basemap)
        self._background: set[asyncio.Task[object]] = set()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Starts every service on the core loop (call from any thread once the loop runs)."""
        self.core.call(self._start())
        self.core.on_shutdown(self._stop)

    def _on_fleet_event(self, event: FleetEvent) -> None:
        if isinstance(event, (LinkStateChanged, DroneAdded, DroneRemoved)):
            self._publish_fleet_links()

    def _publish_fleet_links(self) -> None:
        counts = self.fleet.link_counts()
        if counts != self._fleet_links:
            self._fleet_links = counts
            self.bus.publish(FleetLinksChanged(*counts))

    async def _start(self) -> None:
        self._publish_fleet_links()
        self._tasks = [
            asyncio.create_task(self.mqtt.run(), name="mqtt"),
            asyncio.create_task(self._guard(self.fleet.run(), "fleet"), name="fleet"),
            asyncio.create_task(self._guard(self.docks.run(), "docks"), name="docks"),
            asyncio.create_task(self._guard(self.tasks.start(), "task recovery"), name="task-recovery"),
        ]
        self.alerts.start()

    def _on_task_event(self, event: TaskStateChanged) -> None:
        """Task transitions (core loop): the health line counts tasks by state; the alert follows its drone."""
        self.health.set_task_counts(self.tasks.counts_by_state())
        self.bus.publish(event)
        if event.alert_id and event.state is TaskState.ON_SCENE:
            self._spawn(self.alerts.mark_on_scene(event.alert_id, by=event.by), f"alert {event.alert_id} on scene")

    def _on_alert_event(self, event: AlertEvent) -> None:
        """Alert events (core loop): counted for the health line, then on to the GUI."""
        if isinstance(event, AlertReceived):
            self.health.add("alerts_received")
        elif isinstance(event, AlertQuarantined):
            self.health.add("alerts_quarantined")
        self.bus.publish(event)

    def five_automatics(self, record: AlertRecord) -> FiveAutomatics:
        """The five automatics for an alert, from the fleet and dock states of this moment (any thread)."""
        busy = {t.sysid for t in self.tasks.open_tasks}
        return self.automatics.for_alert(record.alert, drone_states={s.sysid: s for s in self.fleet.snapshots()},
                                         dock_states=self.docks.states(), busy_sysids=busy,
                                         others=self.alerts.alerts())

    async def _dispatch_alert(self, record: AlertRecord, by: str) -> str:
        """One-click (or automatic) dispatch: the best dock of the five automatics flies to the alert."""
        five = self.five_automatics(record)
        proposal = five.proposal
        if proposal.refused is not None:
            raise WorkflowRefused(proposal.refused)
        if proposal.automatic_refused is not None and (by == AUTOMATION_BY or by.startswith("request:")):
            raise WorkflowRefused(proposal.automatic_refused)
        assert proposal.dock is not None
        task = await self.tasks.dispatch(proposal.dock, record.alert.lat, record.alert.lon, record.alert.category,
                                         by=by, alert_id=record.id)
        return task.task_id

    def _spawn(self, coro, what: str) -> None:  # type: ignore[no-untyped-def]
        task = asyncio.get_running_loop().create_task(self._guard(coro, what))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _on_dock_event(self, event: DockEvent) -> None:
        """Dock events (core loop): the health line counts online docks."""
        if isinstance(event, (DockOnline, DockOffline)):
            self.health.set(docks_online=self.docks.online_count)

    async def _guard(self, coro, what: str) -> None:  # type: ignore[no-untyped-def]
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a failed service is logged (health shows it), the rest go on
            log.exception("%s service stopped with an error", what)

    async def _stop(self) -> None:
        """Stops in dependency order; each step runs even if the one before it failed."""
        self.mqtt.stop_receiving()   # what arrives from now on waits in the broker for the next run
        steps = (("alerts", self.alerts.close),
                 ("tasks", self.tasks.close),   # stop watching tasks (the drones fly on), close the journal
                 ("mqtt", self.mqtt.close),
                 ("services", self._cancel_services),
                 ("fleet", self.fleet.close))
        for name, step in steps:
            try:
                await step()
            except Exception:  # noqa: BLE001 - the rest must still stop
                log.exception("stopping %s failed", name)

    async def _cancel_services(self) -> None:
        for t in (*self._tasks, *self._background):
            t.cancel()
        await asyncio.gather(*self._tasks, *self._background, return_exceptions=True)
