"""The sign-in dialog: who sits at this console, asked before anything operational is shown.

It only collects the credentials: `submitted(user, password)` hands them to the console, which asks the
site server and answers with `show_error` (the dialog stays open, the user name kept) or closes the dialog
(`accept()`) once signed in. While the server is asked, `set_busy(True)` keeps a second press from sending
twice. The password is never kept: its field is cleared the moment it is emitted.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout,
                               QWidget)

from widgets.icons import symbol_icon

ALARM_COLOUR = "#f85149"
DIM_COLOUR = "#8b949e"


class SignInDialog(QDialog):
    """User name and password for the site `site_name` served through `broker` (shown, not editable).

    Enter signs in (the default button); Esc or Quit rejects, and the console then quits.
    """

    submitted = Signal(str, str)   # user, password

    def __init__(self, site_name: str, broker: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._site_name, self._broker = site_name, broker
        self._busy = False
        self.setMinimumWidth(440)
        self.heading = QLabel()
        self.heading.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.site_label = QLabel(wordWrap=True)
        self.site_label.setStyleSheet(f"color: {DIM_COLOUR};")
        self.site_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.user = QLineEdit()
        self.user.setClearButtonEnabled(True)
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.user_label, self.password_label = QLabel(), QLabel()
        self.user_label.setBuddy(self.user)
        self.password_label.setBuddy(self.password)
        self.status = QLabel(wordWrap=True)   # "Signing in…" or the error, under the fields
        self.status.hide()
        self.buttons = QDialogButtonBox()
        self.sign_in_button = QPushButton(symbol_icon("person"), "")
        self.quit_button = QPushButton()
        self.buttons.addButton(self.sign_in_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.quit_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.sign_in_button.setDefault(True)
        self.sign_in_button.setAutoDefault(True)
        self.quit_button.setAutoDefault(False)   # Enter in a field signs in, never quits

        form = QFormLayout()
        form.addRow(self.user_label, self.user)
        form.addRow(self.password_label, self.password)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(20, 18, 20, 14)
        lay.setSpacing(10)
        lay.addWidget(self.heading)
        lay.addWidget(self.site_label)
        lay.addLayout(form)
        lay.addWidget(self.status)
        lay.addWidget(self.buttons)
        # The dialog box's accepted() would close the dialog: the console closes it once the server said yes.
        self.sign_in_button.clicked.connect(self.submit)
        self.quit_button.clicked.connect(self.reject)
        self.user.textChanged.connect(lambda _t: self._clear_error())
        self.retranslate()
        self.user.setFocus()

    # ----- the console's answers ------------------------------------------------------------------

    def submit(self) -> bool:
        """Emits the credentials (the Sign in button and Enter); the password field is cleared at once.
        A missing user name is said on the spot and nothing is sent."""
        if self._busy:
            return False
        user = self.user.text().strip()
        if not user:
            self._set_status(self.tr("Enter your user name."), error=True)
            self.user.setFocus()
            return False
        password = self.password.text()
        self.password.clear()   # never kept on screen or in the widget once handed over
        self.submitted.emit(user, password)
        return True

    def set_busy(self, busy: bool) -> None:
        """While the server is asked: fields and Sign in disabled, "Signing in…" shown. Quit stays usable."""
        self._busy = busy
        for w in (self.user, self.password, self.sign_in_button):
            w.setEnabled(not busy)
        if busy:
            self._set_status(self.tr("Signing in…"), error=False)
        elif not self._error:
            self.status.hide()
        if not busy:
            (self.password if self.user.text() else self.user).setFocus()

    def show_error(self, text: str) -> None:
        """The sign-in was refused (`text` says why): shown in red; the user name stays, the password is
        cleared and has the focus for the next try."""
        self.set_busy(False)
        self._set_status(text, error=True)
        self.password.clear()
        self.password.setFocus()

    def reset(self, user: str = "") -> None:
        """Ready for a new sign-in (after sign-out or a switch of user), with `user` filled in if given."""
        self.set_busy(False)
        self._clear_error()
        self.user.setText(user)
        self.password.clear()
        (self.password if user else self.user).setFocus()

    def error_text(self) -> str:
        """The error shown ("" when none)."""
        return self.status.text() if self._error and self.status.isVisible() else ""

    # ----- inside ---------------------------------------------------------------------------------

    _error = False

    def _set_status(self, text: str, *, error: bool) -> None:
        self._error = error
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {ALARM_COLOUR}; font-weight: bold;" if error else f"color: {DIM_COLOUR};")
        self.status.show()

    def _clear_error(self) -> None:
        if self._error:
            self._error = False
            self.status.hide()

    def retranslate(self) -> None:
        """Every text of the dialog; at start and whenever the language changes."""
        self.setWindowTitle(self.tr("Sign in — Qingdao Low-Altitude Command Console"))
        self.heading.setText(self.tr("Sign in"))
        self.site_label.setText(self.tr("Site: %1\nBroker: %2").replace("%1", self._site_name)
                                .replace("%2", self._broker))
        self.user_label.setText(self.tr("&User"))
        self.password_label.setText(self.tr("&Password"))
        self.user.setPlaceholderText(self.tr("Your user name"))
        self.password.setPlaceholderText(self.tr("Password"))
        self.sign_in_button.setText(self.tr("Sign in"))
        self.sign_in_button.setToolTip(self.tr("Sign in (Enter)"))
        self.quit_button.setText(self.tr("Quit"))
        self.quit_button.setToolTip(self.tr("Close the console without signing in (Esc)"))
        if self._busy:
            self.status.setText(self.tr("Signing in…"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange and hasattr(self, "quit_button"):
            self.retranslate()
        super().changeEvent(event)
