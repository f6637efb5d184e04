"""What the situation widgets show: plain value types, and the selection every panel follows.

The map, the fleet board and the drone panel know nothing of MAVSDK, MQTT or the console: the
console turns its fleet, dock and task snapshots into these values on a timer and hands them
over (`MapView.set_scene`, `FleetBoard.set_rows`, `DronePanel.set_detail`). Values not yet
reported are `None`, never zero (a battery of 0 % is not an unknown battery).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

import numpy as np
from PySide6.QtCore import QObject, Signal

from vocab import DockStatus


#: One colour per dock state, shared by the map and the fleet board (theme.py's state colours).
DOCK_STATUS_COLOURS: dict[DockStatus, str] = {
    DockStatus.READY: "#3fb950",
    DockStatus.CHARGING: "#58a6ff",
    DockStatus.IN_FLIGHT: "#bc8cff",
    DockStatus.WEATHER_HOLD: "#d29922",
    DockStatus.OFFLINE: "#6e7681",
    DockStatus.FAULT: "#f85149",
    DockStatus.UNKNOWN: "#8b949e",
}

#: Alert levels 1 (most severe) .. 4.
ALERT_LEVEL_COLOURS: dict[int, str] = {1: "#ff3b30", 2: "#ff9500", 3: "#ffd60a", 4: "#64d2ff"}


class SelectionKind(Enum):
    DOCK = "dock"
    DRONE = "drone"
    ALERT = "alert"
    CAMERA = "camera"


@dataclass(frozen=True, slots=True)
class Selection:
    """One selected thing: `key` is the dock id, the drone's sysid as text, the alert id or the camera id."""

    kind: SelectionKind
    key: str


class SelectionModel(QObject):
    """The one current selection of the console; every panel shows it and may change it (GUI thread)."""

    changed = Signal(object)  # Selection | None

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._current: Selection | None = None

    @property
    def current(self) -> Selection | None:
        return self._current

    def select(self, selection: Selection | None) -> None:
        """Selects `selection`; emits `changed` only when it really changes."""
        if selection != self._current:
            self._current = selection
            self.changed.emit(selection)


@dataclass(frozen=True, slots=True)
class DistrictShape:
    """A district of the basemap: outer rings (and holes) as (N, 2) arrays of lon, lat."""

    key: str
    name_zh: str
    name_en: str
    rings: tuple[np.ndarray, ...]
    bbox: tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat


@dataclass(frozen=True, slots=True)
class ZoneShape:
    """A no-fly zone: rings as (N, 2) arrays of lon, lat; `reason` is shown on hover."""

    zone_id: str
    name: str
    reason: str
    rings: tuple[np.ndarray, ...]


@dataclass(frozen=True, slots=True)
class CameraLayer:
    """The camera registry as the map draws it: positions, and names/ids looked up on demand."""

    lats: np.ndarray
    lons: np.ndarray
    label: Callable[[int], str]       # tooltip text of camera i
    camera_id: Callable[[int], str]   # registry id of camera i (the selection key)
    live: np.ndarray | None = None    # bool per camera: has a stream right now


@dataclass(frozen=True, slots=True)
class DockMark:
    dock_id: str
    name: str
    district: str
    lat: float
    lon: float
    status: DockStatus
    sysid: int
    coverage_radius_m: float | None = None   # reachable radius with the current battery and wind
    tooltip: str = ""


@dataclass(frozen=True, slots=True)
class DroneMark:
    sysid: int
    dock_id: str
    lat: float
    lon: float
    heading_deg: float | None
    alt_rel_m: float | None
    battery_pct: float | None
    airborne: bool
    link_lost: bool
    trail_lats: np.ndarray = field(default_factory=lambda: np.empty(0))
    trail_lons: np.ndarray = field(default_factory=lambda: np.empty(0))
    tooltip: str = ""


@dataclass(frozen=True, slots=True)
class AlertMark:
    alert_id: str
    lat: float
    lon: float
    level: int
    title: str
    acknowledged: bool
    affected_radius_m: float | None = None
    tooltip: str = ""


