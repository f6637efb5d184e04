"""The site's drones over one MAVSDK instance: telemetry into the store, events on change (docs/architecture.md, "Threads", "MAVLink").

One connection per dock (a shared port would send every command to every
drone). Telemetry arrives through MAVSDK's synchronous callback API on MAVSDK's own callback
thread and is written straight into the `TelemetryStore`; changes of state become events
(drones/fleet_events.py), handed to the core loop with `call_soon_threadsafe`. A supervisor
on the core loop judges each link from the age of its last message, every LINK_CHECK_S.

Commands are for the task layer: `action(sysid)` and `mission_raw(sysid)` give MAVSDK's
asyncio plugins on the drone's system (cached; their blocking calls run in the core loop's
default executor).

MAVSDK makes one `/tmp/mavsdk-component-metadata-*` directory per discovered system (in
`std::filesystem::temp_directory_path()`, so TMPDIR moves it; no setting turns it off) and
removes them when the instance is destroyed, which `close()` does (and mavsdk's own atexit
hook, for an instance never closed). Only a process killed before either leaves them
behind. Removing "new empty ones" after the fact is not done: another MAVSDK process on the
machine (a second console, a test run) makes identical directories at the same time.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from drones.fleet_events import (ArmedChanged, BatteryLevel, BatteryLevelChanged, DroneAdded, DroneRemoved,
                                 FleetEvent, FlightModeChanged, HealthChanged, LandedStateChanged,
                                 LinkStateChanged, MissionProgressChanged, StatusTextReceived)
from drones.message_rates import MESSAGE_RATES, MessageRate, RateRequests, mavlink_direct_sender
from drones.model import DroneState, LandedState
from vocab import LinkState
from drones.site import Dock
from drones.telemetry_store import Col, DroneWriter, TelemetryStore

if TYPE_CHECKING:
    from mavsdk import Mavsdk
    from mavsdk.asyncio import System as AsyncSystem
    from mavsdk.asyncio.plugins.action import ActionAsync
    from mavsdk.asyncio.plugins.mission_raw import MissionRawAsync
    from mavsdk.system import System

log = logging.getLogger(__name__)
mavsdk_log = logging.getLogger("mavsdk")

#: A link silent for this long is LOST (docs/architecture.md, "Safety rules": shown within 2 s, with LINK_CHECK_S).
LINK_LOST_S = 1.5
#: Period of the link check on the core loop.
LINK_CHECK_S = 0.25
#: Message rates are averaged over this window.
RATE_WINDOW_S = 1.0
BATTERY_LOW_PCT = 30.0
BATTERY_CRITICAL_PCT = 15.0
#: A battery level is left upward only this far above its threshold (no flapping on noise).
BATTERY_HYSTERESIS_PCT = 2.0
#: The drone's data-link loss action (PX4), read when it is first heard; retried this often, this far apart.
LINK_LOSS_PARAM = "NAV_DLL_ACT"
PARAM_READ_ATTEMPTS = 5
PARAM_RETRY_S = 2.0
#: How long close() waits for a blocking MAVSDK call still running (a parameter read times out within this).
BLOCKING_CALL_WAIT_S = 10.0
#: How long close() waits for MAVSDK to answer commands it sent (it gives up on one after 3 tries of 0.5 s).
COMMAND_ANSWER_WAIT_S = 3.0
#: Between closing the links and destroying MAVSDK: callbacks already queued are delivered meanwhile.
DRAIN_S = 0.3
#: MAVSDK's log line when its callback queue overflowed and subscription callbacks were dropped.
DROPPED_CALLBACKS_MESSAGE = "Dropping subscription callbacks"

Listener = Callable[[FleetEvent], None]
STATUS_TEXT_HISTORY = 8  # status texts kept per drone for the drone panel
#: MAVSDK's StatusTextType names of texts that explain a refusal (PX4 says "Arming denied: ..." as CRITICAL).
SERIOUS_SEVERITIES = frozenset({"WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY"})


@dataclass(frozen=True, slots=True)
class StatusLine:
    """One STATUSTEXT as received: wall-clock time, MAVSDK's severity name, the text."""

    ts: float
    severity: str
    text: str


