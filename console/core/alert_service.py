"""The alert desk's core: ingest, journal, workflow, incidents, SLA and automation. Qt-free.

Runs on the core loop. Subscribes (QoS 1) to the city's alerts `{root}/alerts/v1/#`, to the
other consoles' retained workflow states `{root}/console/v1/alerts/+` and to integrators'
dispatch requests `{root}/console/v1/requests/dispatch` (docs/architecture.md, "Alerts").

Ingest is validate -> journal -> event, in batches (docs/architecture.md, "No alert is lost"):
the MQTT link hands over every message already queued inside `batch()`, one journal
transaction. What the batch announces (events to the GUI, automatic dispatches) waits in an
outbox and is released only once the transaction has committed; if the commit (or any write)
fails, the error propagates so the link does not acknowledge the batch, the outbox is dropped
and the in-memory views are reloaded from the journal, so the broker's redelivery is journaled
and announced exactly once. A payload that cannot be used is quarantined with its reason.
Redelivery of a journaled id is a no-op; `cleared` closes the source side.

Workflow actions are journaled, then published retained on `{root}/console/v1/alerts/{id}`;
a state that could not be published (broker down) is retried until it goes out. Another
console's state is applied when it is newer (by `ts`, then console id).

Automation (site `[[automation.rules]]`) and dispatch requests call the injected
`dispatch(record, by, choice) -> task_id`, where `choice` is the dock (or the whole plan) the
requester saw; its refusal (any exception, with `.reason` when it has one) is journaled and
announced, and the alert then waits for an operator.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from console.core.alert_contract import Alert, Quarantined, validate
from console.core.alert_events import (AlertEvent, AlertQuarantined, AlertReceived, AlertUpdated, IncidentChanged,
                                       RemoteState, WorkflowRefused, parse_state, refused_transition, state_payload,
                                       unknown_alert)
from console.core.alert_incidents import (DEFAULT_SHIFT_HOURS, CorrelationPolicy, Correlator, Incident, SlaSummary,
                                          shift_start, sla_summary)
from console.core.alert_store import AlertRecord, AlertStore, QuarantineRecord
from drones.audit import AuditLog
from drones.basemap import Basemap
from drones.journal_db import storage_errors
from drones.mqtt_port import LINK_ERRORS, MqttMessage, MqttPort, json_object, payload_bytes
from drones.site import Site
from vocab import ALERT_TRANSITIONS, AlertState, Reason
from vocab.states import DISPATCHABLE_ALERT_STATES

if TYPE_CHECKING:
    from console.core.five_automatics import DispatchPlan

log = logging.getLogger(__name__)

#: What a dispatch request names: the plan the operator confirmed, a dock an integrator asked for, or
#: None (the best dock of the moment).
DispatchChoice = "DispatchPlan | str | None"
#: dispatch(record, by, choice) -> task id; `by` is the operator, AUTOMATION_BY or "request:{requested_by}".
DispatchFn = Callable[[AlertRecord, str, "DispatchPlan | str | None"], Awaitable[str]]
#: Seconds between retries of workflow states the broker has not taken yet.
REPUBLISH_INTERVAL_S = 2.0
#: Alerts kept in memory (and shown) after they are closed; open ones are kept whatever their age.
HISTORY_S = 24 * 3600.0
QUARANTINE_SHOWN = 1000
AUTOMATION_BY = "automation"


class AlertService:
    """One console's alert desk. Handlers and workflow methods run on the core loop; the snapshot
    accessors (`alerts()`, `quarantine()`, `incidents()`, `sla()`) may be called from any thread."""

    def __init__(self, site: Site, mqtt: MqttPort, *, console_id: str, journal_file: Path | str,
                 on_event: Callable[[AlertEvent], None], dispatch: DispatchFn | None = None,
                 correlation: CorrelationPolicy | None = None, basemap: Basemap | None = None,
                 shift_hours: tuple[int, ...] = DEFAULT_SHIFT_HOURS, clock: Callable[[], float] = time.time,
                 audit: AuditLog | None = None) -> None:
        """`audit`: the site's audit trail, which the alert journal's state changes and actions go to."""
        self.site = site
        self.mqtt = mqtt
        self.console_id = console_id
        self.root = site.topic_root
        self.dispatch = dispatch   # set by the console once the task side exists (may stay None: no automation)
        #: A supervisor can switch the site's automation rules off (and on again) for a while, e.g. while a
        #: flood of false alarms comes in; integrators' explicit requests still run.
        self.automation_on = True
        self.basemap = basemap
        self.shift_hours = shift_hours
        self._on_event = on_event
        self._clock = clock
        self.store = AlertStore(journal_file, audit)
        self.correlator = Correlator(correlation or CorrelationPolicy())
        self._lock = threading.Lock()   # guards the in-memory views read by the GUI thread
        self._records: dict[str, AlertRecord] = {}   # views of the journal, replaced whole by _load_from_journal
        self._quarantine: deque[QuarantineRecord] = deque(maxlen=QUARANTINE_SHOWN)
        self._pending_remote: set[str] = set()
        self._outbox: list[Callable[[], None]] | None = None   # what a batch announces, held until its commit
        self._dispatching: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._republisher: asyncio.Task[None] | None = None
        self._load_from_journal()
        # Subscribed at construction, so they are part of the link's first connection (persistent session).
        if hasattr(mqtt, "add_batch_scope"):
            mqtt.add_batch_scope(self.batch)  # one journal commit per batch of incoming messages
        mqtt.subscribe(f"{self.root}/alerts/v1/#", self._on_alert, qos=1)
        mqtt.subscribe(f"{self.root}/console/v1/alerts/+", self._on_state, qos=1)
        mqtt.subscribe(f"{self.root}/console/v1/requests/dispatch", self._on_request, qos=1)

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Starts retrying unpublished workflow states (call on the core loop)."""
        self._republisher = asyncio.get_running_loop().create_task(self._republish_loop(), name="alert-republish")

    async def close(self) -> None:
        tasks = [*self._tasks, *([self._republisher] if self._republisher else [])]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.store.close()

    # ---------------------------------------------------------------- snapshots (any thread)

    def alerts(self) -> tuple[AlertRecord, ...]:
        with self._lock:
            return tuple(self._records.values())

    def alert(self, alert_id: str) -> AlertRecord | None:
        with self._lock:
            return self._records.get(alert_id)

    def quarantine(self) -> tuple[QuarantineRecord, ...]:
        with self._lock:
            return tuple(self._quarantine)

    def incidents(self) -> tuple[Incident, ...]:
        with self._lock:
            return tuple(self.correlator.incidents())

    def sla(self, now: float | None = None) -> SlaSummary:
        """SLA figures of the shift running at `now` (default: this moment)."""
        start = shift_start(now if now is not None else self._clock(), self.shift_hours)
        return sla_summary(self.alerts(), start)

    # ---------------------------------------------------------------- batches and their outbox

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One batch of incoming messages: one journal transaction, with what it announces released after it.

        Runs on the core loop around handlers that never await, so no other coroutine can see or
        write half a batch. On any error the transaction rolls back, the outbox is dropped, the
        in-memory views are rebuilt from the journal, and the error goes on to the MQTT link
        (which then does not acknowledge the batch: the broker delivers it again).
        """
        if self._outbox is not None:
            yield
            return
        self._outbox = []
        try:
            with self.store.batch():
                yield
        except BaseException:
            dropped, self._outbox = len(self._outbox), None
            self._load_from_journal()
            log.warning("a batch of incoming alerts was rolled back; %d announcements withheld", dropped)
            raise
        released, self._outbox = self._outbox, None
        for release in released:
            release()

    def _after_commit(self, action: Callable[[], None]) -> None:
        """Runs `action` once what was written so far is committed (now, outside a batch)."""
        if self._outbox is not None:
            self._outbox.append(action)
        else:
            action()

    def _emit(self, event: AlertEvent) -> None:
        self._after_commit(lambda: self._deliver(event))

    def _deliver(self, event: AlertEvent) -> None:
        try:
            self._on_event(event)
        except Exception:  # noqa: BLE001 - a broken listener must not lose an alert
            log.exception("alert event listener failed on %r", type(event).__name__)

    def _load_from_journal(self) -> None:
        """The in-memory views, as the journal has them (at start, and after a batch was rolled back)."""
        records: dict[str, AlertRecord] = {}
        correlator = Correlator(self.correlator.policy)
        for record in self.store.load(self._clock() - HISTORY_S):
            records[record.id] = record
            correlator.restore(record, record.incident_id or f"INC-{record.id}", locked=record.incident_locked)
        quarantine = self.store.quarantine(QUARANTINE_SHOWN)
        with self._lock:
            self._records = records
            self.correlator = correlator
            self._quarantine = deque(quarantine, maxlen=QUARANTINE_SHOWN)
        self._pending_remote = self.store.remote_state_ids()

    # ---------------------------------------------------------------- ingest

    def _put(self, record: AlertRecord) -> None:
        with self._lock:
            self._records[record.id] = record
            incident_id = self.correlator.update(record)
            incident = self.correlator.incident(incident_id) if incident_id else None
        if incident is not None and incident_id is not None:
            self._emit(IncidentChanged(incident_id, incident))

    def _on_alert(self, message: MqttMessage) -> None:
        """Handler of `{root}/alerts/v1/#` (core loop, inside `batch()`).

        Raises when the journal cannot keep the outcome (the batch is then not acknowledged). Any
        other failure is a bug in handling this one payload: it goes to the quarantine with the
        error, so it is neither lost nor delivered again for ever.
        """
        topic, raw = str(message.topic), payload_bytes(message)
        try:
            self.ingest(topic, raw)
        except storage_errors():   # the journal cannot keep it: the batch is not acknowledged
            raise
        except Exception as exc:  # noqa: BLE001 - see above: kept in the quarantine, the batch goes on
            log.exception("alert on %s could not be handled; quarantined", topic)
            data = raw or b""
            self._quarantined(Quarantined(topic, Reason.of("contract.internal", error=f"{type(exc).__name__}: {exc}"),
                                          data[:65536], len(data), self._clock()))

    def ingest(self, topic: str, payload: bytes | None) -> str:
        """Validates and journals one message: "new", "duplicate", "cleared" or "quarantined"."""
        now = self._clock()
        result = validate(topic, payload, now)
        if isinstance(result, Quarantined):
            self._quarantined(result)
            return "quarantined"
        known = self._records.get(result.id)
        if known is None and self._new_alert(result, now):
            return "new"
        known = known or self.store.record(result.id)   # journaled long ago, no longer kept in memory
        if known is None:
            return "duplicate"
        if result.status == "cleared" and not known.source_cleared and self.store.mark_cleared(result.id, now):
            record = replace(known, cleared_ts=now)
            self._put(record)
            self._emit(AlertUpdated(record, "cleared"))
            return "cleared"
        return "duplicate"

    def _quarantined(self, item: Quarantined) -> None:
        record = QuarantineRecord(self.store.add_quarantine(item), item)
        with self._lock:
            self._quarantine.append(record)   # a rolled-back batch reloads this from the journal
        log.info("quarantined a payload on %s: %s", item.topic, item.reason.en)
        self._emit(AlertQuarantined(record))

    def _new_alert(self, alert: Alert, now: float) -> bool:
        """Journals and announces an alert not in memory; False when the journal already has it."""
        cleared = now if alert.status == "cleared" else None
        incident_id = self.correlator.incident_for(AlertRecord(alert, now, state_ts=now, cleared_ts=cleared))
        if not self.store.add_alert(alert, now, incident_id=incident_id):
            return False
        record = AlertRecord(alert, now, state_ts=now, cleared_ts=cleared, incident_id=incident_id)
        with self._lock:
            self._records[alert.id] = record
            self.correlator.restore(record, incident_id)
            incident = self.correlator.incident(incident_id)
        self._emit(AlertReceived(record))
        if incident is not None:
            self._emit(IncidentChanged(incident_id, incident))
        if alert.id in self._pending_remote:
            self._pending_remote.discard(alert.id)
            body = self.store.take_remote_state(alert.id)
            state = parse_state(alert.id, body) if body else None
            if isinstance(state, RemoteState):
                self._apply_remote(record, state)
        self._maybe_automate(self._records[alert.id])
        return True

    # ---------------------------------------------------------------- workflow (core loop)

    def _require(self, alert_id: str) -> AlertRecord:
        record = self._records.get(alert_id)
        if record is None:
            record = self.store.record(alert_id)
            if record is None:
                raise unknown_alert(alert_id)
            self._put(record)
        return record

    async def _transition(self, alert_id: str, to: AlertState, *, by: str, reason: Reason | None = None,
                          task_id: str | None = None, reopen: bool = False) -> AlertRecord:
        record = self._require(alert_id)
        if record.state == to and (task_id is None or task_id == record.task_id):
            return record   # already there: a second click, or the other console was quicker
        if not (reopen and record.closed) and to not in ALERT_TRANSITIONS[record.state]:
            raise refused_transition(alert_id, record.state, to)
        # Strictly newer than what we last saw, so this console's act wins over the state it answers.
        ts = max(self._clock(), record.state_ts + 0.001)
        self.store.transition(alert_id, record.state, to, by=by, console=self.console_id, ts=ts, origin="local",
                              reason=reason, task_id=task_id, published=False)
        fresh = self.store.record(alert_id)
        assert fresh is not None
        self._put(fresh)
        self._emit(AlertUpdated(fresh, "state", reason))
        return await self._publish_state(fresh)

    async def _publish_state(self, record: AlertRecord) -> AlertRecord:
        try:
            await self.mqtt.publish(f"{self.root}/console/v1/alerts/{record.id}", state_payload(record), qos=1,
                                    retain=True)
        except LINK_ERRORS as exc:
            log.info("state of alert %s not published yet (%s); will retry", record.id, exc)
            return record
        self.store.set_published(record.id, record.state_ts)
        current = self._records.get(record.id)
        if current is not None and current.state_ts == record.state_ts:
            record = replace(current, published=True)
            with self._lock:
                self._records[record.id] = record
        return record

    async def acknowledge(self, alert_id: str, *, by: str) -> AlertRecord:
        return await self._transition(alert_id, AlertState.ACKNOWLEDGED, by=by)

    async def mark_dispatched(self, alert_id: str, task_id: str, *, by: str) -> AlertRecord:
        return await self._transition(alert_id, AlertState.DISPATCHED, by=by, task_id=task_id)

    async def mark_on_scene(self, alert_id: str, *, by: str) -> AlertRecord:
        return await self._transition(alert_id, AlertState.ON_SCENE, by=by)

    async def resolve(self, alert_id: str, *, by: str) -> AlertRecord:
        return await self._transition(alert_id, AlertState.RESOLVED, by=by)

    async def dismiss(self, alert_id: str, reason: Reason, *, by: str) -> AlertRecord:
        return await self._transition(alert_id, AlertState.DISMISSED, by=by, reason=reason)

    async def reopen(self, alert_id: str, *, by: str) -> AlertRecord:
        """A closed alert back to acknowledged (someone is on it again)."""
        if not self._require(alert_id).closed:
            raise WorkflowRefused(Reason.of("alert.not_closed", alert_id=alert_id))
        return await self._transition(alert_id, AlertState.ACKNOWLEDGED, by=by, reopen=True)

    async def assign(self, alert_id: str, operator: str | None, *, by: str) -> AlertRecord:
        record = self._require(alert_id)
        if record.assigned_to == operator:
            return record
        ts = max(self._clock(), record.state_ts + 0.001)
        self.store.assign(alert_id, operator, by=by, ts=ts)
        # Assignment travels with the state message, re-stamped so other consoles take it.
        self.store.transition(alert_id, record.state, record.state, by=by, console=self.console_id, ts=ts,
                              origin="local", reason=record.reason, published=False)
        fresh = self.store.record(alert_id)
        assert fresh is not None
        self._put(fresh)
        self._emit(AlertUpdated(fresh, "assigned"))
        return await self._publish_state(fresh)

    async def add_note(self, alert_id: str, text: str, *, by: str) -> AlertRecord:
        record = self._require(alert_id)
        note = self.store.add_note(alert_id, text, by=by, ts=self._clock())
        record = replace(record, notes=record.notes + (note,))
        self._put(record)
        self._emit(AlertUpdated(record, "note"))
        return record

    async def split(self, alert_id: str, *, by: str) -> str:
        """Takes an alert out of its incident into one of its own; returns the new incident's id."""
        record = self._require(alert_id)
        with self._lock:
            moved = self.correlator.split(record)
        if moved is None:
            raise unknown_alert(alert_id)
        old_id, new_id = moved
        self.store.set_incident(alert_id, new_id, locked=True)
        self.store.action(alert_id, "split", by=by, result="ok", ts=self._clock(), detail=f"{old_id} -> {new_id}")
        record = replace(record, incident_id=new_id, incident_locked=True)
        with self._lock:
            self._records[alert_id] = record
            self.correlator.update(record)
            old, new = self.correlator.incident(old_id), self.correlator.incident(new_id)
        self._emit(IncidentChanged(old_id, old))
        self._emit(IncidentChanged(new_id, new))
        self._emit(AlertUpdated(record, "incident"))
        return new_id

    # ---------------------------------------------------------------- other consoles

    def _on_state(self, message: MqttMessage) -> None:
        """Handler of `{root}/console/v1/alerts/+` (core loop): another console's (or our own) state."""
        topic = str(message.topic)
        raw = payload_bytes(message)
        if not raw:
            return  # a retained state cleared by an administrator
        body, problem = json_object(raw)
        alert_id = topic.rsplit("/", 1)[-1]
        state = parse_state(alert_id, body) if body is not None else Reason.of("message.not_json",
                                                                                problem=problem or "?")
        if isinstance(state, Reason):
            self._quarantined(Quarantined(topic, state, raw[:65536], len(raw), self._clock(), alert_id))
            return
        if state.console == self.console_id:
            return  # our own state coming back (and, after a restart, the retained copy of it)
        record = self._records.get(alert_id) or self.store.record(alert_id)
        if record is None:
            self.store.put_remote_state(alert_id, body or {})
            self._pending_remote.add(alert_id)
            return
        self._apply_remote(record, state)

    def _apply_remote(self, record: AlertRecord, state: RemoteState) -> None:
        # A record still "new" has had no workflow yet: its state_ts is only our time of receipt.
        mine = (record.state_ts, record.state_console or "") if record.state_by is not None else (float("-inf"), "")
        if (state.ts, state.console) <= mine:
            return
        if state.assigned_to != record.assigned_to:
            self.store.assign(record.id, state.assigned_to, by=state.by, ts=state.ts)
        self.store.transition(record.id, record.state, state.state, by=state.by, console=state.console, ts=state.ts,
                              origin="remote", reason=state.reason, task_id=state.task_id, published=True)
        fresh = self.store.record(record.id)
        assert fresh is not None
        self._put(fresh)
        self._emit(AlertUpdated(fresh, "remote_state"))

    # ---------------------------------------------------------------- automation and requests

    def _automation_rule_matches(self, record: AlertRecord) -> bool:
        alert = record.alert
        district = alert.district
        if self.basemap is not None and district is None:
            district = self.basemap.district_of(alert.lat, alert.lon)
        return any(rule.matches(alert.category, alert.level, district) for rule in self.site.automation)

    def _maybe_automate(self, record: AlertRecord) -> None:
        if (record.state != AlertState.NEW or record.source_cleared or self.dispatch is None
                or not self.automation_on or not self._automation_rule_matches(record)):
            return
        self.store.action(record.id, "automation", by=AUTOMATION_BY, result="matched", ts=self._clock())
        self._after_commit(lambda: self._spawn(self._dispatch(record.id, by=AUTOMATION_BY, choice=None)))

    def _on_request(self, message: MqttMessage) -> None:
        """Handler of `{root}/console/v1/requests/dispatch`: `{"alert_id", "requested_by"}`, optionally
        `"dock_id"` (that dock flies or the request is refused, never another)."""
        topic, raw = str(message.topic), payload_bytes(message) or b""
        body, problem = json_object(raw)
        alert_id = body.get("alert_id") if body else None
        requested_by = body.get("requested_by") if body else None
        dock_id = body.get("dock_id") if body else None
        reason = None
        if not isinstance(alert_id, str) or not alert_id or not isinstance(requested_by, str):
            reason = (Reason.of("message.not_json", problem=problem) if problem is not None
                      else Reason.of("request.bad"))
        elif dock_id is not None and (not isinstance(dock_id, str) or not dock_id):
            reason = Reason.of("request.bad_dock", value=repr(dock_id)[:40])
        if reason is not None:
            self._quarantined(Quarantined(topic, reason, raw[:65536], len(raw), self._clock()))
            return
        assert isinstance(alert_id, str) and isinstance(requested_by, str)
        self.store.action(alert_id, "dispatch_request", by=requested_by, result="received", ts=self._clock(),
                          detail=f"dock {dock_id}" if dock_id else None)
        self._after_commit(lambda: self._spawn(self._dispatch(alert_id, by=f"request:{requested_by}",
                                                              choice=dock_id)))

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def dispatch_alert(self, alert_id: str, *, by: str, choice: DispatchPlan | str | None = None
                             ) -> AlertRecord:
        """Dispatches the alert: `choice` is the plan the operator confirmed, the dock an integrator
        named, or None for the best dock now. That dock flies or WorkflowRefused says why, never another."""
        try:
            record = self._require(alert_id)
            if self.dispatch is None:
                raise WorkflowRefused(Reason.of("alert.no_dispatch"))
            if record.state not in DISPATCHABLE_ALERT_STATES:
                raise refused_transition(alert_id, record.state, AlertState.DISPATCHED)
            if alert_id in self._dispatching:
                raise WorkflowRefused(Reason.of("alert.dispatching", alert_id=alert_id))
        except WorkflowRefused as exc:
            self.store.action(alert_id, "dispatch", by=by, result="refused", ts=self._clock(), detail=exc.reason.en)
            raise
        self._dispatching.add(alert_id)
        try:
            task_id = await self.dispatch(record, by, choice)
        except Exception as exc:  # noqa: BLE001 - every refusal is shown as it comes from the fleet layer
            reason = getattr(exc, "reason", None)
            if not isinstance(reason, Reason):
                log.error("dispatch of %s failed: %r", alert_id, exc)
                reason = Reason.of("alert.dispatch_failed", error=str(exc) or type(exc).__name__)
            self.store.action(alert_id, "dispatch", by=by, result="refused", ts=self._clock(), detail=reason.en)
            self._emit(AlertUpdated(self._records.get(alert_id, record), "dispatch_refused", reason))
            raise WorkflowRefused(reason) from exc
        finally:
            self._dispatching.discard(alert_id)
        self.store.action(alert_id, "dispatch", by=by, result="ok", ts=self._clock(), detail=task_id)
        return await self.mark_dispatched(alert_id, task_id, by=by)

    async def _dispatch(self, alert_id: str, *, by: str, choice: str | None) -> None:
        """Automatic or requested dispatch: like the operator's click; a refusal is journaled by `dispatch_alert`."""
        try:
            await self.dispatch_alert(alert_id, by=by, choice=choice)
        except WorkflowRefused as exc:
            log.info("no automatic dispatch for %s (%s): %s", alert_id, by, exc.reason.en)

    # ---------------------------------------------------------------- background

    async def _republish_loop(self) -> None:
        while True:
            await asyncio.sleep(REPUBLISH_INTERVAL_S)  # retry period, not synchronisation
            for alert_id in self.store.unpublished():
                record = self._records.get(alert_id) or self.store.record(alert_id)
                if record is not None and not (await self._publish_state(record)).published:
                    break  # link still down; try again next round
            self._forget_old()

    def _forget_old(self) -> None:
        horizon = self._clock() - HISTORY_S
        with self._lock:
            old = [k for k, r in self._records.items() if r.closed and r.received_ts < horizon]
            for k in old:
                del self._records[k]
                self.correlator.forget(k)