@dataclass(frozen=True, slots=True)
class RouteMark:
    """A task's planned route and the track flown so far (arrays of lat and lon)."""

    task_id: str
    sysid: int
    planned_lats: np.ndarray
    planned_lons: np.ndarray
    flown_lats: np.ndarray = field(default_factory=lambda: np.empty(0))
    flown_lons: np.ndarray = field(default_factory=lambda: np.empty(0))


@dataclass(frozen=True, slots=True)
class MapScene:
    """The moving part of the map, rebuilt by the console on a timer."""

    docks: tuple[DockMark, ...] = ()
    drones: tuple[DroneMark, ...] = ()
    alerts: tuple[AlertMark, ...] = ()
    routes: tuple[RouteMark, ...] = ()


@dataclass(frozen=True, slots=True)
class FleetRow:
    """One dock and its drone on the fleet board."""

    dock_id: str
    name: str
    district: str            # district key (shinan, shibei, licang, laoshan)
    district_name: str       # localized
    status: DockStatus
    drone_text: str          # localized drone state: 在舱 / 飞行中 / 失联 ...
    battery_pct: float | None
    charge_trend_pct_min: float | None   # + charging, - draining
    link_text: str           # e.g. "10 Hz" or "失联"
    link_ok: bool | None
    task_text: str           # current task state, "" when none
    ready_in_s: float | None  # predicted time until a charging drone is ready
    sysid: int


@dataclass(frozen=True, slots=True)
class DistrictReadiness:
    district: str
    district_name: str
    ready: int
    total: int
    minimum: int

    @property
    def gap(self) -> bool:
        """Fewer ready docks than the site requires: a coverage gap."""
        return self.ready < self.minimum


@dataclass(frozen=True, slots=True)
class DroneDetail:
    """Everything the drone panel's head-up display shows for the selected drone."""

    sysid: int
    dock_id: str
    dock_name: str
    link_lost: bool
    link_text: str
    mode: str | None
    armed: bool | None
    airborne: bool | None
    roll_deg: float | None
    pitch_deg: float | None
    heading_deg: float | None
    alt_rel_m: float | None
    ground_speed_m_s: float | None
    climb_m_s: float | None
    battery_pct: float | None
    battery_v: float | None
    gps_fix: int | None
    satellites: int | None
    lat: float | None
    lon: float | None
    mission_current: int | None
    mission_total: int | None
    task_id: str | None
    task_state: str | None   # localized
    status_texts: tuple[str, ...] = ()
    locked_out: bool = False  # emergency-stopped: only re-activate is possible


@dataclass(frozen=True, slots=True)
class AuthorityView:
    """Who holds command authority over the shown drone's dock (the drone panel's authority line)."""

    mine: bool                          # this console holds it
    console: str                        # the holding console's id
    operator: str                       # the operator who took it
    since: float | None = None          # epoch seconds of the take, None when the holder did not say
    offline_since: float | None = None  # epoch seconds the holder's console was seen going offline


class DroneCommand(Enum):
    """The takeover actions of the fleet layer, as the drone panel requests them."""

    TAKE_AUTHORITY = "take_authority"
    FORCE_TAKE = "force_take"          # a supervisor takes authority from another console (confirmed)
    RELEASE_AUTHORITY = "release_authority"
    HOLD = "hold"
    RESUME = "resume"
    GOTO = "goto"              # args: lat, lon (picked on the map)
    ALTITUDE = "altitude"      # args: alt_rel_m
    RETURN = "return"
    LAND = "land"
    ABORT = "abort"
    EMERGENCY_STOP = "emergency_stop"
    REACTIVATE = "reactivate"


SeriesSource = Callable[[int, str, float], tuple[np.ndarray, np.ndarray]]
"""(sysid, series name, seconds) -> (time.monotonic() of each sample, values), NaN where unknown;
names: alt_rel_m, ground_speed_m_s, battery_pct, message_rate_hz."""
