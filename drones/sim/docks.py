"""Simulated automatic drone docks on MQTT, speaking what a real dock's gateway would (docs/architecture.md, "Docks").

Topics follow the DJI Cloud API, with fields adapted to a dock whose drone speaks MAVLink:

- `sys/product/{dock_sn}/status`, retained: `{"dock_sn", "online": true, "ts"}` on connect;
  the last will says `online: false` when the dock vanishes (power cut, cable pulled).
- `thing/product/{dock_sn}/osd`, QoS 0, every OSD_PERIOD_S of real time (not scaled).
- `thing/product/{dock_sn}/services` in, `.../services_reply` out (QoS 1), `tid`/`bid`/`method`
  echoed, `data: {"result", "reason", "reason_zh"}`; the reply leaves when the action is done.
- `thing/product/{dock_sn}/events`: progress of long actions (`status` in_progress / ok / failed).

One MQTT client per dock, as in the field: each dock has its own last will, so the broker
itself reports a dock that dies. Everything here runs on one asyncio loop (the simulator's);
the drone simulator, on the same loop, talks to a dock through `DockSim.set_drone_state()`,
`DockSim.cover_open` and `DockSim.drone_battery_pct` (see `DockSim`).

Time: osd is real time; actions (cover, charger, reboot), charging and weather run on
simulated time, `time_scale` times faster than the wall clock.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import socket
import time
import uuid
from collections.abc import Iterable, Mapping
from enum import IntEnum
from typing import Any, Literal, get_args

import aiomqtt

# Re-exported: tests and callers import these from here.
from drones.mqtt_tls import tls_context_for
from drones.sim.dock_services import (
    ServiceOutcome as ServiceOutcome,
    ServiceRequest as ServiceRequest,
    ServiceResult as ServiceResult,
    parse_service_request as parse_service_request,
)
from drones.sim.weather import Rainfall as Rainfall
from drones.sim.weather import WeatherModel as WeatherModel
from drones.site import BrokerConfig, Dock, parse_broker_url

log = logging.getLogger(__name__)

OSD_PERIOD_S = 1.0
#: Simulated seconds, divided by the time scale: a dock cover takes about 20 s to move.
COVER_OPEN_S = 20.0
COVER_CLOSE_S = 20.0
#: Switching the charger on or off (contacts engage, charger handshake).
CHARGE_SWITCH_S = 3.0
#: Empty to full on the dock's charger.
FULL_CHARGE_S = 40 * 60.0
#: A reboot: the dock drops off the network and comes back after this long.
REBOOT_S = 60.0
#: Weather limits for opening the cover with the drone inside (a takeoff would follow).
WIND_LIMIT_M_S = 12.0
#: Rain at or above this keeps the cover shut with the drone inside.
RAIN_LIMIT = Rainfall.HEAVY
#: Wind the dock's anemometer shows while the `weather_hold` fault is injected.
WEATHER_HOLD_WIND_M_S = 15.0
KEEPALIVE_S = 15
CONNECT_TIMEOUT_S = 5.0
BACKOFF_MIN_S = 1.0
BACKOFF_MAX_S = 30.0
#: How long close() waits for a dock to say goodbye before dropping it.
CLOSE_TIMEOUT_S = 3.0
#: How long an unclean drop waits for paho to notice its own closed socket.
DROP_TIMEOUT_S = 2.0
MAX_QUEUED_INCOMING = 100

Fault = Literal["cover_fault", "charge_fault", "offline", "weather_hold", "heavy_rain"]
FAULTS: tuple[str, ...] = get_args(Fault)


class ModeCode(IntEnum):
    """Dock mode (`osd.data.mode_code`), as in the DJI Cloud API."""

    IDLE = 0
    DEBUGGING = 1
    REMOTE_DEBUGGING = 2
    UPGRADING = 3
    WORKING = 4


class CoverState(IntEnum):
    """Dock cover (`osd.data.cover_state`)."""

    CLOSED = 0
    OPEN = 1
    MOVING = 2
    FAULT = 3


def _json(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _now_ms() -> int:
    return int(time.time() * 1000)


class DockSim:
    """One simulated dock: its MQTT client, cover, charger and anemometer.

    Runs on the simulator's asyncio loop; every method must be called from that loop.

    The drone simulator's side of the dock (all synchronous and cheap):
    - `set_drone_state(in_dock, battery_pct)`: call on every physics tick (or at least on
      landing, takeoff and battery changes). Landing starts charging when `auto_charge`
      (DJI docks do); `charge_open` / `charge_close` services switch it too.
    - `charging` (bool): the charger is on and the drone sits in the dock; the drone charges its
      own battery while this is True and reports it back through `set_drone_state`.
    - `cover_open` (bool): refuse takeoff and landing while it is False.
    - `wind_speed_m_s`, `wind_direction_deg`: the wind at this dock (for the flight model).
    - `drone_battery_pct`: the battery the dock shows; between reports it follows the charger
      (full in FULL_CHARGE_S of simulated time), and charging stops at 100 %.
    With SimFleet: `cover_open_of=lambda d: fleet.dock(d.id).cover_open`,
    `charging_of=lambda d: fleet.dock(d.id).charging`, `wind_of=lambda d: Wind(s.wind_speed_m_s,
    s.wind_direction_deg)` with `s = fleet.dock(d.id)`.
    """

    def __init__(self, dock: Dock, broker: BrokerConfig, *, weather: WeatherModel, time_scale: float = 1.0,
                 rng: random.Random | None = None, auto_charge: bool = True,
                 initial_battery_pct: float | None = None) -> None:
        if time_scale <= 0:
            raise ValueError(f"time_scale must be positive, got {time_scale}")
        self.dock = dock
        self.broker = broker
        self.sn = dock.dock_sn
        self.drone_sn = f"{dock.dock_sn}-UAV{dock.sysid:03d}"  # the sub-device the dock reports
        self.status_topic = f"sys/product/{self.sn}/status"
        self.osd_topic = f"thing/product/{self.sn}/osd"
        self.services_topic = f"thing/product/{self.sn}/services"
        self.reply_topic = f"thing/product/{self.sn}/services_reply"
        self.events_topic = f"thing/product/{self.sn}/events"
        self.time_scale = time_scale
        self.auto_charge = auto_charge
        self._weather = weather
        self._rng = rng or random.Random()
        self._wind_factor = self._rng.uniform(0.85, 1.15)  # how exposed this dock's site is
        self._osd_phase_s = self._rng.uniform(0.0, OSD_PERIOD_S)  # docks do not all report at once
        self._cover = CoverState.CLOSED  # where the cover physically is: CLOSED or OPEN
        self._cover_moving = False
        self._drone_in_dock = True
        self._battery_pct = initial_battery_pct if initial_battery_pct is not None else self._rng.uniform(60.0, 100.0)
        self._charging = False
        self._charge_t = time.monotonic()  # when the battery was last brought up to date
        self._faults: set[str] = set()
        self._client: aiomqtt.Client | None = None
        self._connected = asyncio.Event()
        self._go_down = asyncio.Event()   # leave the broker now: offline, reboot or close
        self._go_up = asyncio.Event()     # may reconnect: offline cleared, reboot over, or closing
        self._abort_cover = asyncio.Event()
        self._down_until = 0.0            # monotonic end of a reboot
        self._closing = False
        self._stopped = asyncio.Event()
        self._stopped.set()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- state the drone simulator and tests read --------------------------------------------
    @property
    def online(self) -> bool:
        """Connected to the broker and reporting."""
        return self._connected.is_set()

    @property
    def cover_open(self) -> bool:
        """The cover is fully open (a drone can leave or land), fault or not."""
        return self._cover == CoverState.OPEN and not self._cover_moving

    @property
    def cover_state(self) -> CoverState:
        if "cover_fault" in self._faults:
            return CoverState.FAULT
        return CoverState.MOVING if self._cover_moving else self._cover

    @property
    def charging(self) -> bool:
        self._update_charge()
        return self._charging

    @property
    def drone_in_dock(self) -> bool:
        return self._drone_in_dock

    @property
    def drone_battery_pct(self) -> float | None:
        self._update_charge()
        return self._battery_pct

    @property
    def faults(self) -> frozenset[str]:
        return frozenset(self._faults)

    @property
    def wind_speed_m_s(self) -> float:
        """What the dock's anemometer shows now (district wind, this site's exposure, faults)."""
        wind = self._weather.district(self.dock.district).wind_speed_m_s * self._wind_factor
        if "weather_hold" in self._faults:
            wind = max(wind, WEATHER_HOLD_WIND_M_S)
        return round(wind, 1)

    @property
    def wind_direction_deg(self) -> float:
        """Where the wind at this dock blows from (degrees, meteorological convention)."""
        return self._weather.district(self.dock.district).wind_direction_deg

    @property
    def rainfall(self) -> Rainfall:
        if "heavy_rain" in self._faults:
            return Rainfall.HEAVY
        return self._weather.district(self.dock.district).rainfall

    @property
    def mode_code(self) -> ModeCode:
        return ModeCode.IDLE if self._drone_in_dock else ModeCode.WORKING

    def set_drone_state(self, in_dock: bool, battery_pct: float | None = None) -> None:
        """The drone simulator reports where its drone is and (optionally) its battery."""
        self._update_charge()
        if battery_pct is not None:
            self._battery_pct = min(100.0, max(0.0, float(battery_pct)))
        landed = in_dock and not self._drone_in_dock
        self._drone_in_dock = in_dock
        if not in_dock:
            self._charging = False
        elif landed and self.auto_charge and "charge_fault" not in self._faults:
            self._charging = self._battery_pct is not None and self._battery_pct < 100.0

    def inject(self, fault: Fault | str, on: bool = True) -> None:
        """Turns a fault on or off: `cover_fault` (cover jams, stops mid-way), `charge_fault`,
        `offline` (the dock drops off the network uncleanly, so its last will fires; it comes
        back when cleared), `weather_hold` (anemometer shows storm wind), `heavy_rain`."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r} (one of {', '.join(FAULTS)})")
        was_on = fault in self._faults
        if on == was_on:
            return
        log.info("dock %s: fault %s %s", self.sn, fault, "on" if on else "cleared")
        self._update_charge()
        if on:
            self._faults.add(fault)
        else:
            self._faults.discard(fault)
        if fault == "cover_fault" and on:
            self._abort_cover.set()
        elif fault == "charge_fault" and on:
            self._charging = False
        elif fault == "offline":
            if on:
                self._go_down.set()
            else:
                self._go_up.set()

    def osd(self) -> dict[str, Any]:
        """The osd message the dock publishes now."""
        weather = self._weather.district(self.dock.district)
        battery = self.drone_battery_pct
        quality = 5 if self._rng.random() > 0.05 else 4
        return {
            "tid": self._uuid(), "bid": self._uuid(), "timestamp": _now_ms(), "gateway": self.sn,
            "data": {
                "mode_code": int(self.mode_code),
                "cover_state": int(self.cover_state),
                "drone_in_dock": self._drone_in_dock,
                "drone_charge_state": {"state": int(self._charging),
                                       "capacity_percent": None if battery is None else int(battery)},
                "wind_speed_m_s": self.wind_speed_m_s,
                "rainfall": int(self.rainfall),
                "environment_temperature_c": round(weather.temperature_c - 0.0065 * self.dock.ground_alt_m, 1),
                "network_state": {"type": "ethernet", "quality": quality},
                "sub_device": {"device_sn": self.drone_sn, "device_online_status": 1},
                "latitude": self.dock.lat,
                "longitude": self.dock.lon,
                "height": self.dock.ground_alt_m,
            },
        }

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _update_charge(self) -> None:
        """Brings the battery up to date (charging is integrated lazily, on every read)."""
        now = time.monotonic()
        dt_sim = (now - self._charge_t) * self.time_scale
        self._charge_t = now
        if not self._charging or not self._drone_in_dock or self._battery_pct is None:
            return
        self._battery_pct = min(100.0, self._battery_pct + 100.0 * dt_sim / FULL_CHARGE_S)
        if self._battery_pct >= 100.0:
            self._charging = False

    # -- connection ---------------------------------------------------------------------------
    async def wait_online(self, timeout_s: float) -> bool:
        return await self._wait_event(self._connected, timeout_s)

    def _must_stay_down(self) -> bool:
        return "offline" in self._faults or time.monotonic() < self._down_until

    async def run(self) -> None:
        """Keeps the dock on the broker until `close()` (reconnects with backoff; stays away while
        `offline` is injected or it reboots). Cancelling it drops the connection uncleanly, like a
        power cut: the broker then publishes the last will."""
        self._stopped.clear()
        backoff = BACKOFF_MIN_S
        try:
            while not self._closing:
                if self._must_stay_down():
                    self._go_up.clear()
                    rebooting_s = None if "offline" in self._faults else self._down_until - time.monotonic()
                    await self._wait_event(self._go_up, rebooting_s)
                    continue
                self._go_down.clear()
                try:
                    async with self._make_client() as client:
                        self._client = client
                        await client.publish(self.status_topic, self._status(True), qos=1, retain=True)
                        await client.subscribe(self.services_topic, qos=1)
                        self._connected.set()
                        backoff = BACKOFF_MIN_S
                        log.debug("dock %s online", self.sn)
                        await self._serve(client)
                except aiomqtt.MqttError as exc:
                    if self._closing:
                        break
                    if self._must_stay_down():
                        log.info("dock %s left the broker (%s)", self.sn, exc)
                        continue
                    log.warning("dock %s: MQTT %s; retrying in %.1f s", self.sn, exc, backoff)
                except Exception:  # noqa: BLE001 - a bug in one dock must not stop the fleet
                    log.exception("dock %s failed; restarting it in %.1f s", self.sn, backoff)
                finally:
                    self._client = None
                    self._connected.clear()
                if self._closing or self._must_stay_down():
                    continue
                await self._wait_event(self._go_down, backoff * self._rng.uniform(0.5, 1.5))  # jitter: no herd
                backoff = min(backoff * 2, BACKOFF_MAX_S)
        finally:
            for task in list(self._tasks):
                task.cancel()
            self._stopped.set()

    async def _serve(self, client: aiomqtt.Client) -> None:
        """Publishes osd and answers services until told to go down or the link fails."""
        osd = asyncio.create_task(self._osd_loop(client))
        inbox = asyncio.create_task(self._inbox_loop(client))
        down = asyncio.create_task(self._go_down.wait())
        try:
            done, _ = await asyncio.wait({osd, inbox, down}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            await self._drop(client)
            raise
        finally:
            for task in (osd, inbox, down):
                task.cancel()
            await asyncio.gather(osd, inbox, down, return_exceptions=True)
        for task in done:
            if task is not down and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        if self._closing:
            try:
                await asyncio.wait_for(client.publish(self.status_topic, self._status(False), qos=1, retain=True),
                                       CLOSE_TIMEOUT_S)
            except (aiomqtt.MqttError, TimeoutError) as exc:
                log.info("dock %s could not say goodbye: %s", self.sn, exc)
        else:
            await self._drop(client)
            raise aiomqtt.MqttError("dropped off the network")

    async def _drop(self, client: aiomqtt.Client) -> None:
        """Closes the socket without DISCONNECT, as a power cut would: the broker sends the last will."""
        sock = client._client.socket()  # noqa: SLF001 - aiomqtt has no public unclean disconnect
        if sock is None:
            return
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            return
        try:
            async with asyncio.timeout(DROP_TIMEOUT_S):
                async for _ in client.messages:  # until paho notices its socket is gone
                    pass
        except (aiomqtt.MqttError, TimeoutError):
            pass

    async def close(self) -> None:
        """Says goodbye: publishes offline (retained), disconnects cleanly and stops `run()`."""
        self._closing = True
        self._go_down.set()
        self._go_up.set()
        self._abort_cover.set()
        if not await self._wait_event(self._stopped, CLOSE_TIMEOUT_S):
            log.warning("dock %s did not stop within %.1f s", self.sn, CLOSE_TIMEOUT_S)

    @staticmethod
    async def _wait_event(event: asyncio.Event, timeout_s: float | None) -> bool:
        try:
            await asyncio.wait_for(event.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    def _make_client(self) -> aiomqtt.Client:
        return aiomqtt.Client(
            self.broker.host, self.broker.port,
            username=self.broker.username, password=self.broker.password,
            identifier=f"dock-{self.sn}",
            protocol=aiomqtt.ProtocolVersion.V311,  # the embedded demo broker speaks 3.1.1 only
            clean_session=True,
            will=aiomqtt.Will(self.status_topic, self._status(False), qos=1, retain=True),
            keepalive=KEEPALIVE_S, timeout=CONNECT_TIMEOUT_S,
            tls_context=tls_context_for(self.broker),
            max_queued_incoming_messages=MAX_QUEUED_INCOMING,
        )

    def _status(self, online: bool) -> bytes:
        # In the last will, `ts` is when the connection was made, not when it was lost.
        return _json({"dock_sn": self.sn, "online": online, "ts": _now_ms()})

    async def _osd_loop(self, client: aiomqtt.Client) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + self._osd_phase_s
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))  # the reporting period itself
            due = max(due + OSD_PERIOD_S, loop.time())
            await client.publish(self.osd_topic, _json(self.osd()), qos=0)

    # -- services -----------------------------------------------------------------------------
    async def _inbox_loop(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            payload = message.payload if isinstance(message.payload, bytes) else str(message.payload).encode()
            try:
                await self._handle(parse_service_request(payload))
            except aiomqtt.MqttError:
                raise
            except Exception:  # noqa: BLE001 - one bad request must not take the dock off the air
                log.exception("dock %s: request failed: %.200r", self.sn, payload)

    async def _handle(self, req: ServiceRequest) -> None:
        if req.problem is not None:
            log.warning("dock %s: bad service request: %s", self.sn, req.problem)
            if req.tid is not None:
                await self._reply(req, ServiceOutcome(ServiceResult.BAD_REQUEST, req.problem, "请求格式错误"))
            return
        method = req.method or ""
        immediate = self._check(method)
        if immediate is not None:
            await self._reply(req, immediate)
            return
        self._spawn(self._act(req, method))

    def _check(self, method: str) -> ServiceOutcome | None:
        """Answers at once when the request is refused or already satisfied; None = act."""
        R = ServiceResult
        if method in ("cover_open", "cover_close"):
            opening = method == "cover_open"
            if self._cover_moving:
                return ServiceOutcome(R.BUSY, "the cover is already moving", "舱盖正在动作中")
            if "cover_fault" in self._faults:
                return ServiceOutcome(R.COVER_FAULT, "cover motor fault", "舱盖电机故障")
            if self._cover == (CoverState.OPEN if opening else CoverState.CLOSED):
                return ServiceOutcome(R.OK, f"cover already {'open' if opening else 'closed'}",
                                      "舱盖已处于打开状态" if opening else "舱盖已处于关闭状态")
            # Weather only keeps a docked drone in; a returning drone must be let in whatever the wind.
            if opening and self._drone_in_dock:
                wind = self.wind_speed_m_s
                if wind > WIND_LIMIT_M_S:
                    return ServiceOutcome(R.WIND_TOO_HIGH,
                                          f"wind {wind:.1f} m/s is over the {WIND_LIMIT_M_S:g} m/s limit",
                                          f"风速 {wind:.1f} m/s 超过 {WIND_LIMIT_M_S:g} m/s 限值，禁止开舱")
                if self.rainfall >= RAIN_LIMIT:
                    return ServiceOutcome(R.RAIN_TOO_HEAVY, "heavy rain", "大雨，禁止开舱")
            return None
        if method in ("charge_open", "charge_close"):
            starting = method == "charge_open"
            if starting and "charge_fault" in self._faults:
                return ServiceOutcome(R.CHARGE_FAULT, "charger fault", "充电模块故障")
            if starting and not self._drone_in_dock:
                return ServiceOutcome(R.DRONE_NOT_IN_DOCK, "the drone is not in the dock", "飞行器不在机场内")
            if self.charging == starting:
                return ServiceOutcome(R.OK, f"already {'charging' if starting else 'not charging'}",
                                      "已在充电" if starting else "未在充电")
            if starting and (self._battery_pct or 0.0) >= 100.0:
                return ServiceOutcome(R.OK, "battery already full", "电池已充满")
            return None
        if method == "device_reboot":
            return None
        return ServiceOutcome(R.UNKNOWN_METHOD, f"unknown method {method!r}", f"不支持的方法 {method}")

    async def _act(self, req: ServiceRequest, method: str) -> None:
        """Carries out an accepted action on simulated time and replies when it is over."""
        R = ServiceResult
        await self._event(req, "in_progress", 0)
        if method in ("cover_open", "cover_close"):
            opening = method == "cover_open"
            self._cover_moving = True
            self._abort_cover.clear()
            try:
                aborted = await self._wait_event(self._abort_cover, (COVER_OPEN_S if opening else COVER_CLOSE_S)
                                                 / self.time_scale)
            finally:
                self._cover_moving = False
            if aborted:
                if "cover_fault" in self._faults:
                    outcome = ServiceOutcome(R.COVER_FAULT, "cover motor fault while moving", "舱盖动作中电机故障")
                else:
                    outcome = ServiceOutcome(R.ABORTED, "action interrupted", "动作被中断")
            else:
                self._cover = CoverState.OPEN if opening else CoverState.CLOSED
                outcome = ServiceOutcome(R.OK, "cover open" if opening else "cover closed",
                                         "舱盖已打开" if opening else "舱盖已关闭")
        elif method in ("charge_open", "charge_close"):
            await asyncio.sleep(CHARGE_SWITCH_S / self.time_scale)  # the charger switching over
            starting = method == "charge_open"
            if starting and "charge_fault" in self._faults:
                outcome = ServiceOutcome(R.CHARGE_FAULT, "charger fault", "充电模块故障")
            elif starting and not self._drone_in_dock:
                outcome = ServiceOutcome(R.DRONE_NOT_IN_DOCK, "the drone left the dock", "飞行器已离开机场")
            else:
                self._update_charge()
                self._charging = starting
                outcome = ServiceOutcome(R.OK, "charging" if starting else "charging stopped",
                                         "开始充电" if starting else "已停止充电")
        else:  # device_reboot: answer, then vanish from the network for the reboot
            await self._reply(req, ServiceOutcome(R.OK, "rebooting", "正在重启"))
            self._update_charge()
            self._charging = False
            self._down_until = time.monotonic() + REBOOT_S / self.time_scale
            self._abort_cover.set()
            self._go_down.set()
            return
        await self._event(req, "ok" if outcome.ok else "failed", 100 if outcome.ok else 0, outcome.result)
        await self._reply(req, outcome)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reply(self, req: ServiceRequest, outcome: ServiceOutcome) -> None:
        await self._send(self.reply_topic, {
            "tid": req.tid, "bid": req.bid, "timestamp": _now_ms(), "gateway": self.sn, "method": req.method,
            "data": {"result": int(outcome.result), "reason": outcome.reason, "reason_zh": outcome.reason_zh},
        })

    async def _event(self, req: ServiceRequest, status: str, percent: int, result: int = 0) -> None:
        await self._send(self.events_topic, {
            "tid": req.tid, "bid": req.bid, "timestamp": _now_ms(), "gateway": self.sn, "method": req.method,
            "need_reply": 0,
            "data": {"result": int(result), "output": {"status": status, "progress": {"percent": percent}}},
        })

    async def _send(self, topic: str, body: Mapping[str, Any]) -> None:
        client = self._client
        if client is None:
            log.info("dock %s offline: %s not sent", self.sn, topic)
            return
        try:
            await client.publish(topic, _json(body), qos=1)
        except aiomqtt.MqttError as exc:
            log.info("dock %s: %s not sent: %s", self.sn, topic, exc)


class DockFleetSim:
    """All the site's docks, their shared weather, one MQTT client per dock.

    Runs on the simulator's asyncio loop: `await fleet.run()` in a task, `await fleet.close()`
    to stop (every dock publishes offline, retained, then `run()` returns).
    """

    def __init__(self, docks: Iterable[Dock], broker: str | BrokerConfig, *, time_scale: float = 1.0,
                 seed: int | None = None, weather: WeatherModel | None = None, auto_charge: bool = True) -> None:
        self.broker = parse_broker_url(broker) if isinstance(broker, str) else broker
        self.time_scale = time_scale
        self.weather = weather or WeatherModel(seed=seed)
        master = random.Random(seed)
        self._docks: dict[str, DockSim] = {}
        for dock in docks:
            self._docks[dock.id] = DockSim(dock, self.broker, weather=self.weather, time_scale=time_scale,
                                           rng=random.Random(master.getrandbits(64)), auto_charge=auto_charge)
        self._closing = asyncio.Event()

    @property
    def docks(self) -> Mapping[str, DockSim]:
        """Docks by `Dock.id`."""
        return self._docks

    def dock(self, dock_id: str) -> DockSim:
        return self._docks[dock_id]

    def by_sysid(self, sysid: int) -> DockSim:
        """The dock whose drone has this MAVLink system id."""
        for sim in self._docks.values():
            if sim.dock.sysid == sysid:
                return sim
        raise KeyError(sysid)

    def by_sn(self, dock_sn: str) -> DockSim:
        for sim in self._docks.values():
            if sim.sn == dock_sn:
                return sim
        raise KeyError(dock_sn)

    async def wait_online(self, timeout_s: float) -> bool:
        """True once every dock is connected."""
        results = await asyncio.gather(*(d.wait_online(timeout_s) for d in self._docks.values()))
        return all(results)

    async def run(self) -> None:
        """Runs every dock and the weather until `close()`."""
        self._closing.clear()
        async with asyncio.TaskGroup() as group:
            for sim in self._docks.values():
                group.create_task(sim.run(), name=f"dock-{sim.sn}")
            group.create_task(self._weather_loop(), name="dock-weather")

    async def close(self) -> None:
        """Every dock publishes offline (retained) and disconnects cleanly; `run()` then returns."""
        self._closing.set()
        await asyncio.gather(*(d.close() for d in self._docks.values()))

    async def _weather_loop(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while not self._closing.is_set():
            try:
                await asyncio.wait_for(self._closing.wait(), OSD_PERIOD_S)  # the weather's own step
            except TimeoutError:
                pass
            now = loop.time()
            self.weather.step((now - last) * self.time_scale)
            last = now
