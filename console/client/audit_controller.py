"""The audit trail at a supervisor's console (docs/architecture.md, "Audit trail"): the Audit window and the history
of the selected alert or drone's task, both read from the site server's journal by an `audit.query` request.

Only roles with the audit power (supervisor, admin) can open it; for others the menu entries are disabled and say
which role they need. The server checks the role again for every query.
"""

from __future__ import annotations

import concurrent.futures
import logging
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMessageBox, QVBoxLayout

from console.remote.site_client import RemoteServices
from widgets.audit_panel import AuditPanel
from widgets.powers import AUDIT, SUPERVISE, PowerGate
from widgets.situation import SelectionKind, SelectionModel

log = logging.getLogger(__name__)




class AuditController(QObject):
    """Owns the Audit window and its menu entries; asks the server and shows its answer (GUI thread)."""

    _answered = Signal(object)   # concurrent future of the query, carried to the GUI thread
    _automation_done = Signal(object)   # concurrent future of an automation switch

    def __init__(self, services: RemoteServices, window: Any, selection: SelectionModel) -> None:
        super().__init__(window)
        self.services = services
        self.selection = selection
        self.gate = PowerGate()
        self.dialog = QDialog(window)
        self.dialog.setObjectName("audit_window")
        self.dialog.setWindowFlag(Qt.WindowType.Window)
        self.dialog.resize(1200, 640)
        self.panel = AuditPanel(self.dialog)
        QVBoxLayout(self.dialog).addWidget(self.panel)
        self.panel.query_requested.connect(self.query)
        self._answered.connect(self._show)
        self.menu = window.menuBar().addMenu("")
        self.act_open = QAction(window, shortcut=QKeySequence("Ctrl+Shift+A"), triggered=self.open)
        self.act_alert = QAction(window, shortcut=QKeySequence("Ctrl+Shift+H"), triggered=lambda: self.alert_history())
        self.act_task = QAction(window, shortcut=QKeySequence("Ctrl+Shift+T"), triggered=lambda: self.task_history())
        self.menu.addActions([self.act_open, self.act_alert, self.act_task])
        self.menu.addSeparator()
        # The site's automation rules, on or off for a while (a flood of false alarms): supervisors only.
        self.act_automation = QAction(window, checkable=True, checked=True, triggered=self.set_automation)
        self.menu.addAction(self.act_automation)
        self.menu.aboutToShow.connect(self._show_automation)
        self._automation_done.connect(self._automation_answer)
        self.retranslate()

    def set_powers(self, powers: frozenset[str], role_text: str) -> None:
        """The signed-in role's powers (IdentityController): without the audit power the entries are off."""
        self.gate.set(powers, role_text)
        why = self.gate.missing(AUDIT)
        for act in (self.act_open, self.act_alert, self.act_task):
            act.setEnabled(not why)
            act.setToolTip(why)
        self.act_automation.setEnabled(not self.gate.missing(SUPERVISE))
        self.act_automation.setToolTip(self.gate.missing(SUPERVISE))
        if why and self.dialog.isVisible():
            self.dialog.hide()   # a role without the power sees nothing of the trail

    def open(self) -> None:
        if self.gate.missing(AUDIT):
            return
        self.dialog.show()
        self.dialog.raise_()
        self.panel.search()

    def alert_history(self, alert_id: str | None = None) -> None:
        """An alert's own history: `alert_id`, else the selected alert's."""
        sel = self.selection.current
        if alert_id is None and sel is not None and sel.kind is SelectionKind.ALERT:
            alert_id = sel.key
        if alert_id and not self.gate.missing(AUDIT):
            self.dialog.show()
            self.panel.show_history(alert_id=alert_id)

    def task_history(self, sysid: int | None = None) -> None:
        """The history of a drone's open task (`sysid`, else the selected drone's); with no open task, what was
        done to the drone itself."""
        sel = self.selection.current
        if sysid is None and sel is not None and sel.kind is SelectionKind.DRONE:
            sysid = int(sel.key)
        if sysid is None or self.gate.missing(AUDIT):
            return
        self.dialog.show()
        task = self.services.tasks.open_task_for(sysid)
        if task is not None:
            self.panel.show_history(task_id=task.task_id)
        else:
            self.panel.show_history(sysid=sysid)

    def query(self, filters: dict[str, Any]) -> None:
        """Asks the server for the entries `filters` select (the panel shows them when the answer comes)."""
        self.panel.set_busy(True)
        fut = self.services.core.submit(self.services.request("audit.query", dict(filters), by=self.services.user
                                                              or "audit"))
        fut.add_done_callback(self._answered.emit)

    def _show(self, fut: concurrent.futures.Future[Any]) -> None:
        self.panel.set_busy(False)
        exc = fut.exception()
        if exc is not None:
            log.warning("audit query refused: %s", exc)
            self.panel.show_error(str(exc))
            return
        self.panel.set_rows([dict(r) for r in fut.result() or ()])

    def _show_automation(self) -> None:
        """The switch shows what the server last said (its health figures, asked every 2 s)."""
        on = self.services.server_figures().get("automation_on")
        if isinstance(on, bool):
            self.act_automation.setChecked(on)

    def set_automation(self, on: bool) -> None:
        """Asks the server to switch the site's automation rules on or off (journaled and audited there)."""
        fut = self.services.core.submit(self.services.request("automation.set", {"on": on},
                                                              by=self.services.user or "supervisor"))
        fut.add_done_callback(self._automation_done.emit)

    def _automation_answer(self, fut: concurrent.futures.Future[Any]) -> None:
        exc = fut.exception()
        if exc is not None:
            log.warning("automation switch refused: %s", exc)
            self.act_automation.setChecked(not self.act_automation.isChecked())   # as it was
            QMessageBox.warning(self.dialog.parentWidget(), self.tr("Automatic dispatch"), str(exc))
            return
        self.act_automation.setChecked(bool((fut.result() or {}).get("on")))

    def retranslate(self) -> None:
        self.menu.setTitle(self.tr("&Supervisor"))
        self.dialog.setWindowTitle(self.tr("Audit trail"))
        self.act_open.setText(self.tr("Audit trail…"))
        self.act_alert.setText(self.tr("History of the selected alert"))
        self.act_task.setText(self.tr("History of the selected drone's task"))
        self.act_automation.setText(self.tr("Automatic dispatch by the site's rules"))
