"""The MAVLink messages the console asks each drone for, at what rate, and the requests that set them.

PX4 streams about 420 messages a second on its onboard link (ATTITUDE alone at 100/s) unless the
ground station says otherwise; 56 such drones overflow MAVSDK's one callback queue. When a drone
is attached, and again whenever it reappears (PX4 forgets intervals on reboot), the fleet sends one
MAV_CMD_SET_MESSAGE_INTERVAL per row of `MESSAGE_RATES`: the messages the console reads at the rate
it reads them, every other message PX4 streams turned off. See docs/architecture.md, "Message
rates".

The requests go through MAVSDK's MavlinkDirect plugin (`send_command_async`: COMMAND_LONG,
retransmitted by MAVSDK until a COMMAND_ACK arrives, without blocking anyone); a request that is
not acknowledged at all is sent again after RETRY_S, doubling up to RETRY_MAX_S, while the drone's
link is up. A refusal (DENIED, FAILED, UNSUPPORTED) is logged once and not repeated: the drone
cannot do it. Intervals count in the autopilot's own clock: a SITL running N times faster than
real time sends N times as many messages a wall-clock second.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

MAV_CMD_SET_MESSAGE_INTERVAL = 511
#: MAV_RESULT values (common.xml).
MAV_RESULT_NAMES = {0: "ACCEPTED", 1: "TEMPORARILY_REJECTED", 2: "DENIED", 3: "UNSUPPORTED", 4: "FAILED",
                    5: "IN_PROGRESS", 6: "CANCELLED"}
ACCEPTED, TEMPORARILY_REJECTED = 0, 1
#: param2 of SET_MESSAGE_INTERVAL that stops a stream (0 would restore the autopilot's default).
INTERVAL_OFF_US = -1.0
#: An unacknowledged request is sent again after this long, doubling each time up to RETRY_MAX_S.
RETRY_S = 2.0
RETRY_MAX_S = 30.0
#: The sender's target component: the autopilot.
AUTOPILOT_COMPONENT = 1
OFF = 0.0


@dataclass(frozen=True, slots=True)
class MessageRate:
    """One message the console sets: its MAVLink name and id, and the rate asked for (OFF: not streamed)."""

    name: str
    msg_id: int
    hz: float

    @property
    def interval_us(self) -> float:
        return INTERVAL_OFF_US if self.hz == OFF else 1e6 / self.hz


#: What the console reads (drones/fleet.py `_Drone.subscribe`, `Fleet.attitude`) and how often it needs it.
#: The map and the plots redraw at 10 Hz, the drone panel at 5 Hz, the fleet board at 1 Hz; the link check
#: (LINK_LOST_S = 1.5 s) needs any message at least every 0.5 s, which the position stream gives 15 times over.
#: Not in the table because PX4 sends them at 1 Hz by itself and refuses an interval for them (FAILED):
#: HEARTBEAT (flight mode, armed; MAVSDK's "connected") and MISSION_CURRENT (mission progress; each
#: MISSION_ITEM_REACHED also arrives by itself). 1 Hz is what the console needs of both.
MESSAGE_RATES: tuple[MessageRate, ...] = (
    # Health (sensor and pre-arm bits): a new failure is on the panel within a second.
    MessageRate("SYS_STATUS", 1, 1.0),
    # Position, velocity and heading in one message: one per map frame (10 Hz), and the link check's clock.
    MessageRate("GLOBAL_POSITION_INT", 33, 10.0),
    # Landed state: a take-off or touchdown known within half a second (docks, tasks and the panel act on it).
    MessageRate("EXTENDED_SYS_STATE", 245, 2.0),
    # Battery changes by well under 1 %/s and its levels have 2 % hysteresis: once a second is plenty.
    MessageRate("BATTERY_STATUS", 147, 1.0),
    # GPS fix and satellites, shown on the fleet board (1 Hz) and the panel.
    MessageRate("GPS_RAW_INT", 24, 1.0),
    # Home moves only when the drone arms (PX4 also sends it once when it changes).
    MessageRate("HOME_POSITION", 242, 0.5),
    # Roll and pitch for the head-up display of the one drone the panel shows; read on demand, not subscribed.
    MessageRate("ATTITUDE", 30, 2.0),
    # Everything else PX4 streams on its onboard and normal links: the console reads none of it.
    *(MessageRate(name, msg_id, OFF) for name, msg_id in (
        ("ATTITUDE_QUATERNION", 31), ("HIGHRES_IMU", 105), ("LOCAL_POSITION_NED", 32), ("ODOMETRY", 331),
        ("TIMESYNC", 111), ("ALTITUDE", 141), ("DISTANCE_SENSOR", 132), ("ESC_INFO", 290), ("ESC_STATUS", 291),
        ("ATTITUDE_TARGET", 83), ("POSITION_TARGET_LOCAL_NED", 85), ("POSITION_TARGET_GLOBAL_INT", 87),
        ("SERVO_OUTPUT_RAW", 36), ("VFR_HUD", 74), ("PING", 4), ("ESTIMATOR_STATUS", 230),
        ("SCALED_PRESSURE", 29), ("SYSTEM_TIME", 2), ("LINK_NODE_STATUS", 8), ("TIME_ESTIMATE_TO_TARGET", 380),
        ("CURRENT_MODE", 436), ("VIBRATION", 241), ("GNSS_INTEGRITY", 441),
        ("OPEN_DRONE_ID_LOCATION", 12901), ("OPEN_DRONE_ID_SYSTEM", 12904), ("NAV_CONTROLLER_OUTPUT", 62),
        ("RC_CHANNELS", 65), ("GPS2_RAW", 124), ("WIND_COV", 231),
        ("ADSB_VEHICLE", 246))),
)


#: Messages a second PX4 sends unasked that the console keeps: HEARTBEAT and MISSION_CURRENT (see above).
FIXED_HZ = 2.0


def streamed_hz(rates: tuple[MessageRate, ...] = MESSAGE_RATES) -> float:
    """Messages a second one drone sends with these rates (in its own clock), status texts and acks aside."""
    return sum(r.hz for r in rates) + FIXED_HZ


def set_interval_command(sysid: int, rate: MessageRate) -> dict[str, Any]:
    """The COMMAND_LONG fields of one SET_MESSAGE_INTERVAL request to drone `sysid`."""
    return {"target_system": sysid, "target_component": AUTOPILOT_COMPONENT, "command": MAV_CMD_SET_MESSAGE_INTERVAL,
            "confirmation": 0, "param1": float(rate.msg_id), "param2": rate.interval_us, "param3": 0.0,
            "param4": 0.0, "param5": 0.0, "param6": 0.0, "param7": 0.0}


class RateRequests:
    """Sets one drone's message rates and keeps at it: requests, retries and the log of what was refused.

    Runs on the core loop; MAVSDK answers on its callback thread, handed over with
    `call_soon_threadsafe`. `send(fields, done)` sends one COMMAND_LONG without blocking and later
    calls `done(acked, mav_result)` on any thread. `link_up()` tells whether retrying makes sense.
    Each `request_all()` starts a new round: answers to an older round are ignored.
    """

    def __init__(self, sysid: int, loop: Any, send: Callable[[dict[str, Any], Callable[[bool, int], None]], None],
                 link_up: Callable[[], bool], rates: tuple[MessageRate, ...] = MESSAGE_RATES) -> None:
        self.sysid = sysid
        self.loop = loop
        self._send = send
        self._link_up = link_up
        self.rates = rates
        self._round = 0
        self._pending: dict[int, MessageRate] = {}
        self._retry_s: dict[int, float] = {}
        self._timers: dict[int, Any] = {}
        #: msg id -> MAV_RESULT name of the last answer this round (ACCEPTED, DENIED, ...).
        self.results: dict[int, str] = {}
        self.rounds_done = 0
        self.closed = False
        # Requests MAVSDK has not answered yet (any thread changes it): MAVSDK must not be destroyed under them.
        self._in_flight = 0
        self._count_lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        """Requests sent and not yet answered by MAVSDK (acknowledged or timed out)."""
        with self._count_lock:
            return self._in_flight

    def request_all(self) -> None:
        """Sends every request of the table (core loop): at attach, and when the drone reappears."""
        if self.closed:
            return
        self._round += 1
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self.results.clear()
        # Streams turned off first: those are PX4's floods (ATTITUDE alone 100/s), which MAVSDK's queue drops under.
        self._pending = {r.msg_id: r for r in sorted(self.rates, key=lambda r: r.hz != OFF)}
        self._retry_s = {r.msg_id: RETRY_S for r in self.rates}
        # One request in flight per drone: MAVSDK tracks a command by its id and target, so eight
        # SET_MESSAGE_INTERVALs sent at once replace one another in its queue ("Timeout for not-existing
        # command: 511"), and 56 drones' worth at attach held up the flight commands behind them.
        self._request(next(iter(self._pending.values())))

    def close(self) -> None:
        self.closed = True
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    def _request(self, rate: MessageRate) -> None:
        self._timers.pop(rate.msg_id, None)
        if self.closed or rate.msg_id not in self._pending:
            return
        round_ = self._round

        def done(acked: bool, result: int) -> None:   # any thread
            with self._count_lock:
                self._in_flight -= 1
            try:
                self.loop.call_soon_threadsafe(self._answered, round_, rate, acked, result)
            except RuntimeError:
                pass   # the loop is closed: the console is shutting down

        with self._count_lock:
            self._in_flight += 1
        try:
            self._send(set_interval_command(self.sysid, rate), done)
        except Exception as exc:  # noqa: BLE001 - a plugin destroyed under us: retried like a lost request
            with self._count_lock:
                self._in_flight -= 1
            log.debug("drone %d: %s interval not sent (%s)", self.sysid, rate.name, exc)
            self._answered(round_, rate, False, -1)

    def _answered(self, round_: int, rate: MessageRate, acked: bool, result: int) -> None:
        if self.closed or round_ != self._round or rate.msg_id not in self._pending:
            return
        if not acked or result == TEMPORARILY_REJECTED:
            delay = self._retry_s[rate.msg_id]
            self._retry_s[rate.msg_id] = min(delay * 2, RETRY_MAX_S)
            if self._link_up():
                log.debug("drone %d: %s interval not acknowledged; again in %.0f s", self.sysid, rate.name, delay)
            # While the link is down the retry still runs (cheaply: MAVSDK times out); the reappearance resends anyway.
            self._timers[rate.msg_id] = self.loop.call_later(delay, self._request, rate)
            return
        del self._pending[rate.msg_id]
        self.results[rate.msg_id] = MAV_RESULT_NAMES.get(result, str(result))
        if self._pending:
            self._request(next(iter(self._pending.values())))   # the next one, now that this one is answered
        else:
            self._report()

    def _report(self) -> None:
        self.rounds_done += 1
        by_id = {r.msg_id: r for r in self.rates}
        on = [f"{by_id[i].name} {by_id[i].hz:g} Hz" for i, res in self.results.items()
              if res == "ACCEPTED" and by_id[i].hz != OFF]
        off = sum(1 for i, res in self.results.items() if res == "ACCEPTED" and by_id[i].hz == OFF)
        refused = [f"{by_id[i].name} ({res})" for i, res in self.results.items() if res != "ACCEPTED"]
        log.info("drone %d: message rates set: %s; %d streams off", self.sysid, ", ".join(on) or "none", off)
        if refused:
            log.warning("drone %d: message interval refused: %s", self.sysid, ", ".join(refused))

    @property
    def complete(self) -> bool:
        """Every request of the latest round has been answered."""
        return self._round > 0 and not self._pending


def mavlink_direct_sender(plugin: Any) -> Callable[[dict[str, Any], Callable[[bool, int], None]], None]:
    """`send` for RateRequests over MAVSDK's MavlinkDirect plugin (COMMAND_LONG, MAVSDK retransmits it)."""
    from mavsdk.plugins.mavlink_direct import MavlinkDirectResult, MavlinkMessage

    def send(fields: dict[str, Any], done: Callable[[bool, int], None]) -> None:
        def answered(result: Any, ack: Any, _ud: object) -> None:
            if result != MavlinkDirectResult.SUCCESS:
                done(False, -1)
                return
            try:
                done(True, int(json.loads(ack.fields_json).get("result", -1)))
            except (ValueError, TypeError):
                done(True, -1)

        message = MavlinkMessage("COMMAND_LONG", 0, 0, fields["target_system"], fields["target_component"],
                                 json.dumps(fields))
        plugin.send_command_async(message, answered)

    return send
