"""Status-bar indicators: a coloured dot with a label, and a clock."""

from __future__ import annotations

from PySide6.QtCore import QDateTime, QLocale, QTimer
from PySide6.QtWidgets import QLabel, QWidget


class StatusDot(QLabel):
    """A label led by a coloured dot: `set_state(colour, text, tooltip)`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colour = "#8b949e"

    def set_state(self, colour: str, text: str, tooltip: str = "") -> None:
        self.colour = colour
        self.setText(f'<span style="color:{colour}">●</span> {text}')
        self.setToolTip(tooltip)


class ClockLabel(QLabel):
    """Wall-clock date and time, refreshed every second, in the current locale's date format."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self, interval=1000, timeout=self.refresh)
        self._timer.start()
        self.refresh()

    def refresh(self) -> None:
        now = QDateTime.currentDateTime()
        self.setText(QLocale().toString(now, "yyyy-MM-dd ddd HH:mm:ss"))
