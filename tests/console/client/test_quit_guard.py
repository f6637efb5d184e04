"""Quitting with drones in the air asks first, says what goes on without the console, and defaults to
staying; with nothing open it quits at once; the smoke check and signals close without asking."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from console.client.main_window import MainWindow
from console.client.quit_guard import quit_warning
from console.core.task_service import TaskView
from vocab import TaskState

DOCKS = {"D1": "北九水", "D2": "仰口"}


def task(task_id: str, state: TaskState, sysid: int = 1, dock_id: str = "D1") -> TaskView:
    return TaskView(task_id, sysid, dock_id, None, state, (), None, None, 0.0)


class AnsweringWindow(MainWindow):
    """The real window; the test answers its question and keeps what it was asked."""

    answer = False

    def confirm_quit(self, warning: str) -> bool:
        self.asked.append(warning)
        return self.answer


@pytest.fixture
def window(qtbot: Any, tmp_path: Path) -> AnsweringWindow:
    w = AnsweringWindow(site_name="test", settings=QSettings(str(tmp_path / "c.ini"), QSettings.Format.IniFormat),
                        language="en")
    w.asked = []
    qtbot.addWidget(w)
    w.show()
    return w


def test_with_drones_in_the_air_quitting_asks_and_says_what_continues(window: AnsweringWindow) -> None:
    tasks = [task("T1", TaskState.EN_ROUTE, 3, "D1"), task("T2", TaskState.PREFLIGHT, 4, "D2")]
    window.quit_warning = lambda: quit_warning(tasks, DOCKS)
    window.act_quit.trigger()                      # Ctrl+Q
    assert window.isVisible()                      # the operator said no: still running
    text = window.asked[-1]
    assert "1 drone(s) in the air" in text and "2 open task(s)" in text
    assert "Drone 3 · 北九水" in text and "Drone 4 · 仰口" in text
    assert "return to their docks on their own" in text and "take over after confirming" in text
    assert "1 task(s) that have not taken off will not fly" in text
    window.answer = True
    window.close()                                 # the window's close button
    assert not window.isVisible() and len(window.asked) == 2


def test_with_nothing_in_the_air_it_quits_without_asking(window: AnsweringWindow) -> None:
    window.quit_warning = lambda: quit_warning([task("T9", TaskState.COMPLETED)], DOCKS)
    assert quit_warning([], DOCKS) is None
    window.close()
    assert not window.isVisible() and window.asked == []


def test_smoke_and_signals_close_without_asking(window: AnsweringWindow) -> None:
    window.quit_warning = lambda: quit_warning([task("T1", TaskState.ON_SCENE)], DOCKS)
    window.close_without_asking()
    assert not window.isVisible() and window.asked == []


def test_the_real_question_defaults_to_staying(qtbot: Any, tmp_path: Path) -> None:
    w = MainWindow(site_name="test", settings=QSettings(str(tmp_path / "c.ini"), QSettings.Format.IniFormat),
                   language="en")
    qtbot.addWidget(w)
    w.show()
    w.quit_warning = lambda: quit_warning([task("T1", TaskState.RETURNING)], DOCKS)
    seen: list[str] = []

    def press_enter() -> None:
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(10, press_enter)    # the question is not up yet
            return
        seen.append(box.windowTitle())
        QTest.keyClick(box, Qt.Key.Key_Return)

    QTimer.singleShot(0, press_enter)
    w.close()
    assert seen == ["Quit the console?"]
    assert w.isVisible()                           # Enter kept the console running
    w.close_without_asking()                       # (qtbot's teardown would ask again, with nobody to answer)
