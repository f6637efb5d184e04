"""Wires the map, the fleet board and the drone panel to the site server's picture (GUI thread).

The widgets repaint from snapshots on timers (map 10 Hz, drone panel 5 Hz, fleet board 1 Hz),
never per telemetry message; operator commands go to the site server as requests from the console's core
loop, and their outcome comes back as a queued signal (docs/architecture.md, "Threads", "Site server").
"""

from __future__ import annotations

import concurrent.futures
import getpass
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from console.remote.site_client import RemoteServices
from console.client.situation_feed import SituationFeed, camera_layer, district_shapes, zone_shapes
from drones.authority import AuthorityHeld
from console.core.alert_events import WorkflowRefused
from drones.model import CommandRefused, DispatchRefused
from vocab import Reason
from widgets.drone_panel import DronePanel
from widgets.fleet_board import FleetBoard
from widgets.map_view import MapView
from widgets.situation import AuthorityView, DroneCommand, Selection, SelectionKind, SelectionModel
from widgets.texts import reason_text

log = logging.getLogger(__name__)

MAP_PERIOD_MS = 100       # 10 Hz: smooth enough for drones at 10-15 m/s on a city map
PANEL_PERIOD_MS = 200     # 5 Hz head-up display
BOARD_PERIOD_MS = 1000    # the fleet board changes at the docks' osd rate
#: The site server's operation for each takeover command of the drone panel.
DRONE_OPS = {DroneCommand.HOLD: "drone.hold", DroneCommand.RESUME: "drone.resume", DroneCommand.RETURN: "drone.return",
             DroneCommand.LAND: "drone.land", DroneCommand.ABORT: "drone.abort",
             DroneCommand.EMERGENCY_STOP: "drone.emergency_stop", DroneCommand.REACTIVATE: "drone.reactivate"}
#: Altitude of a go-to when the drone's own altitude is not known yet (metres above the dock).
GOTO_DEFAULT_ALT_REL_M = 60.0


