"""Flight tasks inside the console: journal, command authority and the task manager, wired to the
fleet, the docks and MQTT. Qt-free; runs on the core loop.

Also the dispatch entry point the GUI (and automation) calls: plan a flight for a target from a
dock, then hand it to the task manager with the safety checks of the moment it starts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drones.authority import RELEASE_COMMAND, TAKE_COMMAND, CommandAuthority
from drones.dock_client import DockClient
from drones.drone_control import MavsdkDroneControl
from drones.fleet import Fleet
from drones.journal import Journal
from drones.model import CommandRefused
from drones.mqtt_port import MqttPort
from drones.nofly import NoFlyZone, load_nofly
from drones.patterns import PatternBook, load_patterns
from drones.planning import FlightPlan, WindEstimate, plan_flight
from drones.safety import Limits, en_route_refusal, preflight
from drones.site import Dock, Site
from drones.task_manager import TaskManager
from drones.tasks import FlightTask, TaskDeps, TaskPlan, TaskStateChanged
from vocab import Reason, TaskState

log = logging.getLogger(__name__)

#: Who releases a dock's authority when its task ends (the journal's "by").
TASK_END_BY = "task end"


@dataclass(frozen=True, slots=True)
class TaskView:
    """An open flight task as the GUI shows it (map route, fleet board, drone panel)."""

    task_id: str
    sysid: int
    dock_id: str
    alert_id: str | None
    state: TaskState
    route: tuple[tuple[float, float], ...]   # (lat, lon): dock, then the mission's positions
    eta_s: float | None
    reason: Reason | None
    since: float                              # time.monotonic() this console first saw the task


class TaskService:
    """Owns the journal, authority and task manager of one console."""

    def __init__(self, site: Site, mqtt: MqttPort, fleet: Fleet, docks: DockClient, *, console_id: str,
                 on_task_event: Callable[[TaskStateChanged], None], journal_file: Path | str) -> None:
        self.site = site
        self.fleet = fleet
        self.docks = docks
        self.mqtt = mqtt
        self.journal = Journal(journal_file)
        self.journal.audit.pair_docks({d.id: d.sysid for d in site.docks})
        self.authority = CommandAuthority(site.docks, mqtt, console_id, site.topic_root)
        self.zones: tuple[NoFlyZone, ...] = load_nofly(site.nofly_path) if site.nofly_path else ()
        self.patterns: PatternBook = load_patterns()
        self.limits = Limits(require_link_loss_action=site.require_link_loss_action)
        self._on_task_event = on_task_event
        # Replaced whole on each transition (core loop), so the GUI thread reads a consistent tuple.
        self._views: dict[str, TaskView] = {}
        self._background: set[asyncio.Task[object]] = set()
        self.open_tasks: tuple[TaskView, ...] = ()
        deps = TaskDeps(journal=self.journal, drone_state=fleet.snapshot, dock_state=docks.state, docks=docks,
                        control_for=self._control_for, publish=self._publish, on_event=self._task_event,
                        topic_root=site.topic_root, must_return=en_route_refusal)
        self.manager = TaskManager(site.docks, deps, authority=self.authority)

    def _task_event(self, event: TaskStateChanged) -> None:
        """Task transitions (core loop): refresh the open-task views, then tell the console."""
        task = self.manager.tasks.get(event.task_id)
        if event.state.open and task is not None:
            self._remember(task)
        else:
            self._views.pop(event.task_id, None)
            self.open_tasks = tuple(self._views.values())
            if self.authority.holds(event.dock_id):
                # The flight is over: the dock's authority goes back, so the next task (from any console) can
                # take it without a forced takeover.
                self._spawn(self.release_authority(event.dock_id, by=TASK_END_BY))
        self._on_task_event(event)

    def _spawn(self, coro: Coroutine[Any, Any, object]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ----- command authority (journaled like every command) -------------------------------------

    async def take_authority(self, dock_id: str, by: str, *, force: bool = False) -> None:
        """Takes the dock's authority for operator `by` at this console.

        AuthorityHeld when another console holds it (its `holder_offline` says whether that console is
        gone: the operator is warned and may then force); `force` takes it anyway (a supervisor's
        decision, or after that warning), journaled with whom it displaced.
        """
        try:
            displaced = await self.authority.take(dock_id, by, force=force)
        except CommandRefused as exc:
            self.journal.command(dock_id, TAKE_COMMAND, by=by, result="refused", detail=exc.reason.en)
            raise
        detail = f"from {displaced.operator}@{displaced.console}" if displaced else None
        self.journal.command(dock_id, TAKE_COMMAND, by=by, result="forced" if displaced else "accepted",
                             detail=detail)

    async def release_authority(self, dock_id: str, by: str) -> None:
        """Gives the dock's authority back (nobody holds it afterwards); journaled."""
        try:
            await self.authority.release(dock_id)
        except CommandRefused as exc:
            self.journal.command(dock_id, RELEASE_COMMAND, by=by, result="refused", detail=exc.reason.en)
            if by == TASK_END_BY:
                log.warning("dock %s: authority not released after its task: %s", dock_id, exc.reason.en)
                return
            raise
        self.journal.command(dock_id, RELEASE_COMMAND, by=by, result="accepted")

    def _remember(self, task: FlightTask) -> None:
        old = self._views.get(task.task_id)
        route = ((task.dock.lat, task.dock.lon),) + tuple((i.lat, i.lon) for i in task.plan.items if i.lat or i.lon)
        self._views[task.task_id] = TaskView(task.task_id, task.sysid, task.dock.id, task.alert_id, task.state, route,
                                             task.plan.eta_s, task.reason, old.since if old else time.monotonic())
        self.open_tasks = tuple(self._views.values())

    def _control_for(self, sysid: int) -> MavsdkDroneControl | None:
        action, mission = self.fleet.action(sysid), self.fleet.mission_raw(sysid)
        if action is None or mission is None:
            return None
        return MavsdkDroneControl(action, mission, words_since=lambda t, w: self.fleet.words_since(sysid, t, w))

    async def _publish(self, topic: str, payload: dict) -> None:  # type: ignore[type-arg]
        await self.mqtt.publish(topic, payload, qos=1, retain=True)

    async def start(self) -> None:
        """Carries on with the tasks the last run left open."""
        recovered = await self.manager.recover()
        for task in recovered:
            self._remember(task)  # a task resumed mid-flight sends no event until its next transition
        if recovered:
            log.info("carrying on with %d open tasks from the journal", len(recovered))

    def plan_to(self, dock: Dock, target_lat: float, target_lon: float, category: str) -> FlightPlan:
        """A flight from `dock` to a point with the category's pattern, with the dock's wind now
        (DispatchRefused when it cannot be flown). For flights without an alert's five automatics."""
        wind = self.docks.state(dock.id).wind_speed_m_s
        return plan_flight(dock, target_lat, target_lon, self.patterns.for_category(category), site=self.site,
                           zones=self.zones, wind=WindEstimate(wind) if wind is not None else None,
                           reserve_pct=self.limits.reserve_pct)

    async def dispatch(self, dock: Dock, plan: FlightPlan, *, by: str, alert_id: str | None = None) -> FlightTask:
        """Starts a verification flight of exactly this plan from this dock.

        Takes the dock's command authority when nobody holds it. The launch re-checks this dock's
        preflight on the states of that moment; when a check fails, DispatchRefused says why (the
        attempt stays in the journal as a failed task). CommandRefused: authority or lockout.
        """
        holder = self.authority.holder(dock.id)
        if not self.authority.holds(dock.id) and (holder is None or holder.console == self.authority.console_id):
            await self.take_authority(dock.id, by)   # free, or held by the site server's own automation
        task_plan = TaskPlan.from_items(plan.items, plan.scene_lat, plan.scene_lon, eta_s=plan.eta_s,
                                        scene_radius_m=plan.pattern_radius_m)
        return await self.manager.dispatch(dock, task_plan, by=by, alert_id=alert_id,
                                           preflight=lambda d, k: preflight(plan, d, k, self.limits))

    def counts_by_state(self) -> dict[str, int]:
        return self.manager.counts_by_state()

    async def close(self) -> None:
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self.manager.close()
        self.journal.close()


__all__ = ["TaskService", "TaskStateChanged", "TaskView"]
