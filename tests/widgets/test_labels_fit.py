"""Labels fit in both languages: the HUD's mode readout, the desk's and the board's filters, the board's
columns. Each check measures the text's horizontal advance in the widget's own font against the room
the widget gives it (or, where a narrow panel cannot give it, checks the text is elided with a tooltip
holding all of it)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QApplication

from console.client.i18n import LanguageSwitch
from tests.widgets.test_drone_panel import detail
from tests.widgets.test_fleet_board import fleet
from widgets.alert_desk import AlertDesk
from widgets.eliding_combo import ElidingComboBox
from widgets.fleet_board import Column, FleetBoard
from widgets.hud import HudWidget
from widgets.situation import FleetRow, SelectionModel
from widgets.texts import FLIGHT_MODES

CELL_MARGINS_PX = 6     # a view's text margins, 3 px each side (the style's focus frame margin + 1)
NAMES = {"zh_CN": {"shinan": "市南区", "shibei": "市北区", "licang": "李沧区", "laoshan": "崂山区"},
         "en": {"shinan": "Shinan", "shibei": "Shibei", "licang": "Licang", "laoshan": "Laoshan"}}


@pytest.fixture(params=["zh_CN", "en"])
def language(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    switch = LanguageSwitch(qapp)
    assert switch.set_language(request.param)
    yield request.param
    switch.set_language("en")


def rows_in(language: str) -> list[FleetRow]:
    return [dataclasses.replace(r, district_name=NAMES[language][r.district]) for r in fleet()]


def test_the_hud_mode_readout_fits_every_mode(qtbot, language: str) -> None:  # type: ignore[no-untyped-def]
    hud = HudWidget()
    qtbot.addWidget(hud)
    hud.resize(hud.minimumSize())      # the narrowest the drone panel may make it
    hud.show()
    fm = QFontMetricsF(hud.readout_font())
    for mode in FLIGHT_MODES:
        hud.set_detail(detail(mode=mode, ground_speed_m_s=12.3, alt_rel_m=118.5, climb_m_s=-2.5))
        r = hud.readouts()
        room = hud.side_width(hud.width(), r, fm) - 8          # the text margins inside the shaded box
        for text in hud.side_lines(r):
            for line in text.split("\n"):
                assert fm.horizontalAdvance(line) <= room, (mode, line, room)


def test_the_fleet_board_filters_and_columns_fit(qtbot, language: str) -> None:  # type: ignore[no-untyped-def]
    board = FleetBoard(SelectionModel())
    qtbot.addWidget(board)
    board.resize(900, 400)
    board.show()
    board.set_rows(rows_in(language))
    for box in (board.district_filter, board.state_filter):
        for i in range(box.count()):
            box.setCurrentIndex(i)    # the box asks for the room of its new text; the layout gives it next
            qtbot.waitUntil(lambda b=box: b.fontMetrics().horizontalAdvance(b.currentText()) <= b.label_width(),
                            timeout=2000)
    model, fm = board.model, board.table.fontMetrics()
    for col in Column:
        header = model.headerData(col, board.table.horizontalHeader().orientation())
        assert fm.horizontalAdvance(header) <= board.table.columnWidth(col), header
        for row in range(model.rowCount()):
            text = model.index(row, col).data()
            if isinstance(text, str):
                assert fm.horizontalAdvance(text) <= board.table.columnWidth(col) - CELL_MARGINS_PX, (col, text)


def test_the_board_sizes_its_columns_again_after_a_language_switch(qtbot, qapp: QApplication) -> None:  # type: ignore[no-untyped-def]
    switch = LanguageSwitch(qapp)
    assert switch.set_language("zh_CN")
    board = FleetBoard(SelectionModel())
    qtbot.addWidget(board)
    board.resize(900, 400)
    board.show()
    board.set_rows(rows_in("zh_CN"))
    switch.set_language("en")
    board.set_rows(rows_in("en"))      # the console feeds the rows again in the new language
    fm = board.table.fontMetrics()
    assert fm.horizontalAdvance("Laoshan") <= board.table.columnWidth(Column.DISTRICT) - CELL_MARGINS_PX


@pytest.mark.parametrize("width", [1400, 400])
def test_the_desk_filters_show_their_whole_text_or_elide_with_a_tooltip(qtbot, language: str,  # type: ignore[no-untyped-def]
                                                                       width: int) -> None:
    desk = AlertDesk(SelectionModel())
    qtbot.addWidget(desk)
    desk.resize(width, 500)
    desk.show()
    qtbot.waitExposed(desk)
    boxes = [desk.level_box, desk.category_box, desk.district_box, desk.state_box, desk.time_box]
    for box in boxes:
        assert isinstance(box, ElidingComboBox)
        fits = box.fontMetrics().horizontalAdvance(box.currentText()) <= box.label_width()
        if width >= 1400:
            assert fits, box.currentText()       # room enough: nothing is shortened
        else:
            assert fits or box.toolTip() == box.currentText(), (box.currentText(), box.toolTip())
            # Unfiltered, each says at least what it filters, without an ellipsis.
            assert not box.shown_text().endswith("…"), (box.currentText(), box.shown_text(), box.label_width())
