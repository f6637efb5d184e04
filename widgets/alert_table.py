"""The alert queue: sorted by level then time, filtered, updated in batches, painted without Python.

Alerts can arrive at 2,000 a second in a burst, and then the core thread is busy in Python:
every call from Qt's C++ into Python (a model's `data()`, a delegate's `paint()`) must win the
GIL back from it, which costs up to the interpreter's switch interval each time. A table over a
Python model makes about 2,000 such calls per repaint, half a second measured during a burst
(bench/bench_alert_gui.py). So the cells live in a plain `QStandardItemModel` (C++): painting
calls no Python at all. `AlertQueue` keeps the order and the filter in Python and mirrors them
into it in contiguous runs at their sorted places (bisect): a batch never resets the table.
The sort key of an alert (level, newest first, id) never changes, so a state change rewrites a
row's cells in place, or removes the row when the filter no longer shows it. A filter change
builds a fresh item model, detached, and hands it to the view (`model_replaced`).
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from enum import IntEnum

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPaintEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QTableView, QWidget

from widgets.alert_views import AlertFilter, AlertRow, format_duration, search_text
from widgets.icons import category_icon

#: Alert levels 1 (most severe) .. 4 (the map's ALERT_LEVEL_COLOURS).
LEVEL_COLOURS: dict[int, str] = {1: "#ff3b30", 2: "#ff9500", 3: "#ffd60a", 4: "#64d2ff"}
STATE_COLOURS: dict[str, str] = {"new": "#ff7b72", "acknowledged": "#58a6ff", "dispatched": "#bc8cff",
                                 "on_scene": "#3fb950", "resolved": "#8b949e", "dismissed": "#6e7681"}
BADGE_TEXT = "#0d1117"
ALERT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
CATEGORY_ROLE = Qt.ItemDataRole.UserRole + 2   # the category key whose icon the cell shows
REPAINT_MIN_S = 0.25      # 4 Hz table repaints while rows pour in

SortKey = tuple[int, float, str]


class Column(IntEnum):
    LEVEL = 0
    CATEGORY = 1
    TITLE = 2
    DISTRICT = 3
    TIME = 4
    AGE = 5
    STATE = 6
    ASSIGNED = 7
    TASK = 8


def sort_key(row: AlertRow) -> SortKey:
    """Most severe first, then newest first; the id keeps equal times apart."""
    return (row.level, -row.ts, row.alert_id)


def _runs(positions: Sequence[int]) -> list[tuple[int, int]]:
    """Contiguous (first, last) runs of sorted positions."""
    runs: list[tuple[int, int]] = []
    for p in positions:
        if runs and p == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], p)
        else:
            runs.append((p, p))
    return runs


class _Look:
    """Brushes and fonts made once: constructing a QBrush from Python can cost a GIL round trip."""

    def __init__(self) -> None:
        self.level_bg = {lv: QBrush(QColor(c)) for lv, c in LEVEL_COLOURS.items()}
        self.unknown_bg = QBrush(QColor("#8b949e"))
        self.badge_fg = QBrush(QColor(BADGE_TEXT))
        self.state_fg = {s: QBrush(QColor(c)) for s, c in STATE_COLOURS.items()}
        self.plain_fg = QBrush(QColor("#d7dde5"))
        self.bold = QFont()
        self.bold.setBold(True)
        self.normal = QFont()
        self.proto = QStandardItem()
        self.proto.setEditable(False)
        self.level_proto = {lv: self._badge(brush) for lv, brush in self.level_bg.items()}
        self.unknown_proto = self._badge(self.unknown_bg)

    def _badge(self, background: QBrush) -> QStandardItem:
        """The level column's look: the level's colour as a badge, dark bold text on it."""
        item = QStandardItem()
        item.setEditable(False)
        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        item.setFont(self.bold)
        item.setForeground(self.badge_fg)
        item.setBackground(background)
        return item


class AlertQueue(QObject):
    """All alerts the desk knows, and the sorted, filtered ones it shows in `qt` (GUI thread)."""

    model_replaced = Signal(object)   # the new QStandardItemModel after a filter change

    def __init__(self, parent: QObject | None = None, clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self.clock = clock
        self._all: dict[str, AlertRow] = {}
        self._hay: dict[str, str] = {}
        self._keys: list[SortKey] = []      # the shown rows' sort keys, ascending
        self._ids: list[str] = []           # the shown rows' ids, same order
        self._shown: set[str] = set()
        self._incidents: Counter[str] = Counter()
        self._look = _Look()
        self.filter = AlertFilter()
        self.headers: list[str] = [c.name.title() for c in Column]
        self.rebuilds = 0                   # fresh item models (only filter changes should make one)
        self.qt = self._new_model()

    # ----- feeding --------------------------------------------------------------------------------

    def upsert(self, rows: Iterable[AlertRow]) -> list[AlertRow]:
        """Adds or replaces alerts in one batch; returns the ones the queue did not know before."""
        now = self.clock()
        added: list[AlertRow] = []
        removals: list[str] = []
        inserts: list[AlertRow] = []
        changed: list[str] = []
        for row in rows:
            rid = row.alert_id
            old = self._all.get(rid)
            if old is None:
                added.append(row)
            elif old.incident_id:
                self._incidents[old.incident_id] -= 1
            if row.incident_id:
                self._incidents[row.incident_id] += 1
            self._all[rid] = row
            hay = self._hay[rid] = search_text(row)
            was, now_shown = rid in self._shown, self.filter.accepts(row, hay, now)
            if was and now_shown and old is not None and sort_key(old) == sort_key(row):
                if old != row:
                    changed.append(rid)
            else:
                if was:
                    removals.append(rid)   # hidden now, or its key changed: out, then back in at its place
                if now_shown:
                    inserts.append(row)
        self._remove(removals)
        self._insert(inserts)
        for rid in changed:
            r = self.row_of(rid)
            if r is not None:
                self._fill(r, self._all[rid])
        return added

    def _remove(self, ids: Sequence[str]) -> None:
        positions = sorted(p for p in (self._position(rid) for rid in ids) if p is not None)
        for first, last in reversed(_runs(positions)):
            for rid in self._ids[first:last + 1]:
                self._shown.discard(rid)
            del self._keys[first:last + 1]
            del self._ids[first:last + 1]
            self.qt.removeRows(first, last - first + 1)

    def _position(self, rid: str) -> int | None:
        """Where a shown alert sits; found by id scan only when its key changed (rare)."""
        if rid not in self._shown:
            return None
        i = bisect_left(self._keys, sort_key(self._all[rid]))
        if i < len(self._ids) and self._ids[i] == rid:
            return i
        try:
            return self._ids.index(rid)
        except ValueError:
            return None

    def _insert(self, rows: Sequence[AlertRow]) -> None:
        batch = sorted((sort_key(r), r.alert_id) for r in rows if r.alert_id not in self._shown)
        # Keys landing between the same two shown neighbours go in together; groups are inserted
        # from the bottom up so the positions computed before stay right.
        groups: list[tuple[int, list[tuple[SortKey, str]]]] = []
        for key, rid in batch:
            pos = bisect_left(self._keys, key)
            if groups and groups[-1][0] == pos:
                groups[-1][1].append((key, rid))
            else:
                groups.append((pos, [(key, rid)]))
        for pos, items in reversed(groups):
            self._keys[pos:pos] = [k for k, _ in items]
            self._ids[pos:pos] = [rid for _, rid in items]
            self._shown.update(rid for _, rid in items)
            for offset, (_, rid) in enumerate(items):
                self.qt.insertRow(pos + offset, self._items(self._all[rid]))

    def set_filter(self, new: AlertFilter) -> None:
        """Shows what `new` lets through: a fresh item model, filled before the view sees it."""
        if new == self.filter:
            return
        self.filter = new
        now = self.clock()
        shown = sorted((sort_key(r), rid) for rid, r in self._all.items() if new.accepts(r, self._hay[rid], now))
        self._keys = [k for k, _ in shown]
        self._ids = [rid for _, rid in shown]
        self._shown = set(self._ids)
        old, self.qt = self.qt, self._new_model()
        for rid in self._ids:
            self.qt.appendRow(self._items(self._all[rid]))
        self.rebuilds += 1
        self.model_replaced.emit(self.qt)
        old.deleteLater()

    def _new_model(self) -> QStandardItemModel:
        model = QStandardItemModel(0, len(Column), self)
        model.setHorizontalHeaderLabels(self.headers)
        return model

    def set_headers(self, headers: Sequence[str]) -> None:
        self.headers = list(headers)
        self.qt.setHorizontalHeaderLabels(self.headers)

    def refresh_ages(self, first: int, last: int) -> None:
        """The age column of rows first..last (the visible ones, about once a second)."""
        now = self.clock()
        for r in range(max(0, first), min(last, len(self._ids) - 1) + 1):
            item = self.qt.item(r, Column.AGE)
            if item is not None:
                item.setText(format_duration(now - self._all[self._ids[r]].ts))

    # ----- cells ----------------------------------------------------------------------------------

    def _texts(self, r: AlertRow) -> list[str]:
        return [r.level_name, r.category_name, r.title or r.alert_id, r.district_name,
                time.strftime("%H:%M:%S", time.localtime(r.ts)), format_duration(self.clock() - r.ts),
                r.state_name + (f" · {r.reason}" if r.reason else ""), r.assigned_to or "", r.task_id or ""]

    def _items(self, r: AlertRow) -> list[QStandardItem]:
        # Cloned from styled prototypes, not constructed: a constructor called from Python is a
        # moment the busy core thread can take the GIL, and a row has nine items.
        look = self._look
        items = [look.level_proto.get(r.level, look.unknown_proto).clone()] + \
            [look.proto.clone() for _ in range(len(Column) - 1)]
        for item, text in zip(items, self._texts(r)):
            item.setText(text)
        items[Column.LEVEL].setData(r.alert_id, ALERT_ID_ROLE)
        self._style(items, r)
        return items

    def _fill(self, row: int, r: AlertRow) -> None:
        self._write([self.qt.item(row, c) for c in Column], r)

    def _write(self, items: list[QStandardItem], r: AlertRow) -> None:
        for item, text in zip(items, self._texts(r)):
            if item.text() != text:
                item.setText(text)
        self._style(items, r)

    def _style(self, items: list[QStandardItem], r: AlertRow) -> None:
        look = self._look
        category = items[Column.CATEGORY]
        if category.data(CATEGORY_ROLE) != r.category:  # drawn, not a symbol character: every font shows it
            category.setData(r.category, CATEGORY_ROLE)
            category.setIcon(category_icon(r.category))
        items[Column.STATE].setForeground(look.state_fg.get(r.state, look.plain_fg))
        font = look.bold if r.state == "new" else look.normal
        items[Column.TITLE].setFont(font)
        items[Column.STATE].setFont(font)
        tip = "\n".join(x for x in (f"{r.alert_id} · {r.category_name}", r.title, r.detail, r.incident_id or "") if x)
        items[Column.TITLE].setToolTip(tip)

    # ----- lookups --------------------------------------------------------------------------------

    def row_of(self, alert_id: str) -> int | None:
        return self._position(alert_id)

    def alert_row(self, row: int) -> AlertRow:
        return self._all[self._ids[row]]

    def get(self, alert_id: str) -> AlertRow | None:
        return self._all.get(alert_id)

    def shown_ids(self) -> list[str]:
        return list(self._ids)

    def shown(self) -> int:
        return len(self._ids)

    def known(self) -> int:
        return len(self._all)

    def cell(self, row: int, column: Column) -> str:
        item = self.qt.item(row, column)
        return item.text() if item is not None else ""

    def incident_size(self, incident_id: str | None) -> int:
        return self._incidents.get(incident_id, 0) if incident_id else 0


class QueueView(QTableView):
    """The queue's table. It paints from a Python override on purpose: Qt then calls the item model
    while this thread holds the GIL, instead of winning it back from a busy core thread for each of
    the thousands of calls a repaint makes (measured: about 10x faster during a burst)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.last_paint = 0.0
        self._release = QTimer(self, singleShot=True, timeout=lambda: self.setUpdatesEnabled(True))

    def hold_repaints(self) -> None:
        """Before a batch: in a burst, repaint at most every REPAINT_MIN_S (a repaint per batch
        would take the GUI thread's time from everything else)."""
        since = time.monotonic() - self.last_paint
        if since < REPAINT_MIN_S and self.updatesEnabled():
            self.setUpdatesEnabled(False)
            self._release.start(int((REPAINT_MIN_S - since) * 1000) + 1)

    def paintEvent(self, event: QPaintEvent) -> None:
        self.last_paint = time.monotonic()
        super().paintEvent(event)
