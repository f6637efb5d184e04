"""What the active site server tells every console: fleet frames at TICK_HZ, alert records, the recent
quarantine (docs/architecture.md, "Site server"; the layout is console/core/server_contract.py).

Runs on the core loop of the server. Each tick reads the fleet's telemetry store, the dock states and the open
tasks (all safe to read from the loop) and publishes one frame for the whole fleet: the numbers of every drone,
plus what changed since the last tick among the rest (flight mode, link, status texts, docks, tasks, locks).
Every FULL_EVERY-th frame carries everything and is also kept retained, so a console that starts gets the
whole picture at once and the next ticks keep it current; a console that missed a tick (QoS 0) is corrected
by the next full frame at the latest.
"""

from __future__ import annotations

import asyncio
import logging
import time
from itertools import islice
from typing import TYPE_CHECKING, Any

import aiomqtt
import numpy as np

from console.core.alert_events import AlertQuarantined, AlertReceived, AlertUpdated
from console.core.server_contract import FRAME_COLUMNS, FRAME_DTYPE, FULL_EVERY, TICK_HZ, encode_frame, swap_ages, topic
from console.core.wire import to_wire
from drones.telemetry_store import N_COLS, Col
from vocab import LinkState

if TYPE_CHECKING:
    from console.core.services import CoreServices

log = logging.getLogger(__name__)

#: Quarantined payloads on the alert desk topic, newest last, each cut to QUARANTINE_RAW_BYTES.
QUARANTINE_SENT = 200
QUARANTINE_RAW_BYTES = 2048
#: The quarantine is sent at most this often.
DESK_PERIOD_S = 1.0
#: Alert records published at once (each waits for the broker's acknowledgement). More makes a burst reach the
#: consoles sooner but in lumps their GUI thread feels: 50 keeps the desk under its lag goal (bench alert_gui).
ALERTS_IN_FLIGHT = 50
#: How often records of alerts the server no longer holds are taken off the broker.
ALERT_SWEEP_S = 60.0
#: Status texts sent per drone in a full frame (the drone panel shows the last few).
TEXTS_KEPT = 20



def slot_values(services: CoreServices, sysid: int) -> dict[str, Any]:
    """A drone's non-numeric state as the frame carries it."""
    s = services.fleet.store.slots(sysid)
    return {"mode": s.flight_mode, "armed": s.armed, "landed": s.landed.value, "health": s.health_all_ok,
            "armable": s.armable, "text": s.status_text, "link": s.link.value,
            "mission": list(s.mission) if s.mission is not None else None, "lla": s.link_loss_action}


