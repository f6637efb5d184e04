"""The drone panel's command log: the outcome of each command this console sent, per drone.

Outcomes are kept as data (command, ok, reason code, time) and rendered in the operator's language
whenever the list is painted, so a language switch re-renders every line, and a refusal is never
cut off: lines wrap, and each carries its full text as a tooltip.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem, QWidget

from vocab import Reason
from widgets.situation import DroneCommand
from widgets.texts import reason_text

#: Outcomes kept per drone (the newest first); older ones stay in the journal.
MAX_RESULTS = 8
#: Lines of text the list shows before it scrolls.
VISIBLE_LINES = 5
OK_COLOUR = "#3fb950"
ALARM_COLOUR = "#f85149"


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    """One command's outcome: `reason` None for a plain acceptance, else what the core answered."""

    command: DroneCommand
    ok: bool
    reason: Reason | None
    ts: float                                # epoch seconds the outcome came back


class CommandLog(QListWidget):
    """The outcomes of the shown drone's commands, newest first; one list per drone (sysid)."""

    def __init__(self, label_of: Callable[[DroneCommand], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._label_of = label_of   # the command's name in the current language (the panel's button label)
        self._by_sysid: dict[int, list[CommandOutcome]] = {}
        self._sysid: int | None = None
        # Wrapped lines, never an ellipsis: a refusal's reason is what the operator needs to read.
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMaximumHeight(self.fontMetrics().lineSpacing() * VISIBLE_LINES + 8)

    def show_drone(self, sysid: int | None) -> None:
        """Shows the log of drone `sysid` (None: an empty list)."""
        if sysid != self._sysid:
            self._sysid = sysid
            self.repaint_lines()

    def add(self, sysid: int, outcome: CommandOutcome) -> None:
        """Records an outcome for drone `sysid`; shown at once if that drone is the one shown."""
        kept = self._by_sysid.setdefault(sysid, [])
        kept.insert(0, outcome)
        del kept[MAX_RESULTS:]
        if sysid == self._sysid:
            self.repaint_lines()

    def lines(self) -> list[str]:
        """The lines shown, newest first."""
        return [self.item(i).text() for i in range(self.count())]

    def line_text(self, outcome: CommandOutcome) -> str:
        """One outcome in the current language: time, command, and what happened."""
        label = self._label_of(outcome.command)
        if outcome.reason is not None:
            said = reason_text(outcome.reason)
            what = said if outcome.ok else self.tr("refused: %1").replace("%1", said)
        else:
            what = self.tr("executed") if outcome.ok else self.tr("refused")
        stamp = time.strftime("%H:%M:%S", time.localtime(outcome.ts))
        return self.tr("%1 %2: %3").replace("%1", stamp).replace("%2", label).replace("%3", what)

    def repaint_lines(self) -> None:
        self.clear()
        for outcome in self._by_sysid.get(self._sysid, []) if self._sysid is not None else []:
            text = self.line_text(outcome)
            item = QListWidgetItem(text)
            item.setToolTip(text)
            item.setForeground(QBrush(QColor(OK_COLOUR if outcome.ok else ALARM_COLOUR)))
            self.addItem(item)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.repaint_lines()
        super().changeEvent(event)
