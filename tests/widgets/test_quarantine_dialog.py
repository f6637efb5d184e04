"""The quarantine says when it is empty, lists what it holds, and says it in the language of the moment."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QApplication

from console.client.i18n import LanguageSwitch
from widgets.alert_desk import AlertDesk
from widgets.alert_views import QuarantineRow
from widgets.situation import SelectionModel


def bad(n: int) -> QuarantineRow:
    return QuarantineRow(n, "qdcb/alerts/v1/shinan/waterlogging", "not valid JSON", b"{not json", 9, time.time())


def test_an_empty_quarantine_says_it_is_empty(qtbot, qapp: QApplication) -> None:  # type: ignore[no-untyped-def]
    desk = AlertDesk(SelectionModel())
    qtbot.addWidget(desk)
    desk.set_quarantine([])
    dialog = desk.open_quarantine()
    assert dialog.summary.text() == "The quarantine is empty."
    assert dialog.raw.placeholderText() == "No quarantined payloads: every message received could be used."
    assert dialog.table.rowCount() == 0

    desk.set_quarantine([bad(1), bad(2)])
    assert dialog.table.rowCount() == 2
    assert dialog.summary.text() == "2 payloads could not be used. They are kept here, never dropped."

    switch = LanguageSwitch(qapp)
    assert switch.set_language("zh_CN")
    qtbot.waitUntil(lambda: dialog.windowTitle() != "Quarantined payloads")
    assert "隔离" in dialog.windowTitle() and "2" in dialog.summary.text() and "payloads" not in dialog.summary.text()
    switch.set_language("en")
    desk.set_quarantine([])      # emptied again (a new shift's console): it says so again
    qtbot.waitUntil(lambda: dialog.summary.text() == "The quarantine is empty.")
    assert dialog.table.rowCount() == 0