class Publisher:
    """Publishes the server's picture of the site on the site link (`services.mqtt`); `run()` until cancelled."""

    def __init__(self, services: CoreServices, server_id: str) -> None:
        self.services = services
        self.server_id = server_id
        self.root = services.site.topic_root
        self.sysids = services.fleet.store.sysids
        self.seq = 0
        self.frames = 0
        self.bytes_sent = 0
        self._slots: dict[int, dict[str, Any]] = {}
        self._texts: dict[int, float] = {}          # ts of the last status text sent, per drone
        self._docks: dict[str, Any] = {}
        self._tasks: Any = None
        self._locked: list[int] | None = None
        self._desk_dirty = True
        self._desk_sent = 0.0
        self._alerts: dict[str, Any] = {}          # records waiting to go out, by id (the newest wins; None: take back)
        self._published: set[str] = set()          # alerts whose record is retained on the broker
        self._wake = asyncio.Event()
        services.bus.subscribe(self._on_event)

    # ----- alerts (core loop: the bus delivers on the loop that published) -----------------------------

    def _on_event(self, event: object) -> None:
        if isinstance(event, (AlertReceived, AlertUpdated)):
            self._alerts[event.record.id] = event.record
            self._wake.set()
        elif isinstance(event, AlertQuarantined):
            self._desk_dirty = True

    async def publish_all_alerts(self) -> None:
        """Every alert the server holds, retained (at activation: a console may have joined meanwhile)."""
        for record in self.services.alerts.alerts():
            self._alerts[record.id] = record
        self._wake.set()

    async def run_alerts(self) -> None:
        """Sends changed alert records as they come (a burst goes out as fast as the link takes it), and takes
        back the records of alerts the alert service has forgotten (closed a day ago), so a console that joins
        gets what the server holds and no more."""
        loop = asyncio.get_running_loop()
        next_sweep = loop.time() + ALERT_SWEEP_S
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), max(0.0, next_sweep - loop.time()))
            except TimeoutError:
                pass
            self._wake.clear()
            if loop.time() >= next_sweep:
                next_sweep = loop.time() + ALERT_SWEEP_S
                held = {r.id for r in self.services.alerts.alerts()}
                for alert_id in self._published - held - set(self._alerts):
                    self._alerts[alert_id] = None
            while self._alerts:
                # A burst goes out ALERTS_IN_FLIGHT records at a time: one broker round trip per record would
                # take 10,000 alerts 12 s to reach the consoles (8 s now).
                batch = [(k, self._alerts.pop(k)) for k in list(islice(self._alerts, ALERTS_IN_FLIGHT))]
                sent = await asyncio.gather(*(self._publish_record(k, r) for k, r in batch))
                if not all(sent):
                    await self.services.mqtt.wait_connected(3600.0)

    async def _publish_record(self, alert_id: str, record: Any) -> bool:
        """One alert's record, retained (None: taken back); False, and queued again, when the link is down."""
        try:
            await self.services.mqtt.publish(topic(self.root, "alerts", alert_id),
                                             to_wire(record) if record is not None else b"", qos=1, retain=True)
        except aiomqtt.MqttError:
            self._alerts.setdefault(alert_id, record)   # sent again once the link is back
            return False
        (self._published.add if record is not None else self._published.discard)(alert_id)
        return True

    # ----- frames ------------------------------------------------------------------------------------

    async def run(self) -> None:
        period = 1.0 / TICK_HZ
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            try:
                await self.tick()
            except aiomqtt.MqttError:
                pass   # the link is down; consoles say "server lost" and the next full frame restores them
            except Exception:  # noqa: BLE001 - a bad tick must not stop the frames
                log.exception("frame %d could not be built", self.seq)
            next_at += period
            delay = next_at - loop.time()
            if delay < -period:   # fell behind (a stalled loop): start afresh rather than burst
                next_at, delay = loop.time(), 0.0
            await asyncio.sleep(max(0.0, delay))   # the tick period

    def frame(self) -> tuple[dict[str, Any], np.ndarray, bool]:
        """The next frame: (header, numbers, full?)."""
        self.seq += 1
        full = self.seq % FULL_EVERY == 1
        s = self.services
        store, fleet = s.fleet.store, s.fleet
        now = time.monotonic()
        # Whole columns at once: a record-by-record copy costs ten times as much at 254 drones.
        rows = np.array([store.row(sysid) for sysid in self.sysids]).reshape(len(self.sysids), N_COLS)
        numbers = np.zeros(len(self.sysids), dtype=FRAME_DTYPE)
        for name, col in FRAME_COLUMNS:
            numbers[name] = rows[:, col]
        numbers["updated_age"] = now - rows[:, Col.UPDATED_AT]
        numbers["heartbeat_age"] = now - rows[:, Col.HEARTBEAT_AT]
        numbers["rate_hz"] = [store.rate(sysid) for sysid in self.sysids]
        attitudes = [fleet.attitude(sysid) if store.link(sysid) is LinkState.OK else None for sysid in self.sysids]
        numbers["roll"] = [a[0] if a is not None else np.nan for a in attitudes]
        numbers["pitch"] = [a[1] if a is not None else np.nan for a in attitudes]
        slots: dict[str, Any] = {}
        texts: dict[str, Any] = {}
        for sysid in self.sysids:
            values = slot_values(s, sysid)
            if full or values != self._slots.get(sysid):
                self._slots[sysid] = values
                slots[str(sysid)] = values
            lines = fleet.status_texts(sysid)
            last = self._texts.get(sysid, 0.0)
            new = [line for line in lines if line.ts > last] if not full else list(lines[-TEXTS_KEPT:])
            if new:
                self._texts[sysid] = new[-1].ts
                texts[str(sysid)] = [[line.ts, line.severity, line.text] for line in new]
        header: dict[str, Any] = {"v": 1, "server": self.server_id, "seq": self.seq, "ts": time.time(), "full": full,
                                  "sysids": list(self.sysids), "links": list(fleet.link_counts())}
        if slots:
            header["slots"] = slots
        if texts:
            header["texts"] = texts
        docks = s.docks.states()   # frozen values: compared as they are, put on the wire only when changed
        changed = {k: swap_ages(to_wire(v), now) for k, v in docks.items() if full or self._docks.get(k) != v}
        self._docks = docks
        if changed:
            header["docks"] = changed
        tasks = s.tasks.open_tasks
        if full or tasks is not self._tasks:
            self._tasks = tasks
            header["tasks"] = swap_ages(to_wire(tasks), now)
        locked = sorted(s.tasks.manager.locked)
        if full or locked != self._locked:
            self._locked = locked
            header["locked"] = locked
        if full:
            header["task_counts"] = s.tasks.counts_by_state()
        return header, numbers, full

    async def tick(self) -> None:
        header, numbers, full = self.frame()
        data = encode_frame(header, numbers)
        mqtt = self.services.mqtt
        if not mqtt.connected:
            return
        await mqtt.publish(topic(self.root, "telemetry"), data, qos=0)
        self.frames += 1
        self.bytes_sent += len(data)
        if full:
            await mqtt.publish(topic(self.root, "state"), data, qos=1, retain=True)
        now = time.monotonic()
        if now - self._desk_sent >= DESK_PERIOD_S and (self._desk_dirty or full):
            self._desk_dirty, self._desk_sent = False, now
            await self._publish_desk()

    async def _publish_desk(self) -> None:
        alerts = self.services.alerts
        quarantine = []
        for q in list(alerts.quarantine())[-QUARANTINE_SENT:]:
            item = to_wire(q)
            raw = q.item.raw[:QUARANTINE_RAW_BYTES]
            item["item"]["raw"] = to_wire(raw)
            quarantine.append(item)
        body = {"ts": time.time(), "quarantine": quarantine,
                "quarantined": alerts.store.quarantine_count()}
        await self.services.mqtt.publish(topic(self.root, "alert_desk"), body, qos=1, retain=True)


__all__ = ["Publisher"]
