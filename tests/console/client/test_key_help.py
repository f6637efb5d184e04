"""F1 lists every key of the whole console: each shortcut of the window and its panels (QAction or QShortcut,
found here on its own, not through the help's collector) is a row of the dialog, named in the current language."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAction, QKeySequence, QShortcut

from tests.console.client.live_console import Live, live
from tests.console.client.ui_texts import CJK

__all__ = ["live"]   # the fixture


def dialog_rows(live: Live) -> list[tuple[str, str, str]]:
    """(key, does, where) as the F1 dialog's table shows them."""
    dialog = live.session.window.shortcuts_dialog()
    t = dialog.table
    rows = [tuple(t.item(r, c).text() for c in range(3)) for r in range(t.rowCount())]
    dialog.deleteLater()
    return rows  # type: ignore[return-value]


def window_keys(live: Live) -> set[str]:
    w = live.session.window
    keys = {s.toString(QKeySequence.SequenceFormat.NativeText) for a in w.findChildren(QAction) for s in a.shortcuts()}
    keys |= {s.key().toString(QKeySequence.SequenceFormat.NativeText) for s in w.findChildren(QShortcut)}
    return keys - {""}


@pytest.mark.parametrize("live", ["en"], indirect=True)
def test_every_shortcut_of_the_window_is_in_the_f1_list(live: Live) -> None:
    rows = dialog_rows(live)
    listed = {key for key, _does, _where in rows}
    keys = window_keys(live)
    # Every panel's keys are there: the window's, the desk's single keys, the drone panel's, the wall's, the map's.
    assert {"F1", "F11", "Ctrl+Q", "Ctrl+1", "A", "D", "T", "H", "Alt+1", "Ctrl+Shift+D", "Ctrl+Alt+1"} <= keys
    assert keys - listed == set()
    assert all(does for _key, does, _where in rows)
    assert ("Esc", "Clear the selection, or cancel picking a point", "Map") in rows   # handled in keyPressEvent
    desk = live.session.alerts.desk
    ack = next(r for r in rows if r[0] == "A")
    assert ack[1] == desk.buttons[next(a for a in desk.buttons if a.name == "ACKNOWLEDGE")].text()
    assert ack[2] == "Alerts"
    assert len(rows) == len(set(rows))


@pytest.mark.parametrize("live", ["zh_CN"], indirect=True)
def test_the_f1_list_speaks_the_current_language(live: Live, qtbot) -> None:  # type: ignore[no-untyped-def]
    rows = dialog_rows(live)
    assert rows and all(CJK.search(does) for _key, does, _where in rows), \
        [r for r in rows if not CJK.search(r[1])]
    live.session.change_language("en")
    # Qt delivers LanguageChange through the event loop: the window has re-read its texts once Quit says so.
    qtbot.waitUntil(lambda: live.session.window.act_quit.text() == "&Quit")
    rows = dialog_rows(live)
    assert not [r for r in rows if CJK.search(r[1] + r[2])]
