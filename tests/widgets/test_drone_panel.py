"""The drone panel: HUD readouts, command rules and confirmations, results, and the plots."""

from __future__ import annotations

import numpy as np
import pytest

from vocab import Reason
from widgets.command_log import MAX_RESULTS
from widgets.drone_panel import DronePanel
from widgets.hud import HudWidget
from widgets.situation import AuthorityView, DroneCommand, DroneDetail, SelectionModel
from widgets.telemetry_plots import TelemetryPlots


def detail(**kw: object) -> DroneDetail:
    values: dict[str, object] = dict(
        sysid=7, dock_id="D07", dock_name="香港中路", link_lost=False, link_text="10 Hz", mode="MISSION",
        armed=True, airborne=True, roll_deg=5.0, pitch_deg=-3.0, heading_deg=92.0, alt_rel_m=58.4,
        ground_speed_m_s=11.2, climb_m_s=0.4, battery_pct=76.0, battery_v=23.1, gps_fix=3, satellites=14,
        lat=36.06, lon=120.38, mission_current=3, mission_total=8, task_id="T-1", task_state="en route",
        status_texts=("Takeoff", "Mission started"))
    values.update(kw)
    return DroneDetail(**values)  # type: ignore[arg-type]


def unknown_detail() -> DroneDetail:
    return detail(mode=None, armed=None, airborne=None, roll_deg=None, pitch_deg=None, heading_deg=None,
                  alt_rel_m=None, ground_speed_m_s=None, climb_m_s=None, battery_pct=None, battery_v=None,
                  gps_fix=None, satellites=None, lat=None, lon=None, mission_current=None, mission_total=None,
                  task_id=None, task_state=None, status_texts=())


#: Authority as the console reports it: this console's, another console's, and the clock of the take.
TAKEN_AT = 1_700_000_000.0
MINE = AuthorityView(mine=True, console="console-1", operator="me", since=TAKEN_AT)
WANG = AuthorityView(mine=False, console="console-2", operator="wang", since=TAKEN_AT)


class AnsweringPanel(DronePanel):
    """A panel whose confirmation dialog answers `self.answer` and records what it asked."""

    answer = False

    def confirm(self, title: str, text: str, *, yes: str | None = None, no: str | None = None) -> bool:
        self.asked.append(title)
        return self.answer


@pytest.fixture
def panel(qtbot):  # type: ignore[no-untyped-def]
    p = AnsweringPanel(SelectionModel())
    p.asked = []
    qtbot.addWidget(p)
    return p


def enabled(panel: DronePanel) -> set[DroneCommand]:
    return {c for c, b in panel.buttons.items() if b.isEnabled()}


def test_hud_shows_dashes_for_unknown_values(qtbot) -> None:  # type: ignore[no-untyped-def]
    hud = HudWidget()
    qtbot.addWidget(hud)
    hud.set_detail(unknown_detail())
    r = hud.readouts()
    for key in ("heading", "altitude", "ground_speed", "climb", "battery", "gps", "mode", "armed", "roll", "pitch"):
        assert r[key] == "--", key
    hud.set_detail(detail(battery_pct=0.0, alt_rel_m=0.0))
    r = hud.readouts()
    assert r["battery"].startswith("0%") and r["altitude"] == "0.0 m"  # zero is a value, not unknown
    assert r["heading"] == "092°" and r["gps"] == "3D, 14 sats" and r["armed"] == "ARMED"
    hud.show()
    hud.grab()  # paints with known and unknown values without error


def test_link_lost_overlay(panel: DronePanel) -> None:
    panel.set_detail(detail())
    assert not panel.hud.link_lost
    panel.set_detail(detail(link_lost=True, link_text="link lost"))
    assert panel.hud.link_lost
    panel.hud.grab()


def test_hint_without_drone(panel: DronePanel) -> None:
    panel.set_detail(None)
    assert panel.stack.currentWidget() is panel.hint
    assert panel.current_sysid is None
    assert enabled(panel) == set()
    panel.set_detail(detail())
    assert panel.current_sysid == 7
    assert panel.stack.currentIndex() == 1
    assert panel.mission.value() == 3 and panel.mission.maximum() == 8


