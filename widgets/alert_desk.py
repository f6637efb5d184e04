"""The alert desk: the queue of alerts, its filters, the workflow actions, quarantine and SLA.

The console hands over batches of `AlertRow`s a few times a second (`update_rows`), the
quarantine (`set_quarantine`) and the shift's figures (`set_sla`); the desk asks for workflow
actions through `action_requested` and shows their outcome with `show_result`. The queue follows
the console's one `SelectionModel` and sets it when the operator picks a row. Level-1/2 arrivals
flash the desk and sound (per level, mutable). Single-key shortcuts work while the focus is in
the desk (the search box keeps its letters).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtGui import QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton,
                               QToolButton, QVBoxLayout, QWidget)

from widgets.alert_alarm import ALARM_TONES, AlertSound, FlashOverlay
from widgets.alert_strip import Level1Strip
from widgets.alert_dialogs import QuarantineDialog, ask_choice, ask_text
from widgets.alert_table import ALERT_ID_ROLE, AlertQueue, Column, QueueView
from widgets.alert_views import (OPEN_STATES, STATES, AlertAction, AlertFilter, AlertRow, QuarantineRow,
                                 action_allowed, format_duration)
from vocab.sla import SlaSummary
from widgets.eliding_combo import SHORT_TEXT_ROLE, ElidingComboBox
from widgets.key_help import name_shortcut
from widgets.powers import ALERTS, DRONES, PowerGate
from widgets.situation import Selection, SelectionKind, SelectionModel

OK_COLOUR = "#3fb950"
ALARM_COLOUR = "#f85149"
AGE_TICK_MS = 1000
SOUND_REPEAT_S = 3.0
SEARCH_DEBOUNCE_MS = 250     # a filter change re-sorts the whole queue: not on every key press
# Rows the queue always shows, whatever the other panels ask for (a night shift works from the queue).
MIN_QUEUE_ROWS = 12
#: Panel-local keys (the drone panel uses T/H/C/G/R/L in its own panel).
SHORTCUTS: dict[AlertAction, str] = {
    AlertAction.ACKNOWLEDGE: "A", AlertAction.DISPATCH: "D", AlertAction.ASSIGN: "S", AlertAction.NOTE: "N",
    AlertAction.DISMISS: "X", AlertAction.RESOLVE: "V", AlertAction.REOPEN: "O", AlertAction.SPLIT: "P",
}
#: The power each action needs (console/core/roles.py, OP_POWER): the workflow is an operator's, a dispatch a
#: dispatcher's.
ACTION_POWER: dict[AlertAction, str] = {a: DRONES if a is AlertAction.DISPATCH else ALERTS for a in AlertAction}
TIME_RANGES_S: tuple[float | None, ...] = (None, 3600.0, 8 * 3600.0, 24 * 3600.0)
LEVEL_CHOICES: tuple[frozenset[int] | None, ...] = (None, frozenset({1}), frozenset({1, 2}), frozenset({2}),
                                                    frozenset({3}), frozenset({4}))


class AlertDesk(QWidget):
    """The queue and its actions; feed it `AlertRow`s, listen to `action_requested`."""

    action_requested = Signal(object, str, dict)   # AlertAction, alert_id, args
    quarantine_opened = Signal()
    task_clicked = Signal(str)   # task_id: the operator clicked an alert's task cell (show its drone)

    def __init__(self, selection: SelectionModel, parent: QWidget | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self.selection = selection
        self.operator = ""             # prefills "Assign to" (the console sets it)
        self.model = AlertQueue(self, clock=clock)
        self.quarantine_rows: list[QuarantineRow] = []
        self.quarantine_dialog: QuarantineDialog | None = None
        self.sound = AlertSound(self)
        self._syncing = False
        self._sounded: dict[int, float] = {}   # level -> time.monotonic() of its last sound
        self._districts: dict[str, str] = {}
        self._categories: dict[str, str] = {}
        self.gate = PowerGate()                 # what the signed-in role may do (`set_powers`)
        self._tips: dict[AlertAction, str] = {}  # each button's own tooltip, before any role reason

        # Five filters share a row of a narrow panel: each asks for its longest item, elides with a tooltip.
        self.level_box, self.category_box, self.district_box = ElidingComboBox(), ElidingComboBox(), ElidingComboBox()
        self.state_box, self.time_box = ElidingComboBox(), ElidingComboBox()
        self.search = QLineEdit(clearButtonEnabled=True)
        self.quarantine_button = QPushButton()
        self.mute_buttons: dict[int, QToolButton] = {}
        for level in ALARM_TONES:
            b = QToolButton(checkable=True)
            b.toggled.connect(lambda muted, lv=level: self._set_muted(lv, muted))
            self.mute_buttons[level] = b
        self.sla_label = QLabel(wordWrap=True)   # wraps in a narrow panel rather than widening it
        self.sla_label.setStyleSheet("color: #8b949e;")
        self.result_label = QLabel(wordWrap=True)
        self.table = QueueView()
        self.table.setModel(self.model.qt)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        vh = self.table.verticalHeader()
        vh.hide()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)   # uniform rows: inserts stay cheap at 10,000 rows
        vh.setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.level1_strip = Level1Strip()
        self.level1_strip.alert_clicked.connect(lambda aid: self.selection.select(Selection(SelectionKind.ALERT, aid)))
        self._setup_columns()
        self.buttons: dict[AlertAction, QPushButton] = {a: QPushButton() for a in AlertAction}

        # Two rows of filters and of actions: the desk shares its panel with the dispatch panel.
        filters, tools = QHBoxLayout(), QHBoxLayout()
        for w in (self.level_box, self.category_box, self.district_box, self.state_box, self.time_box):
            filters.addWidget(w, 1)
        self.search.setMinimumWidth(160)
        tools.addWidget(self.search, 1)
        tools.addWidget(self.quarantine_button)
        for b in self.mute_buttons.values():
            tools.addWidget(b)
        actions = QGridLayout()
        for i, a in enumerate(AlertAction):
            actions.addWidget(self.buttons[a], i // 4, i % 4)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(filters)
        lay.addLayout(tools)
        lay.addWidget(self.sla_label)
        lay.addWidget(self.level1_strip)
        lay.addWidget(self.table, 1)
        lay.addLayout(actions)
        lay.addWidget(self.result_label)
        self.flash = FlashOverlay(self)

        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS, timeout=self._apply_filter)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        for box in (self.level_box, self.category_box, self.district_box, self.state_box, self.time_box):
            box.currentIndexChanged.connect(lambda _i: self._apply_filter())
        self.quarantine_button.clicked.connect(self.open_quarantine)
        for a, b in self.buttons.items():
            b.clicked.connect(lambda _=False, act=a: self.trigger(act))
        for a, key in SHORTCUTS.items():
            sc = QShortcut(QKeySequence(key), self, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(self.buttons[a].click)   # click() does nothing on a disabled button
            name_shortcut(sc, self.buttons[a])            # F1 names the key after its button
        self.table.selectionModel().currentRowChanged.connect(self._on_row)
        self.table.doubleClicked.connect(lambda _i: self.trigger(AlertAction.ACKNOWLEDGE))
        self.table.clicked.connect(self._on_click)
        self.table.verticalScrollBar().valueChanged.connect(lambda _v: self.refresh_ages())
        self.model.model_replaced.connect(self._on_model_replaced)
        selection.changed.connect(self._on_selection)
        self._tick = QTimer(self, interval=AGE_TICK_MS, timeout=self.refresh_ages)
        self._tick.start()
        self.retranslate()
        self._update_enabled()
        self._keep_queue_rows()
        QTimer.singleShot(0, self.sound, self.sound.preload)   # once the window is up, not at the first alarm

    def _keep_queue_rows(self) -> None:
        """The table never shrinks below MIN_QUEUE_ROWS rows: the dock layout honours minimum sizes,
        so neither the wall nor a narrow window can squeeze the queue."""
        t = self.table
        rows = MIN_QUEUE_ROWS * t.verticalHeader().defaultSectionSize()
        chrome = t.horizontalHeader().sizeHint().height() + 2 * t.frameWidth() \
            + t.horizontalScrollBar().sizeHint().height()   # room for a horizontal scroll bar too
        t.setMinimumHeight(rows + chrome)

    def _setup_columns(self) -> None:
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setSectionResizeMode(Column.TITLE, QHeaderView.ResizeMode.Stretch)
        for col, width in ((Column.LEVEL, 56), (Column.CATEGORY, 130), (Column.DISTRICT, 70), (Column.TIME, 72),
                           (Column.AGE, 60), (Column.STATE, 90), (Column.ASSIGNED, 80), (Column.TASK, 110)):
            self.table.setColumnWidth(col, width)

    def _on_model_replaced(self, model: QStandardItemModel) -> None:
        widths = [self.table.columnWidth(c) for c in Column]
        self._syncing = True
        try:
            self.table.setModel(model)
        finally:
            self._syncing = False
        for c, w in zip(Column, widths):
            if c is not Column.TITLE:
                self.table.setColumnWidth(c, w)
        self.table.horizontalHeader().setSectionResizeMode(Column.TITLE, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._on_row)
        self._follow_selection()

    def refresh_ages(self) -> None:
        """Ages of the rows in view (the others are written when they come into view)."""
        rows = self.model.shown()
        if not rows:
            return
        first = self.table.rowAt(0)
        last = self.table.rowAt(self.table.viewport().height() - 1)
        self.model.refresh_ages(max(first, 0), rows - 1 if last < 0 else last)

    # ----- feeding --------------------------------------------------------------------------------

    def update_rows(self, rows: Sequence[AlertRow], *, announce: bool = True) -> list[AlertRow]:
        """Adds or updates alerts (a batch); new level-1/2 ones flash and sound when `announce`."""
        self.table.hold_repaints()
        # Rows removed or inserted move Qt's current index by themselves: that is no operator's choice.
        self._syncing = True
        try:
            added = self.model.upsert(rows)
        finally:
            self._syncing = False
        self.level1_strip.update_rows(rows)
        if self._current_id() is not None:
            self._follow_selection()
        grew = False
        for r in rows:   # all rows, not only added ones: rows in another language rename the choices
            if self._categories.get(r.category) != r.category_name:
                self._categories[r.category] = r.category_name
                grew = True
            if r.district and self._districts.get(r.district) != r.district_name:
                self._districts[r.district] = r.district_name
                grew = True
        if grew:
            self._fill_choice_boxes()
        if announce:
            alarming = [r.level for r in added if r.level in ALARM_TONES and r.state == "new" and not r.source_cleared]
            if alarming:
                self.alarm(min(alarming))
        if self._current_id() is not None:
            self._update_enabled()
        return added

    def alarm(self, level: int) -> None:
        """A flash and a sound for arrivals; a burst neither stacks flashes nor repeats the sound
        more than once per SOUND_REPEAT_S per level."""
        self.flash.flash(level)
        now = time.monotonic()
        if now - self._sounded.get(level, -SOUND_REPEAT_S) >= SOUND_REPEAT_S:
            if self.sound.play(level):
                self._sounded[level] = now

    def set_quarantine(self, rows: Sequence[QuarantineRow]) -> None:
        self.quarantine_rows = list(rows)
        self.quarantine_button.setText(self.tr("Quarantine (%1)").replace("%1", str(len(rows))))
        if self.quarantine_dialog is not None and self.quarantine_dialog.isVisible():
            self.quarantine_dialog.set_rows(self.quarantine_rows)

    def set_sla(self, sla: SlaSummary) -> None:
        def fig(name: str, f: Any) -> str:
            return self.tr("%1 %2 / p90 %3 (%4)").replace("%1", name).replace("%2", format_duration(f.median_s)) \
                .replace("%3", format_duration(f.p90_s)).replace("%4", str(f.count))

        since = time.strftime("%H:%M", time.localtime(sla.shift_start))
        self.sla_label.setText("  ·  ".join((
            self.tr("Shift since %1: %2 alerts").replace("%1", since).replace("%2", str(sla.alerts)),
            fig(self.tr("acknowledge"), sla.acknowledge), fig(self.tr("dispatch"), sla.dispatch),
            fig(self.tr("on scene"), sla.on_scene))))

    def show_result(self, ok: bool, text: str) -> None:
        """An action's outcome: done, or the core's refusal reason as given."""
        self.result_label.setText(text)
        self.result_label.setStyleSheet(f"color: {OK_COLOUR if ok else ALARM_COLOUR};")

    def result_text(self) -> str:
        return self.result_label.text()

    # ----- filters --------------------------------------------------------------------------------

    def current_filter(self) -> AlertFilter:
        states_choice = self.state_box.currentData()
        return AlertFilter(levels=LEVEL_CHOICES[max(0, self.level_box.currentIndex())],
                           category=self.category_box.currentData(), district=self.district_box.currentData(),
                           states=None if states_choice == "all" else
                           OPEN_STATES if states_choice in (None, "open") else frozenset({states_choice}),
                           within_s=TIME_RANGES_S[max(0, self.time_box.currentIndex())],
                           text=self.search.text().strip())

    def _apply_filter(self) -> None:
        self.model.set_filter(self.current_filter())

    def _fill_choice_boxes(self) -> None:
        for box, items, any_text, short_text in (
                (self.category_box, self._categories, self.tr("All categories"), self.tr("Category")),
                (self.district_box, self._districts, self.tr("All districts"), self.tr("District"))):
            current = box.currentData()
            box.blockSignals(True)
            box.clear()
            box.addItem(any_text, None)
            box.setItemData(0, short_text, SHORT_TEXT_ROLE)
            for key, name in sorted(items.items(), key=lambda kv: kv[1]):
                box.addItem(name, key)
            box.setCurrentIndex(max(0, box.findData(current)) if current is not None else 0)
            box.blockSignals(False)

    # ----- selection ------------------------------------------------------------------------------

    def _current_id(self) -> str | None:
        cur = self.selection.current
        return cur.key if cur is not None and cur.kind is SelectionKind.ALERT else None

    def current_row(self) -> AlertRow | None:
        alert_id = self._current_id()
        return self.model.get(alert_id) if alert_id else None

    def _on_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._syncing or not current.isValid():
            return
        self.selection.select(Selection(SelectionKind.ALERT, str(current.siblingAtColumn(0).data(ALERT_ID_ROLE))))

    def _on_click(self, index: QModelIndex) -> None:
        """A click on a task cell asks for that task's drone (the console selects it on the map and panel)."""
        if index.isValid() and index.column() == Column.TASK:
            task_id = self.model.cell(index.row(), Column.TASK)
            if task_id:
                self.task_clicked.emit(task_id)

    def _on_selection(self, _selection: Selection | None) -> None:
        self.level1_strip.set_selected(self._current_id())
        self._follow_selection()
        self._update_enabled()

    def _follow_selection(self) -> None:
        """Highlights the selected alert's row (when shown), or nothing."""
        alert_id = self._current_id()
        row = self.model.row_of(alert_id) if alert_id else None
        self._syncing = True
        try:
            sm = self.table.selectionModel()
            if row is None:
                sm.clearSelection()
                sm.setCurrentIndex(QModelIndex(), QItemSelectionModel.SelectionFlag.NoUpdate)
            else:
                index = self.model.qt.index(row, 0)
                sm.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                                   | QItemSelectionModel.SelectionFlag.Rows)
                self.table.scrollTo(index)
        finally:
            self._syncing = False

    # ----- actions --------------------------------------------------------------------------------

    def set_powers(self, powers: frozenset[str], role_text: str) -> None:
        """The signed-in person's powers and role name: actions the role may not take are disabled and say which
        role they need (their keys do nothing). Call again after a language switch (`role_text`)."""
        self.gate.set(powers, role_text)
        self._update_enabled()

    def role_reason(self, action: AlertAction) -> str:
        """Why the signed-in role may not take `action` ("" when it may)."""
        return self.gate.missing(ACTION_POWER[action])

    def allowed(self, action: AlertAction) -> bool:
        if self.role_reason(action):
            return False
        row = self.current_row()
        if row is None:
            return False
        return action_allowed(action, row.state, in_shared_incident=self.model.incident_size(row.incident_id) > 1)

    def _update_enabled(self) -> None:
        for a, b in self.buttons.items():
            b.setEnabled(self.allowed(a))
            # The role reason first: another alert or state would not make the action this person's.
            role, tip = self.role_reason(a), self._tips.get(a, "")
            b.setToolTip(f"{role}\n{tip}" if role and tip else role or tip)

    def trigger(self, action: AlertAction) -> None:
        """Asks what the action needs (reason, text, operator), then requests it for the selected alert."""
        row = self.current_row()
        if row is None or not self.allowed(action):
            return
        args: dict[str, Any] = {}
        if action is AlertAction.DISMISS:
            reason = self.ask_dismiss_reason(row)
            if reason is None:
                return
            args["reason"] = reason
        elif action is AlertAction.NOTE:
            text = self.ask_note(row)
            if not text:
                return
            args["text"] = text
        elif action is AlertAction.ASSIGN:
            who = self.ask_assignee(row)
            if who is None:
                return
            args["operator"] = who.strip() or None   # empty: nobody
        self.action_requested.emit(action, row.alert_id, args)

    def ask_dismiss_reason(self, row: AlertRow) -> str | None:
        """Why the alert is dismissed (tests override this)."""
        return ask_choice(self, self.tr("Dismiss alert"), self.tr("Why is %1 dismissed?").replace("%1", row.alert_id),
                          [self.tr("False alarm"), self.tr("Duplicate of another alert"),
                           self.tr("Handled by another unit"), self.tr("Outside our responsibility")])

    def ask_note(self, row: AlertRow) -> str | None:
        return ask_text(self, self.tr("Note"), self.tr("Note on %1:").replace("%1", row.alert_id), multiline=True)

    def ask_assignee(self, row: AlertRow) -> str | None:
        return ask_text(self, self.tr("Assign"), self.tr("Operator for %1 (empty: nobody):").replace("%1", row.alert_id),
                        row.assigned_to or self.operator)

    def open_quarantine(self) -> QuarantineDialog:
        if self.quarantine_dialog is None:
            self.quarantine_dialog = QuarantineDialog(self)
        self.quarantine_dialog.set_rows(self.quarantine_rows)
        self.quarantine_dialog.show()
        self.quarantine_dialog.raise_()
        self.quarantine_opened.emit()
        return self.quarantine_dialog

    def _set_muted(self, level: int, muted: bool) -> None:
        self.sound.set_muted(level, muted)
        self._mute_text(level)

    def _mute_text(self, level: int) -> None:
        b = self.mute_buttons[level]
        b.setText(("× " if b.isChecked() else "♪ ") + self.tr("L%1").replace("%1", str(level)))
        b.setToolTip(self.tr("Sound of level-%1 alerts (click to mute or unmute)").replace("%1", str(level)))

    # ----- language and geometry ------------------------------------------------------------------

    def action_text(self, action: AlertAction) -> str:
        return {AlertAction.ACKNOWLEDGE: self.tr("Acknowledge"), AlertAction.DISPATCH: self.tr("Dispatch"),
                AlertAction.ASSIGN: self.tr("Assign…"), AlertAction.NOTE: self.tr("Note…"),
                AlertAction.DISMISS: self.tr("Dismiss…"), AlertAction.RESOLVE: self.tr("Resolve"),
                AlertAction.REOPEN: self.tr("Reopen"), AlertAction.SPLIT: self.tr("Split from incident")}[action]

    def state_text(self, state: str) -> str:
        return {"new": self.tr("New"), "acknowledged": self.tr("Acknowledged"), "dispatched": self.tr("Dispatched"),
                "on_scene": self.tr("On scene"), "resolved": self.tr("Resolved"),
                "dismissed": self.tr("Dismissed")}[state]

    def retranslate(self) -> None:
        def refill(box: QComboBox, items: Sequence[tuple[str, object]]) -> None:
            index = max(0, box.currentIndex())
            box.blockSignals(True)
            box.clear()
            for text, data in items:
                box.addItem(text, data)
            box.setCurrentIndex(index)
            box.blockSignals(False)

        refill(self.level_box, [(self.tr("All levels"), None), (self.tr("Level 1"), None), (self.tr("Levels 1–2"), None),
                                (self.tr("Level 2"), None), (self.tr("Level 3"), None), (self.tr("Level 4"), None)])
        refill(self.state_box, [(self.tr("Open"), "open"), (self.tr("All states"), "all")]
               + [(self.state_text(s), s) for s in STATES])
        refill(self.time_box, [(self.tr("Any time"), None), (self.tr("Last hour"), None),
                               (self.tr("Last 8 hours"), None), (self.tr("Last 24 hours"), None)])
        self._fill_choice_boxes()
        # Unfiltered, a narrow desk shows each filter by what it filters ("Level"), the whole text in its tooltip.
        for box, short in ((self.level_box, self.tr("Level")), (self.time_box, self.tr("Time"))):
            box.setItemData(0, short, SHORT_TEXT_ROLE)
        self.state_box.setItemData(1, self.tr("State"), SHORT_TEXT_ROLE)
        self.search.setPlaceholderText(self.tr("Search id, title, place, operator, task…"))
        self.model.set_headers([self.tr("Level"), self.tr("Category"), self.tr("Title"), self.tr("District"),
                                self.tr("Time"), self.tr("Age"), self.tr("State"), self.tr("Assigned"),
                                self.tr("Task")])
        for a, b in self.buttons.items():
            b.setText(self.action_text(a))
            self._tips[a] = self.tr("%1 (shortcut %2)").replace("%1", self.action_text(a)).replace("%2", SHORTCUTS[a])
        self._update_enabled()
        for level in self.mute_buttons:
            self._mute_text(level)
        self.set_quarantine(self.quarantine_rows)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange and hasattr(self, "flash"):
            self.retranslate()
        super().changeEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.flash.setGeometry(self.rect())
