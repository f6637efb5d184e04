"""The wall's proposal banner: an arriving alert the wall did not show by itself, offered to the operator.

The wall does not take itself over (an operator's placed, pinned or maximised tiles, an alert being
worked); instead one line says which alert has cameras to show, with "Show cameras" and "Not now".
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

LEVEL_COLOURS: dict[int, str] = {1: "#ff3b30", 2: "#ff9500", 3: "#ffd60a", 4: "#64d2ff"}


class ProposalBanner(QFrame):
    """One proposal at a time; `accepted(alert_id)` when the operator wants it."""

    accepted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.alert_id: str | None = None
        self.level: int | None = None
        self.label = QLabel()
        self.show_button = QPushButton()
        self.dismiss_button = QPushButton()
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 2, 6, 2)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.show_button)
        lay.addWidget(self.dismiss_button)
        self.show_button.clicked.connect(self._accept)
        self.dismiss_button.clicked.connect(self.clear)
        self.retranslate()
        self.hide()

    def propose(self, alert_id: str, level: int, text: str) -> None:
        if self.isVisibleTo(self.parentWidget()) and self.level is not None and self.level < level:
            return   # the more severe offer stays until the operator answers it
        self.alert_id, self.level = alert_id, level
        self.label.setText(text)
        self.label.setToolTip(text)
        colour = LEVEL_COLOURS.get(level, "#8b949e")
        self.setStyleSheet(f"ProposalBanner {{ border: 2px solid {colour}; border-radius: 3px; }}")
        self.show()

    def clear(self) -> None:
        self.alert_id = self.level = None
        self.hide()

    def _accept(self) -> None:
        alert_id = self.alert_id
        self.clear()
        if alert_id:
            self.accepted.emit(alert_id)

    def retranslate(self) -> None:
        self.show_button.setText(self.tr("Show its cameras"))
        self.dismiss_button.setText(self.tr("Not now"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange and hasattr(self, "dismiss_button"):
            self.retranslate()
        super().changeEvent(event)
