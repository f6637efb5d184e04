"""A panel that holds a place in the layout until its real content exists."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (QAbstractScrollArea, QApplication, QFrame, QLabel, QScrollArea, QSizePolicy, QStackedWidget,
                               QTableView, QVBoxLayout, QWidget)


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


def fit_to_contents(view: QAbstractScrollArea) -> None:
    """A list or table inside a scrolled panel: as tall as its rows, with no scroll bar of its own.

    One scroll bar for the whole panel: the wheel scrolls the panel wherever the pointer is,
    instead of a small inner view catching it (an inner view that cannot scroll passes it on).
    """
    view.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
    view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    view.viewport().installEventFilter(_WheelToPanel(view))
    if isinstance(view, QTableView):
        # Wrapped rows change height when the panel's width changes, after the view was filled: its size hint
        # must follow, or the rows it no longer fits are left behind an inner scroll bar.
        view.verticalHeader().sectionResized.connect(lambda *_: view.updateGeometry())


class _WheelToPanel(QObject):
    """Hands a wheel over a fitted view to the scroll area around it. Qt would pass on only a wheel
    the system sent (an ignored synthesized one stops at the view); this says what is meant, for both."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Wheel:
            return False
        area = self.parent().parentWidget() if isinstance(self.parent(), QWidget) else None
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parentWidget()
        if area is None:
            return False
        QApplication.sendEvent(area.verticalScrollBar(), event)
        return True
