"""The drone panel: the selected drone's head-up display, task, plots and takeover commands.

The console decides which drone is shown (`set_detail`, a few times a second) and who holds
command authority over it (`set_authority`: this console, another console and its operator, or
nobody, and since when). The panel asks for commands through `command_requested`; their outcome
comes back through `show_result` into the shown drone's own command log. Commands that change a
flight, and taking authority from another console, ask the operator to confirm first, with the
safe choice as the default button (docs/architecture.md, "Safety rules"). A command key pressed
while the command is not possible says why on the panel's message line at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (QBoxLayout, QGridLayout, QHBoxLayout, QLabel, QListWidget, QMessageBox, QProgressBar,
                               QPushButton, QSpinBox, QVBoxLayout, QWidget)

from vocab import Reason
from widgets.command_log import ALARM_COLOUR, CommandLog, CommandOutcome
from widgets.hud import HudWidget
from widgets.key_help import name_shortcut
from widgets.placeholder_panel import hint_or_content
from widgets.powers import AUDIT, DRONES, SUPERVISE, PowerGate
from widgets.situation import AuthorityView, DroneCommand, DroneDetail, SelectionModel, SeriesSource
from widgets.telemetry_plots import TelemetryPlots
from widgets.texts import reason_text

#: Altitude limits of the altitude command, metres above ground (120 m: the legal ceiling).
MIN_ALT_M = 10
MAX_ALT_M = 120
#: A low panel narrower than this shows the plots below its display and commands, not as a third column.
THREE_COLUMNS_MIN_W = 900
#: A low panel narrower than this stacks its commands above the display: side by side they would be cut off.
SIDE_BY_SIDE_MIN_W = 560
#: Status texts kept on screen.
MAX_STATUS_TEXTS = 5
#: Commands that fly the drone: they need a live link.
FLIGHT_COMMANDS = (DroneCommand.HOLD, DroneCommand.RESUME, DroneCommand.GOTO, DroneCommand.ALTITUDE,
                   DroneCommand.RETURN, DroneCommand.LAND, DroneCommand.ABORT)
#: Single-key shortcuts, active while the focus is inside the panel. Emergency stop has none on
#: purpose: a stray key press must never stop motors in the air.
SHORTCUTS: dict[DroneCommand, str] = {
    DroneCommand.TAKE_AUTHORITY: "T", DroneCommand.HOLD: "H", DroneCommand.RESUME: "C",
    DroneCommand.GOTO: "G", DroneCommand.RETURN: "R", DroneCommand.LAND: "L",
}
#: Commands that change what a flying drone does from one press: they ask first, "keep flying" the default.
CONFIRMED_COMMANDS = (DroneCommand.GOTO, DroneCommand.RETURN, DroneCommand.LAND, DroneCommand.ABORT)
#: The authority commands, on the authority line rather than in the command grid.
AUTHORITY_COMMANDS = (DroneCommand.TAKE_AUTHORITY, DroneCommand.FORCE_TAKE, DroneCommand.RELEASE_AUTHORITY)
#: The power each command needs (console/core/roles.py, OP_POWER): forcing authority and re-activating after an
#: emergency stop are a supervisor's; everything else a dispatcher's.
COMMAND_POWER: dict[DroneCommand, str] = {c: SUPERVISE if c in (DroneCommand.FORCE_TAKE, DroneCommand.REACTIVATE)
                                          else DRONES for c in DroneCommand}


def held_for_text(seconds: float) -> str:
    """How long authority has been held, compact ("45 s", "12 min", "2 h 05 min"), in the current language."""
    s = max(0, int(seconds))
    if s < 60:
        return QCoreApplication.translate("DronePanel", "%1 s").replace("%1", str(s))
    if s < 3600:
        return QCoreApplication.translate("DronePanel", "%1 min").replace("%1", str(s // 60))
    return (QCoreApplication.translate("DronePanel", "%1 h %2 min")
            .replace("%1", str(s // 3600)).replace("%2", f"{s % 3600 // 60:02d}"))


class DronePanel(QWidget):
    """Shows one `DroneDetail` and requests the takeover commands for it."""

    command_requested = Signal(object, int, dict)  # DroneCommand, sysid, args (lat/lon, alt_rel_m)
    pick_point_requested = Signal()  # go-to: the map should let the operator pick a point
    history_requested = Signal(int)  # the shown drone's sysid: its task's audit history (supervisors)

    def __init__(self, selection: SelectionModel, series: SeriesSource | None = None,
                 parent: QWidget | None = None, clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self.selection = selection  # kept for symmetry with the other panels; the console picks the drone
        self._clock = clock         # epoch seconds: how long authority has been held, the log's times
        self._detail: DroneDetail | None = None
        self._authority: AuthorityView | None = None   # None: nobody holds the shown drone's dock
        self._server_lost: str | None = None           # why no command can go anywhere (no site server)
        self._pending_goto: int | None = None  # sysid waiting for a point from the map
        self._notice_for: DroneCommand | None = None  # the command the message line explains
        self.gate = PowerGate()                        # what the signed-in role may do (`set_powers`)
        self._tips: dict[DroneCommand, str] = {}       # each button's own tooltip, before any role reason

        self.hint = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold;")
        self.link_label = QLabel()
        self.hud = HudWidget()
        self.hud.setMaximumHeight(300)  # the plots below need the height more
        self.mission = QProgressBar()
        self.mission.setTextVisible(True)
        self.task_label = QLabel(wordWrap=True)
        self.status_list = QListWidget()
        self.status_list.setMaximumHeight(self.fontMetrics().height() * MAX_STATUS_TEXTS + 8)
        self.plots = TelemetryPlots(series)

        self.buttons: dict[DroneCommand, QPushButton] = {c: QPushButton() for c in DroneCommand
                                                          if c is not DroneCommand.ALTITUDE}
        self.alt_spin = QSpinBox()
        self.alt_spin.setRange(MIN_ALT_M, MAX_ALT_M)
        self.alt_spin.setValue(60)
        self.alt_spin.setSuffix(" m")
        self.alt_button = QPushButton()
        self.buttons[DroneCommand.ALTITUDE] = self.alt_button
        stop = self.buttons[DroneCommand.EMERGENCY_STOP]
        stop.setStyleSheet(f"QPushButton {{ background: {ALARM_COLOUR}; color: white; font-weight: bold; }}"
                           "QPushButton:disabled { background: #5c2b29; color: #a0a0a0; }")
        self.authority_label = QLabel(wordWrap=True)
        self.reason_label = QLabel(wordWrap=True)
        self.reason_label.setStyleSheet("color: #d29922;")
        # The message line: why the command just pressed was not sent, where the operator is looking.
        self.notice_label = QLabel(wordWrap=True)
        self.notice_label.setStyleSheet(f"background: {ALARM_COLOUR}; color: white; padding: 3px;")
        self.notice_label.hide()
        self.log = CommandLog(self.command_text)

        authority_row = QHBoxLayout()   # under the authority line, which needs the whole width
        for cmd in AUTHORITY_COMMANDS:
            authority_row.addWidget(self.buttons[cmd])
        # One click from the drone to its task's history, for those who may read the audit trail.
        self.history_button = QPushButton()
        self.history_button.setObjectName("task_history")
        self.history_button.hide()
        self.history_button.clicked.connect(
            lambda: self.current_sysid is not None and self.history_requested.emit(self.current_sysid))
        authority_row.addWidget(self.history_button)
        grid = QGridLayout()
        order = (DroneCommand.HOLD, DroneCommand.RESUME, DroneCommand.GOTO, DroneCommand.RETURN, DroneCommand.LAND,
                 DroneCommand.ABORT, DroneCommand.REACTIVATE)
        for i, cmd in enumerate(order):
            grid.addWidget(self.buttons[cmd], i // 2, i % 2)
        alt_row = QHBoxLayout()
        self.alt_label = QLabel()
        for w in (self.alt_label, self.alt_spin, self.alt_button):
            alt_row.addWidget(w)
        grid.addLayout(alt_row, (len(order) + 1) // 2, 0, 1, 2)
        grid.addWidget(stop, (len(order) + 1) // 2 + 1, 0, 1, 2)

        # Three blocks: what the drone does, what the operator can do, how it went. Side by side
        # in a wide, low panel (the default bottom row), stacked in a tall one (`resizeEvent`).
        state_box, command_box = self._state_box, self._command_box = QWidget(), QWidget()
        col = QVBoxLayout(state_box)
        col.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.link_label)
        col.addLayout(head)
        col.addWidget(self.hud, 1)
        col.addWidget(self.mission)
        col.addWidget(self.task_label)
        col.addWidget(self.status_list)
        cmds = QVBoxLayout(command_box)
        cmds.setContentsMargins(0, 0, 0, 0)
        cmds.addWidget(self.authority_label)
        cmds.addLayout(authority_row)
        cmds.addWidget(self.notice_label)
        cmds.addLayout(grid)
        cmds.addWidget(self.reason_label)
        cmds.addWidget(self.log)
        cmds.addStretch(1)
        content = QWidget()
        outer = QVBoxLayout(content)
        outer.setContentsMargins(4, 4, 4, 4)
        self.columns = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.columns.addWidget(state_box, 3)
        self.columns.addWidget(command_box, 2)
        self.columns.addWidget(self.plots, 3)
        outer.addLayout(self.columns, 1)
        self._below = outer   # where the plots go when a low panel is too narrow for three columns
        self.stack = hint_or_content(self, self.hint, content)

        for cmd, button in self.buttons.items():
            button.clicked.connect(lambda _=False, c=cmd: self._on_button(c))
        for cmd, key in SHORTCUTS.items():
            shortcut = QShortcut(QKeySequence(key), self, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
            # press() says why at once when the command is not possible (a disabled button's click would not).
            shortcut.activated.connect(lambda c=cmd: self.press(c))
            name_shortcut(shortcut, self.buttons[cmd])    # F1 names the key after its button
        self.retranslate()
        self.set_detail(None)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        w, h = event.size().width(), event.size().height()
        low = w > 1.6 * h
        beside = low and w >= SIDE_BY_SIDE_MIN_W
        self.columns.setDirection(QBoxLayout.Direction.LeftToRight if beside else QBoxLayout.Direction.TopToBottom)
        # Stacked in a low panel, the commands come first: they are what must be in sight without scrolling.
        first = self._command_box if low and not beside else self._state_box
        if self.columns.indexOf(first) != 0:
            self.columns.removeWidget(first)
            self.columns.insertWidget(0, first, 2 if first is self._command_box else 3)
        # Three columns need room; in a narrower low panel the plots go below (scrolled to), so the commands are
        # never the part cut off.
        three = beside and w >= THREE_COLUMNS_MIN_W
        in_columns = self.columns.indexOf(self.plots) >= 0
        if three != in_columns:
            (self._below if in_columns else self.columns).removeWidget(self.plots)
            (self.columns if three else self._below).addWidget(self.plots, 3 if three else 1)
        self.plots.setMinimumHeight(h if low and not three else 0)
        # Stacked, the head-up display must not take the height the commands and plots need.
        self.hud.setMaximumHeight(16777215 if beside else 300)

    # ----- feeding --------------------------------------------------------------------------------

    @property
    def current_sysid(self) -> int | None:
        return None if self._detail is None else self._detail.sysid

    @property
    def detail(self) -> DroneDetail | None:
        return self._detail

    def set_detail(self, detail: DroneDetail | None) -> None:
        """The drone to show, or None for the "select a drone" hint (GUI thread, a few hertz)."""
        previous = self.current_sysid
        self._detail = detail
        if detail is None or detail.sysid != previous:
            self._pending_goto = None
            self._notice_for = None
            self.log.show_drone(None if detail is None else detail.sysid)
            self.plots.set_sysid(None if detail is None else detail.sysid)
            if detail is not None and detail.alt_rel_m is not None:
                self.alt_spin.setValue(int(round(min(max(detail.alt_rel_m, MIN_ALT_M), MAX_ALT_M))))
        self.stack.setCurrentIndex(0 if detail is None else 1)
        self.hud.set_detail(detail)
        if detail is not None:
            self._show_detail(detail)
        self._update_enabled()

    def _show_detail(self, d: DroneDetail) -> None:
        self.title.setText(self.tr("Drone %1 · %2").replace("%1", str(d.sysid)).replace("%2", d.dock_name))
        self.link_label.setText(d.link_text)
        self.link_label.setStyleSheet(f"color: {ALARM_COLOUR}; font-weight: bold;" if d.link_lost else "")
        if d.mission_total:
            self.mission.setRange(0, d.mission_total)
            self.mission.setValue(min(d.mission_current or 0, d.mission_total))
            self.mission.setFormat(self.tr("Waypoint %v/%m"))
        else:
            self.mission.setRange(0, 1)
            self.mission.setValue(0)
            self.mission.setFormat(self.tr("No mission"))
        if d.task_id:
            self.task_label.setText(self.tr("Task %1: %2").replace("%1", d.task_id).replace("%2", d.task_state or "--"))
        else:
            self.task_label.setText(self.tr("No task"))
        texts = list(d.status_texts[-MAX_STATUS_TEXTS:])
        if texts != [self.status_list.item(i).text() for i in range(self.status_list.count())]:
            self.status_list.clear()
            self.status_list.addItems(texts)
            self.status_list.scrollToBottom()

    def set_authority(self, authority: AuthorityView | None) -> None:
        """Who holds command authority over the shown drone's dock (None: nobody); a few hertz, so the
        time it has been held counts up."""
        self._authority = authority
        self._update_enabled()

    def set_server_lost(self, text: str | None) -> None:
        """No site server (`text` says since when): every command is disabled and the text says why; None: back."""
        self._server_lost = text
        self._update_enabled()

    def set_powers(self, powers: frozenset[str], role_text: str) -> None:
        """The signed-in person's powers ("drones", "supervise", ...) and role name: commands the role may not
        send are disabled and say which role they need. Call again after a language switch (`role_text`)."""
        self.gate.set(powers, role_text)
        self.history_button.setVisible(self.gate.has(AUDIT))
        self._update_enabled()

    def role_reason(self, cmd: DroneCommand) -> str:
        """Why the signed-in role may not send `cmd` ("" when it may)."""
        return self.gate.missing(COMMAND_POWER[cmd])

    @property
    def _holds(self) -> bool:
        return self._authority is not None and self._authority.mine

    def authority_text(self) -> str:
        """The authority line: who holds it (this console / another console and operator / nobody), how long."""
        a = self._authority
        if a is None:
            return self.tr("Command authority: nobody")
        held = held_for_text(self._clock() - a.since) if a.since is not None else "--"
        if a.mine:
            return self.tr("Command authority: this console (%1), for %2").replace("%1", a.operator).replace("%2", held)
        text = (self.tr("Command authority: %1 at console %2, for %3")
                .replace("%1", a.operator or "?").replace("%2", a.console).replace("%3", held))
        if a.offline_since is not None:
            text += " " + self.tr("(console offline since %1)").replace(
                "%1", time.strftime("%H:%M:%S", time.localtime(a.offline_since)))
        return text

    def _held_elsewhere_text(self) -> str:
        """Who else holds authority, as the core would refuse a command ("" when nobody else does)."""
        a, d = self._authority, self._detail
        if a is None or a.mine or d is None:
            return ""
        if a.offline_since is not None:
            since = time.strftime("%H:%M:%S", time.localtime(a.offline_since))
            return reason_text(Reason.of("authority.holder_offline", dock=d.dock_id, operator=a.operator or "?",
                                         console=a.console, since=since))
        return reason_text(Reason.of("authority.held", dock=d.dock_id, operator=a.operator or "?",
                                     console=a.console))

    def _allowed(self, cmd: DroneCommand) -> bool:
        """Whether `cmd` can be sent now: the role may, and the drone's and authority's state let it."""
        return not self.role_reason(cmd) and self._state_allows(cmd)

    def _state_allows(self, cmd: DroneCommand) -> bool:
        """Whether the drone's and authority's state let `cmd` go, whoever is signed in."""
        d = self._detail
        if d is None or self._server_lost is not None:
            return False
        held_elsewhere = self._authority is not None and not self._holds
        if cmd is DroneCommand.TAKE_AUTHORITY:
            return not self._holds
        if cmd is DroneCommand.FORCE_TAKE:
            return held_elsewhere
        if cmd is DroneCommand.RELEASE_AUTHORITY:
            return self._holds
        if d.locked_out:
            # Emergency-stopped: nothing but re-activation (authority first, if another console has it).
            return cmd is DroneCommand.REACTIVATE and self._holds
        if not self._holds or cmd is DroneCommand.REACTIVATE:
            return False
        if cmd is DroneCommand.EMERGENCY_STOP:
            return True  # the last resort works even without a link report
        if cmd is DroneCommand.ABORT and not d.task_id:
            return False
        return not d.link_lost

    def _update_enabled(self) -> None:
        for cmd, button in self.buttons.items():
            button.setEnabled(self._allowed(cmd))
            # The role reason first: no authority or link would make the button usable for this person.
            role = self.role_reason(cmd)
            tip = self._tips.get(cmd, "")
            button.setToolTip(f"{role}\n{tip}" if role and tip else role or tip)
        self.alt_spin.setEnabled(self._allowed(DroneCommand.ALTITUDE))
        self.alt_spin.setToolTip(self.role_reason(DroneCommand.ALTITUDE))
        d = self._detail
        self.buttons[DroneCommand.REACTIVATE].setVisible(d is not None and d.locked_out)
        # Shown when the state calls for it, disabled for a role without the power: the dispatcher sees that a
        # supervisor could take over, and why they cannot.
        self.buttons[DroneCommand.FORCE_TAKE].setVisible(self._state_allows(DroneCommand.FORCE_TAKE))
        self.buttons[DroneCommand.RELEASE_AUTHORITY].setVisible(self._holds)
        self.buttons[DroneCommand.TAKE_AUTHORITY].setVisible(not self._holds)
        self.authority_label.setText(self.authority_text())
        if self._notice_for is not None and self._allowed(self._notice_for):
            self._notice_for = None   # possible now (authority taken, link back): the message is stale
        self.notice_label.setVisible(self._notice_for is not None)
        self.reason_label.setText(self.disabled_reason())
        # The message line, when shown, already says why; the standing reason would repeat it.
        self.reason_label.setVisible(bool(self.reason_label.text()) and self._notice_for is None)

    def disabled_reason(self) -> str:
        """Why commands are disabled, for the operator ("" when they are not)."""
        d = self._detail
        # A role without drone commands hears that first: nothing else it could do would change it.
        role = self.role_reason(DroneCommand.HOLD)
        if role and d is not None:
            return role
        if self._server_lost is not None:
            return self._server_lost
        if d is None:
            return ""
        if d.locked_out and self._holds and self.role_reason(DroneCommand.REACTIVATE):
            return self.tr("Emergency-stopped: a supervisor must re-activate the drone") + " · " \
                + self.role_reason(DroneCommand.REACTIVATE)
        if not self._holds:
            return self._held_elsewhere_text() or self.tr("Take command authority first (T)")
        if d.locked_out:
            return self.tr("Emergency-stopped: re-activate the drone before any other command")
        if d.link_lost:
            return self.tr("Link lost: only the emergency stop can be sent")
        return ""

    # ----- commands -------------------------------------------------------------------------------

    def press(self, cmd: DroneCommand) -> None:
        """A command's key: the command if it is possible now, else the reason on the message line."""
        if self._allowed(cmd):
            self.buttons[cmd].click()
            return
        why = self.role_reason(cmd) or self.disabled_reason() or self.tr("not possible now")
        if cmd is DroneCommand.ABORT and self._holds and self._detail is not None and not self._detail.task_id:
            why = reason_text(Reason.of("command.drone_no_task"))
        self.notice_label.setText(self.tr("%1 not sent: %2").replace("%1", self.command_text(cmd)).replace("%2", why))
        self._notice_for = cmd
        self._update_enabled()

    def _on_button(self, cmd: DroneCommand) -> None:
        d = self._detail
        if d is None or not self._allowed(cmd):
            return
        self._notice_for = None
        self._update_enabled()
        if cmd is DroneCommand.GOTO:
            self._pending_goto = d.sysid
            self.pick_point_requested.emit()
            return
        args: dict[str, Any] = {}
        if cmd in CONFIRMED_COMMANDS and not self.confirm_flight_change(cmd, d):
            return
        if cmd is DroneCommand.ALTITUDE:
            args["alt_rel_m"] = float(self.alt_spin.value())
        elif cmd is DroneCommand.EMERGENCY_STOP:
            if not self.confirm(self.tr("Emergency stop"),
                                self.tr("Stop drone %1 where it is (brake and hover) and lock it against every "
                                        "other command until it is re-activated?").replace("%1", str(d.sysid))):
                return
        elif cmd is DroneCommand.FORCE_TAKE:
            if not self.confirm_take_over(self._held_elsewhere_text()):
                return
        elif cmd is DroneCommand.REACTIVATE:
            if not self.confirm(self.tr("Re-activate"),
                                self.tr("Re-activate drone %1 after the emergency stop?").replace("%1", str(d.sysid))):
                return
        self.command_requested.emit(cmd, d.sysid, args)

    @Slot(float, float)
    def point_picked(self, lat: float, lon: float) -> None:
        """The map's answer to `pick_point_requested`: sends the go-to if it still makes sense."""
        sysid, self._pending_goto = self._pending_goto, None
        d = self._detail
        if sysid is None or d is None or sysid != d.sysid or not self._allowed(DroneCommand.GOTO):
            return
        if self.confirm_flight_change(DroneCommand.GOTO, d, (lat, lon)):
            self.command_requested.emit(DroneCommand.GOTO, sysid, {"lat": float(lat), "lon": float(lon)})

    def confirm_flight_change(self, cmd: DroneCommand, d: DroneDetail,
                              point: tuple[float, float] | None = None) -> bool:
        """Asks before a one-press command changes the flight; "keep flying" is the default answer."""
        drone = self.tr("drone %1 (%2)").replace("%1", str(d.sysid)).replace("%2", d.dock_name)
        question = {
            DroneCommand.GOTO: self.tr("Fly %1 to %2 now? It leaves its mission and waits there."),
            DroneCommand.RETURN: self.tr("Send %1 home to its dock now? Its task's work on scene ends."),
            DroneCommand.LAND: self.tr("Land %1 where it is now, away from its dock?"),
            DroneCommand.ABORT: self.tr("Abort the task of %1 now? The drone returns to its dock."),
        }[cmd]
        where = f"{point[0]:.5f}, {point[1]:.5f}" if point is not None else ""
        return self.confirm(self.command_text(cmd), question.replace("%1", drone).replace("%2", where),
                            yes=self.command_text(cmd), no=self.tr("Keep flying"))

    def confirm_take_over(self, why: str) -> bool:
        """Asks before taking authority from another console (a supervisor's decision, or a console gone)."""
        return self.confirm(self.tr("Take over authority"),
                            self.tr("%1\n\nTake command authority from that console now? Its operator can no "
                                    "longer command this drone; the take-over is journaled under your name.")
                            .replace("%1", why))

    def confirm(self, title: str, text: str, *, yes: str | None = None, no: str | None = None) -> bool:
        """Asks the operator to confirm; the default button (Enter) and Esc are the safe "no"."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.NoButton, self)
        yes_button = box.addButton(yes or self.tr("Yes"), QMessageBox.ButtonRole.AcceptRole)
        no_button = box.addButton(no or self.tr("No"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(no_button)
        box.setEscapeButton(no_button)
        box.exec()
        return box.clickedButton() is yes_button

    @Slot(object, int, bool, object)
    def show_result(self, command: DroneCommand, sysid: int, ok: bool, reason: Reason | None) -> None:
        """A command's outcome for drone `sysid`: accepted (`reason` None or what the core said) or refused
        with its reason; it goes into that drone's log, shown when that drone is."""
        self.log.add(sysid, CommandOutcome(command, ok, reason, self._clock()))

    def results(self) -> list[str]:
        """The shown drone's command log lines, newest first."""
        return self.log.lines()

    def command_text(self, cmd: DroneCommand) -> str:
        """The command's button label, without the ellipsis."""
        return {
            DroneCommand.TAKE_AUTHORITY: self.tr("Take authority"), DroneCommand.HOLD: self.tr("Hold"),
            DroneCommand.FORCE_TAKE: self.tr("Force take (supervisor)"),
            DroneCommand.RELEASE_AUTHORITY: self.tr("Release authority"),
            DroneCommand.RESUME: self.tr("Resume"), DroneCommand.GOTO: self.tr("Go to"),
            DroneCommand.ALTITUDE: self.tr("Altitude"), DroneCommand.RETURN: self.tr("Return home"),
            DroneCommand.LAND: self.tr("Land here"), DroneCommand.ABORT: self.tr("Abort task"),
            DroneCommand.EMERGENCY_STOP: self.tr("EMERGENCY STOP"), DroneCommand.REACTIVATE: self.tr("Re-activate"),
        }[cmd]

    # ----- language -------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.hint.setText(self.tr("Select a drone on the map or the fleet board"))
        self.history_button.setText(self.tr("Task history…"))
        for cmd, button in self.buttons.items():
            label = self.command_text(cmd)
            button.setText(label + ("…" if cmd in (DroneCommand.GOTO, DroneCommand.FORCE_TAKE) else ""))
            key = SHORTCUTS.get(cmd)
            self._tips[cmd] = self.tr("%1 (shortcut %2)").replace("%1", label).replace("%2", key) if key else label
        self._tips[DroneCommand.ALTITUDE] = self.tr("Climb or descend to this height above ground")
        self.alt_label.setText(self.tr("Altitude"))
        self.alt_button.setText(self.tr("Set"))
        self._tips[DroneCommand.EMERGENCY_STOP] = self.tr(
            "Brakes and hovers at once, then locks every other command until re-activated; asks for confirmation")
        self.log.repaint_lines()
        if self._detail is not None:
            self._show_detail(self._detail)
        self._update_enabled()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange and hasattr(self, "log"):
            self.retranslate()
        super().changeEvent(event)
