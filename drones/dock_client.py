"""The console's side of the site's docks over MQTT: their state, whether they are online, and commands.

Docks speak the DJI Cloud API conventions of docs/architecture.md, "Docks": state on
`thing/product/{sn}/osd` (about 1 Hz), online/offline retained on `sys/product/{sn}/status`
(the broker publishes a dock's last will when it vanishes), commands on `.../services` answered
on `.../services_reply` with the request's `tid` echoed and `data: {result, reason, reason_zh}`.

A dock is online while its status does not say offline and its last usable osd is at most
DOCK_SILENT_S old; an offline dock is not usable for planning and gets no commands. A
malformed message is logged with the dock's serial number and dropped; it never reaches the
MQTT loop as an exception.

Everything runs on the loop of the MQTT connection (the core loop): the message handlers,
the silence timer (`run()`), `command()` and the `on_event` callback. `state()` and
`usable_for_planning()` read frozen snapshots and may be called from any thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from drones.authority import CommandAuthority
from drones.dock_events import DockEvent, DockOffline, DockOnline, DockStateChanged, OfflineReason
from drones.dock_osd import parse_osd
from drones.model import CommandRefused, DockState
from vocab import Reason
from drones.mqtt_port import LINK_ERRORS, MqttMessage, MqttPort, json_bytes, json_object, payload_bytes
from drones.site import Dock

log = logging.getLogger(__name__)

#: A dock that sends no usable osd for this long is offline (it reports about once a second).
DOCK_SILENT_S = 5.0
#: How often the silence timer looks (at most; shorter when silent_s is short).
SILENCE_CHECK_PERIOD_S = 0.5
#: Default wait for a services_reply; quick commands answer at once.
COMMAND_TIMEOUT_S = 10.0
#: A dock answers cover_open/close when the cover has finished moving, about 20 s.
COVER_TIMEOUT_S = 45.0
#: A dock answers charge_open/close when the charger has switched, a few seconds.
CHARGE_TIMEOUT_S = 15.0
#: The same problem from the same dock is logged again at most this often (osd comes every second).
WARNING_REPEAT_S = 60.0

OSD_FILTER = "thing/product/+/osd"
STATUS_FILTER = "sys/product/+/status"
REPLY_FILTER = "thing/product/+/services_reply"

#: DockState fields whose change is announced with DockStateChanged.
EVENT_FIELDS = ("mode_code", "cover", "drone_in_dock", "charging", "rainfall")


class DockCommandRefused(CommandRefused):
    """A dock command that did not succeed.

    `result` is the dock's own non-zero result code when the dock refused or failed; None when
    the console gave up: dock offline, MQTT link down, no answer in time, unusable answer.
    """

    def __init__(self, reason: Reason, *, command: str, dock_id: str, result: int | None = None) -> None:
        super().__init__(reason, command=command)
        self.dock_id = dock_id
        self.result = result


@dataclass(slots=True)
class _Pending:
    """A command waiting for its services_reply."""

    dock_id: str
    method: str
    future: asyncio.Future[dict[str, Any]]


class DockClient:
    """Keeps a DockState per dock of the site and sends them commands with correlation and timeout.

    `on_event(event)` receives DockOnline / DockOffline / DockStateChanged, on changes only.
    With `authority`, commands are refused unless this console holds authority on the dock.
    Call `run()` as a task on the same loop: it is the timer that notices silent docks.
    """

    def __init__(self, docks: Sequence[Dock], mqtt: MqttPort, *, on_event: Callable[[DockEvent], None],
                 authority: CommandAuthority | None = None, silent_s: float = DOCK_SILENT_S) -> None:
        self._mqtt = mqtt
        self._on_event = on_event
        self._authority = authority
        self._silent_s = silent_s
        self._docks = {d.id: d for d in docks}
        self._id_by_sn = {d.dock_sn: d.id for d in docks}
        self._states = {d.id: DockState(dock_id=d.id, dock_sn=d.dock_sn) for d in docks}
        self._status_online: dict[str, bool | None] = dict.fromkeys(self._docks)
        self._last_osd: dict[str, float | None] = dict.fromkeys(self._docks)
        self._offline_reason: dict[str, OfflineReason | None] = dict.fromkeys(self._docks, OfflineReason.SILENT)
        self._pending: dict[str, _Pending] = {}
        self._warned: dict[tuple[str, str], float] = {}
        mqtt.subscribe(OSD_FILTER, self._on_osd, qos=0)
        mqtt.subscribe(STATUS_FILTER, self._on_status, qos=1)
        mqtt.subscribe(REPLY_FILTER, self._on_reply, qos=1)

    # -- reading ------------------------------------------------------------------------------
    def state(self, dock_id: str) -> DockState:
        """The latest snapshot of one dock (KeyError for a dock not on the site)."""
        return self._states[dock_id]

    def states(self) -> dict[str, DockState]:
        """A copy of every dock's latest snapshot, by dock id."""
        return dict(self._states)

    @property
    def online_count(self) -> int:
        return sum(s.online for s in self._states.values())

    def offline_reason(self, dock_id: str) -> OfflineReason | None:
        """Why the dock is offline now (None while it is online)."""
        return self._offline_reason[dock_id]

    def usable_for_planning(self, dock_id: str) -> bool:
        """Whether planning may consider the dock at all: it is online (weather and cover are safety checks)."""
        return self._states[dock_id].online

    # -- the silence timer ----------------------------------------------------------------------
    async def run(self) -> None:
        """Marks docks that stopped reporting offline; runs on the core loop until cancelled."""
        period_s = min(SILENCE_CHECK_PERIOD_S, self._silent_s / 4)
        while True:
            self._check_silence(time.monotonic())
            await asyncio.sleep(period_s)  # the timer's period

    def _check_silence(self, now: float) -> None:
        for dock_id, state in self._states.items():
            if state.online:
                self._commit(dock_id, state, state, now)

    # -- commands -----------------------------------------------------------------------------
    async def command(self, dock_id: str, method: str, data: Mapping[str, Any] | None = None, *,
                      timeout_s: float = COMMAND_TIMEOUT_S) -> dict[str, Any]:
        """Sends `method` to the dock and returns the `data` of its successful reply.

        Raises DockCommandRefused (a CommandRefused) with the dock's own reason when it answers
        with a non-zero result, and with the console's reason when this console lacks authority,
        the dock is offline, the MQTT link is down, the dock goes offline while acting, or no
        answer comes within `timeout_s`. KeyError for a dock not on the site.
        """
        dock = self._docks[dock_id]
        if self._authority is not None:
            self._authority.require(dock_id, method)
        self._commit(dock_id, self._states[dock_id], self._states[dock_id], time.monotonic())
        if not self._states[dock_id].online:
            raise DockCommandRefused(Reason.of("dock.offline_not_sent", dock=dock_id),
                                     command=method, dock_id=dock_id)
        tid, bid = str(uuid.uuid4()), str(uuid.uuid4())
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[tid] = _Pending(dock_id, method, future)
        body = {"tid": tid, "bid": bid, "timestamp": int(time.time() * 1000), "method": method, "data": dict(data or {})}
        try:
            try:
                await self._mqtt.publish(f"thing/product/{dock.dock_sn}/services", json_bytes(body), qos=1)
            except LINK_ERRORS as exc:
                raise DockCommandRefused(Reason.of("dock.mqtt_down"),
                                         command=method, dock_id=dock_id) from exc
            log.info("dock %s (%s): %s sent, tid %s", dock_id, dock.dock_sn, method, tid)
            try:
                async with asyncio.timeout(timeout_s):
                    return await future
            except TimeoutError:
                raise DockCommandRefused(Reason.of("dock.no_answer", timeout_s=timeout_s),
                                         command=method, dock_id=dock_id) from None
        finally:
            self._pending.pop(tid, None)
            if future.done() and not future.cancelled():
                future.exception()  # retrieved, even when our caller was cancelled meanwhile

    async def open_cover(self, dock_id: str, *, timeout_s: float = COVER_TIMEOUT_S) -> dict[str, Any]:
        return await self.command(dock_id, "cover_open", timeout_s=timeout_s)

    async def close_cover(self, dock_id: str, *, timeout_s: float = COVER_TIMEOUT_S) -> dict[str, Any]:
        return await self.command(dock_id, "cover_close", timeout_s=timeout_s)

    async def start_charging(self, dock_id: str, *, timeout_s: float = CHARGE_TIMEOUT_S) -> dict[str, Any]:
        return await self.command(dock_id, "charge_open", timeout_s=timeout_s)

    async def stop_charging(self, dock_id: str, *, timeout_s: float = CHARGE_TIMEOUT_S) -> dict[str, Any]:
        return await self.command(dock_id, "charge_close", timeout_s=timeout_s)

    # -- MQTT handlers (connection's loop; never raise) ------------------------------------------
    def _dock_of(self, message: MqttMessage) -> tuple[str, str] | None:
        parts = str(message.topic).split("/")
        if len(parts) != 4:
            return None
        dock_id = self._id_by_sn.get(parts[2])
        return None if dock_id is None else (dock_id, parts[2])  # None: a dock of another site

    def _on_osd(self, message: MqttMessage) -> None:
        found = self._dock_of(message)
        if found is None:
            return
        dock_id, sn = found
        payload = payload_bytes(message)
        updates, problems = parse_osd(payload)
        if problems:
            self._warn(sn, "osd", "; ".join(problems), payload)
        if updates is None:
            return
        now = time.monotonic()
        self._last_osd[dock_id] = now
        previous = self._states[dock_id]
        if "charging" in updates and updates["charging"] != previous.charging:
            # When the charger switched: a charge trend is fitted only over what it did since
            # (the drain of the flight before landing is not part of it).
            updates["charging_since"] = now
        self._commit(dock_id, previous, replace(previous, **updates, updated_at=now), now)

    def _on_status(self, message: MqttMessage) -> None:
        found = self._dock_of(message)
        if found is None:
            return
        dock_id, sn = found
        payload = payload_bytes(message)
        body, problem = json_object(payload)
        online = body.get("online") if body is not None else None
        if not isinstance(online, bool):
            self._warn(sn, "status", problem or "online is not a boolean", payload)
            return
        self._status_online[dock_id] = online
        state = self._states[dock_id]
        self._commit(dock_id, state, state, time.monotonic())

    def _on_reply(self, message: MqttMessage) -> None:
        found = self._dock_of(message)
        if found is None:
            return
        dock_id, sn = found
        payload = payload_bytes(message)
        body, problem = json_object(payload)
        if body is None:
            self._warn(sn, "services_reply", problem or "", payload)
            return
        tid = body.get("tid")
        pending = self._pending.get(tid) if isinstance(tid, str) else None
        if pending is None:
            log.debug("dock %s: reply to a command not ours or given up (tid %r)", sn, tid)
            return
        if pending.dock_id != dock_id:
            self._warn(sn, "services_reply", f"tid {tid} belongs to a command for dock {pending.dock_id}", payload)
            return
        if pending.future.done():
            return
        data = body.get("data")
        result = data.get("result") if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(result, int) or isinstance(result, bool):
            self._warn(sn, "services_reply", "no integer data.result", payload)
            pending.future.set_exception(DockCommandRefused(
                Reason.of("dock.unreadable_answer"), command=pending.method, dock_id=dock_id))
            return
        if result == 0:
            pending.future.set_result(data)
            return
        zh, en = (t if isinstance(t, str) and t.strip() else None for t in (data.get("reason_zh"), data.get("reason")))
        # The dock's own words when it gives them (in the languages it gives), else its result code.
        reason = (Reason.of("dock.refused_said", said=Reason.data(zh=zh or en or "", en=en or zh or ""))
                  if zh or en else Reason.of("dock.refused", result=result))
        log.info("dock %s: %s refused with %d: %s", sn, pending.method, result, reason.en)
        pending.future.set_exception(DockCommandRefused(reason, command=pending.method, dock_id=dock_id, result=result))

    # -- state bookkeeping -----------------------------------------------------------------------
    def _commit(self, dock_id: str, previous: DockState, state: DockState, now: float) -> None:
        """Stores the dock's new snapshot with its online flag worked out, and announces what changed."""
        last_osd = self._last_osd[dock_id]
        if self._status_online[dock_id] is False:
            reason: OfflineReason | None = OfflineReason.STATUS
        elif last_osd is None or now - last_osd > self._silent_s:
            reason = OfflineReason.SILENT
        else:
            reason = None
        online = reason is None
        if state.online != online:
            state = replace(state, online=online)
        self._states[dock_id] = state
        self._offline_reason[dock_id] = reason
        if online != previous.online:
            if reason is None:
                log.info("dock %s online", dock_id)
                self._emit(DockOnline(dock_id, state))
            else:
                log.warning("dock %s offline: %s", dock_id, reason.text.en)
                self._fail_pending(dock_id)
                self._emit(DockOffline(dock_id, reason, state))
        changed = frozenset(f for f in EVENT_FIELDS if getattr(previous, f) != getattr(state, f))
        if changed:
            self._emit(DockStateChanged(dock_id, state, previous, changed))

    def _fail_pending(self, dock_id: str) -> None:
        for pending in self._pending.values():
            if pending.dock_id == dock_id and not pending.future.done():
                pending.future.set_exception(DockCommandRefused(
                    Reason.of("dock.offline_during"),
                    command=pending.method, dock_id=dock_id))

    def _emit(self, event: DockEvent) -> None:
        try:
            self._on_event(event)
        except Exception:  # noqa: BLE001 - a broken listener must not break the MQTT loop
            log.exception("dock event listener failed on %r", event)

    def _warn(self, sn: str, what: str, problem: str, payload: bytes | None) -> None:
        now = time.monotonic()
        key = (sn, f"{what}: {problem}")
        last = self._warned.get(key)
        if last is not None and now - last < WARNING_REPEAT_S:
            return
        if len(self._warned) > 1000:
            self._warned.clear()
        self._warned[key] = now
        log.warning("dock %s: unusable %s (%s): %.200r", sn, what, problem, payload)
