"""The console's default layout at hall resolutions, on the real window the console builds (the demo
site's ConsoleSession, offscreen, not connected): the alert queue shows at least 12 rows whatever the
wall does, an open level-1 alert stays in sight with 100 lower ones below it, and the five
automatics show every dock's status whole, with one scroll bar for the whole panel."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget

from console.client.session import ConsoleSession
from tests.console.client.demo_session import demo_session
from tests.widgets.test_alert_desk import NOW, row
from tests.widgets.test_dispatch_panel import view
from widgets.alert_desk import MIN_QUEUE_ROWS
from widgets.alert_views import DockChoice

SIZES = ((1920, 1080), (1600, 900))


@pytest.fixture(scope="module")
def session(qapp: QApplication, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleSession]:
    yield from demo_session(qapp, tmp_path_factory.mktemp("layout"))


def show_at(session: ConsoleSession, qtbot: Any, width: int, height: int) -> None:
    w = session.window
    w.resize(width, height)
    w.reset_layout()               # the default proportions for this size
    qtbot.waitUntil(lambda: w.width() == width and w.height() == height)
    for _ in range(3):             # reset_layout applies its sizes from a zero-time timer, then the docks lay out
        QApplication.processEvents()


def rows_in_view(session: ConsoleSession) -> float:
    table = session.alerts.desk.table
    return table.viewport().height() / table.verticalHeader().defaultSectionSize()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_queue_shows_twelve_rows_whatever_the_wall_does(session: ConsoleSession, qtbot: Any,
                                                            size: tuple[int, int]) -> None:
    show_at(session, qtbot, *size)
    assert rows_in_view(session) >= MIN_QUEUE_ROWS
    # The wall asks for most of the column (an operator dragging the splitter, a 4x4 layout): the queue keeps its rows.
    w = session.window
    session.video.wall.set_layout("4x4")
    w.resizeDocks([w.docks["video"], w.docks["alerts"]], [size[1], 50], Qt.Orientation.Vertical)
    qtbot.waitUntil(lambda: w.docks["video"].height() > size[1] // 3)
    QApplication.processEvents()
    assert rows_in_view(session) >= MIN_QUEUE_ROWS
    session.video.wall.set_layout("3x3")


def test_an_open_level_one_alert_stays_in_sight_below_the_fold(session: ConsoleSession, qtbot: Any) -> None:
    show_at(session, qtbot, 1920, 1080)
    desk = session.alerts.desk
    desk.update_rows([row(f"L3-{i:03}", level=3, ts=NOW - i) for i in range(100)] + [row("FIRE-1", level=1)])
    # The operator scrolls to the bottom of the queue: the level-1 row is far above the viewport ...
    desk.table.scrollToBottom()
    QApplication.processEvents()
    assert desk.table.rowAt(0) > 0 and desk.model.row_of("FIRE-1") == 0
    # ... and still in sight on the strip above it, inside the desk's visible area.
    strip = desk.level1_strip
    assert strip.isVisible() and strip.shown_ids() == ["FIRE-1"]
    button = strip.buttons[0]
    assert button.isVisible() and "title FIRE-1" in button.toolTip()
    assert desk.rect().contains(QRect(button.mapTo(desk, QPoint(0, 0)), button.size()))
    # A filter that hides level 1 from the queue does not hide it from the strip; a click selects it.
    desk.level_box.setCurrentIndex(5)                  # level 4 only
    qtbot.waitUntil(lambda: desk.model.row_of("FIRE-1") is None)
    assert strip.shown_ids() == ["FIRE-1"]
    button.click()
    assert desk.current_row() is not None and desk.current_row().alert_id == "FIRE-1"
    assert button.isChecked()
    # Resolved, it leaves the strip, and the strip leaves the desk.
    desk.update_rows([row("FIRE-1", level=1, state="resolved")])
    assert strip.shown_ids() == [] and not strip.isVisible()
    desk.level_box.setCurrentIndex(0)


def _text_fits(table: Any, r: int, c: int) -> bool:
    """The cell's whole text is painted: on one line within the column, or wrapped within the row."""
    item = table.item(r, c)
    fm = table.fontMetrics()
    width = table.columnWidth(c) - 8                   # the delegate's margins
    if fm.horizontalAdvance(item.text()) <= width:
        return True
    wrapped = fm.boundingRect(QRect(0, 0, width, 10_000),
                              int(Qt.TextFlag.TextWordWrap | Qt.TextFlag.TextWrapAnywhere), item.text())
    return table.wordWrap() and wrapped.height() <= table.rowHeight(r)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_five_automatics_show_every_status_whole_with_one_scroll_bar(session: ConsoleSession, qtbot: Any,
                                                                         size: tuple[int, int]) -> None:
    show_at(session, qtbot, *size)
    panel = session.alerts.panel
    long_reason = ("the autopilot refused: Preflight Fail: Accel #0 uncalibrated, wind 13.2 m/s above the 12 m/s "
                   "limit, battery 18% below the 30% needed")
    docks = tuple(DockChoice(f"D{i:02}", f"Dock number {i} by the long road", "Laoshan", 1000.0 + 300 * i,
                             None if i % 2 else 95.0 + i, long_reason if i % 2 else "", "weather" if i % 2 else "")
                  for i in range(20))
    panel.set_view(view(docks=docks))
    qtbot.waitUntil(lambda: panel.docks.rowCount() == 20 and panel.docks.isVisible())
    table = panel.docks

    def cut() -> list[tuple[int, int]]:
        return [(r, c) for r in range(table.rowCount()) for c in range(table.columnCount())
                if not _text_fits(table, r, c)]

    # Rows take their wrapped height in a later layout pass (later still on a busy machine): wait for it.
    qtbot.waitUntil(lambda: not cut(), timeout=5000)
    header_width = sum(table.columnWidth(c) for c in range(table.columnCount()))
    assert header_width <= table.viewport().width() + 1          # no column pushed out of sight
    # No nested scrolling: the table is as tall as its rows (once the layout has taken the rows' wrapped heights),
    # the panel scrolls as one.
    qtbot.waitUntil(lambda: table.verticalScrollBar().maximum() == 0, timeout=5000)
    assert panel.cameras.verticalScrollBar().maximum() == 0
    outer = panel.scroll.verticalScrollBar()
    assert outer.maximum() > 0
    outer.setValue(0)
    _wheel_down(table.viewport())
    qtbot.waitUntil(lambda: outer.value() > 0)


def _wheel_down(target: QWidget) -> None:
    centre = QPointF(target.width() / 2, target.height() / 2)
    event = QWheelEvent(centre, QPointF(target.mapToGlobal(centre.toPoint())), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(target, event)
