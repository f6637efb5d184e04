"""The fleet board: rows, state colours, filters, sorting, readiness chips and selection sync."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor

from widgets.fleet_board import COLOUR_ROLE, DOCK_ID_ROLE, Column, FleetBoard, dock_status_text
from widgets.situation import (DOCK_STATUS_COLOURS, DistrictReadiness, FleetRow, Selection, SelectionKind,
                               SelectionModel)
from vocab import DockStatus

DISTRICTS = {"shinan": "市南", "shibei": "市北", "licang": "李沧", "laoshan": "崂山"}


def row(n: int, district: str = "shinan", status: DockStatus = DockStatus.READY, battery: float | None = 90.0,
        **kw: object) -> FleetRow:
    values: dict[str, object] = dict(
        dock_id=f"D{n:02d}", name=f"Dock {n:02d}", district=district, district_name=DISTRICTS[district],
        status=status, drone_text="in dock", battery_pct=battery, charge_trend_pct_min=None, link_text="10 Hz",
        link_ok=True, task_text="", ready_in_s=None, sysid=n)
    values.update(kw)
    return FleetRow(**values)  # type: ignore[arg-type]


def fleet() -> list[FleetRow]:
    return [
        row(1, "shinan", DockStatus.READY, 95.0),
        row(2, "shinan", DockStatus.CHARGING, 40.0, charge_trend_pct_min=1.5, ready_in_s=125.0),
        row(3, "shibei", DockStatus.IN_FLIGHT, 9.0, charge_trend_pct_min=-2.0),
        row(4, "licang", DockStatus.OFFLINE, None),
        row(5, "laoshan", DockStatus.READY, 100.0),
        row(6, "laoshan", DockStatus.FAULT, 55.0),
    ]


@pytest.fixture
def board(qtbot):  # type: ignore[no-untyped-def]
    selection = SelectionModel()
    b = FleetBoard(selection)
    qtbot.addWidget(b)
    b.set_rows(fleet())
    b.resize(900, 600)
    b.show()
    return b


def cell(board: FleetBoard, dock_id: str, column: Column, role: int = Qt.ItemDataRole.DisplayRole) -> object:
    m = board.model
    r = m.row_of(dock_id)
    assert r is not None
    return m.index(r, column).data(role)


def test_rows_show_texts_and_state_colours(board: FleetBoard) -> None:
    assert board.model.rowCount() == 6
    assert cell(board, "D01", Column.NAME) == "Dock 01"
    assert cell(board, "D01", Column.DISTRICT) == "市南"
    assert cell(board, "D02", Column.STATE) == dock_status_text(DockStatus.CHARGING)
    for dock_id, status in (("D01", DockStatus.READY), ("D04", DockStatus.OFFLINE), ("D06", DockStatus.FAULT)):
        assert cell(board, dock_id, Column.STATE, COLOUR_ROLE) == QColor(DOCK_STATUS_COLOURS[status])
        assert cell(board, dock_id, Column.STATE, Qt.ItemDataRole.DecorationRole) is not None
    assert cell(board, "D02", Column.BATTERY) == "40% ↑1.5%/min"
    assert cell(board, "D03", Column.BATTERY) == "9% ↓2.0%/min"
    assert cell(board, "D04", Column.BATTERY) == "--"  # unknown, not 0 %
    assert cell(board, "D02", Column.READY_IN) == "02:05"
    assert cell(board, "D01", Column.READY_IN) == "--"


def test_district_and_state_filters(board: FleetBoard) -> None:
    board.district_filter.setCurrentIndex(board.district_filter.findData("laoshan"))
    assert sorted(board.visible_dock_ids()) == ["D05", "D06"]
    board.state_filter.setCurrentIndex(board.state_filter.findData(DockStatus.READY))
    assert board.visible_dock_ids() == ["D05"]
    board.district_filter.setCurrentIndex(0)
    assert sorted(board.visible_dock_ids()) == ["D01", "D05"]
    board.state_filter.setCurrentIndex(0)
    assert board.proxy.rowCount() == 6


def test_sorting_by_battery_is_numeric(board: FleetBoard) -> None:
    board.table.sortByColumn(Column.BATTERY, Qt.SortOrder.AscendingOrder)
    # 9 < 40 < 55 < 95 < 100 numerically (as text "100" would sort before "40"); unknown first.
    assert board.visible_dock_ids() == ["D04", "D03", "D02", "D06", "D01", "D05"]
    board.table.sortByColumn(Column.BATTERY, Qt.SortOrder.DescendingOrder)
    assert board.visible_dock_ids()[:2] == ["D05", "D01"]


def test_readiness_chips_and_gap_warning(board: FleetBoard) -> None:
    board.set_readiness([DistrictReadiness("shinan", "市南", 12, 14, 3),
                         DistrictReadiness("licang", "李沧", 1, 14, 3)])
    ok, gap = board.chips["shinan"], board.chips["licang"]
    assert ok.text() == "市南 12/14 ready"
    assert not ok.property("gap")
    assert gap.property("gap")
    assert "李沧 1/14 ready" in gap.text() and "⚠" in gap.text()
    assert "site minimum (3)" in gap.toolTip()
    board.set_readiness([DistrictReadiness("shinan", "市南", 2, 14, 3), DistrictReadiness("licang", "李沧", 3, 14, 3)])
    assert board.chips["shinan"].property("gap") and not board.chips["licang"].property("gap")


def test_row_click_selects_the_dock(board: FleetBoard, qtbot) -> None:  # type: ignore[no-untyped-def]
    proxy_row = board.visible_dock_ids().index("D03")
    rect = board.table.visualRect(board.proxy.index(proxy_row, Column.NAME))
    with qtbot.waitSignal(board.selection.changed) as blocker:
        qtbot.mouseClick(board.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [Selection(SelectionKind.DOCK, "D03")]


def test_double_click_asks_to_locate(board: FleetBoard, qtbot) -> None:  # type: ignore[no-untyped-def]
    index = board.proxy.index(board.visible_dock_ids().index("D05"), Column.NAME)
    with qtbot.waitSignal(board.locate_requested) as blocker:
        board.table.doubleClicked.emit(index)
    assert blocker.args == ["D05"]


def selected_ids(board: FleetBoard) -> list[str]:
    return [i.data(DOCK_ID_ROLE) for i in board.table.selectionModel().selectedRows()]


def test_external_selection_selects_the_row_without_echo(board: FleetBoard, qtbot) -> None:  # type: ignore[no-untyped-def]
    seen: list[object] = []
    board.selection.changed.connect(seen.append)
    board.selection.select(Selection(SelectionKind.DOCK, "D06"))
    assert selected_ids(board) == ["D06"]
    board.selection.select(Selection(SelectionKind.DRONE, "3"))  # a drone picked on the map
    assert selected_ids(board) == ["D03"]
    assert seen == [Selection(SelectionKind.DOCK, "D06"), Selection(SelectionKind.DRONE, "3")]  # no DOCK echo
    assert board.selection.current == Selection(SelectionKind.DRONE, "3")
    board.selection.select(Selection(SelectionKind.ALERT, "ALR-1"))
    assert selected_ids(board) == []


def test_incremental_update_changes_cells_without_reset(board: FleetBoard, qtbot) -> None:  # type: ignore[no-untyped-def]
    board.selection.select(Selection(SelectionKind.DOCK, "D02"))
    resets = board.model.resets
    changes: list[tuple[int, int, int, int]] = []
    board.model.dataChanged.connect(
        lambda a, b, *_: changes.append((a.row(), a.column(), b.row(), b.column())))
    rows = fleet()
    rows[1] = dataclasses.replace(rows[1], battery_pct=41.0)
    board.set_rows(rows)
    assert board.model.resets == resets
    r = board.model.row_of("D02")
    assert changes == [(r, Column.BATTERY, r, Column.BATTERY)]
    assert cell(board, "D02", Column.BATTERY) == "41% ↑1.5%/min"
    assert selected_ids(board) == ["D02"]
    board.set_rows(rows)  # nothing changed: nothing signalled
    assert len(changes) == 1


def test_new_dock_set_resets_and_keeps_selection(board: FleetBoard) -> None:
    board.selection.select(Selection(SelectionKind.DOCK, "D05"))
    resets = board.model.resets
    board.set_rows([*fleet(), row(7, "shibei")])
    assert board.model.resets == resets + 1
    assert board.model.rowCount() == 7
    assert selected_ids(board) == ["D05"]
    assert board.district_filter.findData("shibei") > 0


def test_model_rejects_children() -> None:
    from widgets.fleet_board import FleetTableModel

    m = FleetTableModel()
    m.set_rows(fleet())
    assert m.rowCount(m.index(0, 0)) == 0 and m.rowCount(QModelIndex()) == 6


def test_language_change_retranslates(board: FleetBoard) -> None:
    from PySide6.QtCore import QCoreApplication, QEvent

    board.set_readiness([DistrictReadiness("shinan", "市南", 12, 14, 3)])
    QCoreApplication.sendEvent(board, QEvent(QEvent.Type.LanguageChange))
    assert board.chips["shinan"].text() == "市南 12/14 ready"
    assert board.state_filter.itemText(0) == "All states"


def test_readiness_chips_wrap_in_a_narrow_board_and_stay_whole(board: FleetBoard, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Four district chips in a narrow board go two to a row (the board does not force the drone panel beside it
    to shrink), and every chip still shows its whole text."""
    board.set_readiness([DistrictReadiness(k, name, 13, 15, 3) for k, name in
                         (("shinan", "Shinan"), ("shibei", "Shibei"), ("licang", "Licang"), ("laoshan", "Laoshan"))])
    board.show()
    one_row = sum(c.sizeHint().width() for c in board.chips.values())
    assert board.minimumSizeHint().width() < one_row    # a board narrower than one row of chips is allowed
    board.resize(one_row * 2, 300)
    qtbot.waitUntil(lambda: len({c.y() for c in board.chips.values()}) == 1)
    board.resize(one_row * 6 // 10, 300)
    qtbot.waitUntil(lambda: len({c.y() for c in board.chips.values()}) == 2)
    for chip in board.chips.values():
        assert chip.fontMetrics().horizontalAdvance(chip.text()) <= chip.contentsRect().width(), chip.text()
