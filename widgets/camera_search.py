"""A search box over the camera registry: type an id, a street or a district; drag or activate a hit.

The search itself is a callable `(text, limit) -> [(camera_id, label)]` handed in by the console (a
few milliseconds over 230,000 cameras); typing is debounced so only the last pause is searched.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QMimeData, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from widgets.video_source import CAMERA_PREFIX

CameraSearchFn = Callable[[str, int], list[tuple[str, str]]]
DEBOUNCE_MS = 150
RESULT_LIMIT = 50


class _ResultList(QListWidget):
    """Hits that drag as "camera:<id>" text onto a tile."""

    def mimeData(self, items: list[QListWidgetItem]) -> QMimeData:  # type: ignore[override]
        mime = QMimeData()
        if items:
            mime.setText(CAMERA_PREFIX + str(items[0].data(Qt.ItemDataRole.UserRole)))
        return mime


class CameraSearchBox(QWidget):
    """Line edit plus hit list; `camera_chosen(id)` on Enter, double-click or activation of a hit."""

    camera_chosen = Signal(str)

    def __init__(self, search: CameraSearchFn, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._search = search
        self.edit = QLineEdit(self)
        self.retranslate()
        self.edit.setClearButtonEnabled(True)
        self.results = _ResultList(self)
        self.results.setDragEnabled(True)
        self.results.setUniformItemSizes(True)   # fast layout of many rows
        self.results.hide()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(self.edit)
        box.addWidget(self.results)
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS, timeout=self.run_search)
        self.edit.textChanged.connect(lambda _t: self._debounce.start())
        self.edit.returnPressed.connect(self._choose_first)
        self.results.itemActivated.connect(self._choose)
        self.edit.installEventFilter(self)

    def retranslate(self) -> None:
        self.edit.setPlaceholderText(self.tr("Search cameras: id, street or district"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def run_search(self) -> None:
        """Searches now (the debounce timer calls this after typing pauses)."""
        self._debounce.stop()
        text = self.edit.text().strip()
        self.results.clear()
        hits = self._search(text, RESULT_LIMIT) if text else []
        for camera_id, label in hits:
            item = QListWidgetItem(f"{label}  ({camera_id})")
            item.setData(Qt.ItemDataRole.UserRole, camera_id)
            self.results.addItem(item)
        self.results.setVisible(bool(hits))
        if hits:
            self.results.setCurrentRow(0)

    def _choose_first(self) -> None:
        if self._debounce.isActive():
            self.run_search()
        item = self.results.currentItem()
        if item is not None:
            self._choose(item)

    def _choose(self, item: QListWidgetItem | QModelIndex) -> None:
        if isinstance(item, QListWidgetItem):
            self.camera_chosen.emit(str(item.data(Qt.ItemDataRole.UserRole)))
            self.results.hide()

    def eventFilter(self, obj, event) -> bool:  # type: ignore[no-untyped-def]
        # Up/Down in the line edit move through the hits, so the keyboard never leaves the box.
        if obj is self.edit and isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress \
                and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self.results.count():
            step = 1 if event.key() == Qt.Key.Key_Down else -1
            row = max(0, min(self.results.count() - 1, self.results.currentRow() + step))
            self.results.setCurrentRow(row)
            return True
        if obj is self.edit and isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress \
                and event.key() == Qt.Key.Key_Escape:
            self.results.hide()
        return super().eventFilter(obj, event)
