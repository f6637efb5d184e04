"""The console's Qt-free core: the services that run on the core loop, started and stopped together.

This is what a headless gateway would run; the Qt side only watches its events and sends
it coroutines.
"""

from __future__ import annotations

import asyncio
import logging

from console.core.core_loop import CoreLoop
from console.core.events import EventBus, FleetLinksChanged
from console.core.health import ErrorCounter, HealthModel
from console.core.alert_events import AlertEvent, AlertQuarantined, AlertReceived, WorkflowRefused, unknown_alert
from console.core.alert_service import AUTOMATION_BY, AlertService
from console.core.alert_store import AlertRecord, alerts_path
from console.core.five_automatics import Automatics, DispatchPlan, FiveAutomatics, load_alert_rules
from console.core.mqtt_link import MqttLink
from console.core.task_service import TaskService
from console.core.workstation import Workstation
from drones.basemap import Basemap, load_basemap
from drones.cameras import CameraRegistry
from drones.dock_client import DockClient
from drones.dock_events import DockEvent, DockOffline, DockOnline
from drones.fleet import Fleet
from drones.fleet_events import DroneAdded, DroneRemoved, FleetEvent, LinkStateChanged
from drones.model import DroneState
from drones.site import Site
from drones.tasks import TaskStateChanged
from vocab import LinkState, Reason, TaskState

log = logging.getLogger(__name__)

#: How long task recovery waits for the broker and the drones of open tasks before it goes on regardless.
RECOVERY_WAIT_S = 10.0


