"""All flight tasks of this console: dispatch, operator takeover, emergency stop, recovery after restart.

Rules it enforces (docs/architecture.md, "Safety rules"): only the console holding command authority on a dock
commands its drone; one open task per drone; an emergency-stopped drone takes no other command
until someone re-activates it; every command is journaled with who, when and the result.
Runs on the core loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence

from drones.drone_control import DroneControl
from drones.journal import Journal
from drones.model import CommandRefused, DockState, DroneState
from vocab import LinkState, Reason, TaskState
from drones.site import Dock
from drones.tasks import LAUNCH_TIMEOUT_S, MONITOR_PERIOD_S, FlightTask, TaskDeps, TaskPlan

log = logging.getLogger(__name__)

#: The journal's result of an emergency stop: the drone is locked (the detail says whether the hold went).
LOCKED = "locked"


class AuthorityCheck:
    """Stands in for drones.authority.CommandAuthority where a site runs without it (tests, one console)."""

    def require(self, dock_id: str, command: str) -> None:
        return None


class TaskManager:
    """Creates and tracks FlightTasks; the entry point for dispatch and takeover commands."""

    def __init__(self, docks: Sequence[Dock], deps: TaskDeps, *, authority: object | None = None) -> None:
        self.docks = {d.id: d for d in docks}
        self._by_sysid = {d.sysid: d for d in docks}
        self.deps = deps
        self.journal: Journal = deps.journal
        self.authority = authority or AuthorityCheck()
        self.tasks: dict[str, FlightTask] = {}
        self._runners: dict[str, asyncio.Task[None]] = {}
        # Emergency-stopped drones; a lock outlives a restart of the console (journal).
        self.locked: set[int] = self.journal.locked_drones()
        deps.is_locked = self.locked.__contains__

    # ----- queries -------------------------------------------------------------------------

    def open_task_for(self, sysid: int) -> FlightTask | None:
        return next((t for t in self.tasks.values() if t.sysid == sysid and t.state.open), None)

    def counts_by_state(self) -> dict[str, int]:
        return self.journal.counts_by_state()

    # ----- dispatch and recovery -----------------------------------------------------------------

    async def dispatch(self, dock: Dock, plan: TaskPlan, *, by: str, alert_id: str | None = None,
                       preflight: Callable[[DroneState, DockState], None] | None = None) -> FlightTask:
        """Creates a task for the dock's drone and starts it; returns once its launch is under way.

        `preflight` runs the safety checks on the states of the moment the task starts; when one
        fails, the task ends as failed with that reason (journaled) and DispatchRefused is raised
        here, so the caller hears the refusal, not a task that fails a moment later.
        """
        try:
            self._check(dock, "dispatch")
            if self.open_task_for(dock.sysid) is not None:
                raise CommandRefused(Reason.of("command.open_task", dock=dock.id), command="dispatch")
        except CommandRefused as exc:
            self.journal.command(dock.id, "dispatch", by=by, result="refused", detail=exc.reason.en)
            raise
        task_id = f"TSK-{time.strftime('%Y%m%d')}-{uuid.uuid4().hex[:8]}"
        self.journal.create_task(task_id, alert_id=alert_id, dock_id=dock.id, sysid=dock.sysid, plan=plan.to_dict(),
                                 by=by)
        task = FlightTask(task_id, dock, plan, self.deps, alert_id=alert_id, preflight=preflight, by=by)
        self._start(task)
        refusal = await task.checked()
        if refusal is not None:
            self.journal.command(dock.id, "dispatch", by=by, result="refused", detail=f"{task_id}: {refusal.reason.en}")
            refusal.task_id = task_id
            raise refusal
        self.journal.command(dock.id, "dispatch", by=by, result="accepted", detail=task_id)
        return task

    def _start(self, task: FlightTask) -> None:
        self.tasks[task.task_id] = task
        self._runners[task.task_id] = asyncio.create_task(task.run(), name=f"task-{task.task_id}")

    async def recover(self) -> list[FlightTask]:
        """Picks up the tasks a previous run of the console left open (journal), and watches them again."""
        recovered = []
        for rec in self.journal.open_tasks():
            dock = self.docks.get(rec.dock_id)
            if dock is None:
                log.error("journal task %s: dock %s is not in the site file", rec.task_id, rec.dock_id)
                continue
            task = FlightTask(rec.task_id, dock, TaskPlan.from_dict(rec.plan), self.deps, alert_id=rec.alert_id,
                              state=TaskState(rec.state), by="recovery")
            if rec.abort is not None:  # the decision to abort survives the restart
                task.abort_requested = True
                task._final_reason = rec.abort
            self.tasks[task.task_id] = task
            if task.state in (TaskState.PLANNED, TaskState.PREFLIGHT):
                await task._to(TaskState.ABORTED, Reason.of("task.restart_before_launch"))
                continue
            self._runners[task.task_id] = asyncio.create_task(self._resume(task), name=f"task-{task.task_id}")
            recovered.append(task)
            log.info("recovered task %s (drone %d) in state %s", task.task_id, task.sysid, task.state.value)
        return recovered

    async def _resume(self, task: FlightTask) -> None:
        if task.state == TaskState.LAUNCHING:
            deadline = time.monotonic() + LAUNCH_TIMEOUT_S
            while not task._airborne(self.deps.drone_state(task.sysid)):
                if time.monotonic() > deadline:
                    await task._to(TaskState.FAILED, Reason.of("task.restart_during_launch"))
                    return
                await asyncio.sleep(MONITOR_PERIOD_S)  # telemetry polling period
            await task._to(TaskState.EN_ROUTE)
        task._was_airborne = True
        task._airborne_at = time.monotonic()
        await task.run()

    async def close(self) -> None:
        """Stops watching (the drones fly on: their missions and failsafes need no console)."""
        for runner in self._runners.values():
            runner.cancel()
        await asyncio.gather(*self._runners.values(), return_exceptions=True)

    # ----- takeover ------------------------------------------------------------------------------

    def _check(self, dock: Dock, command: str, *, allow_locked: bool = False) -> None:
        self.authority.require(dock.id, command)  # type: ignore[attr-defined]
        if dock.sysid in self.locked and not allow_locked:
            raise CommandRefused(Reason.of("command.locked"), command=command)

    def _control(self, sysid: int, command: str) -> DroneControl:
        """The drone's control, refused at once when no command can reach it (rather than after a timeout)."""
        if self.deps.drone_state(sysid).link is LinkState.LOST:
            raise CommandRefused(Reason.of("command.link_lost"), command=command)
        control = self.deps.control_for(sysid)
        if control is None:
            raise CommandRefused(Reason.of("task.not_connected"), command=command)
        return control

    def _dock_of(self, sysid: int) -> Dock:
        dock = self._by_sysid.get(sysid)
        if dock is None:
            raise CommandRefused(Reason.of("command.no_drone", sysid=sysid), command="takeover")
        return dock

    async def _command(self, sysid: int, name: str, by: str, action: Callable[[DroneControl], Awaitable[None]],
                       *, allow_locked: bool = False) -> None:
        """Checks authority and lockout, runs the command, journals the outcome either way."""
        dock = self._dock_of(sysid)
        try:
            self._check(dock, name, allow_locked=allow_locked)
            control = self._control(sysid, name)
            await action(control)
        except CommandRefused as exc:
            self.journal.command(f"drone:{sysid}", name, by=by, result="refused", detail=exc.reason.en)
            raise
        except Exception as exc:  # noqa: BLE001 - recorded, then raised: every command has a journal line
            self.journal.command(f"drone:{sysid}", name, by=by, result="error", detail=repr(exc)[:300])
            raise
        self.journal.command(f"drone:{sysid}", name, by=by, result="accepted")

    async def hold(self, sysid: int, *, by: str) -> None:
        await self._command(sysid, "hold", by, lambda c: c.hold())

    async def resume(self, sysid: int, *, by: str) -> None:
        """Continues the task's mission from where it was held (not once it is on its way home)."""
        task = self.open_task_for(sysid)
        if task is not None and (task.abort_requested or task.state in (TaskState.RETURNING, TaskState.LANDING)):
            refused = CommandRefused(Reason.of("command.on_way_home"), command="resume")
            self.journal.command(f"drone:{sysid}", "resume", by=by, result="refused", detail=refused.reason.en)
            raise refused
        await self._command(sysid, "resume", by, lambda c: c.start_mission())

    async def goto(self, sysid: int, lat: float, lon: float, alt_amsl_m: float, *, by: str) -> None:
        await self._command(sysid, "goto", by, lambda c: c.goto(lat, lon, alt_amsl_m))

    async def change_altitude(self, sysid: int, alt_rel_m: float, *, by: str) -> None:
        """Climbs or descends to `alt_rel_m` above home where the drone is, then holds there."""
        s = self.deps.drone_state(sysid)
        if s.lat is None or s.lon is None or s.home_alt_amsl_m is None:
            raise CommandRefused(Reason.of("command.position_unknown"), command="change_altitude")
        lat, lon, base = s.lat, s.lon, s.home_alt_amsl_m
        await self._command(sysid, "change_altitude", by, lambda c: c.goto(lat, lon, base + alt_rel_m))

    async def return_home(self, sysid: int, *, by: str, abort: bool = False) -> None:
        task = self.open_task_for(sysid)

        async def act(control: DroneControl) -> None:
            if task is not None:
                await task.operator_return(by, abort=abort)
            else:
                await control.return_home()

        await self._command(sysid, "return_home", by, act)

    async def land_here(self, sysid: int, *, by: str) -> None:
        task = self.open_task_for(sysid)

        async def act(control: DroneControl) -> None:
            if task is not None:
                await task.operator_land_here(by)
            else:
                await control.land()

        await self._command(sysid, "land_here", by, act)

    async def abort(self, task_id: str, *, by: str) -> None:
        """Ends a task: before takeoff nothing flies; in flight the drone comes home first."""
        task = self.tasks.get(task_id)
        if task is None or not task.state.open:
            raise CommandRefused(Reason.of("command.no_open_task"), command="abort")
        if task.state in (TaskState.PLANNED, TaskState.PREFLIGHT, TaskState.LAUNCHING) and not task._was_airborne:
            task.abort_requested = True  # the launch sequence stands down at its next step
            self.journal.command(f"drone:{task.sysid}", "abort", by=by, result="accepted", detail=task_id)
            return
        if self.deps.drone_state(task.sysid).link != LinkState.OK:
            # No command can reach the drone: end the task so the operator is not stuck with it.
            self.journal.command(f"drone:{task.sysid}", "abort", by=by, result="accepted", detail="link down")
            await task._to(TaskState.ABORTED, Reason.of("task.ended_link_down", by=by), by=by)
            return
        await self.return_home(task.sysid, by=by, abort=True)

    async def emergency_stop(self, sysid: int, *, by: str) -> Reason:
        """Locks every other command on the drone until re-activated, and sends it a hold (brake and hover).

        The lock holds whatever happens to the hold; the answer (and the journal line) says exactly
        which: "locked, and the hold was accepted" or "locked; the hold was not delivered (why)".
        CommandRefused only when this console may not command the drone at all (authority).
        """
        dock = self._dock_of(sysid)
        try:
            self._check(dock, "emergency_stop", allow_locked=True)
        except CommandRefused as exc:
            self.journal.command(f"drone:{sysid}", "emergency_stop", by=by, result="refused", detail=exc.reason.en)
            raise
        self.locked.add(sysid)  # locked first: nothing may slip in while the hold is being sent
        try:
            await self._control(sysid, "emergency_stop").hold()
        except CommandRefused as exc:
            outcome = Reason.of("estop.hold_not_delivered", why=exc.reason)
        except Exception as exc:  # noqa: BLE001 - the lock stands; the operator reads why the hold did not go
            log.exception("drone %d: emergency hold failed", sysid)
            outcome = Reason.of("estop.hold_not_delivered", why=Reason.said(repr(exc)[:200]))
        else:
            outcome = Reason.of("estop.hold_accepted")
        self.journal.command(f"drone:{sysid}", "emergency_stop", by=by, result=LOCKED, detail=outcome.en)
        return outcome

    def reactivate(self, sysid: int, *, by: str) -> None:
        """Lifts an emergency stop (an explicit, journaled operator decision)."""
        dock = self._dock_of(sysid)
        try:
            self.authority.require(dock.id, "reactivate")  # type: ignore[attr-defined]
        except CommandRefused as exc:
            self.journal.command(f"drone:{sysid}", "reactivate", by=by, result="refused", detail=exc.reason.en)
            raise
        self.locked.discard(sysid)
        self.journal.command(f"drone:{sysid}", "reactivate", by=by, result="accepted")
