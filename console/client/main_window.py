"""The command-hall main window: dockable panels, menus, status bar, remembered layout."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QEvent, QRect, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QColor, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QGraphicsColorizeEffect, QLabel, QMainWindow, QMessageBox, QToolBar,
                               QWidget)

from console.core.events import BrokerStateChanged
from console.client.theme import STATE_ALARM, STATE_IDLE, STATE_OK, STATE_WARN
from widgets.key_help import ShortcutsDialog, collect_key_help
from widgets.placeholder_panel import PlaceholderPanel
from widgets.status_indicators import ClockLabel, StatusDot

log = logging.getLogger(__name__)

# Bump when panels are added or renamed, so an old saved layout is not applied to a new set.
LAYOUT_VERSION = 1


@dataclass(frozen=True, slots=True)
class PanelSpec:
    """One dockable panel: its stable object name (saved layouts refer to it) and shortcut."""

    key: str
    shortcut: str


PANELS: tuple[PanelSpec, ...] = (
    PanelSpec("map", "Ctrl+1"),
    PanelSpec("video", "Ctrl+2"),
    PanelSpec("alerts", "Ctrl+3"),
    PanelSpec("fleet", "Ctrl+4"),
    PanelSpec("task", "Ctrl+5"),
)


class MainWindow(QMainWindow):
    """Hosts the panels; knows nothing of MQTT or MAVSDK, only the states the bridge reports."""

    language_requested = Signal(str)

    def __init__(self, *, site_name: str, settings: QSettings, language: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MainWindow")
        self._settings = settings
        self._site_name = site_name
        self._language = language
        self._broker: BrokerStateChanged | None = None
        self._links = (0, 0)
        # The site server as last reported: present, its id, and since when (epoch s).
        self._server: tuple[bool, str | None, float] = (False, None, time.time())
        self._needs_default_sizes = False
        # What quitting now would leave behind (the console sets it); None from it: nothing, quit without asking.
        self.quit_warning: Callable[[], str | None] = lambda: None
        self._asking_to_quit = True
        self.setDockNestingEnabled(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowNestedDocks
                            | QMainWindow.DockOption.AllowTabbedDocks)
        self.docks: dict[str, QDockWidget] = {}
        self.panels: dict[str, QWidget] = {}
        for spec in PANELS:
            dock = QDockWidget(self)
            dock.setObjectName(f"dock_{spec.key}")
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                             | QDockWidget.DockWidgetFeature.DockWidgetClosable)
            panel = PlaceholderPanel(dock)
            dock.setWidget(panel)
            self.docks[spec.key] = dock
            self.panels[spec.key] = panel
        self._arrange_default()
        self._default_state = self.saveState(LAYOUT_VERSION)
        self._build_menus()
        self._build_status_bar()
        self.retranslate()

    # ----- layout -------------------------------------------------------------------------

    def _arrange_default(self) -> None:
        d = self.docks
        for dock in d.values():
            dock.setFloating(False)
            dock.show()
        # The right column (wall over alert desk) runs the window's full height: the desk needs the rows,
        # the bottom row (fleet, drone panel) sits under the map only.
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setCorner(Qt.Corner.TopRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, d["map"])
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, d["video"])
        self.splitDockWidget(d["video"], d["alerts"], Qt.Orientation.Vertical)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, d["fleet"])
        self.splitDockWidget(d["fleet"], d["task"], Qt.Orientation.Horizontal)
        self._apply_default_sizes()

    def _apply_default_sizes(self) -> None:
        # Proportions of the window: the map gets the left half, the fleet row under it 3/10;
        # the right column is the wall over the alert desk, the desk the larger part (the night is worked
        # there). The desk's own minimum (AlertDesk.MIN_QUEUE_ROWS) holds whatever the wall asks for.
        d = self.docks
        w, h = max(self.width(), 800), max(self.height(), 600)
        self.resizeDocks([d["map"], d["video"]], [w * 47 // 100, w * 53 // 100], Qt.Orientation.Horizontal)
        self.resizeDocks([d["map"], d["fleet"]], [h * 7 // 10, h * 3 // 10], Qt.Orientation.Vertical)
        self.resizeDocks([d["video"], d["alerts"]], [h * 7 // 20, h * 13 // 20], Qt.Orientation.Vertical)
        # The drone panel needs the width for its head-up display, commands and log side by side.
        self.resizeDocks([d["fleet"], d["task"]], [w * 15 // 100, w * 32 // 100], Qt.Orientation.Horizontal)

    def restore_layout(self) -> bool:
        """Restores geometry and panel layout saved by the last session; False if none was usable."""
        geometry = self._settings.value("window/geometry")
        state = self._settings.value("window/state")
        restored = False
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            restored = self.restoreGeometry(geometry)
        if isinstance(state, QByteArray) and not state.isEmpty():
            restored = self.restoreState(state, LAYOUT_VERSION) and restored
        if not restored:
            # First start: the whole screen (a command-hall workstation runs nothing else beside it).
            screen = self.screen() or QGuiApplication.primaryScreen()
            area = screen.availableGeometry() if screen is not None else QRect(0, 0, 1600, 960)
            self.setGeometry(area)
            self._needs_default_sizes = True
        return restored

    def save_layout(self) -> None:
        self._settings.setValue("window/geometry", self.saveGeometry())
        self._settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        self._settings.sync()

    def reset_layout(self) -> None:
        """Puts every panel back where it starts on a new installation."""
        self.restoreState(self._default_state, LAYOUT_VERSION)
        self._arrange_default()
        QTimer.singleShot(0, self._apply_default_sizes)

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().showEvent(event)
        if self._needs_default_sizes:
            # Dock sizes only take once the window has its real size, i.e. after the first show.
            self._needs_default_sizes = False
            QTimer.singleShot(0, self._apply_default_sizes)

    def set_panel(self, key: str, widget: QWidget) -> None:
        """Puts a panel's real content in place of its placeholder."""
        old = self.panels[key]
        self.docks[key].setWidget(widget)
        self.panels[key] = widget
        old.deleteLater()

    def show_panel(self, key: str) -> None:
        dock = self.docks[key]
        dock.show()
        dock.raise_()
        dock.widget().setFocus()

    # ----- menus and status bar -------------------------------------------------------------

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.menu_file = bar.addMenu("")
        # Ctrl+Q on every platform (StandardKey.Quit is empty on some), as README and F1 say.
        self.act_quit = QAction(self, shortcut=QKeySequence("Ctrl+Q"), triggered=self.close)
        self.menu_file.addAction(self.act_quit)

        self.menu_view = bar.addMenu("")
        self.panel_actions: dict[str, QAction] = {}
        for spec in PANELS:
            act = QAction(self, checkable=True, shortcut=QKeySequence(spec.shortcut))
            dock = self.docks[spec.key]
            act.triggered.connect(lambda checked, k=spec.key: self.show_panel(k) if checked else self.docks[k].hide())
            dock.visibilityChanged.connect(lambda _v, a=act, dk=dock: a.setChecked(not dk.isHidden()))
            self.panel_actions[spec.key] = act
            self.menu_view.addAction(act)
        self.menu_view.addSeparator()
        self.act_reset_layout = QAction(self, shortcut=QKeySequence("Ctrl+Shift+R"), triggered=self.reset_layout)
        self.act_fullscreen = QAction(self, shortcut=QKeySequence(Qt.Key.Key_F11), checkable=True,
                                      triggered=lambda on: self.showFullScreen() if on else self.showNormal())
        self.menu_view.addActions([self.act_reset_layout, self.act_fullscreen])
        self.menu_view.addSeparator()
        self.menu_language = self.menu_view.addMenu("")
        group = QActionGroup(self, exclusive=True)
        # Language names are shown in their own language, so anyone can find theirs.
        self.language_actions = {
            "zh_CN": QAction("中文", self, checkable=True),
            "en": QAction("English", self, checkable=True),
        }
        for lang, act in self.language_actions.items():
            group.addAction(act)
            act.setChecked(lang == self._language)
            act.triggered.connect(lambda _c, lg=lang: self.language_requested.emit(lg))
            self.menu_language.addAction(act)

        self.menu_help = bar.addMenu("")
        self.act_shortcuts = QAction(self, shortcut=QKeySequence(Qt.Key.Key_F1), triggered=self._show_shortcuts)
        self.act_about = QAction(self, triggered=self._show_about)
        self.menu_help.addActions([self.act_shortcuts, self.act_about])

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.broker_status = StatusDot(self)
        self.broker_status.setObjectName("broker_status")
        self.link_status = StatusDot(self)
        self.link_status.setObjectName("link_status")
        self.site_label = QLabel(self)
        self.clock = ClockLabel(self)
        self.server_status = StatusDot(self)
        self.server_status.setObjectName("server_status")
        sb.addWidget(self.broker_status)
        sb.addWidget(self.server_status)
        sb.addWidget(self.link_status)
        # Over everything while no site server answers: commands are off and the picture is old.
        self.server_banner = QLabel(self)
        self.server_banner.setObjectName("server_banner")
        self.server_banner.setStyleSheet(f"background: {STATE_ALARM}; color: white; font-weight: bold; "
                                         "padding: 6px 12px; font-size: 15px;")
        self.banner_bar = QToolBar(self)
        self.banner_bar.setObjectName("server_banner_bar")
        self.banner_bar.setMovable(False)
        self.banner_bar.setFloatable(False)
        self.banner_bar.addWidget(self.server_banner)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.banner_bar)
        self.banner_bar.hide()
        sb.addWidget(self.site_label, 1)
        sb.addPermanentWidget(self.clock)

    # ----- state from the core ------------------------------------------------------------------

    def set_broker_state(self, event: BrokerStateChanged) -> None:
        self._broker = event
        self._render_broker()

    def set_fleet_links(self, connected: int, total: int) -> None:
        self._links = (connected, total)
        self._render_links()

    def _render_broker(self) -> None:
        ev = self._broker
        if ev is None or ev.state == "connecting":
            colour, text = STATE_WARN, self.tr("MQTT connecting…")
        elif ev.state == "connected":
            colour, text = STATE_OK, self.tr("MQTT connected")
        elif ev.retry_in_s:
            colour, text = STATE_ALARM, self.tr("MQTT disconnected, retry in %n s", "", int(ev.retry_in_s))
        else:
            colour, text = STATE_ALARM, self.tr("MQTT disconnected")
        tip = ev.url if ev else ""
        if ev and ev.reason and ev.state == "disconnected":
            tip += "\n" + self.tr("Reason: %1").replace("%1", ev.reason)
        self.broker_status.set_state(colour, text, tip)

    def set_server_state(self, present: bool, server_id: str | None, since: float) -> None:
        """The site server is there (`present`) or not, since `since` (epoch s): status, banner, greyed views."""
        was_present = self._server[0]
        self._server = (present, server_id, since)
        self.banner_bar.setVisible(not present)
        self._render_links()
        if present != was_present or not present:
            for panel in self.panels.values():
                # The last known state stays on screen, greyed, so nobody takes it for live.
                effect = None
                if not present:
                    effect = QGraphicsColorizeEffect(panel)
                    effect.setColor(QColor("#808080"))
                    effect.setStrength(0.7)
                panel.setGraphicsEffect(effect)
        self._render_server()

    def server_lost_text(self) -> str | None:
        """What the banner and the command panels say while no site server answers (None while one does)."""
        present, server_id, since = self._server
        if present:
            return None
        when = time.strftime("%H:%M:%S", time.localtime(since))
        if server_id is None:
            return self.tr("No site server has answered (waiting since %1): commands are disabled").replace("%1", when)
        return (self.tr("Site server %1 lost at %2: commands are disabled; the screen shows the last known state")
                .replace("%1", server_id).replace("%2", when))

    def _render_server(self) -> None:
        present, server_id, _since = self._server
        self.server_banner.setText("" if present else "⚠ " + (self.server_lost_text() or ""))
        if present:
            self.server_status.set_state(STATE_OK, self.tr("Server %1").replace("%1", server_id or "?"),
                                         self.tr("The site server that runs the drones, docks, tasks and alerts"))
        else:
            self.server_status.set_state(STATE_ALARM, self.tr("No site server"), self.server_lost_text() or "")

    def _render_links(self) -> None:
        connected, total = self._links
        if total == 0 or not self._server[0]:
            colour = STATE_IDLE     # nothing known, or only what a lost site server last said
        elif connected == total:
            colour = STATE_OK
        elif connected == 0:
            colour = STATE_ALARM
        else:
            colour = STATE_WARN
        self.link_status.set_state(colour, self.tr("MAVLink %1/%2").replace("%1", str(connected)).replace("%2", str(total)),
                                   self.tr("Drones with a live MAVLink link / drones in the site file"))

    # ----- language -----------------------------------------------------------------------------

    def set_language(self, lang: str) -> None:
        self._language = lang
        self.language_actions[lang].setChecked(True)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        """Sets every visible text; runs at start and whenever the language changes."""
        self.setWindowTitle(self.tr("Qingdao Low-Altitude Command Console") + f" — {self._site_name}")
        titles = {
            "map": (self.tr("Map"), self.tr("Situation map of Qingdao: docks, drones, alerts and cameras.")),
            "video": (self.tr("Video wall"), self.tr("City cameras and drone feeds.")),
            "alerts": (self.tr("Alerts"), self.tr("Incoming alerts from the city's AI and IoT platforms.")),
            "fleet": (self.tr("Fleet"), self.tr("Readiness of every dock and drone.")),
            "task": (self.tr("Task / Telemetry"), self.tr("The selected flight task and live telemetry.")),
        }
        for spec in PANELS:
            title, note = titles[spec.key]
            self.docks[spec.key].setWindowTitle(title)
            panel = self.panels[spec.key]
            if isinstance(panel, PlaceholderPanel):
                panel.set_texts(title, note)
            self.panel_actions[spec.key].setText(title)
        self.menu_file.setTitle(self.tr("&File"))
        self.act_quit.setText(self.tr("&Quit"))
        self.menu_view.setTitle(self.tr("&View"))
        self.act_reset_layout.setText(self.tr("&Reset layout"))
        self.act_fullscreen.setText(self.tr("&Full screen"))
        self.menu_language.setTitle(self.tr("&Language"))
        self.menu_help.setTitle(self.tr("&Help"))
        self.act_shortcuts.setText(self.tr("&Keyboard shortcuts"))
        self.act_about.setText(self.tr("&About"))
        self.site_label.setText(self.tr("Site: %1").replace("%1", self._site_name))
        self._render_broker()
        self._render_links()
        self._render_server()

    # ----- dialogs and closing --------------------------------------------------------------------

    def shortcuts_dialog(self) -> ShortcutsDialog:
        """F1's list: every key of the window and its panels, read from their shortcuts now."""
        return ShortcutsDialog(collect_key_help(self, global_name=self.tr("Everywhere")), self)

    def _show_shortcuts(self) -> None:
        dialog = self.shortcuts_dialog()
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    def _show_about(self) -> None:
        QMessageBox.about(self, self.tr("About"),
                          self.tr("Qingdao Low-Altitude Command Console") + "\n"
                          + self.tr("Drone docks, alerts and video for the city operations centre."))

    def close_without_asking(self) -> None:
        """Closes even with drones in the air: the smoke check's end and SIGINT/SIGTERM, where nobody can answer."""
        self._asking_to_quit = False
        self.close()

    def confirm_quit(self, warning: str) -> bool:
        """Asks the operator; the default (Enter, Esc) is to stay (tests override this)."""
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Quit the console?"), warning, parent=self)
        quit_button = box.addButton(self.tr("Quit"), QMessageBox.ButtonRole.DestructiveRole)
        stay = box.addButton(self.tr("Keep the console running"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(stay)
        box.setEscapeButton(stay)
        box.exec()
        return box.clickedButton() is quit_button

    def closeEvent(self, event: QCloseEvent) -> None:
        warning = self.quit_warning() if self._asking_to_quit else None
        if warning and not self.confirm_quit(warning):
            log.info("quit cancelled by the operator (tasks open)")
            event.ignore()
            return
        self.save_layout()
        super().closeEvent(event)