class CoreServices:
    """Starts MQTT and the fleet on a CoreLoop and feeds the health model."""

    def __init__(self, site: Site, core: CoreLoop, *, errors: ErrorCounter | None = None,
                 station: Workstation | None = None) -> None:
        """`station`: this console's identity and data directory (default: claim this workstation's)."""
        if site.broker is None:
            raise ValueError("site has no broker")
        self.station = station or Workstation.claim()
        self.site = site
        self.core = core
        self.bus = EventBus()
        self.health = HealthModel(errors)
        self.bus.subscribe(self.health.on_event)
        self.health.set(broker_url=site.broker.url, docks_total=len(site.docks), drones_total=len(site.docks))
        self.mqtt = MqttLink(site.broker, console_id=self.station.console_id, topic_root=site.topic_root,
                             bus=self.bus)
        self.fleet = Fleet(site.docks)
        self._fleet_links: tuple[int, int] | None = None
        self.fleet.add_listener(self._on_fleet_event)
        self.docks = DockClient(site.docks, self.mqtt, on_event=self._on_dock_event)
        self.tasks = TaskService(site, self.mqtt, self.fleet, self.docks, console_id=self.mqtt.console_id,
                                 on_task_event=self._on_task_event,
                                 journal_file=site.journal_url or self.station.journal_file)
        self.health.set_task_counts(self.tasks.counts_by_state())
        self.health.add_provider(self._link_health)
        self.basemap: Basemap | None = load_basemap(site.basemap_path) if site.basemap_path else None
        self.cameras: CameraRegistry | None = CameraRegistry.load(site.cameras_path) if site.cameras_path else None
        rules = load_alert_rules()
        self.automatics = Automatics(site, rules=rules, patterns=self.tasks.patterns, zones=self.tasks.zones,
                                     cameras=self.cameras, basemap=self.basemap, limits=self.tasks.limits)
        self.alerts = AlertService(site, self.mqtt, console_id=self.mqtt.console_id,
                                   journal_file=site.journal_url or alerts_path(self.station.journal_file),
                                   on_event=self._on_alert_event, dispatch=self._dispatch_alert,
                                   correlation=rules.correlation, basemap=self.basemap,
                                   audit=self.tasks.journal.audit)
        self._background: set[asyncio.Task[object]] = set()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Starts every service on the core loop (call from any thread once the loop runs)."""
        self.core.call(self._start())
        self.core.on_shutdown(self._stop)

    async def start_here(self) -> None:
        """Starts every service from a coroutine already on the core loop; `stop_here()` stops them."""
        await self._start()

    async def stop_here(self) -> None:
        await self._stop()

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
            asyncio.create_task(self._guard(self._recover_tasks(), "task recovery"), name="task-recovery"),
        ]
        self.alerts.start()

    async def _recover_tasks(self) -> None:
        """Carries on with the journal's open tasks once the broker and their drones can be reached (up to
        RECOVERY_WAIT_S): a task recovered before its drone is heard would journal a lost link that is not one,
        and a transition before the broker is up would reach no console."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RECOVERY_WAIT_S
        await self.mqtt.wait_connected(RECOVERY_WAIT_S)
        sysids = {t.sysid for t in self.tasks.journal.open_tasks()}
        while any(self.fleet.store.link(s) is not LinkState.OK for s in sysids if s in self.fleet.store) \
                and loop.time() < deadline:
            await asyncio.sleep(0.1)   # polling the fleet's links while they come up
        await self.tasks.start()

    def _link_health(self) -> dict[str, object]:
        """Which docks' drones have never linked or lost their link, and MAVLink connections that failed (any
        thread: the fleet's store and lists are safe to read)."""
        never, lost = [], []
        for dock in self.site.docks:
            link = self.fleet.store.link(dock.sysid)
            if link is not LinkState.OK:
                (never if link is LinkState.NEVER else lost).append(f"{dock.id} (system id {dock.sysid})")
        return {"drones_never_linked": never, "drones_link_lost": lost,
                "mavlink_open_failures": list(self.fleet.open_failures)}

    def _on_task_event(self, event: TaskStateChanged) -> None:
        """Task transitions (core loop): the health line counts tasks by state; the alert follows its drone."""
        self.health.set_task_counts(self.tasks.counts_by_state())
        task = self.tasks.manager.tasks.get(event.task_id)
        if event.state is TaskState.FAILED and task is not None and task.refusal is None:
            # A flight that failed after its checks passed (a dispatch refused at preflight is an answer, not a fault).
            self.health.task_failed(event.task_id, event.dock_id, event.reason.en if event.reason else "no reason")
        self.bus.publish(event)
        if event.alert_id and event.state is TaskState.ON_SCENE:
            self._spawn(self._alert_on_scene(event.alert_id, event.by), f"alert {event.alert_id} on scene")

    async def _alert_on_scene(self, alert_id: str, by: str) -> None:
        """The alert follows its drone on scene, when its workflow allows it (a task started outside the alert
        workflow, or an alert already closed by an operator, stays as it is)."""
        try:
            await self.alerts.mark_on_scene(alert_id, by=by)
        except WorkflowRefused as exc:
            log.info("alert %s not marked on scene: %s", alert_id, exc.reason.en)

    def _on_alert_event(self, event: AlertEvent) -> None:
        """Alert events (core loop): counted for the health line, then on to the GUI."""
        if isinstance(event, AlertReceived):
            self.health.add("alerts_received")
        elif isinstance(event, AlertQuarantined):
            self.health.add("alerts_quarantined")
        self.bus.publish(event)

    def five_automatics(self, record: AlertRecord) -> FiveAutomatics:
        """The five automatics for an alert, from the fleet and dock states of this moment (core loop)."""
        return self.automatics.for_alert(record.alert, drone_states=self._drone_states(),
                                         dock_states=self.docks.states(), busy_sysids=self._busy(),
                                         others=self.alerts.alerts())

    async def automatics_for(self, alert_id: str) -> tuple[FiveAutomatics, AlertRecord]:
        """The five automatics of one alert, for a console's panel (core loop; WorkflowRefused: unknown alert)."""
        record = self.alerts.alert(alert_id)
        if record is None:
            raise unknown_alert(alert_id)
        return self.five_automatics(record), record

    def _drone_states(self) -> dict[int, DroneState]:
        return {s.sysid: s for s in self.fleet.snapshots()}

    def _busy(self) -> set[int]:
        return {t.sysid for t in self.tasks.open_tasks}

    async def _dispatch_alert(self, record: AlertRecord, by: str, choice: DispatchPlan | str | None) -> str:
        """Dispatches an alert (core loop): the confirmed plan, the named dock, or the best dock of this moment.

        A named dock flies or the dispatch is refused with that dock's reason: another dock is never
        put in its place. Automation and integrators also respect the district's minimum of ready docks.
        """
        drones, docks, busy = self._drone_states(), self.docks.states(), self._busy()
        if isinstance(choice, DispatchPlan):
            if choice.alert_id != record.id:
                raise WorkflowRefused(Reason.of("alert.plan_for_other", plan_alert=choice.alert_id,
                                                alert_id=record.id))
            plan = choice
        elif isinstance(choice, str):
            dock = next((d for d in self.site.docks if d.id == choice), None)
            if dock is None:
                raise WorkflowRefused(Reason.of("proposal.dock_unknown", dock=choice))
            option = self.automatics.option_for(record.alert, dock, drones, docks, busy)
            if option.excluded is not None:
                raise WorkflowRefused(Reason.of("proposal.dock_excluded", dock=dock.id, why=option.excluded))
            plan = self.automatics.dispatch_plan(record.id, option)
        else:
            proposal = self.five_automatics(record).proposal
            if proposal.refused is not None or proposal.plan is None:
                raise WorkflowRefused(proposal.refused or Reason.of("proposal.no_docks"))
            plan = proposal.plan
        if by == AUTOMATION_BY or by.startswith("request:"):
            refused = self.automatics.automatic_refusal(plan.dock, drones, docks, busy)
            if refused is not None:
                raise WorkflowRefused(refused)
        task = await self.tasks.dispatch(plan.dock, plan.flight, by=by, alert_id=record.id)
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
