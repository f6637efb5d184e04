"""The fleet board: every dock and its drone in one dense table, with district readiness on top.

The console hands over `FleetRow`s about once a second (`FleetBoard.set_rows`) and the districts'
readiness (`set_readiness`). Rows update in place so the operator's selection and scroll position
survive the refresh; the table follows the console's one `SelectionModel` and changes it on click.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (QAbstractTableModel, QCoreApplication, QEvent, QItemSelectionModel, QModelIndex,
                            QPersistentModelIndex, QSortFilterProxyModel, Qt, Signal)
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QTableView,
                               QVBoxLayout, QWidget)

from widgets.eliding_combo import ElidingComboBox
from widgets.texts import term_text
from widgets.situation import (DOCK_STATUS_COLOURS, DistrictReadiness, FleetRow, Selection, SelectionKind,
                               SelectionModel)
from vocab import DockStatus

#: Roles beyond Qt's own: the sort key of a cell and the identity/state of its row.
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
DOCK_ID_ROLE = Qt.ItemDataRole.UserRole + 2
STATUS_ROLE = Qt.ItemDataRole.UserRole + 3     # DockStatus of the row
DISTRICT_ROLE = Qt.ItemDataRole.UserRole + 4   # district key of the row
SYSID_ROLE = Qt.ItemDataRole.UserRole + 5
COLOUR_ROLE = Qt.ItemDataRole.UserRole + 6     # QColor of the dock state (state column)

#: A battery below this is shown in the alarm colour (the dispatch reserve lives in the fleet layer).
LOW_BATTERY_PCT = 25.0
#: A charge trend smaller than this (%/min) is noise, shown without an arrow.
TREND_DEADBAND_PCT_MIN = 0.05
CELL_PADDING_PX = 16        # a cell's margins and the sort arrow's room
ALARM_COLOUR = "#f85149"
WARN_COLOUR = "#d29922"
OK_COLOUR = "#3fb950"


class Column(IntEnum):
    NAME = 0
    DISTRICT = 1
    STATE = 2
    DRONE = 3
    BATTERY = 4
    LINK = 5
    TASK = 6
    READY_IN = 7


#: The FleetRow fields each column shows: a cell is signalled as changed when one of them changes.
_FIELDS: dict[Column, tuple[str, ...]] = {
    Column.NAME: ("name",), Column.DISTRICT: ("district", "district_name"), Column.STATE: ("status",),
    Column.DRONE: ("drone_text", "sysid"), Column.BATTERY: ("battery_pct", "charge_trend_pct_min"),
    Column.LINK: ("link_text", "link_ok"), Column.TASK: ("task_text",), Column.READY_IN: ("ready_in_s",),
}


def dock_status_text(status: DockStatus) -> str:
    """The localized name of a dock state, shared by the board, the map and tooltips."""
    return term_text(status)


def format_mm_ss(seconds: float) -> str:
    s = max(0, int(round(seconds)))
    return f"{s // 60:02d}:{s % 60:02d}"


def _dot_icon(colour: str, size: int = 10) -> QIcon:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(colour))
    p.drawEllipse(1, 1, size - 2, size - 2)
    p.end()
    return QIcon(pix)


class FleetTableModel(QAbstractTableModel):
    """The rows of the board; `set_rows` updates changed cells only, resets only when the docks change."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[FleetRow] = []
        self._index: dict[str, int] = {}
        self._icons: dict[DockStatus, QIcon] = {}
        self.resets = 0  # how many times the whole model was reset (a refresh should not)

    # ----- feeding --------------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[FleetRow]) -> None:
        new = {r.dock_id: r for r in rows}
        if set(new) != set(self._index) or len(new) != len(rows):
            self.beginResetModel()
            self._rows = list(rows)
            self._index = {r.dock_id: i for i, r in enumerate(self._rows)}
            self.resets += 1
            self.endResetModel()
            return
        # Same docks: keep our row order (views keep selection and scroll) and signal changed cells.
        for i, old in enumerate(self._rows):
            row = new[old.dock_id]
            if row == old:
                continue
            self._rows[i] = row
            changed = [c for c in Column if self._cell_differs(old, row, c)]
            if changed:
                self.dataChanged.emit(self.index(i, min(changed)), self.index(i, max(changed)))

    @staticmethod
    def _cell_differs(old: FleetRow, new: FleetRow, column: Column) -> bool:
        return any(getattr(old, f) != getattr(new, f) for f in _FIELDS[column])

    def row_of(self, dock_id: str) -> int | None:
        return self._index.get(dock_id)

    def row_of_sysid(self, sysid: int) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.sysid == sysid), None)

    def fleet_row(self, row: int) -> FleetRow:
        return self._rows[row]

    def retranslate(self) -> None:
        """Texts made here (state names, headers) change with the language."""
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(Column) - 1)
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(Column) - 1))

    # ----- Qt model interface ---------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return (self.tr("Dock"), self.tr("District"), self.tr("State"), self.tr("Drone"), self.tr("Battery"),
                self.tr("Link"), self.tr("Task"), self.tr("Ready in"))[section]

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        col = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(r, col)
        if role == SORT_ROLE:
            return self._sort_key(r, col)
        if role in (DOCK_ID_ROLE, STATUS_ROLE, DISTRICT_ROLE, SYSID_ROLE):
            return {DOCK_ID_ROLE: r.dock_id, STATUS_ROLE: r.status, DISTRICT_ROLE: r.district,
                    SYSID_ROLE: r.sysid}[role]
        if col == Column.STATE:
            if role == COLOUR_ROLE:
                return QColor(DOCK_STATUS_COLOURS[r.status])
            if role == Qt.ItemDataRole.DecorationRole:
                if r.status not in self._icons:
                    self._icons[r.status] = _dot_icon(DOCK_STATUS_COLOURS[r.status])
                return self._icons[r.status]
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._alarm_brush(r, col)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (Column.BATTERY, Column.READY_IN):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and col == Column.DRONE:
            return self.tr("System id %1").replace("%1", str(r.sysid))
        return None

    @staticmethod
    def _text(r: FleetRow, col: Column) -> str:
        if col == Column.NAME:
            return r.name
        if col == Column.DISTRICT:
            return r.district_name
        if col == Column.STATE:
            return dock_status_text(r.status)
        if col == Column.DRONE:
            return r.drone_text
        if col == Column.BATTERY:
            if r.battery_pct is None:
                return "--"
            text = f"{r.battery_pct:.0f}%"
            trend = r.charge_trend_pct_min
            if trend is not None and abs(trend) >= TREND_DEADBAND_PCT_MIN:
                text += f" {'↑' if trend > 0 else '↓'}{abs(trend):.1f}%/min"
            return text
        if col == Column.LINK:
            return r.link_text or "--"
        if col == Column.TASK:
            return r.task_text
        return "--" if r.ready_in_s is None else format_mm_ss(r.ready_in_s)

    @staticmethod
    def _sort_key(r: FleetRow, col: Column) -> Any:
        # Unknowns sort below every real value, so "lowest battery first" shows real batteries.
        if col == Column.BATTERY:
            return -1.0 if r.battery_pct is None else float(r.battery_pct)
        if col == Column.READY_IN:
            return math.inf if r.ready_in_s is None else r.ready_in_s
        if col == Column.STATE:
            return list(DockStatus).index(r.status)
        if col == Column.DRONE:
            return r.sysid
        return FleetTableModel._text(r, col)

    @staticmethod
    def _alarm_brush(r: FleetRow, col: Column) -> QBrush | None:
        if col == Column.BATTERY and r.battery_pct is not None and r.battery_pct < LOW_BATTERY_PCT:
            return QBrush(QColor(ALARM_COLOUR))
        if col == Column.LINK and r.link_ok is False:
            return QBrush(QColor(ALARM_COLOUR))
        return None  # the palette's text colour


