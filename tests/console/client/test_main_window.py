"""The main window offscreen: panels, layout restore, language switch, status bar."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QDockWidget

from console.core.events import BrokerStateChanged
from console.client.i18n import LanguageSwitch
from console.client.main_window import PANELS, MainWindow


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def language(qapp: QApplication):  # type: ignore[no-untyped-def]
    switch = LanguageSwitch(qapp)
    assert switch.set_language("zh_CN")
    yield switch
    switch.set_language("zh_CN")


def make_window(qtbot, settings: QSettings, lang: str = "zh_CN") -> MainWindow:  # type: ignore[no-untyped-def]
    w = MainWindow(site_name="测试站点", settings=settings, language=lang)
    qtbot.addWidget(w)
    return w


def test_all_five_panels_are_dockable_and_titled_in_chinese(qtbot, settings, language) -> None:  # type: ignore[no-untyped-def]
    w = make_window(qtbot, settings)
    w.show()
    titles = {k: d.windowTitle() for k, d in w.docks.items()}
    assert set(titles) == {p.key for p in PANELS}
    assert titles == {"map": "态势地图", "video": "视频墙", "alerts": "告警", "fleet": "机队", "task": "任务 / 遥测"}
    for dock in w.docks.values():
        assert dock.features() & QDockWidget.DockWidgetFeature.DockWidgetFloatable
        assert dock.isVisible()


def test_layout_and_geometry_are_restored_on_next_start(qtbot, settings, language) -> None:  # type: ignore[no-untyped-def]
    w = make_window(qtbot, settings)
    assert not w.restore_layout()  # nothing saved yet: defaults
    assert w.geometry() == w.screen().availableGeometry()  # a first start fills the screen
    w.show()
    w.resize(700, 520)  # the offscreen screen is 800x800; restoreGeometry clamps to it
    w.docks["alerts"].hide()
    w.docks["video"].setFloating(True)
    w.close()  # saves

    w2 = make_window(qtbot, settings)
    assert w2.restore_layout()
    w2.show()
    assert (w2.size().width(), w2.size().height()) == (700, 520)
    assert w2.docks["alerts"].isHidden()
    assert w2.docks["video"].isFloating()
    assert not w2.panel_actions["alerts"].isChecked()
    w2.reset_layout()
    assert not w2.docks["alerts"].isHidden()
    assert not w2.docks["video"].isFloating()


def test_panel_shortcut_brings_back_a_closed_panel(qtbot, settings, language) -> None:  # type: ignore[no-untyped-def]
    w = make_window(qtbot, settings)
    w.show()
    w.docks["fleet"].close()
    assert w.docks["fleet"].isHidden()
    assert w.panel_actions["fleet"].shortcut().toString() == "Ctrl+4"
    w.panel_actions["fleet"].trigger()
    assert not w.docks["fleet"].isHidden()


def test_language_switch_retranslates_the_running_window(qtbot, settings, language) -> None:  # type: ignore[no-untyped-def]
    w = make_window(qtbot, settings)
    w.show()
    assert w.docks["map"].windowTitle() == "态势地图"
    assert w.menu_view.title() == "视图(&V)"
    language.set_language("en")
    qtbot.waitUntil(lambda: w.docks["map"].windowTitle() == "Map")
    assert w.menu_view.title() == "&View"
    assert "MAVLink 0/0" in w.link_status.text()
    language.set_language("zh_CN")
    qtbot.waitUntil(lambda: w.docks["map"].windowTitle() == "态势地图")


def test_language_menu_requests_a_switch(qtbot, settings, language) -> None:  # type: ignore[no-untyped-def]
    w = make_window(qtbot, settings)
    with qtbot.waitSignal(w.language_requested) as blocker:
        w.language_actions["en"].trigger()
    assert blocker.args == ["en"]


def test_status_bar_shows_broker_and_links(qtbot, settings, language) -> None:  # type: ignore[no-untyped-def]
    w = make_window(qtbot, settings)
    w.set_broker_state(BrokerStateChanged("connected", "mqtt://h:1883"))
    assert "已连接" in w.broker_status.text()
    w.set_broker_state(BrokerStateChanged("disconnected", "mqtt://h:1883", "Connection refused", 4.0))
    assert "4 秒后重试" in w.broker_status.text()
    assert "Connection refused" in w.broker_status.toolTip()
    w.set_fleet_links(3, 56)
    assert "3/56" in w.link_status.text()
    w.set_fleet_links(56, 56)
    assert w.link_status.colour != w.broker_status.colour  # green links, red broker
