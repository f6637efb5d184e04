"""Every text a window shows, gathered from its real widgets (not from a list of strings kept by hand).

Used by the language tests: whatever sets a text (a `.tr()` at construction, a controller filling a table
from the core, a tooltip set from code), it is read back here from the widget that shows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from PySide6.QtCore import QAbstractItemModel, QAbstractListModel, QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QApplication, QComboBox, QDockWidget, QGroupBox,
                               QLabel, QLineEdit, QMenu, QPlainTextEdit, QTabBar, QTextEdit, QWidget)

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
MAX_ROWS = 200          # a table of 1,000 alerts says the same words on every row
ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)


def _columns(model: QAbstractItemModel, parent: QModelIndex) -> int:
    # A list or table model's columnCount()/hasChildren() are private in PySide: only a tree has children.
    if isinstance(model, QAbstractListModel):
        return 1
    return model.columnCount(parent)


def _is_tree(model: QAbstractItemModel) -> bool:
    return not isinstance(model, (QAbstractListModel, QAbstractTableModel))


def _model_texts(model: QAbstractItemModel, parent: QModelIndex = QModelIndex()) -> Iterator[str]:
    for orientation in (Qt.Orientation.Horizontal,) if parent.isValid() else (Qt.Orientation.Horizontal,
                                                                                 Qt.Orientation.Vertical):
        count = _columns(model, parent) if orientation == Qt.Orientation.Horizontal else model.rowCount(parent)
        for section in range(min(count, MAX_ROWS)):
            for role in ROLES:
                value = model.headerData(section, orientation, role)
                if isinstance(value, str):
                    yield value
    for row in range(min(model.rowCount(parent), MAX_ROWS)):
        for col in range(_columns(model, parent)):
            index = model.index(row, col, parent)
            for role in ROLES:
                value = model.data(index, role)
                if isinstance(value, str):
                    yield value
            if col == 0 and _is_tree(model) and model.hasChildren(index):
                yield from _model_texts(model, index)


def widget_texts(widget: QWidget) -> Iterator[tuple[str, str]]:
    """(where, text) for one widget: what it displays and its tooltip."""
    name = f"{type(widget).__name__}({widget.objectName() or '-'})"
    if widget.isWindow() or isinstance(widget, QDockWidget):
        yield name + ".windowTitle", widget.windowTitle()
    yield name + ".toolTip", widget.toolTip()
    if isinstance(widget, (QLabel, QAbstractButton)):
        yield name + ".text", widget.text()
    if isinstance(widget, QLineEdit):
        yield name + ".text", widget.text()
        yield name + ".placeholder", widget.placeholderText()
    if isinstance(widget, (QPlainTextEdit, QTextEdit)):
        yield name + ".text", widget.toPlainText()
        yield name + ".placeholder", widget.placeholderText()
    if isinstance(widget, QGroupBox):
        yield name + ".title", widget.title()
    if isinstance(widget, QMenu):
        yield name + ".title", widget.title()
    if isinstance(widget, QComboBox):
        for i in range(widget.count()):
            yield name + f".item[{i}]", widget.itemText(i)
            tip = widget.itemData(i, Qt.ItemDataRole.ToolTipRole)
            if isinstance(tip, str):
                yield name + f".itemTip[{i}]", tip
    if isinstance(widget, QTabBar):
        for i in range(widget.count()):
            yield name + f".tab[{i}]", widget.tabText(i)
            yield name + f".tabTip[{i}]", widget.tabToolTip(i)
    if isinstance(widget, QAbstractItemView) and widget.model() is not None \
            and not isinstance(widget.parent(), QComboBox):
        for text in _model_texts(widget.model()):
            yield name + ".item", text
    painted = getattr(widget, "painted_texts", None)   # words a widget paints itself (HUD, video tiles)
    if callable(painted):
        for text in painted():
            yield name + ".painted", text
    for action in widget.actions():
        yield from action_texts(action)


def action_texts(action: QAction) -> Iterator[tuple[str, str]]:
    name = f"QAction({action.objectName() or action.text() or '-'})"
    yield name + ".text", action.text()
    yield name + ".toolTip", action.toolTip()
    yield name + ".statusTip", action.statusTip()


def all_texts(roots: Iterable[QWidget]) -> list[tuple[str, str]]:
    """Every (where, text) of the roots, their descendants and their actions; empty texts left out."""
    out: list[tuple[str, str]] = []
    seen: set[int] = set()
    for root in roots:
        for w in [root, *root.findChildren(QWidget)]:
            if id(w) in seen:
                continue
            seen.add(id(w))
            out += [(where, t) for where, t in widget_texts(w) if t]
        for action in root.findChildren(QAction):
            out += [(where, t) for where, t in action_texts(action) if t]
    return out


def top_level_windows() -> list[QWidget]:
    """Dialogs and floating windows the application shows now."""
    return [w for w in QApplication.topLevelWidgets() if w.isVisible()]


def with_cjk(texts: Iterable[tuple[str, str]], allowed: Iterable[str] = ()) -> list[tuple[str, str]]:
    """The texts that still hold Chinese once the allowed names (site data, proper nouns) are taken out."""
    names = sorted({a for a in allowed if a}, key=len, reverse=True)
    out = []
    for where, text in texts:
        plain = text
        for n in names:
            plain = plain.replace(n, "")
        if CJK.search(plain):
            out.append((where, text))
    return out


def with_english_words(texts: Iterable[tuple[str, str]], allowed: Iterable[str],
                       given: Iterable[str] = ()) -> list[tuple[str, str]]:
    """The texts with a Latin word of two letters or more that is not allowed, once the texts shown as given
    (ids, titles, topics, payloads) are taken out; rich-text tags are markup."""
    keep = set(allowed)
    data = sorted({g for g in given if g}, key=len, reverse=True)
    out = []
    for where, text in texts:
        plain = re.sub(r"<[^>]+>", "", text)
        for d in data:
            plain = plain.replace(d, "")
        if set(re.findall(r"[A-Za-z]{2,}", plain)) - keep:
            out.append((where, text))
    return out
