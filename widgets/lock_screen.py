"""The lock screen: an opaque cover over the whole console window while its operator is away.

`lock(user, role_text)` covers the window it was made for (menus, panels, status bar; it follows the
window's resizes) and hides the windows that belong to it (floating panels, open dialogs) until
`unlocked()`. Nothing operational shows through and no key reaches the console behind:

- the keyboard focus stays on the cover (Tab cycles inside it; focus given to anything behind, by a
  click, a timer or a panel that calls setFocus, is taken back);
- every key press is claimed by the cover before Qt matches it against shortcuts (the ShortcutOverride
  event is accepted), so the window's shortcuts (Ctrl+Q, the panels' single keys, menu mnemonics) stay
  silent while locked;
- a modal dialog that was open (a confirmation) is rejected, its safe answer, since it would otherwise
  keep the keyboard from the cover.

The password typed is handed over with `unlock_requested` and cleared at once; the console checks it
with the site server and answers `unlocked()` or `show_error(text)`. "Switch user" asks the console to
sign this person out and show the sign-in dialog (`switch_user_requested`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (QApplication, QDialog, QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QVBoxLayout, QWidget)

from widgets.icons import symbol_icon

#: The cover's colour: the theme's darkest surface, fully opaque.
COVER_COLOUR = "#0d1117"
CARD_COLOUR = "#161b22"
ALARM_COLOUR = "#f85149"
DIM_COLOUR = "#8b949e"


class LockScreen(QWidget):
    """Covers `window` while locked; `unlock_requested(password)` and `switch_user_requested()` ask the console."""

    unlock_requested = Signal(str)
    switch_user_requested = Signal()

    def __init__(self, window: QWidget, clock: Callable[[], float] = time.time) -> None:
        super().__init__(window)
        self._window = window
        self._clock = clock
        self._locked = False
        self._user, self._role_text, self._since = "", "", 0.0
        self._hidden_windows: list[QWidget] = []   # floating panels and dialogs hidden by lock(), shown again after
        self.setAutoFillBackground(False)   # paintEvent fills the whole cover, opaque
        self.setAttribute(Qt.WidgetAttribute.WA_NoMousePropagation)   # clicks never reach the window behind

        self.icon = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.icon.setPixmap(symbol_icon("lock").pixmap(64, 64))
        self.title = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.title.setStyleSheet("font-size: 22pt; font-weight: bold;")
        self.who = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.who.setStyleSheet("font-size: 13pt;")
        self.since = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.since.setStyleSheet(f"color: {DIM_COLOUR};")
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.password.setMinimumWidth(280)
        self.unlock_button = QPushButton()
        self.unlock_button.setDefault(True)
        self.error = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.error.setStyleSheet(f"color: {ALARM_COLOUR}; font-weight: bold;")
        self.error.hide()
        self.switch_button = QPushButton(symbol_icon("person"), "")

        card = QFrame(objectName="lockCard")
        card.setStyleSheet(f"QFrame#lockCard {{ background: {CARD_COLOUR}; border: 1px solid #30363d; "
                           "border-radius: 8px; }")
        card.setFixedWidth(460)
        col = QVBoxLayout(card)
        col.setContentsMargins(28, 24, 28, 24)
        col.setSpacing(12)
        for w in (self.icon, self.title, self.who, self.since):
            col.addWidget(w)
        row = QHBoxLayout()
        row.addWidget(self.password, 1)
        row.addWidget(self.unlock_button)
        col.addSpacing(8)
        col.addLayout(row)
        col.addWidget(self.error)
        col.addSpacing(8)
        col.addWidget(self.switch_button, 0, Qt.AlignmentFlag.AlignCenter)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignCenter)
        outer.addStretch(2)   # a little above the middle, where the eye looks first

        self._focus_chain: list[QWidget] = [self.password, self.unlock_button, self.switch_button]
        for w in self._focus_chain:
            w.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.password.returnPressed.connect(self._submit)
        self.unlock_button.clicked.connect(self._submit)
        self.switch_button.clicked.connect(self.switch_user_requested)
        self.password.textChanged.connect(lambda _t: self.error.hide())
        window.installEventFilter(self)
        self.retranslate()
        self.hide()

    # ----- the console's calls --------------------------------------------------------------------

    @property
    def is_locked(self) -> bool:
        return self._locked

    def lock(self, user: str, role_text: str) -> None:
        """Covers the window: who is signed in (`user`, `role_text`) and since when, a password to come back."""
        first = not self._locked
        self._user, self._role_text = user, role_text
        if first:
            self._since = self._clock()
            self._locked = True
            self._hide_other_windows()
            app = QApplication.instance()
            app.installEventFilter(self)   # claims key presses before shortcuts see them (eventFilter)
            app.focusChanged.connect(self._keep_focus)
        self.password.clear()
        self.error.hide()
        self.retranslate()
        self.setGeometry(self._window.rect())
        self.show()
        self.raise_()
        self.password.setFocus(Qt.FocusReason.OtherFocusReason)

    def unlocked(self) -> None:
        """The password was right: the cover goes, the hidden windows come back."""
        if not self._locked:
            return
        self._locked = False
        app = QApplication.instance()
        app.removeEventFilter(self)
        app.focusChanged.disconnect(self._keep_focus)
        self.password.clear()
        self.error.hide()
        self.hide()
        for w in self._hidden_windows:
            w.show()
        self._hidden_windows.clear()

    def show_error(self, text: str) -> None:
        """The password was refused (`text` says why): in red under the field, which is cleared for the next try."""
        self.error.setText(text)
        self.error.show()
        self.password.clear()
        self.password.setEnabled(True)
        self.password.setFocus()

    def error_text(self) -> str:
        return self.error.text() if not self.error.isHidden() else ""

    # ----- keeping the console behind it out of reach ---------------------------------------------

    def _submit(self) -> None:
        password = self.password.text()
        if not password:
            self.password.setFocus()
            return
        self.password.clear()   # never kept once handed over
        self.unlock_requested.emit(password)

    def _hide_other_windows(self) -> None:
        """Hides the window's own other windows: floating panels and dialogs would show over the cover."""
        for w in QApplication.topLevelWidgets():
            if w is self._window or not w.isVisible() or not self._belongs(w):
                continue
            if isinstance(w, QDialog) and w.isModal():
                w.reject()   # a pending question's safe answer; it would keep the keyboard from the cover
            else:
                w.hide()
                self._hidden_windows.append(w)

    def _belongs(self, w: QWidget) -> bool:
        p = w.parentWidget()
        while p is not None:
            if p is self._window:
                return True
            p = p.parentWidget()
        return False

    def _inside(self, obj: QObject | None) -> bool:
        while obj is not None:
            if obj is self:
                return True
            obj = obj.parent()
        return False

    def _keep_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        if self._locked and new is not None and not self._inside(new) and new.window() is self._window:
            self.password.setFocus(Qt.FocusReason.OtherFocusReason)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self._window and event.type() == QEvent.Type.Resize:
            self.setGeometry(self._window.rect())   # follows the window, always all of it
        elif self._locked and event.type() == QEvent.Type.ShortcutOverride and isinstance(obj, QWidget) \
                and obj.window() is self._window:
            # Accepted, the key is no shortcut: it goes to the focus widget (on the cover) as a plain key press.
            # Tab and Backtab still move the focus, inside the cover (focusNextPrevChild).
            event.accept()
            return True
        return super().eventFilter(obj, event)

    def focusNextPrevChild(self, forward: bool) -> bool:
        """Tab and Shift+Tab cycle through the cover's own fields, never to the console behind."""
        chain = [w for w in self._focus_chain if w.isEnabled() and w.isVisible()]
        if not chain:
            return True
        current = QApplication.focusWidget()
        i = chain.index(current) if current in chain else -1
        chain[(i + (1 if forward else -1)) % len(chain)].setFocus(Qt.FocusReason.TabFocusReason)
        return True

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(COVER_COLOUR))

    # ----- language -------------------------------------------------------------------------------

    def retranslate(self) -> None:
        """Every text of the cover; at lock and whenever the language changes."""
        self.title.setText(self.tr("Screen locked"))
        self.who.setText(self.tr("Signed in: %1 (%2)").replace("%1", self._user or "?")
                         .replace("%2", self._role_text or "?"))
        self.since.setText(self.tr("Locked since %1").replace(
            "%1", time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self._since))) if self._since else "")
        self.password.setPlaceholderText(self.tr("Password to unlock"))
        self.unlock_button.setText(self.tr("Unlock"))
        self.unlock_button.setToolTip(self.tr("Unlock (Enter)"))
        self.switch_button.setText(self.tr("Switch user"))
        self.switch_button.setToolTip(self.tr("Sign this person out and sign in as someone else"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange and hasattr(self, "switch_button"):
            self.retranslate()
        super().changeEvent(event)
