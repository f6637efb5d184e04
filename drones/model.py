"""Value types of the drone-control core: drone and dock snapshots, refusals (states and reasons are `vocab`).

Snapshots are frozen: a reader on any thread gets a consistent picture. Values the drone or
dock has not reported yet are `None` (or NaN in numpy series), never zero: a battery of 0 %
and a battery not yet reported are different things on a command-hall screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from vocab import LinkState, Reason



class LandedState(Enum):
    UNKNOWN = "unknown"
    ON_GROUND = "on_ground"
    TAKING_OFF = "taking_off"
    IN_AIR = "in_air"
    LANDING = "landing"



@dataclass(frozen=True, slots=True)
class DroneState:
    """Latest known state of one drone (MAVLink system id `sysid`)."""

    sysid: int
    link: LinkState = LinkState.NEVER
    heartbeat_age_s: float | None = None
    message_rate_hz: float | None = None
    flight_mode: str | None = None           # MAVSDK's FlightMode name: HOLD, MISSION, RETURN_TO_LAUNCH, ...
    armed: bool | None = None
    landed: LandedState = LandedState.UNKNOWN
    lat: float | None = None
    lon: float | None = None
    alt_amsl_m: float | None = None
    alt_rel_m: float | None = None
    v_north_m_s: float | None = None
    v_east_m_s: float | None = None
    v_down_m_s: float | None = None
    heading_deg: float | None = None
    battery_pct: float | None = None
    battery_v: float | None = None
    battery_remaining_s: float | None = None
    gps_fix: int | None = None               # 0 none .. 3 3D fix and better
    satellites: int | None = None
    healthy: bool | None = None              # MAVSDK health_all_ok and armable
    home_lat: float | None = None
    home_lon: float | None = None
    home_alt_amsl_m: float | None = None
    mission_current: int | None = None
    mission_total: int | None = None
    status_text: str | None = None
    link_loss_action: int | None = None      # PX4 NAV_DLL_ACT as read from the drone (None: not read yet)
    updated_at: float | None = None          # time.monotonic() of the last message

    @property
    def ground_speed_m_s(self) -> float | None:
        if self.v_north_m_s is None or self.v_east_m_s is None:
            return None
        return (self.v_north_m_s ** 2 + self.v_east_m_s ** 2) ** 0.5


#: PX4's NAV_DLL_ACT values (data-link loss action) and what the console says the drone will do.
LINK_LOSS_ACTIONS: dict[int, str] = {0: "dll.none", 1: "dll.hold", 2: "dll.return", 3: "dll.land", 5: "dll.terminate",
                                     6: "dll.disarm"}
LINK_LOSS_NONE = 0


def link_loss_action(value: int | None) -> Reason:
    """What the drone will do when its link is lost, as the console says it (from NAV_DLL_ACT)."""
    return Reason.of(LINK_LOSS_ACTIONS.get(value, "dll.unknown") if value is not None else "dll.unknown")


class CoverState(Enum):
    UNKNOWN = "unknown"
    CLOSED = "closed"
    OPEN = "open"
    MOVING = "moving"
    FAULT = "fault"


@dataclass(frozen=True, slots=True)
class DockState:
    """Latest known state of one dock, from its `osd` and `status` messages."""

    dock_id: str
    dock_sn: str
    online: bool = False
    mode_code: int | None = None
    cover: CoverState = CoverState.UNKNOWN
    drone_in_dock: bool | None = None
    charging: bool | None = None
    charging_since: float | None = None      # time.monotonic() when `charging` took its current value
    charge_pct: float | None = None
    wind_speed_m_s: float | None = None
    rainfall: int | None = None              # 0 none, 1 light, 2 moderate, 3 heavy
    temperature_c: float | None = None
    network_quality: int | None = None       # 0..5
    updated_at: float | None = None          # time.monotonic() of the last osd



class DispatchRefused(Exception):
    """A flight that must not happen, with the reason the UI shows as is."""

    def __init__(self, reason: Reason, *, check: str) -> None:
        super().__init__(f"{check}: {reason.en}")
        self.reason = reason
        self.check = check   # machine-readable name of the failed check: battery, wind, nofly, ...
        self.task_id: str | None = None   # the journaled task that failed with it, when one was started


class CommandRefused(Exception):
    """An operator command the drone, the dock or the console refused; `reason` is for the operator."""

    def __init__(self, reason: Reason, *, command: str) -> None:
        super().__init__(f"{command}: {reason.en}")
        self.reason = reason
        self.command = command