class FleetFilterModel(QSortFilterProxyModel):
    """Shows the rows of one district and/or one dock state (None: all); sorts by `SORT_ROLE`."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._district: str | None = None
        self._status: DockStatus | None = None
        self.setSortRole(SORT_ROLE)

    def set_filters(self, district: str | None, status: DockStatus | None) -> None:
        self.beginFilterChange()
        self._district, self._status = district, status
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        idx = self.sourceModel().index(source_row, 0, source_parent)
        if self._district is not None and idx.data(DISTRICT_ROLE) != self._district:
            return False
        return self._status is None or idx.data(STATUS_ROLE) == self._status


class FleetBoard(QWidget):
    """Readiness chips, two filters and the fleet table, kept in step with the console's selection."""

    locate_requested = Signal(str)  # dock id: the operator double-clicked its row (centre the map)

    def __init__(self, selection: SelectionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.selection = selection
        self.model = FleetTableModel(self)
        self.proxy = FleetFilterModel(self)
        self.proxy.setSourceModel(self.model)
        self._syncing = False  # True while the table follows the SelectionModel (no echo back)
        self._readiness: list[DistrictReadiness] = []
        self.chips: dict[str, QLabel] = {}
        self._district_names: dict[str, str] = {}

        # A grid, not a row: the chips wrap to two columns in a narrow board instead of setting its minimum width
        # (and squeezing the drone panel beside it), and no chip's text is ever cut.
        self.chip_bar = QGridLayout()
        self.chip_bar.setSpacing(6)
        self._chip_columns = 0
        self.district_filter, self.state_filter = ElidingComboBox(), ElidingComboBox()   # sized to their items
        self.district_label, self.state_label = QLabel(), QLabel()
        for status in (None, *DockStatus):
            self.state_filter.addItem("", status)
        self.district_filter.addItem("", None)
        filters = QHBoxLayout()
        for w in (self.district_label, self.district_filter, self.state_label, self.state_filter):
            filters.addWidget(w)
        filters.addStretch(1)

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(Column.NAME, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        # Dense rows: 56 docks should fit a dock widget on a 1080p screen.
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 4)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(4)
        lay.addLayout(self.chip_bar)
        lay.addLayout(filters)
        lay.addWidget(self.table, 1)

        self.district_filter.currentIndexChanged.connect(self._apply_filters)
        self.state_filter.currentIndexChanged.connect(self._apply_filters)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection)
        self.table.doubleClicked.connect(self._on_double_click)
        self.model.modelReset.connect(self._after_reset)
        self.selection.changed.connect(self._follow_selection)
        self.retranslate()

    # ----- feeding --------------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[FleetRow]) -> None:
        """The docks and their drones, at the console's refresh rate (about 1 Hz)."""
        self.model.set_rows(rows)
        districts = {r.district: r.district_name for r in rows}
        if districts != self._district_names:   # first rows, or names in another language: they need room
            self._district_names = districts
            self.size_columns()
        known = {self.district_filter.itemData(i): i for i in range(1, self.district_filter.count())}
        for key, name in sorted(districts.items()):
            if key in known:
                self.district_filter.setItemText(known[key], name)
            else:
                self.district_filter.addItem(name, key)

    def set_readiness(self, readiness: Sequence[DistrictReadiness]) -> None:
        """One chip per district: ready docks of all, in amber or red below the site minimum."""
        self._readiness = list(readiness)
        if [d.district for d in readiness] != list(self.chips):
            for chip in self.chips.values():
                self.chip_bar.removeWidget(chip)
                chip.deleteLater()
            self.chips = {}
            for d in readiness:
                chip = QLabel()
                chip.setAlignment(Qt.AlignmentFlag.AlignCenter)
                self.chips[d.district] = chip
            self._chip_columns = 0   # place them anew
        for d in readiness:
            self._paint_chip(self.chips[d.district], d)
        self._place_chips()

    def _place_chips(self) -> None:
        """All chips on one row when they fit the board's width, else two to a row."""
        chips = list(self.chips.values())
        spacing = self.chip_bar.spacing()
        needed = sum(c.sizeHint().width() + spacing for c in chips)
        columns = len(chips) if needed <= self.width() - 8 else max(1, (len(chips) + 1) // 2)
        if columns == self._chip_columns:
            return
        self._chip_columns = columns
        for i, chip in enumerate(chips):
            self.chip_bar.removeWidget(chip)
            self.chip_bar.addWidget(chip, i // columns, i % columns)

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        self._place_chips()

    def _paint_chip(self, chip: QLabel, d: DistrictReadiness) -> None:
        text = self.tr("%1 %2/%3 ready").replace("%1", d.district_name).replace("%2", str(d.ready)) \
            .replace("%3", str(d.total))
        if d.gap:
            colour = ALARM_COLOUR if d.ready == 0 else WARN_COLOUR
            chip.setText(f"⚠ {text}")
            chip.setToolTip(self.tr("Coverage gap: fewer ready docks than the site minimum (%n)", "", d.minimum))
            chip.setStyleSheet(f"QLabel {{ background: {colour}; color: #0d1117; font-weight: bold;"
                               " border-radius: 8px; padding: 2px 8px; }")
        else:
            chip.setText(text)
            chip.setToolTip(self.tr("Ready docks of all docks in the district; the site minimum is %n", "", d.minimum))
            chip.setStyleSheet(f"QLabel {{ border: 1px solid {OK_COLOUR}; border-radius: 8px; padding: 2px 8px; }}")
        chip.setProperty("gap", d.gap)

    # ----- filters --------------------------------------------------------------------------------

    def _apply_filters(self) -> None:
        self.proxy.set_filters(self.district_filter.currentData(), self.state_filter.currentData())

    def visible_dock_ids(self) -> list[str]:
        """The dock ids the table shows, top to bottom (after filters and sorting)."""
        return [self.proxy.index(i, 0).data(DOCK_ID_ROLE) for i in range(self.proxy.rowCount())]

    # ----- selection ------------------------------------------------------------------------------

    def _on_table_selection(self) -> None:
        if self._syncing:
            return
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.selection.select(Selection(SelectionKind.DOCK, rows[0].data(DOCK_ID_ROLE)))

    def _on_double_click(self, index: QModelIndex) -> None:
        self.locate_requested.emit(index.data(DOCK_ID_ROLE))

    def _follow_selection(self, selection: Selection | None) -> None:
        """Selects and shows the row of a dock or drone chosen elsewhere (map, alerts)."""
        row: int | None = None
        if selection is not None and selection.kind is SelectionKind.DOCK:
            row = self.model.row_of(selection.key)
        elif selection is not None and selection.kind is SelectionKind.DRONE and selection.key.isdigit():
            row = self.model.row_of_sysid(int(selection.key))
        self._syncing = True
        try:
            sel = self.table.selectionModel()
            proxy_index = self.proxy.mapFromSource(self.model.index(row, 0)) if row is not None else QModelIndex()
            if proxy_index.isValid():
                sel.select(proxy_index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                           | QItemSelectionModel.SelectionFlag.Rows)
                sel.setCurrentIndex(proxy_index, QItemSelectionModel.SelectionFlag.NoUpdate)
                self.table.scrollTo(proxy_index, QAbstractItemView.ScrollHint.EnsureVisible)
            else:
                sel.clearSelection()
        finally:
            self._syncing = False

    def _after_reset(self) -> None:
        self.size_columns()
        # A reset drops the view's selection: take it back from the console's selection.
        self._follow_selection(self.selection.current)

    def size_columns(self) -> None:
        """Every column as wide as its header and values in the current language (a switch changes them)."""
        self.table.resizeColumnsToContents()
        # Sized for the widest value a cell will take, not the first one seen ("--" at start-up).
        fm = self.table.fontMetrics()
        states = max((f"● {dock_status_text(s)}" for s in DockStatus), key=fm.horizontalAdvance)
        for column, sample in ((Column.BATTERY, "100% ↓88.8%/min"), (Column.LINK, "888 Hz"),
                               (Column.TASK, "MMMMMM"), (Column.DRONE, "MMMMM"), (Column.STATE, states)):
            width = fm.horizontalAdvance(sample) + CELL_PADDING_PX
            if self.table.columnWidth(column) < width:
                self.table.setColumnWidth(column, width)

    # ----- language -------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.district_label.setText(self.tr("District"))
        self.state_label.setText(self.tr("State"))
        self.district_filter.setItemText(0, self.tr("All districts"))
        self.state_filter.setItemText(0, self.tr("All states"))
        for i in range(1, self.state_filter.count()):
            # Qt hands the StrEnum back as a plain str, which has no name of its own to translate.
            self.state_filter.setItemText(i, dock_status_text(DockStatus(self.state_filter.itemData(i))))
        for d in self._readiness:
            self._paint_chip(self.chips[d.district], d)
        self.table.setToolTip(self.tr("Double-click a dock to show it on the map"))
        self.model.retranslate()
        self.size_columns()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
