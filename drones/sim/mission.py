"""Mission items and their execution, the way PX4's navigator runs a mission.

The store holds what the mission protocol uploaded; `MissionRunner` turns the current item
into a position target each tick and reports items reached.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from pymavlink.dialects.v20 import common as mavlink2

from drones.geo import destination, distance_m, initial_bearing_deg

# Commands the simulator flies; anything else is refused at upload with MAV_MISSION_UNSUPPORTED.
NAV_WAYPOINT = mavlink2.MAV_CMD_NAV_WAYPOINT
NAV_LOITER_UNLIM = mavlink2.MAV_CMD_NAV_LOITER_UNLIM
NAV_LOITER_TURNS = mavlink2.MAV_CMD_NAV_LOITER_TURNS
NAV_LOITER_TIME = mavlink2.MAV_CMD_NAV_LOITER_TIME
NAV_RETURN_TO_LAUNCH = mavlink2.MAV_CMD_NAV_RETURN_TO_LAUNCH
NAV_LAND = mavlink2.MAV_CMD_NAV_LAND
NAV_TAKEOFF = mavlink2.MAV_CMD_NAV_TAKEOFF
DO_CHANGE_SPEED = mavlink2.MAV_CMD_DO_CHANGE_SPEED
DO_SET_ROI_LOCATION = mavlink2.MAV_CMD_DO_SET_ROI_LOCATION
DO_SET_ROI_NONE = mavlink2.MAV_CMD_DO_SET_ROI_NONE
DO_SET_ROI = mavlink2.MAV_CMD_DO_SET_ROI
SUPPORTED_COMMANDS = frozenset({NAV_WAYPOINT, NAV_LOITER_UNLIM, NAV_LOITER_TURNS, NAV_LOITER_TIME,
                                NAV_RETURN_TO_LAUNCH, NAV_LAND, NAV_TAKEOFF, DO_CHANGE_SPEED,
                                DO_SET_ROI_LOCATION, DO_SET_ROI_NONE, DO_SET_ROI})
NAV_COMMANDS = frozenset({NAV_WAYPOINT, NAV_LOITER_UNLIM, NAV_LOITER_TURNS, NAV_LOITER_TIME,
                          NAV_RETURN_TO_LAUNCH, NAV_LAND, NAV_TAKEOFF})
FRAME_GLOBAL = mavlink2.MAV_FRAME_GLOBAL
FRAME_GLOBAL_INT = mavlink2.MAV_FRAME_GLOBAL_INT
RELATIVE_FRAMES = frozenset({mavlink2.MAV_FRAME_GLOBAL_RELATIVE_ALT, mavlink2.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
                             mavlink2.MAV_FRAME_GLOBAL_TERRAIN_ALT, mavlink2.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT})
SUPPORTED_FRAMES = RELATIVE_FRAMES | {FRAME_GLOBAL, FRAME_GLOBAL_INT, mavlink2.MAV_FRAME_MISSION}
MAX_ITEMS = 500
ORBIT_LEAD_M = 12.0


@dataclass(frozen=True, slots=True)
class MissionItem:
    """One MISSION_ITEM_INT as stored by the vehicle (x, y in degrees × 1e7)."""

    seq: int
    frame: int
    command: int
    current: int
    autocontinue: int
    param1: float
    param2: float
    param3: float
    param4: float
    x: int
    y: int
    z: float

    @property
    def lat(self) -> float:
        return self.x / 1e7

    @property
    def lon(self) -> float:
        return self.y / 1e7

    @property
    def has_position(self) -> bool:
        return self.x != 0 or self.y != 0

    def alt_amsl(self, home_alt_m: float) -> float:
        return self.z + home_alt_m if self.frame in RELATIVE_FRAMES else self.z

    def problem(self) -> int | None:
        """The MAV_MISSION_RESULT that refuses this item at upload, or None when it is usable."""
        if self.command not in SUPPORTED_COMMANDS:
            return mavlink2.MAV_MISSION_UNSUPPORTED
        if self.command in NAV_COMMANDS and self.frame not in SUPPORTED_FRAMES:
            return mavlink2.MAV_MISSION_UNSUPPORTED_FRAME
        if self.command in NAV_COMMANDS and self.has_position:
            if not -90.0 <= self.lat <= 90.0:
                return mavlink2.MAV_MISSION_INVALID_PARAM5_X
            if not -180.0 <= self.lon <= 180.0:
                return mavlink2.MAV_MISSION_INVALID_PARAM6_Y
        if self.command in (NAV_WAYPOINT, NAV_LOITER_TIME, NAV_LOITER_TURNS, NAV_TAKEOFF) and not math.isfinite(self.z):
            return mavlink2.MAV_MISSION_INVALID_PARAM7
        return None


class Step(Enum):
    """What the runner wants from the vehicle after a tick."""

    FLY = "fly"            # follow `target`
    TAKEOFF = "takeoff"    # item is a takeoff: the vehicle handles it as a climb
    LAND = "land"          # land at `target`
    RTL = "rtl"            # switch to return mode
    DONE = "done"          # mission complete: hold where you are


@dataclass(slots=True)
class Leg:
    """The position the runner asks for this tick."""

    step: Step
    lat: float = 0.0
    lon: float = 0.0
    alt_amsl_m: float = 0.0
    yaw_deg: float | None = None


class MissionRunner:
    """Executes the items from `current`; call `tick()` every physics step while in MISSION mode."""

    def __init__(self) -> None:
        self.items: list[MissionItem] = []
        self.current = 0
        self.reached: list[int] = []      # seqs reached since the protocol last drained them
        self.complete = False
        self.speed_m_s: float | None = None
        self.roi: tuple[float, float] | None = None
        self._hold_s = 0.0
        self._arrived = False
        self._orbit_deg = 0.0
        self._orbit_last: float | None = None
        self._anchor: tuple[float, float] | None = None

    def replace(self, items: list[MissionItem]) -> None:
        self.items = items
        self.current = 0
        self.complete = False
        self._reset_item()

    def set_current(self, seq: int) -> bool:
        if not 0 <= seq < max(1, len(self.items)) or not self.items:
            return False
        self.current = seq
        self.complete = False
        self._reset_item()
        return True

    def _reset_item(self) -> None:
        self._hold_s = 0.0
        self._arrived = False
        self._orbit_deg = 0.0
        self._orbit_last = None
        self._anchor = None

    def _advance(self) -> None:
        self.reached.append(self.current)
        self._reset_item()
        if self.current + 1 >= len(self.items):
            self.complete = True
        else:
            self.current += 1

    def touched_down(self) -> None:
        """The vehicle landed on the mission's land item: that item is reached and the mission complete."""
        if not self.complete and self.items and self.items[self.current].command == NAV_LAND:
            self._advance()

    def tick(self, dt_s: float, lat: float, lon: float, alt_amsl_m: float, home_alt_m: float,
             acceptance_m: float) -> Leg:
        """The leg to fly now, given where the vehicle is; advances through DO items at once."""
        for _ in range(len(self.items) + 1):
            if self.complete or not self.items:
                return Leg(Step.DONE, lat, lon, alt_amsl_m, self._roi_yaw(lat, lon))
            item = self.items[self.current]
            if item.command == DO_CHANGE_SPEED:
                if item.param2 > 0:
                    self.speed_m_s = item.param2
                self._advance()
                continue
            if item.command in (DO_SET_ROI_LOCATION, DO_SET_ROI):
                self.roi = (item.lat, item.lon) if item.has_position else None
                self._advance()
                continue
            if item.command == DO_SET_ROI_NONE:
                self.roi = None
                self._advance()
                continue
            return self._nav(item, dt_s, lat, lon, alt_amsl_m, home_alt_m, acceptance_m)
        return Leg(Step.DONE, lat, lon, alt_amsl_m)

    def _nav(self, item: MissionItem, dt_s: float, lat: float, lon: float, alt: float, home_alt: float,
             acceptance_m: float) -> Leg:
        if self._anchor is None:
            self._anchor = (item.lat, item.lon) if item.has_position else (lat, lon)
        tlat, tlon = self._anchor
        talt = item.alt_amsl(home_alt) if item.command != NAV_LAND else home_alt
        if item.command == NAV_RETURN_TO_LAUNCH:
            self._advance()
            return Leg(Step.RTL)
        if item.command == NAV_LAND:
            return Leg(Step.LAND, tlat, tlon, alt)
        if item.command == NAV_TAKEOFF:
            if alt >= talt - 1.0:
                self._advance()
                return self.tick(0.0, lat, lon, alt, home_alt, acceptance_m)
            return Leg(Step.TAKEOFF, lat, lon, talt)
        radius = abs(item.param3) if item.command in (NAV_LOITER_TIME, NAV_LOITER_TURNS) else 0.0
        horizontal = distance_m(lat, lon, tlat, tlon)
        if not self._arrived:
            accept = item.param2 if item.command == NAV_WAYPOINT and item.param2 > 0 else acceptance_m
            if horizontal <= max(accept, radius) + 0.5 and abs(alt - talt) < 1.5:
                self._arrived = True
            return Leg(Step.FLY, tlat, tlon, talt, self._roi_yaw(lat, lon))
        # At the item: hold, loiter or orbit until its condition is met.
        if item.command == NAV_LOITER_UNLIM:
            return self._loiter(dt_s, lat, lon, tlat, tlon, talt, radius, item)
        if item.command == NAV_LOITER_TURNS:
            leg = self._loiter(dt_s, lat, lon, tlat, tlon, talt, radius, item)
            if radius <= 0 or self._orbit_deg >= 360.0 * max(item.param1, 0.0):
                self._advance()
            return leg
        self._hold_s += dt_s
        leg = self._loiter(dt_s, lat, lon, tlat, tlon, talt, radius, item)
        if self._hold_s >= max(item.param1, 0.0):
            self._advance()
        return leg

    def _loiter(self, dt_s: float, lat: float, lon: float, clat: float, clon: float, alt: float, radius: float,
                item: MissionItem) -> Leg:
        """Hover over the centre, or orbit it (clockwise for a positive radius) facing the centre."""
        if radius <= 0:
            yaw = self._roi_yaw(lat, lon)
            if yaw is None and item.command == NAV_WAYPOINT and math.isfinite(item.param4):
                yaw = item.param4 % 360.0
            return Leg(Step.FLY, clat, clon, alt, yaw)
        bearing_from_centre = initial_bearing_deg(clat, clon, lat, lon)
        if self._orbit_last is not None:
            self._orbit_deg += abs((bearing_from_centre - self._orbit_last + 540.0) % 360.0 - 180.0)
        self._orbit_last = bearing_from_centre
        direction = 1.0 if item.param3 >= 0 else -1.0
        lead_deg = math.degrees(ORBIT_LEAD_M / radius)
        tlat, tlon = destination(clat, clon, bearing_from_centre + direction * lead_deg, radius)
        roi_yaw = self._roi_yaw(lat, lon)
        face = initial_bearing_deg(lat, lon, clat, clon) if roi_yaw is None else roi_yaw
        return Leg(Step.FLY, tlat, tlon, alt, face)

    def _roi_yaw(self, lat: float, lon: float) -> float | None:
        if self.roi is None:
            return None
        return initial_bearing_deg(lat, lon, self.roi[0], self.roi[1])