def operator_name() -> str:
    """Who is at this workstation, for authority and the journal (the OS account)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "operator"


class SituationController(QObject):
    """Owns the selection and the three situation widgets; call `stop()` before the core goes away."""

    command_done = Signal(object, int, bool, object)   # DroneCommand, sysid, ok, Reason | None (GUI thread)
    _command_result = Signal(object, int, bool, object)   # the same, from the core thread
    _holder_gone = Signal(int, object)                # sysid, Reason: authority held by an offline console

    def __init__(self, services: RemoteServices, *, language: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.operator = operator_name()
        tasks = services.tasks
        self.feed = SituationFeed(services.site, services.fleet, services.docks, lambda: tasks.open_tasks,
                                  zones=tasks.zones, patterns=tasks.patterns, limits=tasks.limits,
                                  min_ready_per_district=services.site.min_ready_per_district,
                                  basemap=services.basemap, cameras=services.cameras, language=language)
        self.selection = SelectionModel(self)
        self.map = MapView(self.selection)
        if self.feed.basemap is not None:
            city = self.feed.basemap.city
            self.map.set_basemap(district_shapes(self.feed.basemap),
                                 tuple(r for poly in city.polygons for r in poly) if city else ())
        self.map.set_zones(zone_shapes(tasks.zones, language))
        if self.feed.cameras is not None:
            self.map.set_cameras(camera_layer(self.feed.cameras))
        self.board = FleetBoard(self.selection)
        self.panel = DronePanel(self.selection, series=self.feed.series)
        self.sysid: int | None = None
        self._tasks_seen: set[str] = set()

        self.selection.changed.connect(self._on_selection)
        self.panel.command_requested.connect(self._on_command)
        self.panel.pick_point_requested.connect(self._pick_goto)
        self.map.point_picked.connect(self.panel.point_picked)
        self.board.locate_requested.connect(self._locate)
        self.command_done.connect(self.panel.show_result)
        self._command_result.connect(self.command_done)   # re-emitted on the GUI thread (queued)
        self._holder_gone.connect(self._offer_take_over)

        self._timers = [QTimer(self, interval=ms, timeout=fn) for ms, fn in
                        ((MAP_PERIOD_MS, self._refresh_map), (PANEL_PERIOD_MS, self._refresh_panel),
                         (BOARD_PERIOD_MS, self._refresh_board))]
        for t in self._timers:
            t.start()
        self._refresh_board()
        self._refresh_map()
        self._refresh_panel()

    def set_language(self, language: str) -> None:
        self.feed.language = language
        self.map.set_zones(zone_shapes(self.services.tasks.zones, language))
        self._refresh_board()

    def stop(self) -> None:
        for t in self._timers:
            t.stop()

    # ----- refresh from snapshots --------------------------------------------------------------------

    def _refresh_map(self) -> None:
        self.map.set_scene(self.feed.scene())
        self._follow_new_task()

    def _follow_new_task(self) -> None:
        """A task this console starts (one-click, automation, an integrator's request) shows its drone in
        the panel until the operator picks another (once per task)."""
        new = [t for t in self.services.tasks.open_tasks if t.task_id not in self._tasks_seen]
        if not new:
            return
        self._tasks_seen.update(t.task_id for t in new)
        self.show_drone(new[-1].sysid)

    def show_drone(self, sysid: int) -> None:
        """Shows drone `sysid` in the panel (a dispatch to follow, or the drone of an alert's task).

        A selected alert or camera stays selected (the operator is working it; the panel shows the drone
        beside it); otherwise the drone becomes the selection, so picking the previous one again is a change.
        """
        current = self.selection.current
        if current is None or current.kind in (SelectionKind.DRONE, SelectionKind.DOCK):
            self.selection.select(Selection(SelectionKind.DRONE, str(sysid)))
        elif self.sysid != sysid:
            self.sysid = sysid
            self._refresh_panel()

    def _refresh_board(self) -> None:
        rows, readiness = self.feed.fleet_rows()
        self.board.set_rows(rows)
        self.board.set_readiness(readiness)
        self.report_health()

    def report_health(self) -> None:
        """The map's frame times and drones drawn, for the health line (`--smoke`)."""
        stats = self.map.stats()
        self.services.health.set(map_frame_p50_ms=stats["p50_ms"], map_frame_p95_ms=stats["p95_ms"],
                                 map_drones_drawn=stats["drones_drawn"])

    def _refresh_panel(self) -> None:
        if self.sysid is None:
            self.panel.set_detail(None)
            return
        locked = self.sysid in self.services.tasks.locked
        self.panel.set_detail(self.feed.detail(self.sysid, locked_out=locked))
        dock_id = self.feed.dock_id_of(self.sysid)
        authority = self.services.tasks.authority
        holder = authority.holder(dock_id)
        self.panel.set_authority(None if holder is None else AuthorityView(
            mine=authority.holds(dock_id), console=holder.console, operator=holder.operator, since=holder.ts,
            offline_since=authority.holder_offline_since(dock_id)))

    # ----- selection -----------------------------------------------------------------------------------

    def _on_selection(self, selection: Selection | None) -> None:
        if selection is None:
            return
        if selection.kind is SelectionKind.DRONE:
            self.sysid = int(selection.key)
        elif selection.kind is SelectionKind.DOCK:
            self.sysid = self.feed.sysid_for(selection.key)
        else:
            return
        self._refresh_panel()

    def _locate(self, dock_id: str) -> None:
        dock = next((d for d in self.services.site.docks if d.id == dock_id), None)
        if dock is not None:
            self.map.center_on(dock.lat, dock.lon)

    def _pick_goto(self) -> None:
        self.map.start_pick(self.tr("Click the map where the drone should fly to (Esc cancels)"))

    # ----- commands ------------------------------------------------------------------------------------

    def _on_command(self, command: DroneCommand, sysid: int, args: dict[str, Any]) -> None:
        """Sends an operator command to the site server; its outcome comes back through `command_done`."""
        dock_id = self.feed.dock_id_of(sysid)
        s, by = self.services, self.operator
        calls: dict[DroneCommand, Callable[[], Awaitable[Any]]] = {
            DroneCommand.TAKE_AUTHORITY: lambda: s.tasks.take_authority(dock_id, by),
            DroneCommand.FORCE_TAKE: lambda: s.tasks.take_authority(dock_id, by, force=True),
            DroneCommand.RELEASE_AUTHORITY: lambda: s.tasks.release_authority(dock_id, by),
            DroneCommand.GOTO: lambda: s.drone_command("drone.goto", sysid, by, lat=args["lat"], lon=args["lon"],
                                                       alt_amsl_m=self._goto_alt_amsl(sysid)),
            DroneCommand.ALTITUDE: lambda: s.drone_command("drone.altitude", sysid, by,
                                                           alt_rel_m=float(args["alt_rel_m"])),
        }
        call = calls.get(command) or (lambda: s.drone_command(DRONE_OPS[command], sysid, by))
        log.info("operator %s: %s drone %d %s", by, command.value, sysid, args or "")
        future = self.services.core.submit(call())
        future.add_done_callback(lambda f: self._finished(command, sysid, f))

    def _finished(self, command: DroneCommand, sysid: int, future: concurrent.futures.Future[Any]) -> None:
        # Runs on the core thread: only emit (the signal is queued to the GUI thread).
        if future.cancelled():   # the console is stopping
            return
        exc = future.exception()
        if exc is None:
            result = future.result()
            self._command_result.emit(command, sysid, True, result if isinstance(result, Reason) else None)
        elif isinstance(exc, AuthorityHeld) and exc.holder_offline and command is DroneCommand.TAKE_AUTHORITY:
            # The holding console is gone: say so and let the operator take over (GUI thread decides).
            self._holder_gone.emit(sysid, exc.reason)
        elif isinstance(exc, (CommandRefused, DispatchRefused, WorkflowRefused)):
            log.warning("drone %d: %s refused: %s", sysid, command.value, exc)
            self._command_result.emit(command, sysid, False, exc.reason)
        else:
            log.error("drone %d: %s failed: %r", sysid, command.value, exc)
            self._command_result.emit(command, sysid, False, Reason.said(str(exc) or type(exc).__name__))

    def _offer_take_over(self, sysid: int, reason: Reason) -> None:
        """Authority is held by a console whose presence is gone: warn, and take over only if the operator says so."""
        if self.panel.confirm_take_over(reason_text(reason)):
            self._on_command(DroneCommand.FORCE_TAKE, sysid, {})
        else:
            self.command_done.emit(DroneCommand.TAKE_AUTHORITY, sysid, False, reason)

    def _goto_alt_amsl(self, sysid: int) -> float:
        """Keep the drone's altitude for a go-to; from the ground, fly at a safe default height."""
        s = self.services.fleet.snapshot(sysid)
        if s.alt_amsl_m is not None and s.alt_rel_m is not None and s.alt_rel_m > 20.0:
            return s.alt_amsl_m
        dock = next(d for d in self.services.site.docks if d.sysid == sysid)
        return dock.ground_alt_m + GOTO_DEFAULT_ALT_REL_M
