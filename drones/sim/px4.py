"""PX4 conventions the simulated autopilot follows: flight modes, parameters, capabilities.

Flight modes travel in HEARTBEAT.custom_mode as PX4 packs them (main mode in bits 16–23,
sub mode in bits 24–31) with MAV_MODE_FLAG_CUSTOM_MODE_ENABLED in base_mode; this is how
MAVSDK and QGroundControl decode a PX4 mode.
"""

from __future__ import annotations

import struct
from enum import Enum

from pymavlink.dialects.v20 import common as mavlink2

# PX4 main modes (px4_custom_mode.h)
MAIN_MANUAL = 1
MAIN_ALTCTL = 2
MAIN_POSCTL = 3
MAIN_AUTO = 4
# PX4 AUTO sub modes
SUB_AUTO_READY = 1
SUB_AUTO_TAKEOFF = 2
SUB_AUTO_LOITER = 3
SUB_AUTO_MISSION = 4
SUB_AUTO_RTL = 5
SUB_AUTO_LAND = 6


class FlightMode(Enum):
    """The navigator states the simulator implements, with their PX4 (main, sub) mode."""

    POSCTL = (MAIN_POSCTL, 0)
    TAKEOFF = (MAIN_AUTO, SUB_AUTO_TAKEOFF)
    HOLD = (MAIN_AUTO, SUB_AUTO_LOITER)
    MISSION = (MAIN_AUTO, SUB_AUTO_MISSION)
    RTL = (MAIN_AUTO, SUB_AUTO_RTL)
    LAND = (MAIN_AUTO, SUB_AUTO_LAND)

    @property
    def custom_mode(self) -> int:
        main, sub = self.value
        return (main << 16) | (sub << 24)

    @classmethod
    def from_px4(cls, main: int, sub: int) -> FlightMode | None:
        """The mode for a DO_SET_MODE request, None for modes a dock drone does not fly."""
        for mode in cls:
            if mode.value == (main, sub):
                return mode
        if main == MAIN_POSCTL:
            return cls.POSCTL
        return None


#: Capabilities announced in AUTOPILOT_VERSION, as PX4 announces them.
CAPABILITIES = (
    mavlink2.MAV_PROTOCOL_CAPABILITY_MISSION_FLOAT
    | mavlink2.MAV_PROTOCOL_CAPABILITY_PARAM_FLOAT
    | mavlink2.MAV_PROTOCOL_CAPABILITY_MISSION_INT
    | mavlink2.MAV_PROTOCOL_CAPABILITY_COMMAND_INT
    | mavlink2.MAV_PROTOCOL_CAPABILITY_PARAM_ENCODE_BYTEWISE
    | mavlink2.MAV_PROTOCOL_CAPABILITY_SET_POSITION_TARGET_GLOBAL_INT
    | mavlink2.MAV_PROTOCOL_CAPABILITY_MAVLINK2
)
#: PX4 v1.15.0 release, packed as major.minor.patch.type (0xFF = release).
FLIGHT_SW_VERSION = (1 << 24) | (15 << 16) | (0 << 8) | 0xFF

REAL32 = mavlink2.MAV_PARAM_TYPE_REAL32
INT32 = mavlink2.MAV_PARAM_TYPE_INT32

#: Parameters MAVSDK and the console touch, with PX4's defaults (name, type, value), as read back from PX4 SITL
#: (main, 2026; /work/shared/px4-sitl): a site sets what it needs in its `[autopilot.params]` (drones/site.py).
DEFAULT_PARAMS: tuple[tuple[str, int, float], ...] = (
    ("MIS_TAKEOFF_ALT", REAL32, 2.5),       # takeoff altitude above home, m
    ("RTL_RETURN_ALT", REAL32, 30.0),       # RTL cruise altitude above home, m
    ("RTL_DESCEND_ALT", REAL32, 10.0),
    ("MPC_XY_CRUISE", REAL32, 5.0),         # mission cruise speed, m/s
    ("MPC_XY_VEL_MAX", REAL32, 12.0),
    ("MPC_Z_VEL_MAX_UP", REAL32, 3.0),
    ("MPC_TKO_SPEED", REAL32, 1.5),         # takeoff climb rate, m/s
    ("MPC_LAND_SPEED", REAL32, 0.7),
    ("NAV_ACC_RAD", REAL32, 10.0),          # waypoint acceptance radius, m
    ("NAV_DLL_ACT", INT32, 0),              # data-link loss action: 0 = none (1 hold, 2 return, 3 land)
    ("COM_DL_LOSS_T", INT32, 40),           # data-link loss timeout, s (40 on PX4 SITL)
    ("COM_DISARM_LAND", REAL32, 2.0),       # auto-disarm after landing, s
    ("LNDMC_TRIG_TIME", REAL32, 1.0),       # land detector: touchdown to "landed", s
    ("BAT_LOW_THR", REAL32, 0.15),          # low battery: return
    ("BAT_CRIT_THR", REAL32, 0.07),         # critical battery: land
    ("COM_DISARM_PRFLT", REAL32, 40.0),     # auto-disarm when armed on the ground without takeoff, s (40 on SITL)
    ("COM_ARM_MIS_REQ", INT32, 0),          # 1: arming needs a valid mission
    ("MIS_DIST_1WP", REAL32, 10000.0),
    ("SYS_AUTOSTART", INT32, 4001),         # airframe (generic quadcopter; PX4 SITL's SIH quad is 10040)
)


def encode_param(param_type: int, value: float) -> float:
    """The float that carries a value on the wire; PX4 sends integers bytewise (not cast)."""
    if param_type == INT32:
        return struct.unpack("<f", struct.pack("<i", int(value)))[0]
    return float(value)


def decode_param(param_type: int, wire: float) -> float:
    if param_type == INT32:
        return float(struct.unpack("<i", struct.pack("<f", wire))[0])
    return float(wire)
