"""The "five automatics" of the selected alert, and its one-click dispatch.

1 response level with the rule that set it, 2 affected area, 3 every dock ranked by time on
scene with the reason any is excluded, 4 the nearest cameras (offered for the video wall) and
the other alerts nearby, 5 the dispatch proposal: the Dispatch button asks for a confirmation
showing dock, route, ETA, verification pattern and the checks passed, then emits
`dispatch_requested` with the plan the operator saw. The console computes an `AutomaticsView` (about once a second for the
selected alert) and shows the fleet layer's answer with `show_result`.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QGroupBox, QHeaderView, QLabel, QListWidget, QListWidgetItem,
                               QMessageBox, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from widgets.alert_views import AutomaticsView, format_distance, format_duration
from widgets.icons import symbol_icon
from widgets.placeholder_panel import fit_to_contents, hint_or_content
from widgets.powers import AUDIT, DRONES, PowerGate

OK_COLOUR = "#3fb950"
ALARM_COLOUR = "#f85149"
WARN_COLOUR = "#d29922"
DIM_COLOUR = "#8b949e"
LEVEL_COLOURS: dict[int, str] = {1: "#ff3b30", 2: "#ff9500", 3: "#ffd60a", 4: "#64d2ff"}
ALERT_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class DispatchPanel(QWidget):
    """Shows one `AutomaticsView`; Dispatch asks to confirm, then emits `dispatch_requested(alert_id, plan_id)`."""

    dispatch_requested = Signal(str, str)   # alert id, plan id (the plan the operator confirmed)
    camera_open_requested = Signal(str)     # camera id, for the video wall
    alert_select_requested = Signal(str)    # a nearby alert's id
    history_requested = Signal(str)         # the shown alert's id: its audit history (supervisors)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._view: AutomaticsView | None = None
        self._server_lost: str | None = None   # why no dispatch can go (no site server)
        self.gate = PowerGate()                # what the signed-in role may do (`set_powers`)
        self.hint = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.title = QLabel(wordWrap=True)
        self.title.setStyleSheet("font-weight: bold;")
        self.level_label = QLabel()
        self.level_rule = QLabel(wordWrap=True)
        self.area_label = QLabel(wordWrap=True)
        self.docks = QTableWidget(0, 4)
        self.docks.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.docks.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.docks.verticalHeader().hide()
        # Dock and status wrap (a reason is never cut off), ETA and distance are as wide as their text.
        self.docks.setWordWrap(True)
        self.docks.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.docks.horizontalHeader()
        for col, mode in ((0, QHeaderView.ResizeMode.Stretch), (1, QHeaderView.ResizeMode.ResizeToContents),
                          (2, QHeaderView.ResizeMode.ResizeToContents), (3, QHeaderView.ResizeMode.Stretch)):
            header.setSectionResizeMode(col, mode)
        self.cameras = QListWidget()
        self.open_camera = QPushButton()
        self.nearby = QListWidget()
        for view in (self.docks, self.cameras, self.nearby):
            fit_to_contents(view)
        self.proposal_label = QLabel(wordWrap=True)
        self.checks_label = QLabel(wordWrap=True)
        self.checks_label.setStyleSheet(f"color: {OK_COLOUR};")
        self.refused_label = QLabel(wordWrap=True)
        self.refused_label.setStyleSheet(f"color: {WARN_COLOUR};")
        self.dispatch_button = QPushButton()
        self.dispatch_button.setStyleSheet("QPushButton { background: #1f6feb; color: white; font-weight: bold; "
                                           "padding: 6px; } QPushButton:disabled { background: #21262d; "
                                           "color: #5c6570; }")
        self.result_label = QLabel(wordWrap=True)
        # One click from the alert to its own history, for those who may read the audit trail.
        self.history_button = QPushButton()
        self.history_button.setObjectName("alert_history")
        self.history_button.hide()
        self.history_button.clicked.connect(
            lambda: self._view is not None and self.history_requested.emit(self._view.alert_id))
        # Why this person cannot dispatch, in sight: a disabled button's tooltip is easy to miss.
        self.role_label = QLabel(wordWrap=True)
        self.role_label.setStyleSheet(f"color: {WARN_COLOUR};")
        self.role_label.hide()

        self.boxes = [QGroupBox() for _ in range(5)]
        for box, widgets in zip(self.boxes, ((self.level_label, self.level_rule), (self.area_label,), (self.docks,),
                                             (self.cameras, self.open_camera, self.nearby),
                                             (self.proposal_label, self.checks_label, self.refused_label,
                                              self.dispatch_button, self.role_label, self.result_label,
                                              self.history_button))):
            col = QVBoxLayout(box)
            for w in widgets:
                col.addWidget(w)
        content = QWidget()
        lay = QVBoxLayout(content)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.title)
        for box in self.boxes:
            lay.addWidget(box)
        lay.addStretch(1)
        self.stack = hint_or_content(self, self.hint, content)

        self.scroll = self.stack.widget(1)
        self.dispatch_button.clicked.connect(self.request_dispatch)
        self.open_camera.clicked.connect(self._open_current_camera)
        self.cameras.itemDoubleClicked.connect(lambda item: self.camera_open_requested.emit(item.data(ALERT_ID_ROLE)))
        self.nearby.itemDoubleClicked.connect(lambda item: self.alert_select_requested.emit(item.data(ALERT_ID_ROLE)))
        self.retranslate()
        self.set_view(None)

    # ----- feeding --------------------------------------------------------------------------------

    @property
    def view(self) -> AutomaticsView | None:
        return self._view

    def set_view(self, view: AutomaticsView | None) -> None:
        """The five automatics of the selected alert, or None for the hint (GUI thread, about 1 Hz)."""
        if view is not None and view == self._view:
            return
        if view is None or self._view is None or view.alert_id != self._view.alert_id:
            self.result_label.clear()
        self._view = view
        self.stack.setCurrentIndex(0 if view is None else 1)
        if view is not None:
            self._show(view)
        self._enable()

    def set_server_lost(self, text: str | None) -> None:
        """No site server (`text` says since when): no dispatch can go; None: back."""
        self._server_lost = text
        self._enable()

    def set_powers(self, powers: frozenset[str], role_text: str) -> None:
        """The signed-in person's powers and role name: without "drones" the dispatch is disabled and says which
        role it needs. Call again after a language switch (`role_text`)."""
        self.gate.set(powers, role_text)
        self._enable()

    def _enable(self) -> None:
        lost, role = self._server_lost, self.gate.missing(DRONES)
        self.dispatch_button.setEnabled(not role and lost is None and self._view is not None
                                        and self._view.can_dispatch)
        # The role reason first: a server back or a better proposal would not let this person dispatch.
        self.dispatch_button.setToolTip(role or lost or self.tr("Send the proposed drone; asks for confirmation"))
        self.role_label.setText(role)
        self.role_label.setVisible(bool(role))
        self.history_button.setVisible(self.gate.has(AUDIT) and self._view is not None)

    def _show(self, v: AutomaticsView) -> None:
        self.title.setText(f"{v.alert_id} · {v.title}")
        colour = LEVEL_COLOURS.get(v.response_level, DIM_COLOUR)
        self.level_label.setText(self.tr("Response level %1 (alert level %2)").replace("%1", str(v.response_level))
                                 .replace("%2", str(v.alert_level)))
        self.level_label.setStyleSheet(f"color: {colour}; font-weight: bold; font-size: 13pt;")
        self.level_rule.setText(self.tr("Rule: %1").replace("%1", v.response_rule))
        self.area_label.setText(self.tr("Radius %1 · %2").replace("%1", format_distance(v.radius_m))
                                .replace("%2", v.area_rule))
        # Rows fit their wrapped text (ResizeToContents), but re-measured on every setItem that is 56 rows for each
        # of 224 cells, a second of the GUI thread per refresh: fill with fixed rows, then fit them once.
        rows = self.docks.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.docks.setRowCount(len(v.docks))
        for i, d in enumerate(v.docks):
            status = self.tr("can go") if d.available else f"{d.exclusion_kind}: {d.excluded}" if d.exclusion_kind \
                else d.excluded
            cells = (f"{d.name} ({d.dock_id})", format_duration(d.eta_s) if d.available else "--",
                     format_distance(d.distance_m), status)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if not d.available:
                    item.setForeground(QBrush(QColor(ALARM_COLOUR if col == 3 else DIM_COLOUR)))
                elif col == 3:
                    item.setForeground(QBrush(QColor(OK_COLOUR)))
                self.docks.setItem(i, col, item)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.cameras.clear()
        for c in v.cameras:
            item = QListWidgetItem(symbol_icon("camera"), f"{c.name} · {format_distance(c.distance_m)}")
            item.setData(ALERT_ID_ROLE, c.camera_id)
            item.setToolTip(c.camera_id)
            self.cameras.addItem(item)
        if v.cameras:
            self.cameras.setCurrentRow(0)
        self.open_camera.setEnabled(bool(v.cameras))
        self.nearby.clear()
        for a in v.nearby_alerts:
            item = QListWidgetItem(f"L{a.level} {a.category_name} · {a.state_name} · {format_distance(a.distance_m)}")
            item.setData(ALERT_ID_ROLE, a.alert_id)
            item.setForeground(QBrush(QColor(LEVEL_COLOURS.get(a.level, DIM_COLOUR))))
            item.setToolTip(a.alert_id)
            self.nearby.addItem(item)
        if not v.nearby_alerts:
            self.nearby.addItem(self.tr("No other alerts nearby"))
        for view in (self.docks, self.cameras, self.nearby):
            view.updateGeometry()   # their size hints follow their rows (FitToContents)
        p = v.proposal
        self.proposal_label.setText(self.proposal_text(v) if p.dock_id else "")
        self.checks_label.setText("\n".join(f"✓ {c}" for c in p.checks_passed))
        self.refused_label.setText("\n".join([p.refused] if p.refused else [f"⚠ {w}" for w in p.warnings]))
        self.refused_label.setVisible(bool(p.refused or p.warnings))

    def proposal_text(self, v: AutomaticsView) -> str:
        p = v.proposal
        return "\n".join((self.tr("Dock: %1").replace("%1", f"{p.dock_name} ({p.dock_id})"),
                          self.tr("Route: %1, time on scene %2").replace("%1", format_distance(p.route_length_m))
                          .replace("%2", format_duration(p.eta_s)),
                          self.tr("Verification pattern: %1").replace("%1", p.pattern)))

    # ----- dispatch -------------------------------------------------------------------------------

    def request_dispatch(self) -> bool:
        """Asks the operator to confirm the proposal; emits `dispatch_requested` only when confirmed."""
        v = self._view
        if self.gate.missing(DRONES):
            self.show_result(False, self.gate.missing(DRONES))
            return False
        if self._server_lost:
            self.show_result(False, self._server_lost)
            return False
        if v is None or not v.can_dispatch:
            if v is not None and v.proposal.refused:
                self.show_result(False, v.proposal.refused)
            return False
        checks = "\n".join(f"✓ {c}" for c in v.proposal.checks_passed)
        warnings = "\n".join(f"⚠ {w}" for w in v.proposal.warnings)
        text = self.tr("Send a drone to %1?").replace("%1", f"{v.alert_id} · {v.title}") + "\n\n" \
            + self.proposal_text(v) + ("\n\n" + self.tr("Checks passed:") + "\n" + checks if checks else "") \
            + ("\n\n" + self.tr("Warnings:") + "\n" + warnings if warnings else "")
        if not self.confirm(self.tr("Dispatch"), text):
            return False
        self.show_result(True, self.tr("Dispatch requested…"))
        self.dispatch_requested.emit(v.alert_id, v.proposal.plan_id or "")
        return True

    def confirm(self, title: str, text: str) -> bool:
        """The operator's confirmation of a dispatch (tests override this)."""
        answer = QMessageBox.question(self, title, text,
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.Yes)
        return answer == QMessageBox.StandardButton.Yes

    def show_result(self, ok: bool, text: str) -> None:
        """The fleet layer's answer: the task started, or its refusal as given."""
        self.result_label.setText(text)
        self.result_label.setStyleSheet(f"color: {OK_COLOUR if ok else ALARM_COLOUR};")

    def _open_current_camera(self) -> None:
        item = self.cameras.currentItem()
        if item is not None:
            self.camera_open_requested.emit(item.data(ALERT_ID_ROLE))

    # ----- language -------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.hint.setText(self.tr("Select an alert on the desk or the map"))
        self.history_button.setText(self.tr("History of this alert…"))
        for box, text in zip(self.boxes, (self.tr("1 · Response level"), self.tr("2 · Affected area"),
                                          self.tr("3 · Reachable docks"), self.tr("4 · Nearby cameras and alerts"),
                                          self.tr("5 · Dispatch"))):
            box.setTitle(text)
        self.docks.setHorizontalHeaderLabels([self.tr("Dock"), self.tr("On scene in"), self.tr("Distance"),
                                              self.tr("Status")])
        self.open_camera.setText(self.tr("Open on video wall"))
        self.dispatch_button.setText(self.tr("Dispatch…"))
        self._enable()
        if self._view is not None:
            self._show(self._view)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange and hasattr(self, "boxes"):
            self.retranslate()
        super().changeEvent(event)
