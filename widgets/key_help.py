"""The keyboard help (F1) read from the window's real shortcuts, so the list cannot drift from the keys.

Every `QAction` with a shortcut is named by its own text; a `QShortcut` that clicks a button is named by
that button (`name_shortcut`), so it says what the button says in the current language. A widget that
handles keys in `keyPressEvent` (the map's arrows, zoom and Esc) lists them in a `key_help()` method.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QDialog, QDialogButtonBox, QDockWidget,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

_NAMED_BY = "_qd_named_by"   # attribute of a QShortcut's wrapper: the button whose text names it


@dataclass(frozen=True, slots=True)
class KeyHelp:
    """One line of the help: the key as the operator's keyboard shows it, what it does, where it works."""

    key: str
    text: str
    where: str


def name_shortcut(shortcut: QShortcut, button: QAbstractButton) -> QShortcut:
    """Names `shortcut` in the help after `button` (the button it clicks)."""
    setattr(shortcut, _NAMED_BY, button)
    return shortcut


def key_text(sequence: QKeySequence) -> str:
    return sequence.toString(QKeySequence.SequenceFormat.NativeText)


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").strip()


def _shortcut_text(shortcut: QShortcut) -> str:
    button = getattr(shortcut, _NAMED_BY, None)
    if isinstance(button, QAbstractButton):
        return _plain(button.text()) or button.toolTip()
    return shortcut.whatsThis()


def _panel_of(obj: QWidget | None, panels: dict[QWidget, str], fallback: str) -> str:
    while obj is not None:
        if obj in panels:
            return panels[obj]
        obj = obj.parentWidget()
    return fallback


def collect_key_help(window: QWidget, *, global_name: str) -> list[KeyHelp]:
    """Every key of `window` and its panels, grouped by panel (dock title; `global_name` for the window's own)."""
    panels = {d: d.windowTitle() for d in window.findChildren(QDockWidget)}
    rows: list[KeyHelp] = []

    def where(owner: object) -> str:
        return _panel_of(owner if isinstance(owner, QWidget) else None, panels, global_name)

    def add(sequences: list[QKeySequence], text: str, owner: object) -> None:
        for seq in sequences:
            if not seq.isEmpty() and text:
                rows.append(KeyHelp(key_text(seq), text, where(owner)))

    for action in window.findChildren(QAction):
        text = _plain(action.text())
        # A name without words (the wall's "2×2") says more in its tooltip ("Layout 2x2 (Alt+2)").
        add(action.shortcuts(), text if any(c.isalpha() for c in text) else action.toolTip() or text, action.parent())
    for shortcut in window.findChildren(QShortcut):
        add([shortcut.key()], _shortcut_text(shortcut), shortcut.parent())
    for widget in window.findChildren(QWidget):
        extra: Callable[[], list[tuple[str, str]]] | None = getattr(widget, "key_help", None)
        if callable(extra):
            rows += [KeyHelp(k, t, where(widget)) for k, t in extra()]
    unique = list(dict.fromkeys(rows))
    order = {name: i for i, name in enumerate([global_name, *panels.values()])}
    return sorted(unique, key=lambda r: order.get(r.where, len(order)))


class ShortcutsDialog(QDialog):
    """F1: every key of the window, read when the dialog opens (in the language of that moment)."""

    def __init__(self, rows: list[KeyHelp], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        self.rows = rows
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setHorizontalHeaderLabels([self.tr("Key"), self.tr("Does"), self.tr("Where")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        for i, r in enumerate(rows):
            for col, text in enumerate((r.key, r.text, r.where)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(i, col, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(self.table, 1)
        box.addWidget(buttons)
        width = sum(self.table.columnWidth(c) for c in range(3)) + 60
        self.resize(max(520, width), 640)

    def listed(self) -> set[tuple[str, str]]:
        """(key, what it does) of every row shown."""
        return {(r.key, r.text) for r in self.rows}
