"""A combo box that asks for room for the item it shows, and when a narrow panel cannot give it, shows the
current text shortened with "…" and the whole text in its tooltip: never a word silently cut ("All distric").
Its list opens as wide as its longest item.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QComboBox, QStyle, QStyleOptionComboBox, QStylePainter, QWidget

MIN_CHARS = 4   # what stays readable when the panel is at its narrowest
#: An item's short text, shown when its whole text does not fit ("Level" for "All levels").
SHORT_TEXT_ROLE = Qt.ItemDataRole.UserRole + 50


class ElidingComboBox(QComboBox):
    """QComboBox whose label elides with a tooltip; size hint: the current item in the current font (a layout
    short of room shrinks the widest first, so short choices stay whole)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currentTextChanged.connect(lambda _t: self._changed())

    def _for_text(self, width: int) -> QSize:
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        height = super().sizeHint().height()
        return QSize(self.style().sizeFromContents(QStyle.ContentsType.CT_ComboBox, opt, QSize(width, height),
                                                   self).width(), height)

    def sizeHint(self) -> QSize:
        return self._for_text(self.fontMetrics().horizontalAdvance(self.currentText()) + 2)

    def minimumSizeHint(self) -> QSize:
        """Room for the current item's short text when it has one, else for a few characters."""
        short = self.currentData(SHORT_TEXT_ROLE)
        least = short if isinstance(short, str) and short else "M" * MIN_CHARS
        return self._for_text(self.fontMetrics().horizontalAdvance(least) + 2).boundedTo(self.sizeHint())

    def showPopup(self) -> None:
        widest = max((self.fontMetrics().horizontalAdvance(self.itemText(i)) for i in range(self.count())), default=0)
        self.view().setMinimumWidth(widest + self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent) + 16)
        super().showPopup()

    def _changed(self) -> None:
        self.updateGeometry()
        self._update_tip()

    def label_width(self) -> int:
        """The room the current text has inside the box, in pixels."""
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        return self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt,
                                           QStyle.SubControl.SC_ComboBoxEditField, self).width()

    def is_elided(self) -> bool:
        """True when the current item's whole text does not fit (its short text or an ellipsis is shown)."""
        return self.fontMetrics().horizontalAdvance(self.currentText()) > self.label_width()

    def shown_text(self) -> str:
        """What the box shows now: the whole text, else the item's short text, shortened with "…" if need be."""
        text = self.currentText()
        if self.is_elided():
            short = self.currentData(SHORT_TEXT_ROLE)
            text = short if isinstance(short, str) and short else text
        return self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, self.label_width())

    def _update_tip(self) -> None:
        self.setToolTip(self.currentText() if self.is_elided() else "")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_tip()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QStylePainter(self)
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, opt)
        opt.currentText = self.shown_text()
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, opt)
