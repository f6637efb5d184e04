"""The audit trail at a supervisor's console (docs/architecture.md, "Audit trail"): the Audit window and the history
of the selected alert or drone's task, both read from the site server's journal by an `audit.query` request.

Only roles with the audit power (supervisor, admin) can open it; for others the menu entries are disabled and say
which role they need. The server checks the role again for every query.
"""

from __future__ import annotations

import concurrent.futures
import logging
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QVBoxLayout

from console.remote.site_client import RemoteServices
from widgets.audit_panel import AuditPanel
from widgets.powers import AUDIT, PowerGate
from widgets.situation import SelectionKind, SelectionModel

log = logging.getLogger(__name__)

#: The entry kinds the server's journal writes (drones/audit.py AuditKind), for the panel's filter.
KINDS = ("request", "command", "automation", "state", "session")



class AuditController(QObject):
    """Owns the Audit window and its menu entries; asks the server and shows its answer (GUI thread)."""

    _answered = Signal(object)   # concurrent future of the query, carried to the GUI thread

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
        self.panel.set_kinds(KINDS)
        QVBoxLayout(self.dialog).addWidget(self.panel)
        self.panel.query_requested.connect(self.query)
        self._answered.connect(self._show)
        self.menu = window.menuBar().addMenu("")
        self.act_open = QAction(window, shortcut=QKeySequence("Ctrl+Shift+A"), triggered=self.open)
        self.act_alert = QAction(window, shortcut=QKeySequence("Ctrl+Shift+H"), triggered=self.alert_history)
        self.act_task = QAction(window, shortcut=QKeySequence("Ctrl+Shift+T"), triggered=self.task_history)
        self.menu.addActions([self.act_open, self.act_alert, self.act_task])
        self.retranslate()

    def set_powers(self, powers: frozenset[str], role_text: str) -> None:
        """The signed-in role's powers (IdentityController): without the audit power the entries are off."""
        self.gate.set(powers, role_text)
        why = self.gate.missing(AUDIT)
        for act in (self.act_open, self.act_alert, self.act_task):
            act.setEnabled(not why)
            act.setToolTip(why)
        if why and self.dialog.isVisible():
            self.dialog.hide()   # a role without the power sees nothing of the trail

    def open(self) -> None:
        if self.gate.missing(AUDIT):
            return
        self.dialog.show()
        self.dialog.raise_()
        self.panel.search()

    def alert_history(self) -> None:
        """The selected alert's own history (or the selected drone's alert-less task: use task history)."""
        sel = self.selection.current
        if sel is not None and sel.kind is SelectionKind.ALERT and not self.gate.missing(AUDIT):
            self.dialog.show()
            self.panel.show_history(alert_id=sel.key)

    def task_history(self) -> None:
        """The history of the selected drone's open task."""
        sel = self.selection.current
        if sel is None or sel.kind is not SelectionKind.DRONE or self.gate.missing(AUDIT):
            return
        task = self.services.tasks.open_task_for(int(sel.key))
        if task is not None:
            self.dialog.show()
            self.panel.show_history(task_id=task.task_id)

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

    def retranslate(self) -> None:
        self.menu.setTitle(self.tr("&Audit"))
        self.dialog.setWindowTitle(self.tr("Audit trail"))
        self.act_open.setText(self.tr("Audit trail…"))
        self.act_alert.setText(self.tr("History of the selected alert"))
        self.act_task.setText(self.tr("History of the selected drone's task"))
