"""The audit trail, for supervisors and admins: who did what, from which console, to what, and how it ended.

The panel asks and shows; the console runs the query on the site server. Search (or Enter in any filter)
emits `query_requested(filters)`, a dict with the keys user, sysid, alert_id, task_id, kind, since and until
(None for "any"; since and until in epoch seconds); the answer comes back as `set_rows(rows)` or
`show_error(text)`. `show_history(alert_id=..., task_id=...)` sets the filters to one alert's or one task's
own history and asks at once (the alert desk and the drone panel open it so).

Roles and kinds are shown by their names in the operator's language; `what`, `result` and `reason` as the
server gave them. Export writes the rows shown, in the order shown, to a CSV file itself (Python's csv module, UTF-8 with a
byte-order mark so Excel on a Chinese Windows opens it as UTF-8): what the supervisor sees is what goes into
the file, with no second query that could return something else. The header is in the current language and
times are local, as on screen; the other cells hold the row's own values (role and kind as codes, the target
split into drone, dock, alert and task), so a report can filter on them.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QDateTime, QEvent, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIntValidator
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDateTimeEdit, QFileDialog, QGridLayout, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from widgets.powers import role_name
from widgets.texts import QT_TRANSLATE_NOOP

OK_COLOUR = "#3fb950"
ALARM_COLOUR = "#f85149"
DIM_COLOUR = "#8b949e"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
#: Kinds of audit entry the site server writes (drones/audit.py AuditKind) and their names; the console may give
#: another list with `set_kinds`.
DEFAULT_KINDS: dict[str, str] = {
    "request": QT_TRANSLATE_NOOP("AuditPanel", "Requests"),
    "command": QT_TRANSLATE_NOOP("AuditPanel", "Drone commands"),
    "state": QT_TRANSLATE_NOOP("AuditPanel", "State changes"),
    "session": QT_TRANSLATE_NOOP("AuditPanel", "Sign-in and sign-out"),
    "automation": QT_TRANSLATE_NOOP("AuditPanel", "Automation"),
}
#: Time presets: (key, seconds back from now or None); "today" starts at local midnight; "custom" keeps the edits.
PRESETS: tuple[str, ...] = ("any", "hour", "today", "day", "week", "custom")
PRESET_SECONDS: dict[str, float] = {"hour": 3600.0, "day": 24 * 3600.0, "week": 7 * 24 * 3600.0}


class Column:
    TIME, USER, ROLE, CONSOLE, KIND, WHAT, TARGET, RESULT, REASON = range(9)


#: The row keys `set_rows` reads, and the CSV's columns after the time (the target split into its parts).
ROW_KEYS = ("ts", "user", "role", "console", "kind", "what", "sysid", "dock_id", "alert_id", "task_id", "result",
            "reason")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


class SortKeyItem(QTableWidgetItem):
    """A cell sorted by a key of its own (the time by its epoch seconds, not its text)."""

    def __init__(self, text: str, key: Any) -> None:
        super().__init__(text)
        self.key = key

    def __lt__(self, other: QTableWidgetItem) -> bool:
        if isinstance(other, SortKeyItem):
            return self.key < other.key
        return super().__lt__(other)


class AuditPanel(QWidget):
    """Filters, Search, the trail as a sortable table, its row count and Export CSV."""

    query_requested = Signal(dict)   # user, sysid, alert_id, task_id, kind, since, until (None: any)
    exported = Signal(str)           # the CSV file written

    def __init__(self, parent: QWidget | None = None, clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self._clock = clock
        self._rows: list[dict[str, Any]] = []
        self._kinds: dict[str, str] = dict(DEFAULT_KINDS)   # key -> label template (translated when shown)
        self._busy = False

        self.user_edit, self.sysid_edit, self.alert_edit, self.task_edit = (QLineEdit() for _ in range(4))
        for e in (self.user_edit, self.sysid_edit, self.alert_edit, self.task_edit):
            e.setClearButtonEnabled(True)
            e.returnPressed.connect(self.search)
        self.sysid_edit.setValidator(QIntValidator(1, 255, self))   # a MAVLink system id
        self.sysid_edit.setMaximumWidth(90)
        self.kind_box = QComboBox()
        self.preset_box = QComboBox()
        now = QDateTime.fromSecsSinceEpoch(int(clock()))
        self.from_edit = QDateTimeEdit(now.addSecs(-3600), calendarPopup=True)
        self.to_edit = QDateTimeEdit(now, calendarPopup=True)
        for e in (self.from_edit, self.to_edit):
            e.setDisplayFormat("yyyy-MM-dd HH:mm")
            e.dateTimeChanged.connect(self._edited_time)
        self.search_button = QPushButton()
        self.search_button.setDefault(True)
        self.labels = [QLabel() for _ in range(7)]
        self.table = QTableWidget(0, 9)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setSectionResizeMode(Column.REASON, QHeaderView.ResizeMode.Stretch)
        for col, width in ((Column.TIME, 150), (Column.USER, 90), (Column.ROLE, 80), (Column.CONSOLE, 100),
                           (Column.KIND, 120), (Column.WHAT, 150), (Column.TARGET, 290), (Column.RESULT, 80)):
            self.table.setColumnWidth(col, width)
        self.count_label = QLabel()
        self.status_label = QLabel(wordWrap=True)
        self.export_button = QPushButton()

        grid = QGridLayout()
        fields = (self.user_edit, self.sysid_edit, self.alert_edit, self.task_edit, self.kind_box)
        for i, (label, field) in enumerate(zip(self.labels[:5], fields)):
            label.setBuddy(field)
            grid.addWidget(label, 0, 2 * i)
            grid.addWidget(field, 0, 2 * i + 1)
        times = QHBoxLayout()
        times.addWidget(self.labels[5])
        times.addWidget(self.preset_box)
        times.addWidget(self.from_edit)
        times.addWidget(self.labels[6])
        times.addWidget(self.to_edit)
        times.addStretch(1)
        times.addWidget(self.search_button)
        foot = QHBoxLayout()
        foot.addWidget(self.count_label)
        foot.addWidget(self.status_label, 1)
        foot.addWidget(self.export_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(grid)
        lay.addLayout(times)
        lay.addWidget(self.table, 1)
        lay.addLayout(foot)

        self.search_button.clicked.connect(self.search)
        self.export_button.clicked.connect(lambda: self.export_csv())
        self.preset_box.currentIndexChanged.connect(lambda _i: self._apply_preset())
        self.retranslate()
        self.set_preset("day")
        self.set_rows([])

    # ----- filters --------------------------------------------------------------------------------

    def set_kinds(self, kinds: Sequence[str] | dict[str, str]) -> None:
        """The kinds the kind filter offers: keys, or keys with their label (already in the operator's language)."""
        self._kinds = dict(kinds) if isinstance(kinds, dict) else {k: DEFAULT_KINDS.get(k, k) for k in kinds}
        self._fill_kinds()

    def set_preset(self, preset: str) -> None:
        """One of PRESETS: the time range from now (the edits show it; "any" greys them)."""
        self.preset_box.setCurrentIndex(PRESETS.index(preset))
        self._apply_preset()

    def preset(self) -> str:
        return PRESETS[max(0, self.preset_box.currentIndex())]

    def _apply_preset(self) -> None:
        preset = self.preset()
        now = self._clock()
        self._setting_times = True
        try:
            if preset in PRESET_SECONDS:
                self.from_edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(now - PRESET_SECONDS[preset])))
                self.to_edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(now)))
            elif preset == "today":
                self.from_edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(self._midnight(now))))
                self.to_edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(now)))
        finally:
            self._setting_times = False
        for e in (self.from_edit, self.to_edit):
            e.setEnabled(preset != "any")

    _setting_times = False

    @staticmethod
    def _midnight(ts: float) -> float:
        """The local midnight that started the day of `ts`."""
        return datetime.fromtimestamp(ts).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()

    def _edited_time(self) -> None:
        # The operator changed a time by hand: the range is theirs now, not a preset's.
        if not self._setting_times and self.preset() not in ("custom", "any"):
            self.preset_box.blockSignals(True)
            self.preset_box.setCurrentIndex(PRESETS.index("custom"))
            self.preset_box.blockSignals(False)

    def filters(self) -> dict[str, Any]:
        """The query the filters say, as `query_requested` sends it. A preset's range ends now (the moment
        of the search), not when the preset was chosen."""
        preset = self.preset()
        since = until = None
        if preset == "custom":
            since = float(self.from_edit.dateTime().toSecsSinceEpoch())
            until = float(self.to_edit.dateTime().toSecsSinceEpoch())
        elif preset != "any":
            self._apply_preset()   # the edits show the range the query asks for
            until = self._clock()
            since = until - PRESET_SECONDS[preset] if preset in PRESET_SECONDS else self._midnight(until)
        sysid = self.sysid_edit.text().strip()
        return {
            "user": self.user_edit.text().strip() or None,
            "sysid": int(sysid) if sysid.isdigit() else None,
            "alert_id": self.alert_edit.text().strip() or None,
            "task_id": self.task_edit.text().strip() or None,
            "kind": self.kind_box.currentData(),
            "since": since,
            "until": until,
        }

    def search(self) -> dict[str, Any] | None:
        """Emits `query_requested` with the filters (Search, Enter); nothing while a query is out."""
        if self._busy:
            return None
        f = self.filters()
        if f["since"] is not None and f["until"] is not None and f["since"] > f["until"]:
            self.show_error(self.tr("The start of the time range is after its end."))
            return None
        self.query_requested.emit(f)
        return f

    def show_history(self, alert_id: str | None = None, task_id: str | None = None,
                     sysid: int | None = None) -> dict[str, Any] | None:
        """One alert's, one task's or one drone's own history: every other filter cleared, any time, and the query
        sent."""
        self.user_edit.clear()
        self.sysid_edit.setText("" if sysid is None else str(sysid))
        self.alert_edit.setText(alert_id or "")
        self.task_edit.setText(task_id or "")
        self.kind_box.setCurrentIndex(0)
        self.set_preset("any")
        return self.search()

    # ----- answers --------------------------------------------------------------------------------

    def set_busy(self, busy: bool) -> None:
        """While a query is out: Search disabled and "Searching…" shown."""
        self._busy = busy
        self.search_button.setEnabled(not busy)
        if busy:
            self._status(self.tr("Searching…"), DIM_COLOUR)
        elif self.status_label.property("busy"):
            self._status("", DIM_COLOUR)
        self.status_label.setProperty("busy", busy)

    def show_error(self, text: str) -> None:
        """The query failed or was refused (`text` says why); the rows shown before stay."""
        self.set_busy(False)
        self._status(text, ALARM_COLOUR)

    def _status(self, text: str, colour: str) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(f"color: {colour};")

    def set_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        """The query's answer: one dict per audited action (keys ROW_KEYS; missing ones are empty), any order."""
        self.set_busy(False)
        self._status("", DIM_COLOUR)
        self._rows = [dict(r) for r in rows]
        table = self.table
        sort_col, order = table.horizontalHeader().sortIndicatorSection(), table.horizontalHeader().sortIndicatorOrder()
        table.setSortingEnabled(False)   # filled unsorted, sorted once (sorting on each setItem moves rows under us)
        table.setRowCount(len(self._rows))
        for i, r in enumerate(self._rows):
            ts = r.get("ts")
            when = time.strftime(TIME_FORMAT, time.localtime(ts)) if isinstance(ts, (int, float)) else _text(ts)
            cells = (SortKeyItem(when, (float(ts) if isinstance(ts, (int, float)) else 0.0, i)),
                     QTableWidgetItem(_text(r.get("user"))), QTableWidgetItem(role_name(_text(r.get("role")))),
                     QTableWidgetItem(_text(r.get("console"))), QTableWidgetItem(self.kind_text(r.get("kind"))),
                     QTableWidgetItem(_text(r.get("what"))),
                     QTableWidgetItem(self.target_text(r)),
                     QTableWidgetItem(_text(r.get("result"))), QTableWidgetItem(_text(r.get("reason"))))
            for col, item in enumerate(cells):
                item.setToolTip(item.text())
                item.setData(Qt.ItemDataRole.UserRole, i)   # the row's index in _rows, whatever the sort
                table.setItem(i, col, item)
            result = str(r.get("result") or "").lower()
            if result and result not in ("ok", "done", "accepted", "success"):
                table.item(i, Column.RESULT).setForeground(QBrush(QColor(ALARM_COLOUR)))
        table.setSortingEnabled(True)
        # Newest first, until the supervisor clicks a header for another order (kept for later answers).
        if not self._sorted:
            sort_col, order = Column.TIME, Qt.SortOrder.DescendingOrder
        table.sortItems(sort_col, order)
        table.horizontalHeader().setSortIndicator(sort_col, order)
        self._sorted = True
        self.count_label.setText(self.tr("%n row(s)", "", len(self._rows)))
        self.export_button.setEnabled(bool(self._rows))

    _sorted = False

    def kind_text(self, kind: Any) -> str:
        """A kind's name in the current language (as given when the kind list lacks it)."""
        label = self._kinds.get(_text(kind))
        if label is None:
            return _text(kind)
        return self.tr(label) if label in DEFAULT_KINDS.values() else label

    def target_text(self, r: dict[str, Any]) -> str:
        """What an action was done to: drone, dock, alert, task, those it names."""
        parts = []
        if r.get("sysid") is not None:
            parts.append(self.tr("drone %1").replace("%1", str(r["sysid"])))
        parts += [str(r[k]) for k in ("dock_id", "alert_id", "task_id") if r.get(k)]
        return " · ".join(parts)

    def shown_rows(self) -> list[dict[str, Any]]:
        """The rows in the order the table shows them."""
        return [self._rows[self.table.item(i, 0).data(Qt.ItemDataRole.UserRole)] for i in range(self.table.rowCount())]

    # ----- export ---------------------------------------------------------------------------------

    def ask_export_path(self) -> str | None:
        """Where to write the CSV (a file dialog; tests override this)."""
        default = time.strftime("audit-%Y%m%d-%H%M.csv", time.localtime(self._clock()))
        path, _filter = QFileDialog.getSaveFileName(self, self.tr("Export audit trail"), default,
                                                    self.tr("CSV files (*.csv)"))
        return path or None

    def export_csv(self, path: str | None = None) -> str | None:
        """Writes the rows shown, in the order shown, to `path` (asked for when None); returns the path written,
        None when cancelled or failed (the failure is said on the panel)."""
        path = path or self.ask_export_path()
        if not path:
            return None
        header = [self.tr("Time"), self.tr("User"), self.tr("Role"), self.tr("Console"), self.tr("Kind"),
                  self.tr("What"), self.tr("Drone"), self.tr("Dock"), self.tr("Alert"), self.tr("Task"),
                  self.tr("Result"), self.tr("Reason")]
        try:
            with open(path, "w", encoding="utf-8-sig", newline="") as f:
                w = csv.writer(f)
                w.writerow(header)
                for r in self.shown_rows():
                    ts = r.get("ts")
                    when = time.strftime(TIME_FORMAT, time.localtime(ts)) if isinstance(ts, (int, float)) \
                        else _text(ts)
                    w.writerow([when, *(_text(r.get(k)) for k in ROW_KEYS[1:])])
        except OSError as e:
            self.show_error(self.tr("Export failed: %1").replace("%1", str(e)))
            return None
        self._status(self.tr("%n row(s) exported to %1", "", self.table.rowCount()).replace("%1", path), OK_COLOUR)
        self.exported.emit(path)
        return path

    # ----- language -------------------------------------------------------------------------------

    def _fill_kinds(self) -> None:
        current = self.kind_box.currentData()
        self.kind_box.blockSignals(True)
        self.kind_box.clear()
        self.kind_box.addItem(self.tr("All kinds"), None)
        for key, label in self._kinds.items():
            self.kind_box.addItem(self.kind_text(key), key)
        self.kind_box.setCurrentIndex(max(0, self.kind_box.findData(current)) if current is not None else 0)
        self.kind_box.blockSignals(False)

    def retranslate(self) -> None:
        """Every text of the panel; at start and whenever the language changes."""
        for label, text in zip(self.labels, (self.tr("Person"), self.tr("Drone"), self.tr("Alert"), self.tr("Task"),
                                             self.tr("Kind"), self.tr("Time"), self.tr("to"))):
            label.setText(text)
        self.user_edit.setPlaceholderText(self.tr("user name"))
        self.sysid_edit.setPlaceholderText(self.tr("sysid"))
        self.alert_edit.setPlaceholderText(self.tr("alert id"))
        self.task_edit.setPlaceholderText(self.tr("task id"))
        self._fill_kinds()
        index = max(0, self.preset_box.currentIndex())
        self.preset_box.blockSignals(True)
        self.preset_box.clear()
        self.preset_box.addItems([self.tr("Any time"), self.tr("Last hour"), self.tr("Today"),
                                  self.tr("Last 24 hours"), self.tr("Last 7 days"), self.tr("Custom range")])
        self.preset_box.setCurrentIndex(index)
        self.preset_box.blockSignals(False)
        self.search_button.setText(self.tr("Search"))
        self.search_button.setToolTip(self.tr("Search the audit trail (Enter)"))
        self.export_button.setText(self.tr("Export CSV…"))
        self.export_button.setToolTip(self.tr("Write the rows shown, in the order shown, to a CSV file"))
        self.table.setHorizontalHeaderLabels([self.tr("Time"), self.tr("User"), self.tr("Role"), self.tr("Console"),
                                              self.tr("Kind"), self.tr("What"), self.tr("Target"), self.tr("Result"),
                                              self.tr("Reason")])
        if self._rows or self.count_label.text():
            self.count_label.setText(self.tr("%n row(s)", "", len(self._rows)))
        for i in range(self.table.rowCount()):
            r = self._rows[self.table.item(i, 0).data(Qt.ItemDataRole.UserRole)]
            for col, text in ((Column.ROLE, role_name(_text(r.get("role")))), (Column.KIND, self.kind_text(r.get("kind"))),
                              (Column.TARGET, self.target_text(r))):
                item = self.table.item(i, col)
                item.setText(text)
                item.setToolTip(text)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange and hasattr(self, "export_button"):
            self.retranslate()
        super().changeEvent(event)
