"""The MAVLink side of one simulated vehicle: UDP link, telemetry streams, commands, parameters.

Like PX4, each vehicle has a UDP socket of its own (bound to port 0 by the fleet, so two
simulators never fight over a port number) and sends to one peer: an optional initial target
(`main.py sim --console-host`: the console's `udpin` port of the dock), then whoever last sent
it a valid MAVLink message (PX4 keeps its first peer instead: README, "The simulator and PX4"). With no initial target it stays silent until a ground station
talks first, which MAVSDK's `udpout://` connection does (it sends heartbeats from the start).
The mission transfer protocol lives in mission_protocol.py.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Callable

from pymavlink.dialects.v20 import common as mavlink2

from drones.sim.mission_protocol import MissionTransfer
from drones.sim.px4 import CAPABILITIES, FLIGHT_SW_VERSION, FlightMode, decode_param, encode_param
from drones.sim.vehicle import ACCEPTED, DENIED, FAILED, FORCE_MAGIC, UNSUPPORTED, LandedState, SimVehicle

log = logging.getLogger(__name__)

M = mavlink2
COMPONENT_ID = M.MAV_COMP_ID_AUTOPILOT1
#: Default stream rates in Hz, about what PX4 sends on a ground-station UDP link.
DEFAULT_RATES_HZ: dict[int, float] = {
    M.MAVLINK_MSG_ID_HEARTBEAT: 1.0,
    M.MAVLINK_MSG_ID_SYS_STATUS: 1.0,
    M.MAVLINK_MSG_ID_BATTERY_STATUS: 1.0,
    M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT: 10.0,
    M.MAVLINK_MSG_ID_ATTITUDE: 10.0,
    M.MAVLINK_MSG_ID_GPS_RAW_INT: 2.0,
    M.MAVLINK_MSG_ID_VFR_HUD: 4.0,
    M.MAVLINK_MSG_ID_EXTENDED_SYS_STATE: 2.0,
    M.MAVLINK_MSG_ID_HOME_POSITION: 0.5,
    M.MAVLINK_MSG_ID_MISSION_CURRENT: 1.0,
}
#: Sent at a fixed 1 Hz like PX4, which refuses an interval for them (MAV_RESULT_FAILED).
FIXED_STREAMS = frozenset({M.MAVLINK_MSG_ID_HEARTBEAT, M.MAVLINK_MSG_ID_MISSION_CURRENT})
SENSORS = (M.MAV_SYS_STATUS_SENSOR_3D_GYRO | M.MAV_SYS_STATUS_SENSOR_3D_ACCEL | M.MAV_SYS_STATUS_SENSOR_3D_MAG
           | M.MAV_SYS_STATUS_SENSOR_ABSOLUTE_PRESSURE | M.MAV_SYS_STATUS_SENSOR_GPS
           | M.MAV_SYS_STATUS_SENSOR_MOTOR_OUTPUTS | M.MAV_SYS_STATUS_AHRS | M.MAV_SYS_STATUS_SENSOR_BATTERY
           | M.MAV_SYS_STATUS_PREARM_CHECK)
GCS_TYPES = frozenset({M.MAV_TYPE_GCS})
#: A retransmitted COMMAND_LONG (confirmation > 0, same sender, command and parameters) this soon after the
#: first is a copy whose ACK was lost: it is acknowledged again with the first one's result, not executed again.
DUPLICATE_WINDOW_S = 5.0
#: Requests whose repetition is the point (the answer was lost): executed every time.
_REPEATABLE = frozenset({M.MAV_CMD_REQUEST_MESSAGE, M.MAV_CMD_SET_MESSAGE_INTERVAL,
                         M.MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES})
STATUSTEXT_CHUNK = 50


def _int(value: float, default: int = 0) -> int:
    """An integer command parameter; MAVSDK sends NaN for "not used"."""
    return int(value) if math.isfinite(value) else default


class _Writer:
    """File-like sink that pymavlink's MAVLink object writes packed messages to."""

    def __init__(self, send: Callable[[bytes], None]) -> None:
        self.write = send