def test_commands_need_authority(panel: DronePanel) -> None:
    panel.set_detail(detail())
    panel.set_authority(None)
    assert enabled(panel) == {DroneCommand.TAKE_AUTHORITY}
    assert panel.reason_label.text() == "Take command authority first (T)"
    panel.set_authority(WANG)
    assert panel.reason_label.text() == ("command authority on dock D07 is held by wang at console console-2; "
                                         "read-only here")
    # Held by another console: taking it asks first (the core warns when that console is gone); a
    # supervisor may force it, after a confirmation.
    assert enabled(panel) == {DroneCommand.TAKE_AUTHORITY, DroneCommand.FORCE_TAKE}
    assert panel.asked == []
    panel.set_authority(MINE)
    assert enabled(panel) == {DroneCommand.HOLD, DroneCommand.RESUME, DroneCommand.GOTO, DroneCommand.ALTITUDE,
                              DroneCommand.RETURN, DroneCommand.LAND, DroneCommand.ABORT,
                              DroneCommand.EMERGENCY_STOP, DroneCommand.RELEASE_AUTHORITY}
    assert panel.reason_label.text() == ""
    panel.set_detail(detail(link_lost=True))
    assert enabled(panel) == {DroneCommand.EMERGENCY_STOP, DroneCommand.RELEASE_AUTHORITY}
    assert "Link lost" in panel.reason_label.text()


