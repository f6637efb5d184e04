"""Events the fleet announces, each only when a value really changes (docs/architecture.md, "Threads").

They are delivered on the core loop, in the order they happened for each drone. A value
seen for the first time counts as a change (`previous` is then None or UNKNOWN), except the
battery level, which starts as OK so that a full battery is not announced.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from drones.model import LandedState
from vocab import LinkState


class BatteryLevel(Enum):
    OK = "ok"
    LOW = "low"              # below BATTERY_LOW_PCT
    CRITICAL = "critical"    # below BATTERY_CRITICAL_PCT


@dataclass(frozen=True, slots=True)
class DroneAdded:
    """A drone of the site was heard for the first time; its telemetry follows."""

    sysid: int


@dataclass(frozen=True, slots=True)
class DroneRemoved:
    """The fleet lets go of a drone (it is closing): views detach now."""

    sysid: int


@dataclass(frozen=True, slots=True)
class LinkStateChanged:
    """The MAVLink link went lost (silent for LINK_LOST_S) or came back."""

    sysid: int
    link: LinkState
    previous: LinkState
    silent_s: float | None   # age of the last message when the change was seen


@dataclass(frozen=True, slots=True)
class FlightModeChanged:
    sysid: int
    mode: str                # MAVSDK's FlightMode name: HOLD, TAKEOFF, MISSION, RETURN_TO_LAUNCH, LAND, ...
    previous: str | None


@dataclass(frozen=True, slots=True)
class ArmedChanged:
    sysid: int
    armed: bool


@dataclass(frozen=True, slots=True)
class LandedStateChanged:
    """On ground, taking off, in air, landing."""

    sysid: int
    landed: LandedState
    previous: LandedState


@dataclass(frozen=True, slots=True)
class HealthChanged:
    """MAVSDK's health_all_ok together with is_armable changed."""

    sysid: int
    healthy: bool


@dataclass(frozen=True, slots=True)
class BatteryLevelChanged:
    """The battery crossed the low or critical threshold (either way)."""

    sysid: int
    level: BatteryLevel
    previous: BatteryLevel
    battery_pct: float


@dataclass(frozen=True, slots=True)
class StatusTextReceived:
    """A STATUSTEXT from the autopilot (refusals, failsafes); every one is announced."""

    sysid: int
    severity: str            # MAVSDK's StatusTextType name: INFO, WARNING, CRITICAL, ...
    text: str


@dataclass(frozen=True, slots=True)
class MissionProgressChanged:
    """Mission item reached. `total` is what MAVSDK's MissionRaw plugin of `Fleet.mission_raw()`
    knows from its uploads and downloads: 0 for a mission it has not transferred."""

    sysid: int
    current: int
    total: int


FleetEvent = (DroneAdded | DroneRemoved | LinkStateChanged | FlightModeChanged | ArmedChanged
              | LandedStateChanged | HealthChanged | BatteryLevelChanged | StatusTextReceived
              | MissionProgressChanged)