_LINK_STATES = (LinkState.NEVER, LinkState.OK, LinkState.LOST)   # indexed by the supervisor's codes
_NEVER, _OK, _LOST = 0, 1, 2


def battery_level(pct: float, current: BatteryLevel) -> BatteryLevel:
    """The level for `pct`; a level is left upward only BATTERY_HYSTERESIS_PCT above its threshold."""
    if pct < BATTERY_CRITICAL_PCT or (current is BatteryLevel.CRITICAL
                                      and pct < BATTERY_CRITICAL_PCT + BATTERY_HYSTERESIS_PCT):
        return BatteryLevel.CRITICAL
    if pct < BATTERY_LOW_PCT or (current is not BatteryLevel.OK and pct < BATTERY_LOW_PCT + BATTERY_HYSTERESIS_PCT):
        return BatteryLevel.LOW
    return BatteryLevel.OK


def _healthy(all_ok: bool | None, armable: bool | None) -> bool | None:
    return None if all_ok is None or armable is None else all_ok and armable


class _Drone:
    """MAVSDK objects of one attached drone and the callbacks that feed its store row.

    The `_on_*` callbacks run on MAVSDK's callback thread, the one writer of this drone.
    """

    def __init__(self, fleet: Fleet, system: System, writer: DroneWriter) -> None:
        from mavsdk.plugins.telemetry import Telemetry

        self.fleet = fleet
        self.sysid = writer.sysid
        self.system = system
        self.w = writer
        self.telemetry = Telemetry(system)
        self.battery_level = BatteryLevel.OK
        # The last status texts, newest last (appended on MAVSDK's thread, read on any: deque is atomic).
        self.status_texts: deque[StatusLine] = deque(maxlen=STATUS_TEXT_HISTORY)
        self._lock = threading.Lock()
        self._async: dict[str, Any] = {}
        #: The requests that set this drone's message rates (made on the core loop; None: autopilot's defaults).
        self.rates: RateRequests | None = None
        self._direct: Any = None

    def subscribe(self) -> None:
        """Subscribes one stream per MAVLink message kind; what arrives with it is read by getters.

        MAVSDK delivers every subscription callback through one bounded queue on one thread and
        drops callbacks when it overflows. Velocity and heading come with every position, armed
        and health with every heartbeat: reading them with the (non-blocking) latest-value getters
        inside those callbacks keeps the queue at one entry per message instead of three or four.
        """
        t = self.telemetry
        for stream, callback in (("position", self._on_position), ("flight_mode", self._on_heartbeat),
                                 ("landed_state", self._on_landed), ("battery", self._on_battery),
                                 ("gps_info", self._on_gps), ("home", self._on_home),
                                 ("status_text", self._on_status_text)):
            getattr(t, "subscribe_" + stream)(self._guarded(callback))

    def make_direct(self) -> None:
        """MAVSDK's MavlinkDirect plugin for the rate requests (executor thread: a call into MAVSDK)."""
        from mavsdk.plugins.mavlink_direct import MavlinkDirect

        self._direct = MavlinkDirect(self.system)

    def _guarded(self, callback: Callable[[Any], None]) -> Callable[[Any, object], None]:
        """The callback as MAVSDK calls it, logging its errors (MAVSDK's wrapper would print them)."""
        sysid, fleet = self.sysid, self.fleet

        def guarded(value: Any, _user_data: object) -> None:
            try:
                callback(value)
            except Exception:  # noqa: BLE001 - one bad message must not silence the stream
                if fleet._closed:
                    return  # a message still in MAVSDK's queue while the fleet is being destroyed
                log.exception("drone %d: %s failed", sysid, callback.__name__)

        return guarded

    def plugin(self, name: str, make: Callable[[], Any]) -> Any:
        """A cached asyncio wrapper object (system, action, mission_raw), made on first use."""
        with self._lock:
            obj = self._async.get(name)
            if obj is None:
                obj = self._async[name] = make()
            return obj

    # ----- MAVSDK callbacks (MAVSDK's callback thread) ------------------------------------------

    def _on_position(self, p: Any) -> None:
        w, t = self.w, self.telemetry
        v = t.velocity_ned()  # from the same GLOBAL_POSITION_INT, already decoded by MAVSDK
        w.velocity(v.north_m_s, v.east_m_s, v.down_m_s)
        w.heading(t.heading().heading_deg)
        w.position(p.latitude_deg, p.longitude_deg, p.absolute_altitude_m, p.relative_altitude_m)

    def _on_gps(self, g: Any) -> None:
        self.w.gps(int(g.fix_type), g.num_satellites)

    def _on_home(self, h: Any) -> None:
        self.w.home(h.latitude_deg, h.longitude_deg, h.absolute_altitude_m)

    def _on_battery(self, b: Any) -> None:
        pct = b.remaining_percent
        self.w.battery(pct, b.voltage_v, b.time_remaining_s)
        if pct == pct:  # not NaN
            level = battery_level(pct, self.battery_level)
            if level is not self.battery_level:
                previous, self.battery_level = self.battery_level, level
                self.fleet._post(BatteryLevelChanged(self.sysid, level, previous, pct))

    def _on_heartbeat(self, mode: Any) -> None:
        # MAVSDK reports the flight mode on every HEARTBEAT: it doubles as the heartbeat clock.
        w, t = self.w, self.telemetry
        w.heartbeat()
        name = mode.name
        slots = w.slots
        if name != slots.flight_mode:
            previous, slots.flight_mode = slots.flight_mode, name
            self.fleet._post(FlightModeChanged(self.sysid, name, previous))
        armed = bool(t.armed())
        if armed is not slots.armed:
            slots.armed = armed
            self.fleet._post(ArmedChanged(self.sysid, armed))
        all_ok, armable = bool(t.health_all_ok()), bool(t.health().is_armable)
        if all_ok is not slots.health_all_ok or armable is not slots.armable:
            before = _healthy(slots.health_all_ok, slots.armable)
            slots.health_all_ok, slots.armable = all_ok, armable
            after = all_ok and armable
            if after is not before:
                self.fleet._post(HealthChanged(self.sysid, after))

    def _on_landed(self, state: Any) -> None:
        self.w.touch()
        landed = self.fleet._landed_map[int(state)]
        slots = self.w.slots
        if landed is not slots.landed:
            previous, slots.landed = slots.landed, landed
            self.fleet._post(LandedStateChanged(self.sysid, landed, previous))

    def _on_status_text(self, st: Any) -> None:
        self.w.touch()
        text = st.text.strip()   # PX4 ends its texts with a tab
        self.w.slots.status_text = text
        self.status_texts.append(StatusLine(time.time(), st.type.name, text))
        self.fleet._post(StatusTextReceived(self.sysid, st.type.name, text))


