"""A combo box that asks for room for its longest item, and when a narrow panel cannot give it, shows the
current text shortened with "…" and the whole text in its tooltip: never a word silently cut ("All distric").
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QComboBox, QStyle, QStyleOptionComboBox, QStylePainter, QWidget

MIN_CHARS = 4   # what stays readable when the panel is at its narrowest


class ElidingComboBox(QComboBox):
    """QComboBox whose label elides with a tooltip; size hint: its longest item in the current font."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.currentTextChanged.connect(lambda _t: self._update_tip())

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        text = QSize(self.fontMetrics().horizontalAdvance("M" * MIN_CHARS), hint.height())
        return self.style().sizeFromContents(QStyle.ContentsType.CT_ComboBox, opt, text, self).expandedTo(
            QSize(0, hint.height())).boundedTo(hint)

    def label_width(self) -> int:
        """The room the current text has inside the box, in pixels."""
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        return self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt,
                                           QStyle.SubControl.SC_ComboBoxEditField, self).width()

    def is_elided(self) -> bool:
        return self.fontMetrics().horizontalAdvance(self.currentText()) > self.label_width()

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
        opt.currentText = self.fontMetrics().elidedText(opt.currentText, Qt.TextElideMode.ElideRight,
                                                        self.label_width())
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, opt)
