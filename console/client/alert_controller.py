"""Wires the alert desk and the dispatch panel to the alert core (GUI thread).

Alert events come from the bridge (`on_alert_event`, queued onto the GUI thread) at whatever
rate the city sends them, up to thousands a second in a burst: they only land in a pending
map (latest record per alert wins), and a 150 ms timer hands the desk one batch (never
`setData` per message). Workflow actions run on the core loop as coroutines; their outcome, or
the core's refusal reason, comes back through a queued signal. The five automatics of the
selected alert (dock ranking, planning, nearby cameras and alerts) are computed on the core loop
too and come back by signal: nothing heavy runs on the GUI thread (docs/architecture.md,
"Threads"). The plan a confirmation shows is the plan the dispatch request carries.
The map's alert markers are kept here, updated with each batch, so the map's 10 Hz scene costs
nothing per alert.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from itertools import islice
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QSplitter

from console.core.alert_events import AlertQuarantined, AlertReceived, AlertUpdated, WorkflowRefused
from console.client.alert_feed import AlertFeed
from console.core.alert_store import AlertRecord
from console.core.five_automatics import DispatchPlan, FiveAutomatics
from console.remote.site_client import RemoteServices
from console.client.situation_controller import operator_name
from vocab import Reason
from widgets.alert_desk import AlertDesk
from widgets.alert_views import AlertAction
from widgets.dispatch_panel import DispatchPanel
from widgets.situation import AlertMark, Selection, SelectionKind, SelectionModel
from widgets.texts import reason_text

log = logging.getLogger(__name__)

FLUSH_PERIOD_MS = 150     # about 7 Hz: arrivals look immediate, a burst costs one batch per period
#: GUI time one hand-over may take before it lets the event loop run (a burst of 2,000 alerts a
#: second is handed over in slices, so the screen never freezes), and the rows per slice.
FLUSH_BUDGET_MS = 15.0
FLUSH_CHUNK = 50
MARKS_PERIOD_S = 1.0      # the map's alert layer changes at most once a second in a burst
AREA_MAX_LEVEL = 2        # affected areas on the map: levels 1-2, and the selected alert
SLOW_PERIOD_MS = 1000     # SLA figures and the selected alert's five automatics (docks and drones move)
KEPT_PLANS = 20           # recent plans the panel may have shown (a confirmation names one of them)


class AlertController(QObject):
    """Owns the alert desk (`desk`) and the dispatch panel (`panel`), side by side in `widget`.
    Connect the bridge's `alert_event` to `on_alert_event`; call `stop()` before the core goes away."""

    action_done = Signal(bool, str, object)      # ok, label, Reason | None (GUI thread)
    dispatch_done = Signal(bool, str, object)
    _finished_on_core = Signal(bool, bool, str, object)   # dispatch?, ok, label, reason (from the core thread)
    automatics_ready = Signal(object, object)    # FiveAutomatics, AlertRecord (emitted on the core thread)
    camera_open_requested = Signal(str)      # camera id, for the video wall

    def __init__(self, services: RemoteServices, selection: SelectionModel, *, language: str,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.selection = selection
        self.operator = operator_name()
        self.feed = AlertFeed(services.basemap, language)
        self.desk = AlertDesk(selection)
        self.desk.operator = self.operator
        self.panel = DispatchPanel()
        # The five automatics must stay readable next to a wide queue (the desk's table scrolls instead).
        self.panel.setMinimumWidth(280)
        self.widget = QSplitter(Qt.Orientation.Horizontal)
        self.widget.addWidget(self.desk)
        self.widget.addWidget(self.panel)
        self.widget.setStretchFactor(0, 5)
        self.widget.setStretchFactor(1, 3)
        self.widget.setSizes([620, 380])
        self._lock = threading.Lock()   # guards `_pending` (a listener on the core thread may fill it)
        self._pending: dict[str, AlertRecord] = {}
        self._quarantine_dirty = False
        self._marks: dict[str, AlertMark] = {}
        self._marks_cache: tuple[AlertMark, ...] = ()
        self._marks_dirty = False
        self._marks_built = -MARKS_PERIOD_S
        self._mark_selected: str | None = None
        self.flush_ms_max = 0.0      # the longest batch hand-over so far (health line)
        self.batches = 0
        # The five automatics: one request at a time on the core loop; the plans the panel has shown,
        # by id, so a confirmation dispatches exactly the plan it showed.
        self._automatics_pending = False
        self._automatics_again = False
        self._plans: dict[str, DispatchPlan] = {}
        self._shown: tuple[FiveAutomatics, AlertRecord] | None = None   # what the panel shows, to re-render

        self.desk.action_requested.connect(self._on_action)
        self.panel.dispatch_requested.connect(self._dispatch)
        self.panel.camera_open_requested.connect(self.camera_open_requested)
        self.panel.alert_select_requested.connect(
            lambda alert_id: self.selection.select(Selection(SelectionKind.ALERT, alert_id)))
        self.desk.task_clicked.connect(self._select_task_drone)
        # Outcomes arrive from the core thread on a queued private signal and leave on the public ones from the
        # GUI thread, so a listener on the public signals never runs on the core thread.
        self._finished_on_core.connect(self._relay_finished)
        self.action_done.connect(self._action_result)
        self.dispatch_done.connect(self._dispatch_result)
        self.automatics_ready.connect(self._show_automatics)
        self.selection.changed.connect(self._on_selection)

        records = services.alerts.alerts()
        self.desk.update_rows([self.feed.row(r) for r in records], announce=False)  # the journal's: no alarm
        for r in records:
            self._mark(r)
        self._quarantine_dirty = True
        self._timers = [QTimer(self, interval=FLUSH_PERIOD_MS, timeout=self.flush),
                        QTimer(self, interval=SLOW_PERIOD_MS, timeout=self._slow)]
        for t in self._timers:
            t.start()
        self._more = QTimer(self, singleShot=True, interval=0, timeout=self.flush)
        self.flush()
        self._slow()

    def stop(self) -> None:
        for t in self._timers:
            t.stop()
        self._more.stop()

    def set_language(self, language: str) -> None:
        """Rebuilds every row in the new language (texts the desk makes itself follow Qt's LanguageChange)."""
        self.feed.set_language(language)
        records = self.services.alerts.alerts()
        self.desk.update_rows([self.feed.row(r) for r in records], announce=False)
        self._marks.clear()
        for r in records:
            self._mark(r)
        self._quarantine_dirty = True
        if self._shown is not None:   # the panel may show an alert no longer selected: re-render it, same codes
            self.panel.set_view(self.feed.automatics(*self._shown))
        self._slow()

    # ----- events (GUI thread, through the bridge) ------------------------------------------------

    def on_alert_event(self, event: object) -> None:
        """Bridge slot: remembers what changed; `flush` hands it over in slices. Safe from any thread."""
        if isinstance(event, (AlertReceived, AlertUpdated)):
            with self._lock:
                self._pending[event.record.id] = event.record
        elif isinstance(event, AlertQuarantined):
            self._quarantine_dirty = True

    def flush(self) -> None:
        """Changed alerts to the desk and the map markers, in chunks for at most FLUSH_BUDGET_MS; what
        is left goes on once the event loop has had its turn (timer, about 7 Hz)."""
        t0 = time.perf_counter()
        current = self._selected_id()
        while True:
            with self._lock:
                ids = list(islice(self._pending, FLUSH_CHUNK))
                chunk = [self._pending.pop(k) for k in ids]
            if not chunk:
                break
            self.desk.update_rows([self.feed.row(r) for r in chunk])
            for r in chunk:
                self._mark(r)
            if current in ids:
                self._refresh_panel()
            self.batches += 1
            if (time.perf_counter() - t0) * 1000 > FLUSH_BUDGET_MS:
                if self._pending:
                    self._more.start()   # the rest after the events waiting now (paint, input, timers)
                break
        if self._quarantine_dirty:
            self._quarantine_dirty = False
            self.desk.set_quarantine([self.feed.quarantine_row(q) for q in self.services.alerts.quarantine()])
        self.flush_ms_max = max(self.flush_ms_max, (time.perf_counter() - t0) * 1000)

    def _slow(self) -> None:
        self.desk.set_sla(self.services.alerts.sla())
        self._refresh_panel()
        self.report_health()

    # ----- map ------------------------------------------------------------------------------------

    def _mark(self, record: AlertRecord) -> None:
        if record.closed or record.source_cleared:
            if self._marks.pop(record.id, None) is not None:
                self._marks_dirty = True
            return
        # The affected area is drawn for the severe alerts and the selected one: the areas of
        # thousands of minor alerts would hide the map.
        area = record.alert.level <= AREA_MAX_LEVEL or record.id == self._selected_id()
        radius = self.services.alert_rules.radius_for(record.alert.category) if area else None
        self._marks[record.id] = self.feed.mark(record, radius)
        self._marks_dirty = True

    def alert_marks(self) -> tuple[AlertMark, ...]:
        """The open alerts for the map: pulsing until acknowledged, with their affected radius. A new
        tuple at most every MARKS_PERIOD_S: each one makes the map redraw its alert layers."""
        now = time.monotonic()
        if self._marks_dirty and now - self._marks_built >= MARKS_PERIOD_S:
            self._marks_cache = tuple(self._marks.values())
            self._marks_dirty, self._marks_built = False, now
        return self._marks_cache

    def report_health(self) -> None:
        self.services.health.set(alerts_on_desk=self.desk.model.known(), alerts_shown=self.desk.model.shown(),
                                 alerts_open_on_map=len(self._marks),
                                 alert_desk_batch_ms_max=round(self.flush_ms_max, 1))

    # ----- selection and the five automatics ------------------------------------------------------

    def _selected_id(self) -> str | None:
        cur = self.selection.current
        return cur.key if cur is not None and cur.kind is SelectionKind.ALERT else None

    def _on_selection(self, _selection: Selection | None) -> None:
        # The selected alert's affected area shows on the map, the previous one's goes (if minor).
        for alert_id in {self._mark_selected, self._selected_id()} - {None}:
            record = self.services.alerts.alert(alert_id)  # type: ignore[arg-type]
            if record is not None:
                self._mark(record)
        self._mark_selected = self._selected_id()
        self._marks_built = -MARKS_PERIOD_S   # show it now
        if self._selected_id() is not None:
            self._refresh_panel()

    def _refresh_panel(self) -> None:
        """Asks the core for the selected alert's five automatics (one request at a time; GUI thread)."""
        alert_id = self._selected_id()
        if alert_id is None:
            return
        if self._automatics_pending:
            self._automatics_again = True   # asked again when the running one comes back
            return
        self._automatics_pending = True
        future = self.services.core.submit(self.services.automatics_for(alert_id))
        future.add_done_callback(self._automatics_computed)

    def _automatics_computed(self, future: concurrent.futures.Future[Any]) -> None:
        # Core thread: only emit.
        if future.cancelled():   # the console is stopping
            return
        exc = future.exception()
        if exc is not None:
            if not isinstance(exc, WorkflowRefused):
                log.error("five automatics failed: %r", exc)
            self.automatics_ready.emit(None, None)
        else:
            self.automatics_ready.emit(*future.result())

    def _show_automatics(self, five: FiveAutomatics | None, record: AlertRecord | None) -> None:
        self._automatics_pending = False
        if self._automatics_again:
            self._automatics_again = False
            self._refresh_panel()
        if five is None or record is None or record.id != self._selected_id():
            if five is None and self._selected_id() is not None:
                self._shown = None
                self.panel.set_view(None)
            return
        plan = five.proposal.plan
        if plan is not None:
            self._plans[plan.plan_id] = plan
            while len(self._plans) > KEPT_PLANS:
                self._plans.pop(next(iter(self._plans)))
        self._shown = (five, record)
        self.panel.set_view(self.feed.automatics(five, record))

    # ----- actions --------------------------------------------------------------------------------

    def _on_action(self, action: AlertAction, alert_id: str, args: dict[str, Any]) -> None:
        if action is AlertAction.DISPATCH:
            # One click on the desk is the panel's confirmation, with the proposal of this moment.
            self.selection.select(Selection(SelectionKind.ALERT, alert_id))
            self._refresh_panel()
            self.panel.request_dispatch()
            return
        alerts, by = self.services.alerts, self.operator
        calls: dict[AlertAction, Callable[[], Awaitable[Any]]] = {
            AlertAction.ACKNOWLEDGE: lambda: alerts.acknowledge(alert_id, by=by),
            AlertAction.ASSIGN: lambda: alerts.assign(alert_id, args.get("operator"), by=by),
            AlertAction.NOTE: lambda: alerts.add_note(alert_id, str(args.get("text", "")), by=by),
            AlertAction.DISMISS: lambda: alerts.dismiss(alert_id, Reason.said(str(args["reason"])), by=by),
            AlertAction.RESOLVE: lambda: alerts.resolve(alert_id, by=by),
            AlertAction.REOPEN: lambda: alerts.reopen(alert_id, by=by),
            AlertAction.SPLIT: lambda: alerts.split(alert_id, by=by),
        }
        log.info("operator %s: %s alert %s %s", by, action.value, alert_id, args or "")
        label = f"{self.desk.action_text(action).rstrip('…')} {alert_id}"
        future = self.services.core.submit(calls[action]())
        future.add_done_callback(lambda f: self._finished(label, f, dispatch=False))

    def _dispatch(self, alert_id: str, plan_id: str) -> None:
        """The confirmed one-click dispatch: the plan the panel showed, and no other, goes to the core."""
        plan = self._plans.get(plan_id)
        label = self.desk.action_text(AlertAction.DISPATCH) + f" {alert_id}"
        if plan is None or plan.alert_id != alert_id:
            # Cannot happen through the panel; say so rather than let the core choose another dock.
            log.error("dispatch of %s: the confirmed plan %r is not known here", alert_id, plan_id)
            self.dispatch_done.emit(False, label, Reason.of("alert.dispatch_failed", error="plan not found"))
            return
        log.info("operator %s: dispatch alert %s with dock %s (plan %s)", self.operator, alert_id, plan.dock.id,
                 plan.plan_id)
        future = self.services.core.submit(self.services.alerts.dispatch_alert(alert_id, by=self.operator,
                                                                               choice=plan))
        future.add_done_callback(lambda f: self._finished(label, f, dispatch=True))

    def _finished(self, label: str, future: concurrent.futures.Future[Any], *, dispatch: bool) -> None:
        # Runs on the core thread: only emit (the signal is queued to the GUI thread, which renders the text).
        if future.cancelled():   # the console is stopping
            return
        exc = future.exception()
        if exc is None:
            result = future.result()
            task = getattr(result, "task_id", None) if isinstance(result, AlertRecord) else None
            self._finished_on_core.emit(dispatch, True, label + (f" → {task}" if task and dispatch else ""), None)
        elif isinstance(exc, WorkflowRefused):
            self._finished_on_core.emit(dispatch, False, label, exc.reason)
        else:
            log.error("%s failed: %r", label, exc)
            self._finished_on_core.emit(dispatch, False, label, Reason.said(str(exc) or type(exc).__name__))

    def _select_task_drone(self, task_id: str) -> None:
        """An alert's task cell was clicked: its drone becomes the selection (map and drone panel follow)."""
        task = self.services.tasks.find(task_id)   # the site's open tasks, read-only from any thread
        if task is None:
            # A flight that has ended.
            self.desk.show_result(False, self.tr("Task %1: its drone is not known to this console")
                                  .replace("%1", task_id))
            return
        self.selection.select(Selection(SelectionKind.DRONE, str(task.sysid)))

    def _relay_finished(self, dispatch: bool, ok: bool, label: str, reason: Reason | None) -> None:
        (self.dispatch_done if dispatch else self.action_done).emit(ok, label, reason)

    @staticmethod
    def _result_text(ok: bool, label: str, reason: Reason | None) -> str:
        return f"{label} ✓" if ok else f"{label}: {reason_text(reason)}"

    def _action_result(self, ok: bool, label: str, reason: Reason | None) -> None:
        self.desk.show_result(ok, self._result_text(ok, label, reason))

    def _dispatch_result(self, ok: bool, label: str, reason: Reason | None) -> None:
        text = self._result_text(ok, label, reason)
        self.panel.show_result(ok, text)
        self.desk.show_result(ok, text)