class VehicleEndpoint(asyncio.DatagramProtocol):
    """UDP MAVLink endpoint of one vehicle; `service(now)` sends what is due (call at ≥ 20 Hz)."""

    def __init__(self, vehicle: SimVehicle, target: tuple[str, int] | None = None) -> None:
        self.vehicle = vehicle
        #: Where everything is sent: the initial target, then the last peer that sent valid MAVLink (None: silent).
        self.target = target
        self.transport: asyncio.DatagramTransport | None = None
        self.mav = M.MAVLink(_Writer(self._send), srcSystem=vehicle.sysid, srcComponent=COMPONENT_ID)
        # Bytes that are not MAVLink come back as BAD_DATA and are skipped, as PX4's parser skips them.
        # Without this pymavlink raises on the first bad byte and leaves the rest in its buffer, so one
        # datagram of garbage would swallow the next that many datagrams.
        self.mav.robust_parsing = True
        self.intervals_s = {mid: 1.0 / hz for mid, hz in DEFAULT_RATES_HZ.items()}
        # Each vehicle's streams start at their own phase: real autopilots do not send in lockstep, and
        # 56 drones' messages arriving in one burst would overrun the ground station's callback queue.
        phase = random.Random(vehicle.sysid)
        start = time.monotonic()
        self._next_due: dict[int, float] = {mid: start + phase.uniform(0, iv) for mid, iv in self.intervals_s.items()}
        self.missions = MissionTransfer(self)
        self._boot = time.monotonic()
        self.sent = 0
        self.received = 0
        self._param_queue: list[int] = []
        #: The last command from each sender: (command, params, result, time), to answer a retransmission.
        self._last_command: dict[tuple[int, int], tuple[int, tuple[float, ...], int, float]] = {}
        self._text_id = 0

    # ----- transport -------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    @property
    def local_port(self) -> int | None:
        """The UDP port this vehicle's socket is bound to (None before the fleet opened it)."""
        if self.transport is None:
            return None
        return int(self.transport.get_extra_info("sockname")[1])

    def error_received(self, exc: Exception) -> None:
        # Nobody listens at the target (ICMP port unreachable): normal before a `--console-host`
        # console starts, or after a ground station went away.
        log.debug("drone %d: %s", self.vehicle.sysid, exc)

    def link_up(self, now: float) -> bool:
        return now >= self.vehicle.faults.link_down_until

    def _send(self, data: bytes) -> None:
        if self.transport is None or self.target is None or not self.link_up(time.monotonic()):
            return
        self.sent += 1
        self.transport.sendto(data, self.target)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        now = time.monotonic()
        if not self.link_up(now):
            return
        try:
            parsed = self.mav.parse_buffer(data) or []
        except M.MAVError as exc:
            log.debug("drone %d: bad MAVLink from %s: %s", self.vehicle.sysid, addr, exc)
            return
        msgs = [m for m in parsed if m.get_type() != "BAD_DATA"]
        if len(msgs) < len(parsed):
            log.debug("drone %d: %d bad MAVLink bytes or frames from %s", self.vehicle.sysid,
                      len(parsed) - len(msgs), addr)
        if msgs:
            # The last sender becomes the peer (before replying to it). PX4 keeps its first peer for good; the
            # simulator follows the last so a restarted console finds its drones (README, "The simulator and PX4").
            self.target = addr
        for msg in msgs:
            self.received += 1
            try:
                self._handle(msg, now)
            except Exception:  # noqa: BLE001 - a malformed request must not kill the vehicle
                log.exception("drone %d: error handling %s", self.vehicle.sysid, msg.get_type())

    # ----- periodic ----------------------------------------------------------------------------

    def time_boot_ms(self) -> int:
        return int((time.monotonic() - self._boot) * 1000) & 0xFFFFFFFF

    def service(self, now: float) -> None:
        """Sends due telemetry, pending status texts and mission events; runs transfer timeouts."""
        v = self.vehicle
        due = [st for st in v.status_out if st.due <= now]
        for st in due:
            self._send_text(st.severity, st.text)
        if due:
            v.status_out[:] = [st for st in v.status_out if st.due > now]
        for seq in v.mission.reached:
            self.mav.mission_item_reached_send(seq)
        v.mission.reached.clear()
        for mid, interval in self.intervals_s.items():
            if interval <= 0:
                continue
            due = self._next_due.get(mid, 0.0)
            if now >= due:
                self._next_due[mid] = max(due + interval, now - interval)
                self._send_message(mid)
        if self._param_queue:
            for index in self._param_queue[:20]:  # a burst per tick, like PX4's rate-limited list
                self._send_param_index(index)
            del self._param_queue[:20]
        self.missions.service(now)

    def _send_text(self, severity: int, text: str) -> None:
        """One STATUSTEXT, or as PX4 sends a longer text: 50-byte chunks sharing a non-zero id, numbered."""
        data = text.encode()
        if len(data) <= STATUSTEXT_CHUNK:
            self.mav.statustext_send(severity, data)
            return
        self._text_id = self._text_id % 0xFFFF + 1
        for seq, start in enumerate(range(0, len(data), STATUSTEXT_CHUNK)):
            self.mav.statustext_send(severity, data[start:start + STATUSTEXT_CHUNK], self._text_id, seq)

    # ----- telemetry ----------------------------------------------------------------------------

    def _send_message(self, mid: int) -> bool:
        v, m = self.vehicle, self.vehicle.model
        mav = self.mav
        if mid == M.MAVLINK_MSG_ID_HEARTBEAT:
            base = M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED | M.MAV_MODE_FLAG_STABILIZE_ENABLED
            if v.mode != FlightMode.POSCTL:
                base |= M.MAV_MODE_FLAG_AUTO_ENABLED | M.MAV_MODE_FLAG_GUIDED_ENABLED
            if v.armed:
                base |= M.MAV_MODE_FLAG_SAFETY_ARMED
            state = M.MAV_STATE_ACTIVE if v.armed else M.MAV_STATE_STANDBY
            if not v.healthy and v.armed:
                state = M.MAV_STATE_CRITICAL
            mav.heartbeat_send(M.MAV_TYPE_QUADROTOR, M.MAV_AUTOPILOT_PX4, base, v.mode.custom_mode, state)
        elif mid == M.MAVLINK_MSG_ID_SYS_STATUS:
            health = SENSORS
            if v.faults.gps_lost:
                health &= ~M.MAV_SYS_STATUS_SENSOR_GPS
            if v.faults.battery_fault:
                health &= ~M.MAV_SYS_STATUS_SENSOR_BATTERY
            if not v.healthy or m.battery.remaining_pct < v.param("BAT_LOW_THR") * 100:
                health &= ~M.MAV_SYS_STATUS_PREARM_CHECK
            mav.sys_status_send(SENSORS, SENSORS, health, 250, int(m.battery.voltage_v * 1000),
                                int(m.battery.current_a * 100), int(m.battery.remaining_pct), 0, 0, 0, 0, 0, 0)
        elif mid == M.MAVLINK_MSG_ID_BATTERY_STATUS:
            b = m.battery
            cell_mv = int(b.voltage_v / 4 * 1000)
            charge_state = M.MAV_BATTERY_CHARGE_STATE_OK
            if b.remaining_pct < v.param("BAT_CRIT_THR") * 100:
                charge_state = M.MAV_BATTERY_CHARGE_STATE_CRITICAL
            elif b.remaining_pct < v.param("BAT_LOW_THR") * 100:
                charge_state = M.MAV_BATTERY_CHARGE_STATE_LOW
            if v.charging:
                charge_state = M.MAV_BATTERY_CHARGE_STATE_CHARGING
            if b.fault:
                charge_state = M.MAV_BATTERY_CHARGE_STATE_FAILED
            mav.battery_status_send(0, M.MAV_BATTERY_FUNCTION_ALL, M.MAV_BATTERY_TYPE_LIPO, 2500,
                                    [cell_mv] * 4 + [65535] * 6, int(b.current_a * 100), int(b.consumed_mah), -1,
                                    int(b.remaining_pct), int(m.endurance_s()), charge_state,
                                    fault_bitmask=M.MAV_BATTERY_FAULT_CELL_FAIL if b.fault else 0)
        elif mid == M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT:
            mav.global_position_int_send(self.time_boot_ms(), int(m.lat * 1e7), int(m.lon * 1e7),
                                         int(m.alt_amsl_m * 1000), int(m.relative_alt_m * 1000),
                                         int(m.v_north_m_s * 100), int(m.v_east_m_s * 100), int(m.v_down_m_s * 100),
                                         int(m.yaw_deg * 100) % 36000)
        elif mid == M.MAVLINK_MSG_ID_ATTITUDE:
            yaw = math.radians(m.yaw_deg if m.yaw_deg <= 180 else m.yaw_deg - 360)
            mav.attitude_send(self.time_boot_ms(), math.radians(m.roll_deg), math.radians(m.pitch_deg), yaw, 0, 0, 0)
        elif mid == M.MAVLINK_MSG_ID_GPS_RAW_INT:
            lost = v.faults.gps_lost
            course = int(math.degrees(math.atan2(m.v_east_m_s, m.v_north_m_s)) % 360 * 100)
            mav.gps_raw_int_send(int(time.time() * 1e6), M.GPS_FIX_TYPE_NO_FIX if lost else M.GPS_FIX_TYPE_3D_FIX,
                                 int(m.lat * 1e7), int(m.lon * 1e7), int(m.alt_amsl_m * 1000),
                                 9999 if lost else 70, 9999 if lost else 110, int(m.ground_speed_m_s * 100),
                                 course, 0 if lost else 17)
        elif mid == M.MAVLINK_MSG_ID_VFR_HUD:
            mav.vfr_hud_send(m.airspeed_m_s, m.ground_speed_m_s, int(m.yaw_deg) % 360,
                             60 if m.flying else 0, m.alt_amsl_m, -m.v_down_m_s)
        elif mid == M.MAVLINK_MSG_ID_EXTENDED_SYS_STATE:
            mav.extended_sys_state_send(M.MAV_VTOL_STATE_UNDEFINED, int(v.landed))
        elif mid == M.MAVLINK_MSG_ID_HOME_POSITION:
            lat, lon, alt = v.home
            mav.home_position_send(int(lat * 1e7), int(lon * 1e7), int(alt * 1000), 0, 0, 0, [1, 0, 0, 0], 0, 0, 0,
                                   int(time.time() * 1e6))
        elif mid == M.MAVLINK_MSG_ID_MISSION_CURRENT:
            self.missions.send_current()
        elif mid == M.MAVLINK_MSG_ID_AUTOPILOT_VERSION:
            mav.autopilot_version_send(CAPABILITIES, FLIGHT_SW_VERSION, 0, 0, 0, [0] * 8, [0] * 8, [0] * 8,
                                       0x26AC, 0x0011, 0x3000 + v.sysid)
        elif mid == M.MAVLINK_MSG_ID_LOCAL_POSITION_NED:
            mav.local_position_ned_send(self.time_boot_ms(), 0, 0, -m.relative_alt_m, m.v_north_m_s, m.v_east_m_s,
                                        m.v_down_m_s)
        else:
            return False
        return True

    # ----- incoming ------------------------------------------------------------------------------

    def _for_me(self, msg: object) -> bool:
        target = getattr(msg, "target_system", 0)
        return target in (0, self.vehicle.sysid)

    def _handle(self, msg: M.MAVLink_message, now: float) -> None:
        kind = msg.get_type()
        if kind == "HEARTBEAT":
            if msg.type in GCS_TYPES:
                self.vehicle.gcs_heartbeat(now)
            return
        if not self._for_me(msg):
            return
        if kind in ("COMMAND_LONG", "COMMAND_INT"):
            self._command(msg, now)
        elif kind.startswith("MISSION_"):
            self.missions.handle(msg, now)
        elif kind == "PARAM_REQUEST_READ":
            if msg.param_index >= 0:
                self._send_param_index(msg.param_index)
            else:
                self._send_param(msg.param_id)
        elif kind == "PARAM_REQUEST_LIST":
            self._param_queue = list(range(len(self.vehicle.params)))
        elif kind == "PARAM_SET":
            self._param_set(msg)
        elif kind == "SET_MODE":
            self._set_mode_from(msg.custom_mode)

    def _param_set(self, msg: M.MAVLink_param_set_message) -> None:
        name = msg.param_id
        if name not in self.vehicle.params:
            log.info("drone %d: PARAM_SET of unknown parameter %s ignored", self.vehicle.sysid, name)
            return
        ptype, _ = self.vehicle.params[name]
        self.vehicle.params[name] = (ptype, decode_param(ptype, msg.param_value))
        self._send_param(name)

    def _send_param(self, name: str) -> None:
        names = list(self.vehicle.params)
        if name in names:
            self._send_param_index(names.index(name))

    def _send_param_index(self, index: int) -> None:
        items = list(self.vehicle.params.items())
        if not 0 <= index < len(items):
            return
        name, (ptype, value) = items[index]
        self.mav.param_value_send(name.encode(), encode_param(ptype, value), ptype, len(items), index)

    def _ack(self, command: int, result: int, msg: object) -> None:
        self.mav.command_ack_send(command, result, 0, 0, getattr(msg, "_header").srcSystem,
                                  getattr(msg, "_header").srcComponent)

    def _set_mode_from(self, custom_mode: int) -> int:
        main, sub = (custom_mode >> 16) & 0xFF, (custom_mode >> 24) & 0xFF
        mode = FlightMode.from_px4(main, sub)
        if mode is None:
            self.vehicle.say(M.MAV_SEVERITY_CRITICAL, "Mode switch denied: mode not available")
            return DENIED
        return self.vehicle.set_mode(mode)

    def _command(self, msg: M.MAVLink_message, now: float) -> None:
        v = self.vehicle
        if v.faults.no_ack:
            return  # the injected fault: a drone that never acknowledges
        cmd = msg.command
        p = (msg.param1, msg.param2, msg.param3, msg.param4)
        if msg.get_type() == "COMMAND_INT":
            x, y, z = msg.x / 1e7, msg.y / 1e7, msg.z
        else:
            x, y, z = msg.param5, msg.param6, msg.param7
        sender = (msg.get_srcSystem(), msg.get_srcComponent())
        key = tuple(f if math.isfinite(f) else -1e38 for f in (*p, x, y, z))   # NaN never equals itself
        last = self._last_command.get(sender)
        if (getattr(msg, "confirmation", 0) > 0 and cmd not in _REPEATABLE and last is not None
                and last[0] == cmd and last[1] == key and now - last[3] < DUPLICATE_WINDOW_S):
            log.debug("drone %d: command %d repeated by %s: acknowledged again", v.sysid, cmd, sender)
            self._ack(cmd, last[2], msg)
            return
        result = self._execute(msg, cmd, p, x, y, z, now)
        if result is not None:
            self._last_command[sender] = (cmd, key, result, now)
            self._ack(cmd, result, msg)

    def _execute(self, msg: M.MAVLink_message, cmd: int, p: tuple[float, float, float, float], x: float, y: float,
                 z: float, now: float) -> int | None:
        """Runs one command; its MAV_RESULT, or None when it already answered (requests)."""
        v = self.vehicle
        if cmd == M.MAV_CMD_COMPONENT_ARM_DISARM:
            force = _int(p[1]) == FORCE_MAGIC
            result = v.arm(now, force) if _int(p[0]) == 1 else v.disarm(force)
        elif cmd == M.MAV_CMD_NAV_TAKEOFF:
            rel = (z - v.home[2]) if math.isfinite(z) else None
            result = v.takeoff(rel)
        elif cmd == M.MAV_CMD_NAV_LAND:
            result = v.land()
        elif cmd == M.MAV_CMD_NAV_RETURN_TO_LAUNCH:
            result = v.return_to_launch()
        elif cmd == M.MAV_CMD_DO_SET_MODE:
            result = self._set_mode_from((_int(p[1]) << 16) | (_int(p[2]) << 24))
        elif cmd == M.MAV_CMD_DO_REPOSITION:
            if not (math.isfinite(x) and math.isfinite(y)) or (x == 0 and y == 0):
                result = DENIED
            else:
                if math.isfinite(p[0]) and p[0] > 0:
                    v.change_speed(p[0])
                result = v.reposition(x, y, z if math.isfinite(z) else None)
        elif cmd == M.MAV_CMD_MISSION_START:
            result = v.start_mission(_int(p[0]) if _int(p[0]) > 0 else None)
        elif cmd == M.MAV_CMD_DO_SET_MISSION_CURRENT:
            result = ACCEPTED if v.mission.set_current(_int(p[0], -1)) else DENIED
        elif cmd == M.MAV_CMD_DO_CHANGE_SPEED:
            result = v.change_speed(p[1])
        elif cmd == M.MAV_CMD_SET_MESSAGE_INTERVAL:
            result = self._set_interval(_int(p[0], -1), p[1] if math.isfinite(p[1]) else 0.0)
        elif cmd == M.MAV_CMD_REQUEST_MESSAGE:
            wanted = _int(p[0], -1)
            known = wanted in (*DEFAULT_RATES_HZ, M.MAVLINK_MSG_ID_AUTOPILOT_VERSION, M.MAVLINK_MSG_ID_LOCAL_POSITION_NED)
            self._ack(cmd, ACCEPTED if known else UNSUPPORTED, msg)
            if known:
                self._send_message(wanted)
            return None
        elif cmd == M.MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES:
            self._ack(cmd, ACCEPTED, msg)
            self._send_message(M.MAVLINK_MSG_ID_AUTOPILOT_VERSION)
            return None
        else:
            result = UNSUPPORTED
        return result

    def _set_interval(self, message_id: int, interval_us: float) -> int:
        """MAV_CMD_SET_MESSAGE_INTERVAL as PX4 answers it: > 0 that interval, 0 the default rate, -1 off.

        Off is accepted for any message (PX4 accepts it for each stream it has; this vehicle sends nothing
        else anyway); a rate for a message this vehicle cannot send is UNSUPPORTED, and HEARTBEAT and
        MISSION_CURRENT keep their fixed 1 Hz (FAILED), as on PX4.
        """
        if message_id in FIXED_STREAMS:
            return FAILED
        sendable = message_id in DEFAULT_RATES_HZ or message_id == M.MAVLINK_MSG_ID_LOCAL_POSITION_NED
        if interval_us < 0:
            if sendable:
                self.intervals_s[message_id] = 0.0
            return ACCEPTED
        if not sendable:
            return UNSUPPORTED
        if interval_us == 0:
            hz = DEFAULT_RATES_HZ.get(message_id, 0.0)
            self.intervals_s[message_id] = 1.0 / hz if hz else 0.0
        else:
            self.intervals_s[message_id] = max(interval_us / 1e6, 0.005)
        self._next_due[message_id] = 0.0
        return ACCEPTED

    def landed_in_dock(self) -> bool:
        v = self.vehicle
        return v.landed == LandedState.ON_GROUND and not v.armed
