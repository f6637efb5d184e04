"""Wires the video wall to the core services: what to show comes from VideoDirector (GUI thread).

Cameras resolve through the camera registry and the site's video base URL (with sub-streams where
the registry has them), drones through their dock's video URL. Alert selections fill a block of tiles
with the nearest cameras; level-1/2 alerts arriving do so only where the wall chose itself and the
operator is not working an alert as severe, else the wall's banner proposes them (VideoDirector); flight tasks put their drone on the wall, the map's
"open camera" and the search box put cameras where the operator wants them. Drone tiles get their
altitude, battery and task state on a 2 Hz timer, never per telemetry message.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QLoggingCategory, QObject, QSettings, QStandardPaths, QTimer

from console.core.alert_events import AlertReceived
from console.client.situation_feed import district_name
from widgets.texts import term_text
from console.core.video_director import AlertFocus, CameraCandidate, Slot, TileAssignment, VideoDirector
from vocab import AlertState
from drones.geo import distances_m
from drones.tasks import TaskStateChanged
from widgets.situation import Selection, SelectionKind
from widgets.video_source import CAMERA_PREFIX, DRONE_PREFIX, QUIET_QT_RULES, DroneInfo, TileSource
from widgets.video_wall import VideoWall

log = logging.getLogger(__name__)

DRONE_INFO_MS = 500             # 2 Hz drone line on drone tiles
NEAREST_CAMERAS = 8             # as the five automatics' nearby cameras
LIVE_RADIUS_M = 3000.0          # working cameras this close to an alert come before closer dead ones
# An alert in one of these states is being worked: an arrival as severe does not take the wall from it.
WORKED_STATES = frozenset({AlertState.ACKNOWLEDGED, AlertState.DISPATCHED, AlertState.ON_SCENE})
DEFAULT_LAYOUT = "3x3"
AUTO_ALERTS_KEY = "video/auto_alert_cameras"


def _as_bool(value: object, default: bool = True) -> bool:
    if value is None:
        return default
    return str(value).lower() in ("1", "true", "yes")


def sub_stream_url(url: str) -> str:
    """The low-resolution stream of a camera whose registry entry says it has one ("x.mjpg" -> "x/sub.mjpg")."""
    return url[:-len(".mjpg")] + "/sub.mjpg" if url.endswith(".mjpg") else url


class VideoController(QObject):
    """Owns the wall (`self.wall`) and the director; call `stop()` before the core goes away."""

    def __init__(self, services: Any, situation: Any, bridge: Any, settings: QSettings | None,
                 parent: QObject | None = None, *, snapshots_dir: Path | None = None,
                 default_wall: bool = True) -> None:
        super().__init__(parent)
        # Qt Multimedia repeats its warnings per stream (re)open; the tiles show the reasons instead.
        QLoggingCategory.setFilterRules("\n".join(QUIET_QT_RULES))
        self.services = services
        self.cameras = services.cameras
        self.site = services.site
        self.situation = situation
        self.operator = str(getattr(situation, "operator", "operator"))
        auto = _as_bool(settings.value(AUTO_ALERTS_KEY) if settings is not None else None)
        self.director = VideoDirector(auto_alerts=auto)
        if snapshots_dir is None:
            base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
            snapshots_dir = Path(base) / "snapshots"
        self.wall = VideoWall(resolve=self.resolve, search=self.search if self.cameras is not None else None,
                              settings=settings, snapshots_dir=snapshots_dir)
        self._live = np.flatnonzero(self.cameras.live) if self.cameras is not None else np.zeros(0, dtype=int)
        if self.cameras is not None:
            # The first search builds a text index (about 0.25 s): build it before the operator types.
            threading.Thread(target=self.cameras.prepare_search, name="camera-search-index", daemon=True).start()
        if situation is not None:
            situation.map.camera_open_requested.connect(self.wall.open_camera)
            situation.selection.changed.connect(self._on_selection)
        bridge.task_event.connect(self.on_task_event)
        bridge.alert_event.connect(self.on_alert_event)
        self.wall.snapshot_saved.connect(self._on_snapshot)
        self.wall.proposal_accepted.connect(lambda alert_id: self.show_alert(alert_id))
        self._timer = QTimer(self, interval=DRONE_INFO_MS, timeout=self.refresh_drones)
        self._timer.start()
        if default_wall:
            self.show_default()

    # ----- sources -------------------------------------------------------------------------------

    def resolve(self, key: str) -> TileSource | None:
        """A source key ("camera:<id>", "drone:<sysid>") as something a tile can play, or None."""
        if key.startswith(CAMERA_PREFIX) and self.cameras is not None:
            i = self.cameras.find(key[len(CAMERA_PREFIX):])
            if i is None:
                return None
            reg = self.cameras
            live = bool(reg.live[i])
            url = self.site.stream_url(reg.stream_url(i)) if live else None
            return TileSource(key=key, title=reg.name(i), url=url, kind="camera",
                              district=self._district(reg.district_key(i)),
                              sub_url=sub_stream_url(url) if url and reg.has_substream[i] else None,
                              offline_reason=None if live else self.tr("camera has no live stream"))
        if key.startswith(DRONE_PREFIX) and key[len(DRONE_PREFIX):].isdigit():
            sysid = int(key[len(DRONE_PREFIX):])
            dock = next((d for d in self.site.docks if d.sysid == sysid), None)
            if dock is None:
                return None
            url = self.site.stream_url(dock.video_url)
            return TileSource(key=key, title=self.tr("Drone %1 · %2").replace("%1", str(sysid)).replace("%2", dock.name),
                              url=url, kind="drone", district=self._district(dock.district),
                              offline_reason=None if url else self.tr("the dock has no video URL"))
        return None

    def search(self, text: str, limit: int) -> list[tuple[str, str]]:
        """Camera search for the wall's search box (GUI thread; milliseconds over 230,000 cameras)."""
        reg = self.cameras
        return [(reg.id(i), f"{reg.name(i)} · {self._district(reg.district_key(i))}") for i in reg.search(text, limit)]

    def _district(self, key: str) -> str:
        language = self.situation.feed.language if self.situation is not None else "zh_CN"
        return district_name(self.services.basemap, key, language)

    def alert_focus(self, alert_id: str, level: int, lat: float, lon: float) -> AlertFocus:
        """The cameras around an alert: the nearest ones and the working ones within LIVE_RADIUS_M."""
        reg = self.cameras
        found: dict[str, CameraCandidate] = {}
        if reg is not None and len(reg):
            indices, dists = reg.nearest(lat, lon, NEAREST_CAMERAS)
            for i, d in zip(indices.tolist(), dists.tolist()):
                found[reg.id(i)] = CameraCandidate(reg.id(i), float(d), bool(reg.live[i]))
            if len(self._live):
                live_d = distances_m(lat, lon, reg.lat[self._live], reg.lon[self._live])
                for j in np.argsort(live_d)[:NEAREST_CAMERAS * 2]:
                    if live_d[j] <= LIVE_RADIUS_M:
                        i = int(self._live[j])
                        found.setdefault(reg.id(i), CameraCandidate(reg.id(i), float(live_d[j]), True))
        return AlertFocus(alert_id, level, tuple(sorted(found.values(), key=lambda c: c.distance_m)))

    def slots(self) -> list[Slot]:
        maximised = self.wall.maximised
        return [Slot(s.key if s else None, pinned, s.alert_id if s else None, s.alert_level if s else None,
                     placed=placed, maximised=i == maximised)
                for i, (s, pinned, placed) in enumerate(zip(self.wall.sources(), self.wall.pinned(),
                                                            self.wall.placed()))]

    def apply(self, assignments: list[TileAssignment]) -> None:
        for a in assignments:
            source = self.resolve(a.key) if a.key else None
            if source is not None and (a.alert_id or a.alert_level is not None):
                source = replace(source, alert_id=a.alert_id, alert_level=a.alert_level)
            self.wall.set_tile_source(a.index, source)

    def show_default(self) -> None:
        """The demo's opening wall: the registry's live cameras in a 3×3."""
        self.wall.set_layout(DEFAULT_LAYOUT)
        for index, i in enumerate(self._live[:self.wall.tile_count].tolist()):
            self.wall.set_tile_source(index, self.resolve(CAMERA_PREFIX + self.cameras.id(i)))

    # ----- events (GUI thread: the bridge's signals are queued) -----------------------------------

    def show_alert(self, alert_id: str, *, arrived: bool = False) -> None:
        record = self.services.alerts.alert(alert_id)
        if record is None:
            return
        a = record.alert
        focus = self.alert_focus(a.id, a.level, a.lat, a.lon)
        slots = self.slots()
        if not arrived:
            self.apply(self.director.alert_selected(slots, focus))
            if self.wall.banner.alert_id == alert_id:
                self.wall.banner.clear()
            return
        arrival = self.director.alert_arrived(slots, focus, self._alert_open, self.working_level(slots))
        self.apply(arrival.assignments)
        if arrival.proposed:
            text = self.tr("Level-%1 alert %2: its cameras are not on the wall").replace("%1", str(a.level)) \
                .replace("%2", f"{a.id} · {record.alert.title or term_text(record.state)}")
            self.wall.propose(a.id, a.level, text)

    def _alert_open(self, alert_id: str) -> bool:
        record = self.services.alerts.alert(alert_id)
        return record is not None and not record.closed

    def working_level(self, slots: list[Slot]) -> int | None:
        """The most severe level among the alerts the operator works now: the selected one (open), and
        those on the wall that are acknowledged, dispatched or on scene."""
        ids = {s.alert_id for s in slots if s.alert_id}
        current = self.situation.selection.current if self.situation is not None else None
        selected = current.key if current is not None and current.kind is SelectionKind.ALERT else None
        levels = []
        for alert_id in ids | ({selected} if selected else set()):
            record = self.services.alerts.alert(alert_id)
            if record is not None and not record.closed and (alert_id == selected or record.state in WORKED_STATES):
                levels.append(record.alert.level)
        return min(levels, default=None)

    def _on_selection(self, selection: Selection | None) -> None:
        if selection is not None and selection.kind is SelectionKind.ALERT:
            self.show_alert(selection.key)

    def on_alert_event(self, event: object) -> None:
        if isinstance(event, AlertReceived) and event.record.alert.status == "active":
            self.show_alert(event.record.id, arrived=True)

    def on_task_event(self, event: object) -> None:
        if isinstance(event, TaskStateChanged):
            self.apply(self.director.task_changed(self.slots(), event.task_id, event.sysid, event.alert_id,
                                                  event.state.value))
            self.refresh_drones()

    def refresh_drones(self) -> None:
        """Altitude, battery and task state on every drone tile (2 Hz)."""
        states = {t.sysid: term_text(t.state) for t in self.services.tasks.open_tasks}
        for tile in self.wall.tiles[:self.wall.tile_count]:
            src = tile.source
            if src is None or src.kind != "drone":
                continue
            sysid = int(src.key[len(DRONE_PREFIX):])
            try:
                s = self.services.fleet.snapshot(sysid)
                alt, battery = s.alt_rel_m, s.battery_pct
            except (KeyError, IndexError, ValueError):
                alt = battery = None
            tile.set_drone_info(DroneInfo(alt, battery, states.get(sysid)))

    def _on_snapshot(self, path: str, key: str, alert_id: str) -> None:
        """A snapshot of an alert's tile is noted on the alert (core loop)."""
        log.info("snapshot %s of %s (alert %s)", path, key, alert_id or "-")
        if alert_id and self.services.alerts.alert(alert_id) is not None:
            note = self.tr("Snapshot %1").replace("%1", path)
            done = self.services.core.submit(self.services.alerts.add_note(alert_id, note, by=self.operator))
            # The snapshot is on disk either way; a note the journal could not keep must at least be logged.
            done.add_done_callback(lambda f: log.error("snapshot %s not noted on alert %s: %r", path, alert_id,
                                                       f.exception()) if f.exception() else None)

    # ----- health and shutdown -------------------------------------------------------------------

    def report_health(self) -> None:
        counts = self.wall.tiles_by_state()
        self.services.health.set(wall_tiles_live=counts["live"], wall_tiles_reconnecting=counts["reconnecting"],
                                 wall_tiles_no_signal=counts["no_signal"], wall_tiles_error=counts["error"],
                                 wall_tiles_connecting=counts["connecting"], wall_layout=self.wall.layout_name)

    def stop(self) -> None:
        self._timer.stop()
        self.wall.stop()
