"""A panel that holds a place in the layout until its real content exists."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QStackedWidget, QVBoxLayout, QWidget


class PlaceholderPanel(QWidget):
    """Shows a title and one line of explanation, centred, in muted text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.title.setStyleSheet("font-size: 18pt; color: #8b949e;")
        self.note = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.note.setStyleSheet("color: #6e7681;")
        lay = QVBoxLayout(self)
        lay.addStretch(1)
        lay.addWidget(self.title)
        lay.addWidget(self.note)
        lay.addStretch(1)

    def set_texts(self, title: str, note: str) -> None:
        self.title.setText(title)
        self.note.setText(note)


def hint_or_content(owner: QWidget, hint: QWidget, content: QWidget) -> QStackedWidget:
    """Fills `owner` with a stack: page 0 the hint ("select something"), page 1 `content` in a scroll area."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(content)
    stack = QStackedWidget()
    stack.addWidget(hint)
    stack.addWidget(scroll)
    lay = QVBoxLayout(owner)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(stack)
    return stack