class Fleet:
    """All drones of a site: MAVSDK connections, telemetry store, link supervision and events.

    Start, use and close it on the core loop. Listeners (`add_listener`) are called on that
    loop; `store` and `snapshot()` may be read from any thread.
    """

    def __init__(self, docks: Sequence[Dock], *, message_rates: Sequence[MessageRate] | None = MESSAGE_RATES) -> None:
        """`message_rates`: what each drone is asked to stream (drones/message_rates.py); None leaves the
        autopilot's defaults (for measuring what they cost)."""
        self.docks = tuple(docks)
        self.message_rates = tuple(message_rates) if message_rates is not None else None
        if self.docks:
            # MAVSDK's native library is loaded here, on the thread that makes the fleet (the console's main
            # thread), not later in the executor: a dlopen on a worker thread while the GUI thread loads Qt
            # Multimedia's plugins deadlocked the console at start (seen in test runs).
            import mavsdk  # noqa: F401
        self.store = TelemetryStore(d.sysid for d in self.docks)
        self._sysids = self.store.sysids
        self._listeners: list[Listener] = []
        self._drones: dict[int, _Drone] = {}
        self._mavsdk: Mavsdk | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._attach_lock = threading.Lock()
        self._attach_pending = False
        self._systems_seen = 0
        self._strangers: set[int] = set()
        self._landed_map: tuple[LandedState, ...] = ()
        self._link_codes = np.zeros(len(self._sysids), dtype=np.int8)
        self._counts: deque[tuple[float, np.ndarray]] = deque()
        self._mission_tasks: dict[int, asyncio.Task[None]] = {}
        self._param_tasks: dict[int, asyncio.Task[None]] = {}
        self._said: dict[int, asyncio.Event] = {}   # set when a drone's status text has been delivered
        #: MAVSDK blocking calls of the fleet's own running now (executor threads): MAVSDK is destroyed after them.
        self._calls = 0
        self._calls_lock = threading.Lock()
        self._connections: list[Any] = []   # MAVSDK's handles of our links, closed before it is destroyed
        #: Connections MAVSDK could not open: (dock id, connection URL, MAVSDK's result name).
        self.open_failures: list[tuple[str, str, str]] = []
        self._started = False
        self._closed = False

    # ----- lifecycle (core loop) ----------------------------------------------------------------

    async def start(self) -> None:
        """Opens one connection per dock and starts the link supervisor; returns once listening."""
        if self._started:
            return
        self._started = True
        self._loop = asyncio.get_running_loop()
        if not self.docks:
            return  # a console without drones never loads the native library
        await self._loop.run_in_executor(None, self._open)
        self._supervisor = asyncio.create_task(self._supervise(), name="fleet-links")

    async def run(self) -> None:
        """Starts the fleet and supervises the links until cancelled (then call `close()`)."""
        await self.start()
        if self._supervisor is not None:
            await self._supervisor
        else:
            await asyncio.Event().wait()

    async def close(self) -> None:
        """Announces every drone removed, then destroys MAVSDK (its threads, sockets and temp dirs)."""
        if self._closed:
            return
        self._closed = True
        tasks = [t for t in (self._supervisor, *self._mission_tasks.values(), *self._param_tasks.values())
                 if t is not None]
        for task in tasks:
            task.cancel()
        for drone in self._drones.values():
            if drone.rates is not None:
                drone.rates.close()
        await asyncio.gather(*tasks, return_exceptions=True)  # their MAVSDK subscriptions end here
        for sysid in list(self._drones):
            self._deliver(DroneRemoved(sysid))
        mavsdk, self._mavsdk = self._mavsdk, None
        if mavsdk is not None:
            # Destroyed on a thread of its own once MAVSDK has nothing of ours in hand: a blocking call still inside
            # it, or a command whose answer is due, when it is destroyed crashes the process. If this coroutine is
            # cut short (a shutdown's time budget), the thread still finishes the job. It also removes the
            # /tmp/mavsdk-component-metadata-* directories of our systems.
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            threading.Thread(target=self._destroy_when_idle, args=(mavsdk, done), name="mavsdk-destroy").start()
            await asyncio.shield(done)

    def _destroy_when_idle(self, mavsdk: Mavsdk, done: asyncio.Future[None]) -> None:
        """Waits (bounded) until no call of ours is inside MAVSDK and no command answer is due, then destroys it."""
        deadline = time.monotonic() + BLOCKING_CALL_WAIT_S
        answers_deadline = time.monotonic() + COMMAND_ANSWER_WAIT_S
        while time.monotonic() < deadline:
            with self._calls_lock:
                calls = self._calls
            owed = time.monotonic() < answers_deadline and any(
                d.rates is not None and d.rates.in_flight for d in list(self._drones.values()))
            if not calls and not owed:
                break
            time.sleep(0.02)  # polling MAVSDK's outstanding work (no event tells it)
        else:
            log.warning("destroying MAVSDK with a call of the fleet still inside it")
        # Links closed first and a moment for MAVSDK's callback thread to run dry: a plugin destroyed while a
        # callback of a message just received is delivered crashed the process (seen with real PX4's traffic).
        for handle in self._connections:
            try:
                mavsdk.remove_connection(handle)
            except Exception:  # noqa: BLE001 - destroy() removes what is left
                log.debug("removing a MAVLink connection failed", exc_info=True)
        time.sleep(DRAIN_S)  # MAVSDK's callback queue has no "empty" event
        try:
            mavsdk.destroy()
        finally:
            loop = self._loop
            if loop is not None and not loop.is_closed():
                try:
                    loop.call_soon_threadsafe(lambda: done.done() or done.set_result(None))
                except RuntimeError:
                    pass   # the loop closed meanwhile

    def _open(self) -> None:
        """Creates the MAVSDK instance and its connections (executor thread: binding can take a while)."""
        from mavsdk import Configuration, Mavsdk
        from mavsdk.component_type import ComponentType
        from mavsdk.exceptions import ConnectionError as MavsdkConnectionError
        from mavsdk.plugins.telemetry import LandedState as MavLanded

        route_mavsdk_logs()
        by_value = {m.value: m.name for m in MavLanded}
        self._landed_map = tuple(LandedState.__members__.get(by_value.get(i, ""), LandedState.UNKNOWN)
                                 for i in range(max(by_value) + 1))
        mavsdk = self._mavsdk = Mavsdk(Configuration.create_with_component_type(ComponentType.GROUND_STATION))
        mavsdk.subscribe_on_new_system(self._on_new_system)
        for dock in self.docks:
            try:
                self._connections.append(mavsdk.add_any_connection_with_handle(dock.mavlink_url))
            except MavsdkConnectionError as exc:   # "Connection failed: <MAVSDK's ConnectionResult name>"
                # The health line names it (a port another program holds: the drone can never link).
                result = str(exc).rpartition(": ")[2]
                self.open_failures.append((dock.id, dock.mavlink_url, result))
                log.error("dock %s: cannot open %s: %s", dock.id, dock.mavlink_url, result)

    # ----- events --------------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Calls `listener(event)` on the core loop for every fleet event; returns the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _post(self, event: FleetEvent) -> None:
        """Hands an event from any thread to the core loop."""
        loop = self._loop
        if loop is None or self._closed:
            return
        try:
            loop.call_soon_threadsafe(self._deliver_posted, event)
        except RuntimeError:
            pass  # the loop is closed: the console is shutting down

    def _deliver_posted(self, event: FleetEvent) -> None:
        if not self._closed:
            if isinstance(event, StatusTextReceived) and event.sysid in self._said:
                self._said[event.sysid].set()
            self._deliver(event)

    def _deliver(self, event: FleetEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # noqa: BLE001 - a broken listener must not break the fleet
                log.exception("fleet listener %r failed on %r", listener, event)

    # ----- discovery -------------------------------------------------------------------------------

    def _on_new_system(self, _ud: object) -> None:
        """MAVSDK's callback thread: a system appeared; attach it from the core loop."""
        loop = self._loop
        if loop is not None and not self._closed:
            try:
                loop.call_soon_threadsafe(self._schedule_attach)
            except RuntimeError:
                pass

    def _schedule_attach(self) -> None:
        if self._attach_pending or self._closed or self._loop is None:
            return
        self._attach_pending = True
        fut = self._loop.run_in_executor(None, self._attach_new)

        def done(f: asyncio.Future[None]) -> None:
            self._attach_pending = False
            if not f.cancelled() and f.exception() is not None:
                log.error("attaching drones failed", exc_info=f.exception())

        fut.add_done_callback(done)

    def _attach_new(self) -> None:
        """Subscribes the telemetry of every new site drone (executor thread)."""
        with self._attach_lock:
            mavsdk = self._mavsdk
            if mavsdk is None or self._closed:
                return
            systems = mavsdk.get_systems()
            self._systems_seen = len(systems)
            for system in systems:
                sysid = system.get_system_id()
                if sysid in self._drones:
                    system.destroy()  # get_systems() hands out a new handle each time
                    continue
                if sysid not in self.store:
                    if sysid not in self._strangers:
                        self._strangers.add(sysid)
                        log.warning("MAVLink system %d is not in the site file; ignored", sysid)
                    system.destroy()
                    continue
                drone = _Drone(self, system, self.store.writer(sysid))
                self._drones[sysid] = drone
                self._post(DroneAdded(sysid))  # queued before any event of its telemetry
                if self.message_rates is not None:
                    # Asked for before subscribing: PX4's default flood reaches the callback queue only briefly.
                    drone.make_direct()
                    self._loop.call_soon_threadsafe(self._set_rates, sysid)  # type: ignore[union-attr]
                drone.subscribe()
                self._loop.call_soon_threadsafe(self._follow_mission, sysid)  # type: ignore[union-attr]
                log.info("drone %d attached", sysid)

    def _follow_mission(self, sysid: int) -> None:
        if not self._closed:
            self._mission_tasks[sysid] = asyncio.create_task(self._mission_progress(sysid), name=f"mission-{sysid}")
            self._param_tasks[sysid] = asyncio.create_task(self._read_failsafe(sysid), name=f"failsafe-{sysid}")

    def _set_rates(self, sysid: int) -> None:
        """Asks the drone for the console's message rates (core loop; answers come back on it): at attach and
        whenever the drone reappears after a lost link, since PX4 forgets them when it reboots."""
        drone = self._drones.get(sysid)
        if drone is None or self.message_rates is None or self._loop is None or self._closed:
            return
        if drone.rates is None:
            drone.rates = RateRequests(sysid, self._loop, mavlink_direct_sender(drone._direct),
                                       lambda: self.store.link(sysid) is LinkState.OK, self.message_rates)
        drone.rates.request_all()

    def rate_requests(self, sysid: int) -> RateRequests | None:
        """The drone's rate requests (what was answered), None before it was attached or without rates."""
        drone = self._drones.get(sysid)
        return None if drone is None else drone.rates

    async def _read_failsafe(self, sysid: int) -> None:
        """Reads what the drone does on a lost link (PX4 `NAV_DLL_ACT`), so the console says what it will do.

        Read once the drone is heard, retried while the PARAM protocol does not answer (core loop).
        """
        from mavsdk.plugins.param import Param

        drone = self._drones.get(sysid)
        if drone is None:
            return
        # Only an autopilot answers the PARAM protocol: wait for its first health report (SYS_STATUS) rather than
        # tie an executor thread up in MAVSDK's retries to something that only sends heartbeats.
        while self.store.snapshot(sysid).healthy is None:
            await asyncio.sleep(PARAM_RETRY_S)  # polling the telemetry store
        params = drone.plugin("param", lambda: Param(drone.system))
        loop = asyncio.get_running_loop()
        for attempt in range(PARAM_READ_ATTEMPTS):
            # MAVSDK's blocking call runs in the executor; close() waits for it before destroying MAVSDK (a call
            # still inside MAVSDK when it is destroyed crashes the process).
            try:
                value = int(await asyncio.shield(loop.run_in_executor(None, self._counted, params.get_param_int,
                                                                      LINK_LOSS_PARAM)))
            except Exception as exc:  # noqa: BLE001 - MAVSDK's ParamError (timeout, no such parameter): retry
                log.info("drone %d: %s not read (%s), attempt %d", sysid, LINK_LOSS_PARAM, exc, attempt + 1)
                await asyncio.sleep(PARAM_RETRY_S * (attempt + 1))  # retry backoff, not synchronisation
                continue
            self.store.set_link_loss_action(sysid, value)
            log.info("drone %d: %s = %d", sysid, LINK_LOSS_PARAM, value)
            return
        log.warning("drone %d: %s could not be read; its link-loss action is unknown", sysid, LINK_LOSS_PARAM)

    def _counted(self, call: Callable[..., Any], *args: Any) -> Any:
        """Runs a blocking MAVSDK call (executor thread), counted so that MAVSDK is not destroyed under it."""
        with self._calls_lock:
            if self._closed:
                raise RuntimeError("the fleet is closed")
            self._calls += 1
        try:
            return call(*args)
        finally:
            with self._calls_lock:
                self._calls -= 1

    async def _mission_progress(self, sysid: int) -> None:
        """Follows mission progress through the same MissionRaw plugin the task layer uploads with.

        MAVSDK counts the total from its own plugin instance's uploads and downloads, so a
        second instance would report a total of 0. Runs on the core loop (the store's mission
        slot is written only here).
        """
        mission = self.mission_raw(sysid)
        if mission is None:
            return
        last: tuple[int, int] | None = None
        async for progress in mission.subscribe_mission_progress():
            value = (int(progress.current), int(progress.total))
            if value != last:
                last = value
                self.store.set_mission(sysid, *value)
                self._deliver(MissionProgressChanged(sysid, *value))

    # ----- link supervision (core loop) ------------------------------------------------------------

    async def _supervise(self) -> None:
        while True:
            try:
                self._check_links(time.monotonic())
            except Exception:  # noqa: BLE001 - the supervisor must keep running
                log.exception("link check failed")
            await asyncio.sleep(LINK_CHECK_S)  # the check's period, not synchronisation

    def _check_links(self, now: float) -> None:
        last = self.store.column(Col.UPDATED_AT)
        counts = self.store.column(Col.MESSAGES)
        window = self._counts
        window.append((now, counts))
        while len(window) > 2 and now - window[1][0] >= RATE_WINDOW_S:
            window.popleft()
        t0, c0 = window[0]
        with np.errstate(invalid="ignore", divide="ignore"):
            rates = (counts - c0) / (now - t0) if now > t0 else np.full_like(counts, np.nan)
        age = now - last
        never = np.isnan(age)
        rates[never] = np.nan
        self.store.set_message_rates(rates)
        codes = np.where(never, _NEVER, np.where(age > LINK_LOST_S, _LOST, _OK)).astype(np.int8)
        before, self._link_codes = self._link_codes, codes   # link_counts() is current for listeners
        for r in np.flatnonzero(codes != before):
            sysid = self._sysids[r]
            state, previous = _LINK_STATES[codes[r]], _LINK_STATES[before[r]]
            self.store.set_link(sysid, state)
            if state is LinkState.LOST:
                log.warning("drone %d: link lost (silent %.1f s)", sysid, age[r])
            else:
                log.info("drone %d: link %s", sysid, "up" if previous is LinkState.NEVER else "recovered")
            self._deliver(LinkStateChanged(sysid, state, previous, None if never[r] else float(age[r])))
            if state is LinkState.OK and previous is LinkState.LOST:
                self._set_rates(sysid)   # it may have rebooted, with PX4's default rates
        mavsdk = self._mavsdk
        if mavsdk is not None and mavsdk.system_count() > self._systems_seen:
            self._schedule_attach()  # a discovery the new-system callback did not bring in

    # ----- reading ---------------------------------------------------------------------------------

    def snapshot(self, sysid: int) -> DroneState:
        """Latest state of one drone of the site (any thread)."""
        return self.store.snapshot(sysid)

    def snapshots(self) -> list[DroneState]:
        return self.store.snapshots()

    def link_counts(self) -> tuple[int, int]:
        """(drones whose link is OK, drones of the site)."""
        return int(np.count_nonzero(self._link_codes == _OK)), len(self._sysids)

    def status_texts(self, sysid: int) -> tuple[StatusLine, ...]:
        """The drone's last status texts (STATUSTEXT), oldest first (any thread)."""
        drone = self._drones.get(sysid)
        return tuple(drone.status_texts) if drone is not None else ()

    def _words_after(self, sysid: int, since: float) -> str | None:
        lines = [line for line in self.status_texts(sysid) if line.ts >= since]
        serious = [line for line in lines if line.severity in SERIOUS_SEVERITIES]
        return (serious or lines)[0].text if lines else None

    async def words_since(self, sysid: int, since: float, timeout_s: float) -> str | None:
        """The drone's first warning (or worse) said at or after `since` (wall clock), waiting up to `timeout_s`
        for it (core loop): what an autopilot says about a refused command, which may follow the refusal."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        event = self._said.setdefault(sysid, asyncio.Event())
        while True:
            found = self._words_after(sysid, since)
            left = deadline - loop.time()
            if found is not None or left <= 0:
                return found
            # Cleared and awaited without yielding in between: a text delivered later always wakes us.
            event.clear()
            try:
                await asyncio.wait_for(event.wait(), left)
            except TimeoutError:
                return self._words_after(sysid, since)

    def attitude(self, sysid: int) -> tuple[float, float] | None:
        """(roll, pitch) in degrees from the drone's latest ATTITUDE, None until one arrived (any thread).

        Read on demand for the one drone a head-up display shows, instead of a subscription per
        drone: attitude comes at 10 Hz and would double the callbacks the fleet has to carry.
        """
        drone = self._drones.get(sysid)
        if drone is None or self._closed:
            return None
        try:
            euler = drone.telemetry.attitude_euler()
        except Exception:  # noqa: BLE001 - a plugin destroyed under us reads as "unknown"
            return None
        if not euler.timestamp_us or math.isnan(euler.roll_deg) or math.isnan(euler.pitch_deg):
            return None
        return float(euler.roll_deg), float(euler.pitch_deg)

    def attached(self) -> tuple[int, ...]:
        """System ids of the site drones heard so far."""
        return tuple(self._drones)

    # ----- command access for the task layer (core loop) -----------------------------------------

    def system(self, sysid: int) -> System | None:
        """MAVSDK's (synchronous) System of a drone, None until it has been heard."""
        drone = self._drones.get(sysid)
        return None if drone is None or self._closed else drone.system

    def async_system(self, sysid: int) -> AsyncSystem | None:
        """The asyncio System wrapper of a drone, for `mavsdk.asyncio.plugins.X(system)`."""
        drone = self._drones.get(sysid)
        if drone is None or self._closed:
            return None
        from mavsdk.asyncio import System as AsyncSystem

        return drone.plugin("system", lambda: AsyncSystem(drone.system))

    def action(self, sysid: int) -> ActionAsync | None:
        """The drone's ActionAsync plugin (one per drone, cached), None until heard."""
        system = self.async_system(sysid)
        if system is None:
            return None
        from mavsdk.asyncio.plugins.action import ActionAsync

        return self._drones[sysid].plugin("action", lambda: ActionAsync(system))

    def mission_raw(self, sysid: int) -> MissionRawAsync | None:
        """The drone's MissionRawAsync plugin (one per drone, cached), None until heard.

        Upload and download missions through this one: MAVSDK counts a mission's total per
        plugin instance, and the fleet's mission progress follows this instance.
        """
        system = self.async_system(sysid)
        if system is None:
            return None
        from mavsdk.asyncio.plugins.mission_raw import MissionRawAsync

        return self._drones[sysid].plugin("mission_raw", lambda: MissionRawAsync(system))


_logs_routed = False
_dropped_callbacks = 0
_DROPPED_COUNT = re.compile(r"\((\d+) so far\)")


def dropped_callbacks() -> int:
    """Telemetry callbacks MAVSDK has dropped in this process so far (its queue overflowed)."""
    return _dropped_callbacks


def route_mavsdk_logs() -> None:
    """Sends MAVSDK's own log lines (normally printed to stderr) to the "mavsdk" Python logger.

    Process-wide and idempotent. The callback runs on MAVSDK's threads; logging is thread-safe.
    MAVSDK reports dropped subscription callbacks as an error; for a latest-value store a
    dropped sample only means the previous value stays 0.1 s longer (commands are never
    dropped), so it is logged as a warning and counted in `dropped_callbacks()`. A drone whose
    updates are lost for good shows it in its message rate and, at worst, as a lost link.
    """
    global _logs_routed
    if _logs_routed:
        return
    _logs_routed = True
    from mavsdk.logging import LogLevel, log_subscribe

    levels = {LogLevel.DEBUG: logging.DEBUG, LogLevel.INFO: logging.INFO, LogLevel.WARN: logging.WARNING,
              LogLevel.ERROR: logging.ERROR}

    def forward(level: LogLevel, message: str, file: str | None, line: int) -> bool:
        global _dropped_callbacks
        py_level = levels.get(level, logging.INFO)
        if message.startswith(DROPPED_CALLBACKS_MESSAGE):
            found = _DROPPED_COUNT.search(message)
            _dropped_callbacks = int(found.group(1)) if found else _dropped_callbacks + 1
            py_level = logging.WARNING
        mavsdk_log.log(py_level, "%s", message)
        return True  # handled: MAVSDK prints nothing itself

    log_subscribe(forward)
