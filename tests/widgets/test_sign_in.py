"""Signing in, the status bar's identity badge and the lock screen over a real window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDockWidget, QLabel, QLineEdit, QMainWindow, QWidget

from widgets.identity_badge import IdentityBadge
from widgets.lock_screen import LockScreen
from widgets.sign_in import SignInDialog

LOCKED_AT = 1_790_000_000.0


@pytest.fixture
def dialog(qtbot):  # type: ignore[no-untyped-def]
    d = SignInDialog("青岛市南 demo", "mqtt://127.0.0.1:1883")
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    return d


def test_the_dialog_shows_site_and_broker_and_hides_the_password(dialog: SignInDialog) -> None:
    assert "青岛市南 demo" in dialog.site_label.text() and "mqtt://127.0.0.1:1883" in dialog.site_label.text()
    assert dialog.password.echoMode() == QLineEdit.EchoMode.Password
    assert dialog.sign_in_button.isDefault()


def test_enter_emits_the_credentials_and_clears_the_password(dialog: SignInDialog, qtbot) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(dialog.user, " wang ")
    qtbot.keyClicks(dialog.password, "s3cret ")
    dialog.password.insert("密码")   # QTest types Latin-1 only
    with qtbot.waitSignal(dialog.submitted) as sent:
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert sent.args == ["wang", "s3cret 密码"]
    assert dialog.password.text() == "" and dialog.user.text() == " wang "
    assert dialog.isVisible()   # the console closes it once the server said yes


def test_no_user_name_is_said_at_once(dialog: SignInDialog, qtbot) -> None:  # type: ignore[no-untyped-def]
    with qtbot.assertNotEmitted(dialog.submitted):
        dialog.sign_in_button.click()
    assert dialog.error_text() == "Enter your user name."


def test_busy_then_error_then_reset(dialog: SignInDialog, qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog.user.setText("wang")
    dialog.password.setText("x")
    dialog.sign_in_button.click()
    dialog.set_busy(True)
    assert not dialog.user.isEnabled() and not dialog.password.isEnabled() and not dialog.sign_in_button.isEnabled()
    assert dialog.quit_button.isEnabled()   # a server that never answers must not trap the operator
    assert dialog.status.isVisible() and dialog.status.text() == "Signing in…"
    with qtbot.assertNotEmitted(dialog.submitted):
        dialog.submit()                     # no second request while one is out
    dialog.password.setText("typed meanwhile")
    dialog.show_error("Wrong user name or password")
    assert dialog.error_text() == "Wrong user name or password"
    assert "#f85149" in dialog.status.styleSheet()
    assert dialog.user.text() == "wang" and dialog.password.text() == ""
    assert dialog.user.isEnabled() and dialog.sign_in_button.isEnabled()
    qtbot.waitUntil(dialog.password.hasFocus)
    dialog.reset("li")
    assert dialog.error_text() == "" and dialog.user.text() == "li" and dialog.password.text() == ""


def test_quit_rejects(dialog: SignInDialog, qtbot) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(dialog.rejected):
        dialog.quit_button.click()


def test_the_badge_says_who_and_marks_a_demo(qtbot) -> None:  # type: ignore[no-untyped-def]
    badge = IdentityBadge()
    qtbot.addWidget(badge)
    assert badge.text() == "Not signed in"
    badge.set_identity("wang", "dispatcher", False)
    assert badge.text() == "wang · dispatcher" and "demo" not in badge.text()
    badge.set_identity("demo", "supervisor", True)
    assert badge.text() == "demo · supervisor  [demo]"
    with qtbot.waitSignal(badge.clicked):
        qtbot.mouseClick(badge, Qt.MouseButton.LeftButton)


# ----- lock screen -----------------------------------------------------------------------------------


class Console(QMainWindow):
    """A stand-in console window: a field, a floating panel and a window shortcut (Ctrl+K) that counts."""

    def __init__(self) -> None:
        super().__init__()
        self.field = QLineEdit()
        self.setCentralWidget(self.field)
        self.statusBar().addWidget(QLabel("status"))
        self.menuBar().addMenu("&File")
        self.fired = 0
        self.shortcut = QShortcut(QKeySequence("Ctrl+K"), self, context=Qt.ShortcutContext.WindowShortcut)
        self.shortcut.activated.connect(self._fire)
        self.key_h = QShortcut(QKeySequence("H"), self, context=Qt.ShortcutContext.WindowShortcut)
        self.key_h.activated.connect(self._fire)
        self.floating = QDockWidget("panel", self)
        self.floating.setWidget(QWidget())
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.floating)
        self.floating.setFloating(True)

    def _fire(self) -> None:
        self.fired += 1


@pytest.fixture
def console(qtbot):  # type: ignore[no-untyped-def]
    w = Console()
    qtbot.addWidget(w)
    w.resize(1200, 700)
    w.show()
    w.activateWindow()
    qtbot.waitActive(w)
    w.field.setFocus()
    return w


def test_the_lock_covers_the_window_and_follows_its_size(console: Console, qtbot) -> None:  # type: ignore[no-untyped-def]
    lock = LockScreen(console, clock=lambda: LOCKED_AT)
    assert not lock.is_locked and not lock.isVisible()
    lock.lock("wang", "dispatcher")
    assert lock.is_locked and lock.isVisible()
    assert lock.geometry() == console.rect()           # menus, panels and the status bar too
    assert not console.floating.isVisible()            # a floating panel would show over the cover
    image = lock.grab().toImage()
    assert image.pixelColor(5, 5).name() == "#0d1117"  # opaque where nothing of the card is
    assert "wang" in lock.who.text() and "dispatcher" in lock.who.text()
    assert "Locked since" in lock.since.text()
    console.resize(1600, 900)
    qtbot.waitUntil(lambda: lock.geometry() == console.rect())
    lock.unlocked()
    assert not lock.is_locked and not lock.isVisible() and console.floating.isVisible()


def test_no_window_shortcut_fires_while_locked(console: Console, qtbot) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(console.field, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert console.fired == 1                           # the shortcut works before the lock
    lock = LockScreen(console)
    lock.lock("wang", "dispatcher")
    qtbot.waitUntil(lock.password.hasFocus)
    qtbot.keyClick(lock.password, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(lock.password, Qt.Key.Key_H)
    assert console.fired == 1                           # neither Ctrl+K nor the single key H fired
    assert lock.password.text() == "h"                  # a plain key is typed into the password, not a shortcut
    # Focus given to the console behind (a panel calling setFocus) comes back to the cover.
    console.field.setFocus()
    qtbot.waitUntil(lock.password.hasFocus)
    # Tab cycles inside the cover.
    for _ in range(4):
        qtbot.keyClick(QApplication_focus(), Qt.Key.Key_Tab)
        assert lock.isAncestorOf(QApplication_focus())
    lock.unlocked()
    console.field.setFocus()
    qtbot.keyClick(console.field, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert console.fired == 2                           # and works again after


def QApplication_focus() -> QWidget:  # noqa: N802 - reads as what it is in the test
    from PySide6.QtWidgets import QApplication
    w = QApplication.focusWidget()
    assert w is not None
    return w


def test_unlock_and_switch_user_are_asked_for(console: Console, qtbot) -> None:  # type: ignore[no-untyped-def]
    lock = LockScreen(console)
    lock.lock("wang", "dispatcher")
    with qtbot.assertNotEmitted(lock.unlock_requested):
        lock.unlock_button.click()                      # an empty password asks nothing
    qtbot.keyClicks(lock.password, "pw")
    with qtbot.waitSignal(lock.unlock_requested) as asked:
        qtbot.keyClick(lock.password, Qt.Key.Key_Return)
    assert asked.args == ["pw"] and lock.password.text() == ""
    lock.show_error("Wrong password")
    assert lock.error_text() == "Wrong password" and lock.is_locked
    with qtbot.waitSignal(lock.switch_user_requested):
        lock.switch_button.click()
    assert lock.is_locked                               # the console signs out, then unlocks or closes
