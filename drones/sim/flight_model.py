"""Multirotor physics for the simulator: position controller, limits, wind and battery.

Pure computation, no I/O: `MultirotorModel.step(dt_s)` advances the state by simulated
time. The navigator (vehicle.py) sets a target; this model flies there within the speed,
climb and acceleration limits a PX4 multirotor has (MPC_XY_CRUISE, MPC_Z_VEL_MAX_UP, ...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from drones.geo import destination, distance_m, initial_bearing_deg

#: Default PX4-like limits for a dock-sized quadrotor (about 1.5 kg, 4S battery).
CRUISE_SPEED_M_S = 10.0
MAX_SPEED_M_S = 15.0
CLIMB_M_S = 3.0
DESCENT_M_S = 1.5
LAND_SPEED_M_S = 0.7          # PX4 MPC_LAND_SPEED, used in the last LAND_SLOW_ALT_M
LAND_SLOW_ALT_M = 5.0
ACCEL_M_S2 = 3.0
YAW_RATE_DEG_S = 60.0
#: Battery: a 4S pack. Drain in %/s of flight: hover plus a term growing with airspeed squared.
CELLS = 4
# A dock drone of the DJI M30 / Autel EVO Max class: about 38 min hover, 25-30 min at cruise.
HOVER_DRAIN_PCT_S = 100.0 / (38 * 60)      # about 38 min hover endurance
DRAG_DRAIN_PCT_S_PER_M2_S2 = 0.00008       # at 15 m/s airspeed about +0.018 %/s (27 min)
GROUND_IDLE_DRAIN_PCT_S = 0.002            # armed on the ground / avionics
CHARGE_PCT_S = 100.0 / (40 * 60)           # 40 min from empty to full in the dock
CAPACITY_AH = 5.0


@dataclass(slots=True)
class Wind:
    """Wind blowing FROM `direction_deg`, at `speed_m_s` (meteorological convention)."""

    speed_m_s: float = 0.0
    direction_deg: float = 0.0

    def velocity_ne(self) -> tuple[float, float]:
        """Air mass velocity (north, east) in m/s: wind from the north moves air southwards."""
        to = math.radians(self.direction_deg + 180.0)
        return self.speed_m_s * math.cos(to), self.speed_m_s * math.sin(to)


@dataclass(slots=True)
class Battery:
    """State of charge and a simple voltage curve with sag under load."""

    remaining_pct: float = 100.0
    current_a: float = 0.0
    consumed_mah: float = 0.0
    fault: bool = False

    @property
    def voltage_v(self) -> float:
        # Resting cell voltage 3.5 V (empty) .. 4.2 V (full), minus sag proportional to current.
        cell = 3.5 + 0.7 * (self.remaining_pct / 100.0) ** 0.8
        sag = 0.004 * self.current_a
        return CELLS * max(3.0, cell - sag)


@dataclass(slots=True)
class Target:
    """Where the position controller flies: a point, an altitude (AMSL) and how fast."""

    lat: float
    lon: float
    alt_amsl_m: float
    speed_m_s: float = CRUISE_SPEED_M_S
    yaw_deg: float | None = None    # None: face the direction of travel
    climb_m_s: float | None = None  # climb limit below CLIMB_M_S (PX4's MPC_TKO_SPEED in a takeoff)


@dataclass(slots=True)
class MultirotorModel:
    """State of one drone in simulated time."""

    lat: float
    lon: float
    alt_amsl_m: float
    ground_alt_m: float
    yaw_deg: float = 0.0
    v_north_m_s: float = 0.0
    v_east_m_s: float = 0.0
    v_down_m_s: float = 0.0
    roll_deg: float = 0.0
    pitch_deg: float = 0.0
    wind: Wind = field(default_factory=Wind)
    battery: Battery = field(default_factory=Battery)
    target: Target | None = None
    flying: bool = False          # motors spinning and producing lift
    armed: bool = False

    @property
    def relative_alt_m(self) -> float:
        return self.alt_amsl_m - self.ground_alt_m

    @property
    def ground_speed_m_s(self) -> float:
        return math.hypot(self.v_north_m_s, self.v_east_m_s)

    @property
    def airspeed_m_s(self) -> float:
        wn, we = self.wind.velocity_ne()
        return math.hypot(self.v_north_m_s - wn, self.v_east_m_s - we)

    def distance_to_target_m(self) -> float:
        if self.target is None:
            return 0.0
        horizontal = distance_m(self.lat, self.lon, self.target.lat, self.target.lon)
        return math.hypot(horizontal, self.target.alt_amsl_m - self.alt_amsl_m)

    def step(self, dt_s: float) -> None:
        """Advances physics by `dt_s` simulated seconds."""
        if dt_s <= 0:
            return
        if self.flying and self.target is not None:
            self._fly(dt_s)
        elif not self.flying:
            self.v_north_m_s = self.v_east_m_s = self.v_down_m_s = 0.0
            self.roll_deg = self.pitch_deg = 0.0
        self._drain(dt_s)

    def _fly(self, dt_s: float) -> None:
        t = self.target
        assert t is not None
        horizontal = distance_m(self.lat, self.lon, t.lat, t.lon)
        bearing = initial_bearing_deg(self.lat, self.lon, t.lat, t.lon) if horizontal > 0.01 else self.yaw_deg
        # Desired horizontal speed: cruise, slowing down so that we can stop at the target.
        speed = min(t.speed_m_s, MAX_SPEED_M_S, math.sqrt(2 * ACCEL_M_S2 * 0.8 * horizontal))
        want_n = speed * math.cos(math.radians(bearing))
        want_e = speed * math.sin(math.radians(bearing))
        dv_n, dv_e = want_n - self.v_north_m_s, want_e - self.v_east_m_s
        dv = math.hypot(dv_n, dv_e)
        max_dv = ACCEL_M_S2 * dt_s
        if dv > max_dv:
            dv_n, dv_e = dv_n * max_dv / dv, dv_e * max_dv / dv
        acc_n, acc_e = dv_n / dt_s, dv_e / dt_s
        self.v_north_m_s += dv_n
        self.v_east_m_s += dv_e
        # Vertical: climb/descent limits; slow near the ground when descending to land.
        dz = t.alt_amsl_m - self.alt_amsl_m
        if dz > 0:
            climb = CLIMB_M_S if t.climb_m_s is None else min(CLIMB_M_S, t.climb_m_s)
            vz_up = min(climb, math.sqrt(2 * ACCEL_M_S2 * 0.5 * dz) if dz < 3 else climb)
            self.v_down_m_s = -vz_up
        else:
            limit = LAND_SPEED_M_S if self.relative_alt_m < LAND_SLOW_ALT_M else DESCENT_M_S
            self.v_down_m_s = min(limit, math.sqrt(2 * ACCEL_M_S2 * 0.5 * -dz)) if dz < 0 else 0.0
        step_m = math.hypot(self.v_north_m_s, self.v_east_m_s) * dt_s
        if step_m > 0:
            course = math.degrees(math.atan2(self.v_east_m_s, self.v_north_m_s))
            if step_m >= horizontal and speed < 0.5:
                self.lat, self.lon = t.lat, t.lon
            else:
                self.lat, self.lon = destination(self.lat, self.lon, course, step_m)
        self.alt_amsl_m -= self.v_down_m_s * dt_s
        if (dz > 0 and self.alt_amsl_m > t.alt_amsl_m) or (dz < 0 and self.alt_amsl_m < t.alt_amsl_m):
            self.alt_amsl_m = t.alt_amsl_m
        self.alt_amsl_m = max(self.alt_amsl_m, self.ground_alt_m)
        self._turn(t, bearing, horizontal, dt_s)
        # Tilt: lean into the acceleration and against the wind (a hovering drone leans upwind).
        wn, we = self.wind.velocity_ne()
        tilt_n = acc_n / 9.81 + 0.02 * (self.v_north_m_s - wn)
        tilt_e = acc_e / 9.81 + 0.02 * (self.v_east_m_s - we)
        yaw = math.radians(self.yaw_deg)
        fwd = tilt_n * math.cos(yaw) + tilt_e * math.sin(yaw)
        right = -tilt_n * math.sin(yaw) + tilt_e * math.cos(yaw)
        self.pitch_deg = max(-35.0, min(35.0, -math.degrees(math.atan(fwd))))
        self.roll_deg = max(-35.0, min(35.0, math.degrees(math.atan(right))))

    def _turn(self, t: Target, bearing: float, horizontal: float, dt_s: float) -> None:
        if t.yaw_deg is not None:
            want = t.yaw_deg
        elif horizontal > 5.0:
            want = bearing
        else:
            return
        diff = (want - self.yaw_deg + 540.0) % 360.0 - 180.0
        max_turn = YAW_RATE_DEG_S * dt_s
        self.yaw_deg = (self.yaw_deg + max(-max_turn, min(max_turn, diff))) % 360.0

    def _drain(self, dt_s: float) -> None:
        b = self.battery
        if self.flying:
            rate = HOVER_DRAIN_PCT_S + DRAG_DRAIN_PCT_S_PER_M2_S2 * self.airspeed_m_s ** 2
            rate += 0.3 * HOVER_DRAIN_PCT_S * max(0.0, -self.v_down_m_s) / CLIMB_M_S  # climbing costs more
        elif self.armed:
            rate = GROUND_IDLE_DRAIN_PCT_S
        else:
            rate = 0.0
        used_pct = rate * dt_s
        b.remaining_pct = max(0.0, b.remaining_pct - used_pct)
        b.current_a = rate / 100.0 * CAPACITY_AH * 3600.0
        b.consumed_mah += used_pct / 100.0 * CAPACITY_AH * 1000.0

    def charge(self, dt_s: float) -> None:
        """Charging in the dock: the pack fills at CHARGE_PCT_S, slower above 90 % (CV phase)."""
        b = self.battery
        rate = CHARGE_PCT_S * (0.35 if b.remaining_pct > 90.0 else 1.0)
        b.remaining_pct = min(100.0, b.remaining_pct + rate * dt_s)
        b.current_a = 0.0
        if b.remaining_pct >= 100.0:
            b.consumed_mah = 0.0

    def endurance_s(self) -> float:
        """Seconds of hover left at the current charge (for BATTERY_STATUS time_remaining)."""
        return self.battery.remaining_pct / HOVER_DRAIN_PCT_S
