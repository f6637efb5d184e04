"""One simulated PX4 multirotor: commander (arming, modes, failsafes) and navigator (what to fly).

No I/O here: the MAVLink endpoint (endpoint.py) turns messages into calls on `SimVehicle`
and its state into telemetry. Physics run in simulated time (`tick(dt_sim_s, now_s)`);
protocol timing (data-link loss, auto-disarm) runs on the real clock `now_s`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum

from pymavlink.dialects.v20 import common as mavlink2

from drones.sim.flight_model import CRUISE_SPEED_M_S, MultirotorModel, Target
from drones.sim.mission import MissionRunner, Step
from drones.sim.px4 import DEFAULT_PARAMS, FlightMode

log = logging.getLogger(__name__)

ACCEPTED = mavlink2.MAV_RESULT_ACCEPTED
DENIED = mavlink2.MAV_RESULT_DENIED
TEMPORARILY_REJECTED = mavlink2.MAV_RESULT_TEMPORARILY_REJECTED
FAILED = mavlink2.MAV_RESULT_FAILED
UNSUPPORTED = mavlink2.MAV_RESULT_UNSUPPORTED
FORCE_MAGIC = 21196          # param2 of ARM_DISARM that forces it (PX4, MAVSDK kill())
LANDED_ALT_M = 0.05


class LandedState(IntEnum):
    ON_GROUND = mavlink2.MAV_LANDED_STATE_ON_GROUND
    IN_AIR = mavlink2.MAV_LANDED_STATE_IN_AIR
    TAKEOFF = mavlink2.MAV_LANDED_STATE_TAKEOFF
    LANDING = mavlink2.MAV_LANDED_STATE_LANDING


#: How long after refusing a command PX4 sends its reason as STATUSTEXT. Measured on PX4 SITL (2026-12): the text
#: follows the COMMAND_ACK within 10-50 ms; the endpoint sends the ACK at once and texts at its next tick (<= 40 ms).
REFUSAL_TEXT_DELAY_S = 0.0
#: After a mission upload PX4 refuses mission mode until its navigator has checked the new mission (about a second
#: on a loaded autopilot, at once on an idle one). The simulator always refuses for this long, on the real clock,
#: so the console's retry (drones/drone_control.py) is exercised by every simulated flight, not by luck of timing.
MISSION_SETTLE_S = 0.5
MISSION_NOT_AVAILABLE = "Switching to Mission is currently not available"
#: PX4's refusal text when an arming check fails (the detailed reason goes through its events protocol).
HEALTH_REFUSAL = "Arming denied: Resolve system health failures first"
#: What the simulated PX4 does on a data-link loss, by NAV_DLL_ACT (its other values are not simulated).
_LINK_LOSS_ACTIONS: dict[int, tuple[FlightMode, str]] = {1: (FlightMode.HOLD, "holding"),
                                                         2: (FlightMode.RTL, "returning"),
                                                         3: (FlightMode.LAND, "landing")}


@dataclass(slots=True)
class Faults:
    """Injected faults (tests and demos): what is wrong with this vehicle right now."""

    gps_lost: bool = False
    battery_fault: bool = False
    no_ack: bool = False              # ignores commands: no COMMAND_ACK, no action
    link_down_until: float = 0.0      # real-clock time until which the radio is silent both ways


@dataclass(slots=True)
class StatusText:
    severity: int
    text: str
    due: float = 0.0          # time.monotonic() it goes out (a refusal's reason follows its COMMAND_ACK)


@dataclass(slots=True)
class SimVehicle:
    """State and behaviour of one drone; the endpoint calls it from the simulator's loop."""

    sysid: int
    model: MultirotorModel
    home: tuple[float, float, float] = (0.0, 0.0, 0.0)   # lat, lon, alt AMSL
    cover_open: Callable[[], bool] | None = None          # dock interlock; None: no dock
    mode: FlightMode = FlightMode.HOLD
    landed: LandedState = LandedState.ON_GROUND
    params: dict[str, tuple[int, float]] = field(default_factory=lambda: {n: (t, v) for n, t, v in DEFAULT_PARAMS})
    mission: MissionRunner = field(default_factory=MissionRunner)
    faults: Faults = field(default_factory=Faults)
    status_out: list[StatusText] = field(default_factory=list)
    charging: bool = False
    last_gcs_heartbeat: float | None = None
    speed_override_m_s: float | None = None
    mission_settle_s: float = MISSION_SETTLE_S
    mission_settles_at: float = 0.0          # time.monotonic() from which mission mode is available again
    mission_refusals: int = 0                # mission starts refused while settling (tests read it)
    _landed_since: float | None = None
    _armed_on_ground_since: float | None = None
    _low_battery_done: bool = False
    _critical_battery_done: bool = False
    _link_failsafe_done: bool = False
    _hold_point: tuple[float, float, float] | None = None
    _land_point: tuple[float, float] | None = None
    _rtl_phase: str = ""
    _takeoff_alt_m: float | None = None
    _touching_s: float = 0.0

    def __post_init__(self) -> None:
        if self.home == (0.0, 0.0, 0.0):
            self.home = (self.model.lat, self.model.lon, self.model.ground_alt_m)

    # ----- helpers ----------------------------------------------------------------------

    def param(self, name: str) -> float:
        return self.params[name][1]

    def set_params(self, values: Mapping[str, float]) -> None:
        """Sets parameters as a site's autopilot table does (a known one keeps its type; a new one is an
        INT32 when written as an integer, else REAL32)."""
        for name, value in values.items():
            if name in self.params:
                ptype = self.params[name][0]
            else:
                ptype = mavlink2.MAV_PARAM_TYPE_INT32 if isinstance(value, int) else mavlink2.MAV_PARAM_TYPE_REAL32
            self.params[name] = (ptype, float(value))

    @property
    def armed(self) -> bool:
        return self.model.armed

    @property
    def in_air(self) -> bool:
        return self.landed != LandedState.ON_GROUND

    @property
    def healthy(self) -> bool:
        return not self.faults.gps_lost and not self.faults.battery_fault

    def say(self, severity: int, text: str, *, delay_s: float = 0.0) -> None:
        """Queues a STATUSTEXT, as PX4 reports refusals and failsafes (its texts end with a tab)."""
        self.status_out.append(StatusText(severity, text + "\t", time.monotonic() + delay_s))
        log.info("drone %d: %s", self.sysid, text)

    def _deny(self, text: str) -> int:
        # PX4 says why up to about 2 s after it refused (the COMMAND_ACK goes first): so does the simulator.
        self.say(mavlink2.MAV_SEVERITY_CRITICAL, text, delay_s=REFUSAL_TEXT_DELAY_S)
        return DENIED

    def _set_mode(self, mode: FlightMode) -> None:
        if mode != self.mode:
            self.mode = mode
            self._hold_point = None
            self._rtl_phase = ""
            self._land_point = None

    # ----- commands (called by the endpoint; return a MAV_RESULT) -------------------------

    def arm(self, now_s: float, force: bool = False) -> int:
        if self.armed:
            return ACCEPTED
        if not force:
            if self.in_air:
                return self._deny("Arming denied: already flying")
            if self.faults.gps_lost:
                return self._deny("Arming denied: no valid global position (GPS)")
            if self.faults.battery_fault:
                return self._deny("Arming denied: battery fault")
            if self.model.battery.remaining_pct < self.param("BAT_LOW_THR") * 100.0:
                return self._deny(f"Arming denied: low battery ({self.model.battery.remaining_pct:.0f}%)")
            if self.cover_open is not None and not self.cover_open():
                return self._deny("Arming denied: dock cover closed")
            if self.param("COM_ARM_MIS_REQ") and not self.mission.items:
                return self._deny(HEALTH_REFUSAL)   # PX4: a mission is required to arm and there is none
        self.model.armed = True
        self.charging = False
        self._armed_on_ground_since = now_s
        self.say(mavlink2.MAV_SEVERITY_INFO, "Armed by external command")
        if self.mode == FlightMode.TAKEOFF:
            self.takeoff()          # armed in Takeoff mode: it takes off (PX4 accepts Takeoff on the ground)
        elif self.mode == FlightMode.MISSION and self.mission.items:
            self.start_mission()    # armed in Mission mode: the mission starts (a finished one from its start)
        return ACCEPTED

    def disarm(self, force: bool = False) -> int:
        if not self.armed:
            return ACCEPTED
        if self.in_air and not force:
            return self._deny("Disarming denied: not landed")
        if self.in_air:
            self.say(mavlink2.MAV_SEVERITY_EMERGENCY, "Flight termination: motors stopped in air")
            self.model.flying = False
            self.model.alt_amsl_m = self.model.ground_alt_m  # it falls
        self._disarm_now("Disarmed by external command")
        return ACCEPTED

    def _disarm_now(self, text: str) -> None:
        self.model.armed = False
        self.model.flying = False
        self.model.target = None
        self.landed = LandedState.ON_GROUND
        self._armed_on_ground_since = None
        self._landed_since = None
        self.say(mavlink2.MAV_SEVERITY_INFO, text)

    def takeoff(self, altitude_rel_m: float | None = None) -> int:
        if self.faults.gps_lost:
            return self._deny("Takeoff denied: no valid global position")
        if self.in_air and self.mode != FlightMode.TAKEOFF:
            return ACCEPTED
        if altitude_rel_m and altitude_rel_m > 0:
            self._takeoff_alt_m = altitude_rel_m
        self._set_mode(FlightMode.TAKEOFF)
        if not self.armed:
            return ACCEPTED   # as PX4: accepted, the mode is Takeoff, it lifts off once armed
        alt = self._takeoff_alt_m or self.param("MIS_TAKEOFF_ALT")
        self._takeoff_alt_m = None
        self._start_flying()
        self.model.target = Target(self.model.lat, self.model.lon, self.home[2] + alt, self._speed(),
                                   climb_m_s=self.param("MPC_TKO_SPEED"))
        if self.landed == LandedState.ON_GROUND:
            self.landed = LandedState.TAKEOFF
            self.say(mavlink2.MAV_SEVERITY_INFO, "Takeoff detected")   # PX4 says it as it leaves the ground
        return ACCEPTED

    def _start_flying(self) -> None:
        self.model.flying = True
        self._armed_on_ground_since = None
        self._landed_since = None

    def set_mode(self, mode: FlightMode) -> int:
        if mode == FlightMode.MISSION:
            return self.start_mission()
        if mode == FlightMode.TAKEOFF:
            return self.takeoff()
        if mode == FlightMode.POSCTL and self.faults.gps_lost:
            return self._deny("Switching to Position mode denied: no position estimate")
        self._set_mode(mode)   # RTL and Land on the ground: PX4 accepts; nothing to do there
        return ACCEPTED

    def return_to_launch(self) -> int:
        """MAV_CMD_NAV_RETURN_TO_LAUNCH: PX4 says so on each one (DO_SET_MODE to RTL says nothing)."""
        self.say(mavlink2.MAV_SEVERITY_INFO, "Returning to launch")
        return self.set_mode(FlightMode.RTL)

    def land(self) -> int:
        """MAV_CMD_NAV_LAND: land here; PX4 says so."""
        self.say(mavlink2.MAV_SEVERITY_INFO, "Landing at current position")
        return self.set_mode(FlightMode.LAND)

    def mission_uploaded(self) -> None:
        """A new mission was accepted: mission mode is refused for `mission_settle_s` (PX4's mission check)."""
        self.mission_settles_at = time.monotonic() + self.mission_settle_s

    def start_mission(self, first: int | None = None) -> int:
        if not self.mission.items:
            return self._deny("Mission start denied: no mission uploaded")
        if time.monotonic() < self.mission_settles_at:
            self.mission_refusals += 1
            return self._deny(MISSION_NOT_AVAILABLE)
        if self.faults.gps_lost:
            return self._deny("Mission start denied: no valid global position")
        if first is not None and not self.mission.set_current(first):
            return self._deny(f"Mission start denied: item {first} out of range")
        if self.mission.complete:
            self.mission.set_current(0)
        self._set_mode(FlightMode.MISSION)
        if self.armed:
            self.say(mavlink2.MAV_SEVERITY_INFO, "Executing Mission")
        if self.armed and not self.in_air:
            # PX4 takes off into the mission (its takeoff item, or MIS_TAKEOFF_ALT) when started on the ground.
            self._start_flying()
            self.landed = LandedState.TAKEOFF
            self.say(mavlink2.MAV_SEVERITY_INFO, "Takeoff detected")
        return ACCEPTED

    def reposition(self, lat: float, lon: float, alt_amsl_m: float | None) -> int:
        """DO_REPOSITION: go to a point and hold there (switches to Hold, as PX4 does)."""
        if not self.in_air:
            return self._deny("Reposition denied: not flying")
        if self.faults.gps_lost:
            return self._deny("Reposition denied: no valid global position")
        self._set_mode(FlightMode.HOLD)
        alt = alt_amsl_m if alt_amsl_m is not None else self.model.alt_amsl_m
        self._hold_point = (lat, lon, alt)
        return ACCEPTED

    def change_speed(self, speed_m_s: float) -> int:
        if speed_m_s <= 0:
            self.speed_override_m_s = None
        else:
            self.speed_override_m_s = min(speed_m_s, self.param("MPC_XY_VEL_MAX"))
        return ACCEPTED

    def _speed(self) -> float:
        if self.speed_override_m_s:
            return self.speed_override_m_s
        if self.mode == FlightMode.MISSION and self.mission.speed_m_s:
            return self.mission.speed_m_s
        return self.param("MPC_XY_CRUISE") or CRUISE_SPEED_M_S

    # ----- the loop --------------------------------------------------------------------------

    def gcs_heartbeat(self, now_s: float) -> None:
        self.last_gcs_heartbeat = now_s
        self._link_failsafe_done = False

    def tick(self, dt_sim_s: float, now_s: float) -> None:
        """Advances commander, navigator and physics by dt_sim_s of simulated time."""
        self._failsafes(now_s)
        if self.model.flying:
            self._navigate(dt_sim_s)
        self.model.step(dt_sim_s)
        self._update_landed(now_s, dt_sim_s)
        if self.charging and not self.armed:
            self.model.charge(dt_sim_s)

    def _navigate(self, dt_s: float) -> None:
        m = self.model
        speed = self._speed()
        if self.mode == FlightMode.TAKEOFF:
            if m.target and m.alt_amsl_m >= m.target.alt_amsl_m - 0.3:
                self.landed = LandedState.IN_AIR
                self._set_mode(FlightMode.HOLD)
        elif self.mode in (FlightMode.HOLD, FlightMode.POSCTL):
            if self._hold_point is None:
                self._hold_point = (m.lat, m.lon, m.alt_amsl_m)
            lat, lon, alt = self._hold_point
            m.target = Target(lat, lon, alt, speed)
        elif self.mode == FlightMode.LAND:
            if self._land_point is None:
                self._land_point = (m.lat, m.lon)
            m.target = Target(*self._land_point, m.ground_alt_m, speed)
            self.landed = LandedState.LANDING
        elif self.mode == FlightMode.RTL:
            self._rtl()
        elif self.mode == FlightMode.MISSION:
            leg = self.mission.tick(dt_s, m.lat, m.lon, m.alt_amsl_m, self.home[2], self.param("NAV_ACC_RAD"))
            if self.landed == LandedState.TAKEOFF and leg.step not in (Step.TAKEOFF, Step.LAND):
                self.landed = LandedState.IN_AIR
            if leg.step == Step.TAKEOFF:
                m.target = Target(leg.lat, leg.lon, leg.alt_amsl_m, speed, climb_m_s=self.param("MPC_TKO_SPEED"))
            elif leg.step == Step.RTL:
                self._set_mode(FlightMode.RTL)
                self._rtl()
            elif leg.step == Step.LAND:
                m.target = Target(leg.lat, leg.lon, m.ground_alt_m, speed)
                if m.distance_to_target_m() < 2.0 + m.relative_alt_m:
                    self.landed = LandedState.LANDING
            elif leg.step == Step.DONE:
                if self._hold_point is None:
                    self._hold_point = (m.lat, m.lon, m.alt_amsl_m)
                m.target = Target(*self._hold_point, speed, leg.yaw_deg)
            else:
                m.target = Target(leg.lat, leg.lon, leg.alt_amsl_m, speed, leg.yaw_deg)

    def _rtl(self) -> None:
        """Climb to RTL_RETURN_ALT if lower, fly home at that altitude, then land on the home point."""
        m = self.model
        home_lat, home_lon, home_alt = self.home
        cruise_alt = max(m.alt_amsl_m, home_alt + self.param("RTL_RETURN_ALT"))
        if self._rtl_phase == "":
            self._rtl_phase = "climb"
            self._hold_point = (m.lat, m.lon, cruise_alt)
        if self._rtl_phase == "climb":
            lat, lon, alt = self._hold_point  # type: ignore[misc]
            m.target = Target(lat, lon, alt, self._speed())
            if m.alt_amsl_m >= alt - 0.5:
                self._rtl_phase = "return"
        if self._rtl_phase == "return":
            alt = self._hold_point[2] if self._hold_point else cruise_alt
            m.target = Target(home_lat, home_lon, alt, self._speed())
            if m.distance_to_target_m() < 1.0:
                self._rtl_phase = "land"
                self.say(mavlink2.MAV_SEVERITY_INFO, "RTL: land at destination")
        if self._rtl_phase == "land":
            m.target = Target(home_lat, home_lon, m.ground_alt_m, self._speed())
            self.landed = LandedState.LANDING

    def _update_landed(self, now_s: float, dt_sim_s: float) -> None:
        m = self.model
        if not m.flying:
            if self.armed and self._armed_on_ground_since is not None \
                    and now_s - self._armed_on_ground_since > self.param("COM_DISARM_PRFLT"):
                self._disarm_now("Disarmed by auto preflight disarming")
            return
        touching = m.relative_alt_m <= LANDED_ALT_M and (m.target is None or m.target.alt_amsl_m <= m.ground_alt_m)
        if not touching:
            self._touching_s = 0.0
        elif self.landed in (LandedState.LANDING, LandedState.IN_AIR) and self._landed_since is None:
            # PX4's land detector: ground contact, maybe landed, landed, within LNDMC_TRIG_TIME of touchdown.
            self._touching_s += dt_sim_s
            if self._touching_s >= self.param("LNDMC_TRIG_TIME"):
                self._landed_since = 0.0
                self.landed = LandedState.ON_GROUND
                self.say(mavlink2.MAV_SEVERITY_INFO, "Landing detected")
                if self.mode == FlightMode.MISSION:
                    # PX4 (measured): a mission that ends in a landing says so, and stays in Mission once disarmed.
                    self.mission.touched_down()
                    self.say(mavlink2.MAV_SEVERITY_INFO, "Mission finished, landed")
        if self._landed_since is not None:
            self._landed_since += dt_sim_s
            if self._landed_since >= self.param("COM_DISARM_LAND"):
                self._disarm_now("Disarmed by landing")
                if self.mode in (FlightMode.RTL, FlightMode.LAND):
                    self._set_mode(FlightMode.HOLD)   # PX4 (measured): Hold once disarmed after an RTL or a Land

    def _failsafes(self, now_s: float) -> None:
        if not (self.armed and self.in_air):
            return
        pct = self.model.battery.remaining_pct
        if pct < self.param("BAT_CRIT_THR") * 100.0 and not self._critical_battery_done:
            self._critical_battery_done = True
            self.say(mavlink2.MAV_SEVERITY_EMERGENCY, "Failsafe: critical battery, landing")
            self._set_mode(FlightMode.LAND)
        elif pct < self.param("BAT_LOW_THR") * 100.0 and not self._low_battery_done:
            self._low_battery_done = True
            if self.mode not in (FlightMode.RTL, FlightMode.LAND):
                self.say(mavlink2.MAV_SEVERITY_CRITICAL, "Failsafe: low battery, returning")
                self._set_mode(FlightMode.RTL)
        if self.faults.gps_lost and self.mode != FlightMode.LAND:
            self.say(mavlink2.MAV_SEVERITY_CRITICAL, "Failsafe: position lost, landing")
            self._set_mode(FlightMode.LAND)
        if self.faults.battery_fault and self.mode not in (FlightMode.RTL, FlightMode.LAND):
            self.say(mavlink2.MAV_SEVERITY_CRITICAL, "Failsafe: battery fault, returning")
            self._set_mode(FlightMode.RTL)
        timeout = self.param("COM_DL_LOSS_T")
        if self.last_gcs_heartbeat is not None and not self._link_failsafe_done \
                and now_s - self.last_gcs_heartbeat > timeout:
            self._link_failsafe_done = True
            # PX4's NAV_DLL_ACT: 0 no action (it carries on), 1 hold, 2 return, 3 land.
            action = _LINK_LOSS_ACTIONS.get(int(self.param("NAV_DLL_ACT")))
            if action is not None and self.armed and self.mode not in (FlightMode.RTL, FlightMode.LAND):
                mode, words = action
                self.say(mavlink2.MAV_SEVERITY_CRITICAL, f"Failsafe: no connection to ground station, {words}")
                self._set_mode(mode)

    def reset_battery_flags(self) -> None:
        """After a recharge in the dock the battery failsafes may trigger again on the next flight."""
        self._low_battery_done = self._critical_battery_done = False
