"""Flight tasks: one drone out of its dock to a point, a look, and back, as a journaled state machine.

planned → preflight → launching → en_route → on_scene → returning → landing → docked → completed,
with aborted and failed branches carrying a reason. The drone flies an uploaded mission on its
own (it never depends on the console to get home); the task watches telemetry and moves its
state on what the drone really does. Every transition is written to the journal first, then
published retained on `{root}/console/v1/tasks/{task_id}` and announced as an event.
Runs on the core loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from drones.drone_control import DroneControl, MissionItemLike
from drones.geo import distance_m
from drones.journal import Journal
from drones.model import CommandRefused, DispatchRefused, DockState, DroneState, LandedState, link_loss_action
from vocab import LinkState, Reason, TaskState
from drones.planning import PlannedItem
from drones.site import Dock

log = logging.getLogger(__name__)

MONITOR_PERIOD_S = 0.25
LAUNCH_TIMEOUT_S = 90.0          # cover open + upload + arm + leaving the ground, real time
ON_SCENE_MARGIN_M = 60.0         # within pattern radius plus this of the target counts as on scene
DOCKED_RADIUS_M = 5.0            # landed within this of the dock counts as back in the dock
DO_SET_ROI_LOCATION = 195
DO_SET_ROI_NONE = 197
RETURN_MODES = frozenset({"RETURN_TO_LAUNCH"})
AUTO_RETURN_RETRY_S = 3.0        # a refused automatic return is tried again after this
DOCK_CONFIRM_AFTER_S = 10.0      # a dock report this long after takeoff can confirm the drone is back
ABORTED_BEFORE_TAKEOFF = Reason.of("task.aborted_before_takeoff")


@dataclass(frozen=True, slots=True)
class TaskPlan:
    """What a task flies: its mission items, the target and the expected time to reach it."""

    items: tuple[PlannedItem, ...]
    target_lat: float
    target_lon: float
    eta_s: float | None = None
    scene_radius_m: float = 0.0

    @classmethod
    def from_items(cls, items: Sequence[MissionItemLike], target_lat: float, target_lon: float, *,
                   eta_s: float | None = None, scene_radius_m: float = 0.0) -> TaskPlan:
        return cls(tuple(PlannedItem(i.command, i.frame, i.param1, i.param2, i.param3, i.param4, i.lat, i.lon,
                                  i.alt_rel_m) for i in items), target_lat, target_lon, eta_s, scene_radius_m)

    def to_dict(self) -> dict[str, Any]:
        return {"items": [asdict(i) for i in self.items], "target": [self.target_lat, self.target_lon],
                "eta_s": self.eta_s, "scene_radius_m": self.scene_radius_m}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TaskPlan:
        return cls(tuple(PlannedItem(**i) for i in d["items"]), d["target"][0], d["target"][1], d.get("eta_s"),
                   d.get("scene_radius_m", 0.0))

    def scene_span(self) -> tuple[int, int]:
        """Indices of the on-scene part: from the ROI item to the ROI-none item (whole mission if absent)."""
        cmds = [i.command for i in self.items]
        first = cmds.index(DO_SET_ROI_LOCATION) if DO_SET_ROI_LOCATION in cmds else 0
        last = cmds.index(DO_SET_ROI_NONE, first) if DO_SET_ROI_NONE in cmds[first:] else len(cmds) - 1
        return first, last


class DockControl(Protocol):
    """Dock commands a task needs (drones.dock_client.DockClient has them)."""

    async def open_cover(self, dock_id: str) -> Any: ...
    async def close_cover(self, dock_id: str) -> Any: ...
    async def start_charging(self, dock_id: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class TaskStateChanged:
    """Event: a task moved (or its reason changed, e.g. link lost while returning)."""

    task_id: str
    sysid: int
    dock_id: str
    alert_id: str | None
    state: TaskState
    reason: Reason | None
    by: str


@dataclass(slots=True)
class TaskDeps:
    """Everything a task talks to; the TaskManager builds one for all its tasks."""

    journal: Journal
    drone_state: Callable[[int], DroneState]
    dock_state: Callable[[str], DockState]
    docks: DockControl
    control_for: Callable[[int], DroneControl | None]
    publish: Callable[[str, dict[str, Any]], Awaitable[None]]
    on_event: Callable[[TaskStateChanged], None]
    topic_root: str = "qdcb"
    # En-route safety (docs/architecture.md, "Safety rules"): why a flying drone must come home now, or None.
    must_return: Callable[[DroneState, Dock, DockState], Reason | None] | None = None
    # Emergency-stopped drones take no automatic command either (the TaskManager knows which).
    is_locked: Callable[[int], bool] = lambda _sysid: False


@dataclass(slots=True)
class FlightTask:
    """One task; `run()` drives it to a final state."""

    task_id: str
    dock: Dock
    plan: TaskPlan
    deps: TaskDeps
    alert_id: str | None = None
    # The safety checks of docs/architecture.md, "Safety rules", run on fresh states at PREFLIGHT (raises DispatchRefused).
    preflight: Callable[[DroneState, DockState], None] | None = None
    state: TaskState = TaskState.PLANNED
    reason: Reason | None = None
    by: str = "automation"
    abort_requested: bool = False
    link_lost: bool = False
    _was_airborne: bool = False
    _final_reason: Reason | None = None
    _next_auto_return: float = 0.0
    _airborne_at: float | None = None
    _done: asyncio.Event = field(default_factory=asyncio.Event)
    # Set once the launch-time preflight is decided: passed (LAUNCHING) or refused (`refusal`).
    _checked: asyncio.Event = field(default_factory=asyncio.Event)
    refusal: DispatchRefused | None = None

    @property
    def sysid(self) -> int:
        return self.dock.sysid

    async def wait(self) -> TaskState:
        await self._done.wait()
        return self.state

    async def checked(self) -> DispatchRefused | None:
        """Waits until the launch-time preflight is decided; returns its refusal, or None when it passed."""
        await self._checked.wait()
        return self.refusal

    async def _to(self, state: TaskState, reason: Reason | None = None, by: str | None = None) -> None:
        """Journal, publish and announce a state change (journal first: it is the truth after a crash)."""
        if state == self.state and reason == self.reason:
            return
        who = by or self.by
        ts = self.deps.journal.transition(self.task_id, self.state.value, state.value, by=who, reason=reason)
        self.state, self.reason = state, reason
        log.info("task %s (drone %d): %s%s", self.task_id, self.sysid, state.value, f" ({reason.en})" if reason else "")
        payload = {"task_id": self.task_id, "alert_id": self.alert_id, "dock_id": self.dock.id, "sysid": self.sysid,
                   "state": state.value, "ts": ts, "eta_s": self.plan.eta_s,
                   "reason": reason.en if reason else None, "reason_code": reason.to_json() if reason else None,
                   "by": who}
        try:
            await self.deps.publish(f"{self.deps.topic_root}/console/v1/tasks/{self.task_id}", payload)
        except Exception as exc:  # noqa: BLE001 - the journal has it; other consoles catch up on the next change
            log.warning("task %s: state not published (%s)", self.task_id, exc)
        if not state.open:
            self._done.set()
        if state not in (TaskState.PLANNED, TaskState.PREFLIGHT):
            self._checked.set()
        try:
            self.deps.on_event(TaskStateChanged(self.task_id, self.sysid, self.dock.id, self.alert_id, state, reason,
                                                who))
        except Exception:  # noqa: BLE001 - a broken view must not change what the drone is doing
            log.exception("task %s: event listener failed", self.task_id)

    async def run(self) -> None:
        """Launches (from PLANNED) or keeps watching (a task recovered mid-flight) until it ends."""
        try:
            if self.state == TaskState.PLANNED:
                if not await self._launch():
                    return
            await self._monitor()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a bug must fail the task visibly, not leave it hanging
            log.exception("task %s crashed", self.task_id)
            try:
                await self._to(TaskState.FAILED, Reason.of("task.internal_error"))
            except Exception:  # noqa: BLE001 - e.g. the journal itself failed: still end the task in memory
                log.exception("task %s: could not record the failure", self.task_id)
                self.state = TaskState.FAILED
                self._done.set()

    async def _launch(self) -> bool:
        await self._to(TaskState.PREFLIGHT)
        try:
            if self.preflight is not None:
                self.preflight(self.deps.drone_state(self.sysid), self.deps.dock_state(self.dock.id))
        except DispatchRefused as exc:
            self.refusal = exc
            await self._to(TaskState.FAILED, exc.reason)
            return False
        control = self.deps.control_for(self.sysid)
        if control is None:
            self.refusal = DispatchRefused(Reason.of("task.not_connected"), check="link")
            await self._to(TaskState.FAILED, self.refusal.reason)
            return False
        if self.abort_requested:
            await self._to(TaskState.ABORTED, ABORTED_BEFORE_TAKEOFF)
            return False
        await self._to(TaskState.LAUNCHING)
        try:
            await self.deps.docks.open_cover(self.dock.id)
            await control.upload_mission(self.plan.items)
            if self.abort_requested:
                return await self._stand_down(control, TaskState.ABORTED, ABORTED_BEFORE_TAKEOFF)
            await control.arm()
            if self.abort_requested:
                return await self._stand_down(control, TaskState.ABORTED, ABORTED_BEFORE_TAKEOFF)
            await control.start_mission()
        except CommandRefused as exc:
            return await self._stand_down(control, TaskState.FAILED, exc.reason)
        deadline = time.monotonic() + LAUNCH_TIMEOUT_S
        while not self._airborne(self.deps.drone_state(self.sysid)):
            if self.abort_requested:
                return await self._stand_down(control, TaskState.ABORTED, ABORTED_BEFORE_TAKEOFF)
            if time.monotonic() > deadline:
                return await self._stand_down(control, TaskState.FAILED,
                                              Reason.of("task.not_airborne", timeout_s=LAUNCH_TIMEOUT_S))
            await asyncio.sleep(MONITOR_PERIOD_S)  # telemetry polling period
        self._was_airborne = True  # seen leaving the ground: from now on a landing ends the task
        self._airborne_at = time.monotonic()
        if self.abort_requested:
            self.mark_abort(ABORTED_BEFORE_TAKEOFF)
            try:
                await control.return_home()
            except CommandRefused as exc:
                log.warning("task %s: return after a late abort refused: %s", self.task_id, exc.reason.en)
        await self._to(TaskState.EN_ROUTE)
        return True

    async def _stand_down(self, control: DroneControl, state: TaskState, reason: Reason) -> bool:
        """Ends a launch on the ground: disarm first (a drone with a started mission may still lift
        off), then close the cover, unless the drone is already leaving (then it is flown home)."""
        if self._airborne(self.deps.drone_state(self.sysid)):
            self._was_airborne = True
            self._airborne_at = time.monotonic()
            self.mark_abort(reason)
            try:
                await control.return_home()
            except CommandRefused as exc:
                log.warning("task %s: return after stand-down refused: %s", self.task_id, exc.reason.en)
            await self._to(TaskState.EN_ROUTE, reason)
            return True
        try:
            await control.disarm()
        except CommandRefused as exc:
            log.warning("task %s: disarm on stand-down refused: %s", self.task_id, exc.reason.en)
        await self._to(state, reason)
        await self._close_dock(charge=True)
        return False

    @staticmethod
    def _airborne(s: DroneState) -> bool:
        return s.landed in (LandedState.IN_AIR, LandedState.TAKING_OFF) or (s.alt_rel_m or 0.0) > 1.0

    async def _monitor(self) -> None:
        scene_first, scene_last = self.plan.scene_span()
        while self.state.open:
            s = self.deps.drone_state(self.sysid)
            await self._watch_link(s)
            if s.link == LinkState.OK:
                await self._advance(s, scene_first, scene_last)
            elif self._dock_has_it_back():
                # No radio, but the dock has the drone back (its failsafe brought it home).
                finished_scene = self.state in (TaskState.RETURNING, TaskState.LANDING) and not self.abort_requested
                await self._to(TaskState.DOCKED, Reason.of("task.dock_confirms_back"))
                await self._close_dock(charge=True)
                if finished_scene:
                    await self._to(TaskState.COMPLETED)
                else:
                    await self._to(TaskState.ABORTED, self._final_reason or Reason.of("task.came_home_in_link_loss"))
            if self.state.open:
                await asyncio.sleep(MONITOR_PERIOD_S)  # telemetry polling period

    async def _watch_link(self, s: DroneState) -> None:
        lost = s.link != LinkState.OK  # LOST, or NEVER heard since this console (re)started
        if lost and not self.link_lost:
            self.link_lost = True
            await self._to(self.state, Reason.of("task.link_lost", action=link_loss_action(s.link_loss_action)))
        elif not lost and self.link_lost and s.link == LinkState.OK:
            self.link_lost = False
            await self._to(self.state, None)

    async def _advance(self, s: DroneState, scene_first: int, scene_last: int) -> None:
        st = self.state
        if st in (TaskState.EN_ROUTE, TaskState.ON_SCENE) and self.deps.must_return is not None:
            why = self.deps.must_return(s, self.dock, self.deps.dock_state(self.dock.id))
            if why is not None:
                await self._auto_return(why)
                return
        if s.landed in (LandedState.IN_AIR, LandedState.LANDING):
            # Only the drone's own landed state counts here: altitude alone moves ahead of the slower
            # EXTENDED_SYS_STATE/HEARTBEAT, and a stale "on ground, disarmed" must not end the task.
            self._was_airborne = True
        current = s.mission_current if s.mission_current is not None else -1
        if st == TaskState.EN_ROUTE and current > scene_first and self._near_target(s):
            await self._to(TaskState.ON_SCENE)
        elif st in (TaskState.EN_ROUTE, TaskState.ON_SCENE) and (current > scene_last or s.flight_mode in RETURN_MODES):
            await self._to(TaskState.RETURNING)
        elif st in (TaskState.EN_ROUTE, TaskState.ON_SCENE, TaskState.RETURNING) and s.landed == LandedState.LANDING:
            await self._to(TaskState.LANDING)
        if self._was_airborne and s.landed == LandedState.ON_GROUND and s.armed is False \
                and (s.alt_rel_m is None or s.alt_rel_m < 1.0):
            await self._landed(s)

    def mark_abort(self, reason: Reason) -> None:
        """The task will end as aborted with `reason` (journaled: a restarted console keeps the decision)."""
        self.abort_requested = True
        self._final_reason = reason
        self.deps.journal.note_abort(self.task_id, reason)

    def _dock_has_it_back(self) -> bool:
        """The dock's own sensor says the drone is in, in a report made well after it took off."""
        if not self._was_airborne or self._airborne_at is None:
            return False
        dock = self.deps.dock_state(self.dock.id)
        return bool(dock.drone_in_dock) and dock.updated_at is not None \
            and dock.updated_at > self._airborne_at + DOCK_CONFIRM_AFTER_S

    def _near_target(self, s: DroneState) -> bool:
        if s.lat is None or s.lon is None:
            return False
        d = distance_m(s.lat, s.lon, self.plan.target_lat, self.plan.target_lon)
        return d <= self.plan.scene_radius_m + ON_SCENE_MARGIN_M

    async def _landed(self, s: DroneState) -> None:
        assert s.lat is not None and s.lon is not None
        if distance_m(s.lat, s.lon, self.dock.lat, self.dock.lon) > DOCKED_RADIUS_M:
            await self._to(TaskState.ABORTED, self._final_reason or Reason.of("task.landed_away", lat=s.lat, lon=s.lon))
            return
        await self._to(TaskState.DOCKED)
        await self._close_dock(charge=True)
        if self.abort_requested:
            await self._to(TaskState.ABORTED, self._final_reason or Reason.of("task.aborted_docked"))
        else:
            await self._to(TaskState.COMPLETED)

    async def _close_dock(self, *, charge: bool) -> None:
        try:
            await self.deps.docks.close_cover(self.dock.id)
            if charge:
                await self.deps.docks.start_charging(self.dock.id)
        except CommandRefused as exc:
            # The flight is over either way; the dock problem is for the operator and the log.
            log.warning("task %s: dock %s after landing: %s", self.task_id, self.dock.id, exc.reason.en)
            self.deps.journal.command(self.dock.id, exc.command, by="automation", result="refused",
                                      detail=exc.reason.en)

    async def _auto_return(self, why: Reason) -> None:
        """The console calls the drone home (the drone's own battery failsafe comes later, at 15 %)."""
        now = time.monotonic()
        if now < self._next_auto_return:
            return
        self._next_auto_return = now + AUTO_RETURN_RETRY_S
        if self.deps.is_locked(self.sysid):
            # Emergency stop: no automatic command either; the operator sees why it should come home.
            await self._to(self.state, why)
            return
        try:
            await self._control().return_home()
        except CommandRefused as exc:
            self.deps.journal.command(f"drone:{self.sysid}", "return_home", by="automation",
                                      result="refused", detail=f"{why.en} / {exc.reason.en}")
            await self._to(self.state, why)
            return
        self.deps.journal.command(f"drone:{self.sysid}", "return_home", by="automation", result="accepted",
                                  detail=why.en)
        self.mark_abort(why)
        await self._to(TaskState.RETURNING, why, by="automation")

    # ----- operator takeover (the TaskManager checks authority and lockout first) -----------------

    async def operator_return(self, by: str, *, abort: bool) -> None:
        """The drone flies home now; with `abort` the task ends as aborted once docked."""
        control = self._control()
        await control.return_home()
        if abort:
            self.mark_abort(Reason.of("task.aborted_by", by=by))
        if self.state in (TaskState.EN_ROUTE, TaskState.ON_SCENE):
            await self._to(TaskState.RETURNING, by=by)

    async def operator_land_here(self, by: str) -> None:
        await self._control().land()
        self.mark_abort(Reason.of("task.landed_by", by=by))
        if self.state in (TaskState.EN_ROUTE, TaskState.ON_SCENE, TaskState.RETURNING):
            await self._to(TaskState.LANDING, by=by)

    def _control(self) -> DroneControl:
        control = self.deps.control_for(self.sysid)
        if control is None:
            raise CommandRefused(Reason.of("task.not_connected"), command="takeover")
        return control