def test_locked_out_allows_only_reactivate(panel: DronePanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel.set_authority(MINE)
    panel.set_detail(detail(locked_out=True))
    assert enabled(panel) == {DroneCommand.REACTIVATE, DroneCommand.RELEASE_AUTHORITY}
    assert not panel.buttons[DroneCommand.REACTIVATE].isHidden()
    panel.answer = True
    with qtbot.waitSignal(panel.command_requested) as blocker:
        panel.buttons[DroneCommand.REACTIVATE].click()
    assert blocker.args == [DroneCommand.REACTIVATE, 7, {}]
    assert panel.asked == ["Re-activate"]
    panel.set_detail(detail())
    assert panel.buttons[DroneCommand.REACTIVATE].isHidden()


def test_forcing_authority_from_another_console_asks_first(panel: DronePanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel.set_detail(detail())
    panel.set_authority(WANG)
    sent: list[list[object]] = []
    panel.command_requested.connect(lambda *a: sent.append(list(a)))
    panel.answer = False
    panel.buttons[DroneCommand.FORCE_TAKE].click()
    assert panel.asked == ["Take over authority"] and sent == []
    panel.answer = True
    panel.buttons[DroneCommand.FORCE_TAKE].click()
    assert sent == [[DroneCommand.FORCE_TAKE, 7, {}]]


def test_emergency_stop_asks_and_emits_only_when_confirmed(panel: DronePanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel.set_authority(MINE)
    panel.set_detail(detail())
    sent: list[list[object]] = []
    panel.command_requested.connect(lambda *a: sent.append(list(a)))
    panel.answer = False
    panel.buttons[DroneCommand.EMERGENCY_STOP].click()
    assert panel.asked == ["Emergency stop"] and sent == []
    panel.answer = True
    with qtbot.waitSignal(panel.command_requested) as blocker:
        panel.buttons[DroneCommand.EMERGENCY_STOP].click()
    assert blocker.args == [DroneCommand.EMERGENCY_STOP, 7, {}]


def test_hold_and_shortcut(panel: DronePanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel.set_authority(MINE)
    panel.set_detail(detail())
    with qtbot.waitSignal(panel.command_requested) as blocker:
        panel.buttons[DroneCommand.HOLD].click()
    assert blocker.args == [DroneCommand.HOLD, 7, {}]
    assert "(shortcut H)" in panel.buttons[DroneCommand.HOLD].toolTip()


def test_goto_picks_a_point_then_commands(panel: DronePanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel.set_authority(MINE)
    panel.set_detail(detail())
    sent: list[list[object]] = []
    panel.command_requested.connect(lambda *a: sent.append(list(a)))
    with qtbot.waitSignal(panel.pick_point_requested):
        panel.buttons[DroneCommand.GOTO].click()
    assert sent == []
    panel.answer = True
    panel.point_picked(36.07, 120.39)
    assert panel.asked == ["Go to"]   # the flight changes only once the operator confirms the point
    assert sent == [[DroneCommand.GOTO, 7, {"lat": 36.07, "lon": 120.39}]]
    panel.point_picked(36.0, 120.0)  # a second pick without a request sends nothing
    assert len(sent) == 1


def test_goto_dropped_when_drone_changes(panel: DronePanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel.set_authority(MINE)
    panel.set_detail(detail())
    sent: list[list[object]] = []
    panel.command_requested.connect(lambda *a: sent.append(list(a)))
    panel.buttons[DroneCommand.GOTO].click()
    panel.set_detail(detail(sysid=8))
    panel.point_picked(36.07, 120.39)
    assert sent == []


def test_altitude_set(panel: DronePanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel.set_authority(MINE)
    panel.set_detail(detail())
    assert panel.alt_spin.minimum() == 10 and panel.alt_spin.maximum() == 120
    panel.alt_spin.setValue(80)
    with qtbot.waitSignal(panel.command_requested) as blocker:
        panel.alt_button.click()
    assert blocker.args == [DroneCommand.ALTITUDE, 7, {"alt_rel_m": 80.0}]


def test_show_result_keeps_the_last_few(panel: DronePanel) -> None:
    panel.set_detail(detail())
    panel.show_result(DroneCommand.HOLD, 7, True, None)
    panel.show_result(DroneCommand.RETURN, 7, False, Reason.said("电量不足以返航"))
    assert [line.split(" ", 1)[1] for line in panel.results()] == ["Return home: refused: 电量不足以返航",
                                                                   "Hold: executed"]
    for _ in range(12):
        panel.show_result(DroneCommand.LAND, 7, True, None)
    assert len(panel.results()) == MAX_RESULTS


def series_source(sysid: int, name: str, seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """A data source of 10 samples in the last 10 s, with a gap (NaN) in the middle."""
    import time

    t = time.monotonic() - np.arange(10, 0, -1, dtype=float)
    values = np.arange(10, dtype=float) + sysid
    values[4] = np.nan
    return t, values


def test_plots_draw_the_series_on_the_timer(qtbot) -> None:  # type: ignore[no-untyped-def]
    plots = TelemetryPlots(series_source)
    qtbot.addWidget(plots)
    assert not plots.timer.isActive()  # no drone: idle
    plots.show()
    plots.set_sysid(3)
    assert plots.timer.isActive()
    item = plots.items["alt_rel_m"]
    item.setData(np.empty(0), np.empty(0))

    def drawn() -> None:
        x, y = item.getOriginalDataset()
        assert x is not None and len(x) == 10

    qtbot.waitUntil(drawn, timeout=2000)
    x, y = item.getOriginalDataset()
    assert -10.5 < x[0] < -9.5 and x[-1] < 0  # seconds before now
    assert np.isnan(y[4]) and y[0] == 3.0
    plots.set_sysid(None)
    assert not plots.timer.isActive()
    x, _ = item.getOriginalDataset()
    assert x is None or len(x) == 0  # another drone starts from empty plots


def test_panel_plots_follow_the_shown_drone(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = DronePanel(SelectionModel(), series=series_source)
    qtbot.addWidget(panel)
    panel.show()
    panel.set_detail(detail(sysid=5))
    qtbot.waitUntil(lambda: panel.plots.items["battery_pct"].getOriginalDataset()[1] is not None
                    and panel.plots.items["battery_pct"].getOriginalDataset()[1][0] == 5.0, timeout=2000)
    panel.hide()
    assert not panel.plots.timer.isActive()  # hidden: idle



def test_language_change_retranslates(panel: DronePanel) -> None:
    from PySide6.QtCore import QCoreApplication, QEvent

    panel.set_detail(detail())
    panel.show_result(DroneCommand.HOLD, 7, True, None)
    QCoreApplication.sendEvent(panel, QEvent(QEvent.Type.LanguageChange))
    assert panel.results()[0].endswith(" Hold: executed")
    assert panel.buttons[DroneCommand.GOTO].text() == "Go to…"


def test_command_log_shows_only_the_shown_drones_commands(panel: DronePanel) -> None:
    panel.set_authority(MINE)
    panel.set_detail(detail(sysid=7))
    for cmd in (DroneCommand.RETURN, DroneCommand.RESUME, DroneCommand.HOLD):
        panel.show_result(cmd, 7, True, None)
    assert len(panel.results()) == 3
    # The operator selects drone 8: none of drone 7's commands are listed.
    panel.set_detail(detail(sysid=8, dock_name="台东"))
    assert panel.results() == []
    # An outcome for drone 7 arriving while 8 is shown goes to 7's log, not on screen.
    panel.show_result(DroneCommand.LAND, 7, False, Reason.of("command.link_lost"))
    panel.show_result(DroneCommand.ALTITUDE, 8, True, None)
    assert [line.split(" ", 1)[1] for line in panel.results()] == ["Altitude: executed"]
    # Back to drone 7: its commands are all there, newest first.
    panel.set_detail(detail(sysid=7))
    assert [line.split(" ", 1)[1] for line in panel.results()] == [
        "Land here: refused: the drone's link is lost: no command can reach it",
        "Hold: executed", "Resume: executed", "Return home: executed"]


def test_a_refusal_is_never_cut_off(panel: DronePanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel.resize(420, 700)
    panel.show()
    panel.set_detail(detail())
    words = ("Reposition refused: vehicle is not in a flyable state, the geofence is violated and the "
             "battery is below the reserve needed for the return")
    panel.show_result(DroneCommand.ALTITUDE, 7, False, Reason.of("mav.with_words", result=Reason.of("mav.denied"),
                                                                 said=words))
    line = panel.results()[0]
    assert line.endswith(f"Altitude: refused: the drone refused the command: {words}")
    item = panel.log.item(0)
    assert item.toolTip() == line
    # Wrapped over several lines inside the list's width rather than elided.
    rect = panel.log.visualItemRect(item)
    assert rect.width() <= panel.log.viewport().width()
    assert rect.height() >= 2 * panel.log.fontMetrics().lineSpacing()


def test_authority_line_says_who_holds_it_and_for_how_long(qtbot) -> None:  # type: ignore[no-untyped-def]
    now = [TAKEN_AT + 125.0]
    panel = DronePanel(SelectionModel(), clock=lambda: now[0])
    qtbot.addWidget(panel)
    panel.set_detail(detail())
    panel.set_authority(None)
    assert panel.authority_label.text() == "Command authority: nobody"
    assert panel.buttons[DroneCommand.RELEASE_AUTHORITY].isHidden()
    panel.set_authority(WANG)
    assert panel.authority_label.text() == "Command authority: wang at console console-2, for 2 min"
    assert panel.buttons[DroneCommand.RELEASE_AUTHORITY].isHidden()
    panel.set_authority(AuthorityView(mine=False, console="console-2", operator="wang", since=TAKEN_AT,
                                      offline_since=TAKEN_AT + 60.0))
    assert "(console offline since " in panel.authority_label.text()
    assert "which is offline" in panel.reason_label.text()
    panel.set_authority(MINE)
    assert panel.authority_label.text() == "Command authority: this console (me), for 2 min"
    now[0] = TAKEN_AT + 3 * 3600 + 5 * 60
    panel.set_authority(MINE)   # the console refreshes it a few times a second: the time counts up
    assert panel.authority_label.text() == "Command authority: this console (me), for 3 h 05 min"
    release = panel.buttons[DroneCommand.RELEASE_AUTHORITY]
    assert not release.isHidden() and release.isEnabled()
    sent: list[list[object]] = []
    panel.command_requested.connect(lambda *a: sent.append(list(a)))
    release.click()
    assert sent == [[DroneCommand.RELEASE_AUTHORITY, 7, {}]]


def test_a_command_key_without_authority_says_why_at_once(panel: DronePanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    panel.show()
    panel.set_detail(detail())
    panel.set_authority(None)
    sent: list[list[object]] = []
    panel.command_requested.connect(lambda *a: sent.append(list(a)))
    panel.hud.setFocus()
    qtbot.waitUntil(panel.hud.hasFocus)
    qtbot.keyClick(panel.hud, Qt.Key.Key_H)
    assert sent == []
    assert panel.notice_label.isVisible()
    assert panel.notice_label.text() == "Hold not sent: Take command authority first (T)"
    assert not panel.reason_label.isVisible()   # the message line says it; the standing reason would repeat it
    panel.set_authority(WANG)
    qtbot.keyClick(panel.hud, Qt.Key.Key_R)
    assert panel.notice_label.text() == ("Return home not sent: command authority on dock D07 is held by wang at "
                                         "console console-2; read-only here")
    # With authority the message is stale and goes; the key works.
    panel.set_authority(MINE)
    assert not panel.notice_label.isVisible()
    qtbot.keyClick(panel.hud, Qt.Key.Key_H)
    assert sent == [[DroneCommand.HOLD, 7, {}]]
    assert not panel.notice_label.isVisible()
    # Another drone starts without the old message.
    panel.set_detail(detail(task_id=None))
    panel.press(DroneCommand.ABORT)
    assert panel.notice_label.text() == "Abort task not sent: the drone has no open task"
    panel.set_detail(detail(sysid=8))
    assert not panel.notice_label.isVisible()


def answer_dialog(qtbot, press_default: bool, seen: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Waits for the panel's confirmation box; records its default button's text, then presses Enter
    (the default) or clicks the other button."""
    from PySide6.QtCore import QTimer, Qt
    from PySide6.QtWidgets import QApplication, QMessageBox

    tries = [500]

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            tries[0] -= 1
            if tries[0] > 0:   # not shown yet: look again on a later turn of the event loop
                QTimer.singleShot(10, answer)
            return
        default = box.defaultButton()
        seen.append(default.text())
        if press_default:
            qtbot.keyClick(box, Qt.Key.Key_Return)
        else:
            next(b for b in box.buttons() if b is not default).click()

    QTimer.singleShot(0, answer)


def panel_with_real_dialogs(qtbot) -> tuple[DronePanel, list[list[object]]]:  # type: ignore[no-untyped-def]
    """A shown panel (its real confirmation dialogs) holding authority over drone 7, and the commands it sends."""
    panel = DronePanel(SelectionModel())
    qtbot.addWidget(panel)
    panel.show()
    panel.set_authority(MINE)
    panel.set_detail(detail())
    sent: list[list[object]] = []
    panel.command_requested.connect(lambda *a: sent.append(list(a)))
    return panel, sent


@pytest.mark.parametrize("cmd, key", [(DroneCommand.RETURN, "R"), (DroneCommand.LAND, "L"),
                                      (DroneCommand.ABORT, None)])
def test_flight_changing_commands_ask_first_keep_flying_by_default(qtbot, cmd: DroneCommand,
                                                                   key: str | None) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    panel, sent = panel_with_real_dialogs(qtbot)
    seen: list[str] = []

    def press() -> None:
        if key is None:
            panel.buttons[cmd].click()
        else:
            panel.activateWindow()   # back from the previous dialog
            panel.hud.setFocus()
            qtbot.waitUntil(panel.hud.hasFocus)
            qtbot.keyClick(panel.hud, getattr(Qt.Key, f"Key_{key}"))

    answer_dialog(qtbot, True, seen)
    press()
    assert seen == ["Keep flying"] and sent == []   # Enter keeps the drone flying
    answer_dialog(qtbot, False, seen)
    press()
    assert seen[1] == "Keep flying" and sent == [[cmd, 7, {}]]


def test_goto_asks_for_the_picked_point_keep_flying_by_default(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel, sent = panel_with_real_dialogs(qtbot)
    seen: list[str] = []
    panel.buttons[DroneCommand.GOTO].click()
    answer_dialog(qtbot, True, seen)
    panel.point_picked(36.07, 120.39)
    assert seen == ["Keep flying"] and sent == []


def test_the_log_and_authority_line_follow_the_language(panel: DronePanel, qapp, qtbot) -> None:  # type: ignore[no-untyped-def]
    from console.client.i18n import LanguageSwitch

    panel.set_detail(detail())
    panel.set_authority(None)
    panel.show_result(DroneCommand.HOLD, 7, True, None)
    panel.show_result(DroneCommand.LAND, 7, False, Reason.of("command.link_lost"))
    switch = LanguageSwitch(qapp)
    try:
        switch.set_language("zh_CN")
        qtbot.waitUntil(lambda: panel.authority_label.text() == "指挥权：无人持有")   # LanguageChange is posted
        lines = [line.split(" ", 1)[1] for line in panel.results()]
        assert lines == ["原地降落：被拒绝：无人机已失联，指令无法送达", "悬停：已执行"]
        panel.set_authority(MINE)   # taken long ago (TAKEN_AT): hours and minutes, in Chinese units
        assert panel.authority_label.text().startswith("指挥权：本席位（me），已持有 ")
        assert panel.authority_label.text().endswith(" 分") and " 小时 " in panel.authority_label.text()
        panel.set_authority(None)
    finally:
        switch.set_language("en")
    qtbot.waitUntil(lambda: panel.authority_label.text() == "Command authority: nobody")
    assert [line.split(" ", 1)[1] for line in panel.results()] == [
        "Land here: refused: the drone's link is lost: no command can reach it", "Hold: executed"]


@pytest.mark.parametrize("size", [(420, 260), (520, 300), (620, 300), (1300, 300), (420, 800)])
def test_the_commands_are_never_the_part_cut_off(panel: DronePanel, qtbot, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """A low panel (the default bottom row) shows every command button whole, without scrolling sideways; the
    plots make way (below, scrolled to) when it is too narrow for three columns."""
    panel.resize(*size)
    panel.show()
    panel.set_detail(detail())
    scroll = panel.stack.currentWidget()
    viewport = scroll.viewport()
    qtbot.waitUntil(lambda: panel.plots.isVisible())
    for cmd, button in panel.buttons.items():
        if button.isHidden():
            continue
        left = button.mapTo(viewport, button.rect().topLeft()).x()
        assert 0 <= left and left + button.width() <= viewport.width(), (cmd, left, button.width(), viewport.width())
        if size[0] > 1.6 * size[1]:   # a low panel: every command in sight without scrolling down either
            assert button.mapTo(viewport, button.rect().bottomLeft()).y() <= viewport.height(), cmd
    plots_beside = panel.plots.mapTo(viewport, panel.plots.rect().topLeft()).y() < panel.hud.height()
    assert plots_beside == (size[0] >= 900)
