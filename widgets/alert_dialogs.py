"""The alert desk's dialogs: the quarantine list, and the small questions an action asks.

The questions are functions the desk calls through overridable methods, so tests answer them
without a modal dialog.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QInputDialog, QLabel,
                               QPlainTextEdit, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from widgets.alert_views import QuarantineRow


class QuarantineDialog(QDialog):
    """Every payload that could not be used, newest first: when, topic, reason, size; the raw payload below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.resize(900, 560)
        self.rows: list[QuarantineRow] = []
        self.table = QTableWidget(0, 4)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.raw = QPlainTextEdit(readOnly=True)
        self.summary = QLabel()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.raw)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(split, 1)
        lay.addWidget(buttons)
        self.table.currentCellChanged.connect(lambda row, *_: self._show_raw(row))
        self.retranslate()

    def retranslate(self) -> None:
        """Every text of the dialog; at start and whenever the language changes."""
        self.setWindowTitle(self.tr("Quarantined payloads"))
        self.table.setHorizontalHeaderLabels([self.tr("Received"), self.tr("Topic"), self.tr("Reason"),
                                              self.tr("Size")])
        # An empty quarantine says so: a blank list could as well be one that failed to load.
        self.raw.setPlaceholderText(self.tr("Select a payload to see it as it arrived") if self.rows
                                    else self.tr("No quarantined payloads: every message received could be used."))
        self.summary.setText(self.tr("%1 payloads could not be used. They are kept here, never dropped.")
                             .replace("%1", str(len(self.rows))) if self.rows
                             else self.tr("The quarantine is empty."))
        for i, r in enumerate(self.rows):
            size = self.table.item(i, 3)
            if size is not None:
                size.setText(self.size_text(r))
                size.setToolTip(size.text())

    def size_text(self, row: QuarantineRow) -> str:
        return self.tr("%1 B").replace("%1", str(row.size))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange and hasattr(self, "summary"):
            self.retranslate()
            self._show_raw(self.table.currentRow())
        super().changeEvent(event)

    def set_rows(self, rows: Sequence[QuarantineRow]) -> None:
        """The quarantine as the console keeps it (oldest first); shown newest first."""
        newest = sorted(rows, key=lambda r: r.quarantine_id, reverse=True)
        if newest == self.rows:
            return
        current = self.rows[self.table.currentRow()].quarantine_id if 0 <= self.table.currentRow() < len(self.rows) \
            else None
        self.rows = newest
        self.table.setRowCount(len(newest))
        for i, r in enumerate(newest):
            cells = (time.strftime("%m-%d %H:%M:%S", time.localtime(r.received_ts)), r.topic, r.reason,
                     self.size_text(r))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(i, col, item)
        self.retranslate()
        keep = next((i for i, r in enumerate(newest) if r.quarantine_id == current), 0 if newest else -1)
        if keep >= 0:
            self.table.setCurrentCell(keep, 0)
        self._show_raw(keep)

    def _show_raw(self, row: int) -> None:
        if not 0 <= row < len(self.rows):
            self.raw.clear()
            return
        r = self.rows[row]
        head = self.tr("Reason: %1").replace("%1", r.reason)
        if r.size > len(r.raw):
            head += "\n" + self.tr("(first %1 of %2 bytes)").replace("%1", str(len(r.raw))).replace("%2", str(r.size))
        self.raw.setPlainText(f"{head}\n{r.topic}\n\n{r.raw_text()}")

    def raw_text(self) -> str:
        return self.raw.toPlainText()


def ask_text(parent: QWidget, title: str, label: str, text: str = "", *, multiline: bool = False) -> str | None:
    """A line (or lines) of text from the operator; None when cancelled."""
    if multiline:
        value, ok = QInputDialog.getMultiLineText(parent, title, label, text)
    else:
        value, ok = QInputDialog.getText(parent, title, label, text=text)
    return value if ok else None


def ask_choice(parent: QWidget, title: str, label: str, choices: Sequence[str]) -> str | None:
    """One of `choices` or the operator's own words; None when cancelled or empty."""
    value, ok = QInputDialog.getItem(parent, title, label, list(choices), 0, True)
    value = value.strip()
    return value if ok and value else None
