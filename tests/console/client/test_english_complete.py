"""English is complete: the whole console, as `python main.py` builds it, on a live simulated site, shows
no Chinese in English, whether it started in English or was switched from Chinese while running.

Every text is read back from the real widgets (tests/console/client/ui_texts.py): labels, buttons,
actions, menus, tabs, dock titles, table and list items and headers, combo items, tooltips, window
titles. So a text set from code (a controller, a `.tr()` evaluated once at construction) is caught,
not only the strings lupdate sees.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.console.client.live_console import WAIT_MS, Live, live
from tests.console.client.ui_texts import all_texts, top_level_windows, with_cjk, with_english_words
from widgets.situation import Selection, SelectionKind

__all__ = ["live"]   # the fixture
#: Latin words a Chinese screen keeps: protocol, format and unit names, key names, the English menu entry.
ALLOWED_LATIN = {"MQTT", "MAVLink", "JSON", "CSV", "GPS", "Hz", "km", "Alt", "Ctrl", "Shift", "English"}


def fill_every_panel(live: Live, qtbot) -> None:  # type: ignore[no-untyped-def]
    """An alert with its five automatics, a quarantined payload (dialog open), a drone in the panel."""
    s = live.session
    qtbot.waitUntil(lambda: s.services.health.snapshot()["broker_connected"], timeout=WAIT_MS)
    dock = s.site.docks[0]
    live.publish_alert("EN-1", dock.lat + 0.003, dock.lon + 0.003)
    qtbot.waitUntil(lambda: s.alerts.desk.model.get("EN-1") is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: len(s.alerts.desk.quarantine_rows) == 1, timeout=WAIT_MS)
    # The selected alert's five automatics, then a drone in the panel: every panel has content.
    s.situation.selection.select(Selection(SelectionKind.ALERT, "EN-1"))
    qtbot.waitUntil(lambda: s.alerts.panel.view is not None and s.alerts.panel.view.alert_id == "EN-1",
                    timeout=WAIT_MS)
    s.situation.selection.select(Selection(SelectionKind.DRONE, str(dock.sysid)))
    qtbot.waitUntil(lambda: s.situation.board.model.rowCount() == len(s.site.docks), timeout=WAIT_MS)
    s.alerts.desk.open_quarantine()


def offending_after_switch(live: Live, qtbot, language: str,  # type: ignore[no-untyped-def]
                           offending: Callable[[list[tuple[str, str]]], list[tuple[str, str]]]) -> list[str]:
    """Switches to `language` (nothing happens if it is the current one) and returns the offending texts.
    Started in the other language, everything is on screen in it first: switching must re-read every text."""
    s = live.session
    s.change_language(language)
    assert s.languages.language == language

    def found() -> list[tuple[str, str]]:
        return offending(all_texts([s.window, *top_level_windows()]))

    try:  # the panels that refresh on timers (the five automatics at 1 Hz) get their turn
        qtbot.waitUntil(lambda: not found(), timeout=3000)
    except qtbot.TimeoutError:
        pass
    return [f"{where}: {text!r}" for where, text in found()]


@pytest.mark.parametrize("live", ["en", "zh_CN"], indirect=True, ids=["started-en", "switched-from-zh"])
def test_no_chinese_is_visible_in_english(live: Live, qtbot) -> None:  # type: ignore[no-untyped-def]
    fill_every_panel(live, qtbot)
    found = offending_after_switch(live, qtbot, "en", lambda texts: with_cjk(texts, allowed=live.data_names()))
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("live", ["zh_CN", "en"], indirect=True, ids=["started-zh", "switched-from-en"])
def test_no_english_ui_words_are_visible_in_chinese(live: Live, qtbot) -> None:  # type: ignore[no-untyped-def]
    fill_every_panel(live, qtbot)
    found = offending_after_switch(live, qtbot, "zh_CN", lambda texts: with_english_words(texts, ALLOWED_LATIN, given=live.data_words()))
    assert found == [], "\n".join(found)
