"""Who is signed in at this console (docs/architecture.md, "Security: sign-in"), on the GUI thread.

A site with accounts asks for a sign-in before the window opens; the account's user name and password are the
console's MQTT credentials, so the broker itself knows who is connected and lets the account publish only what its
role may. The server then says the account's role; every panel disables what the role cannot do (with the role it
needs in the tooltip), and the status bar shows who is signed in.

Ctrl+L locks the screen (and so does the site's idle time); the lock screen unlocks with the same account's
password (checked by the broker) or switches to another account without closing the console. An account disabled
while signed in is signed out by the server; the lock screen then says so. Passwords pass through here on their way
to the broker and are never logged or written anywhere.

The demo site signs its demo dispatcher in by itself and marks it as a demo in the status bar.
"""

from __future__ import annotations

import concurrent.futures
import logging
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMenu

from console.core.events import SignedIn
from console.core.mqtt_link import SignInRefused
from console.core.roles import powers, role_of
from console.remote.site_client import RemoteServices
from widgets.identity_badge import IdentityBadge
from widgets.lock_screen import LockScreen
from widgets.powers import role_name
from widgets.sign_in import SignInDialog

log = logging.getLogger(__name__)

#: The longest a console makes a person wait after wrong passwords.
MAX_WAIT_S = 60.0

#: What counts as the operator being there (the idle clock starts again).
_ACTIVITY = frozenset({QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel})


class _Relay(QObject):
    """Carries a core-loop future's outcome to the GUI thread (a queued signal)."""

    done = Signal(object, object)   # callback, future


class IdentityController(QObject):
    """Sign-in dialog, lock screen, status-bar badge, idle lock and the panels' role gating of one console."""

    def __init__(self, services: RemoteServices, window: Any, *, gated: list[Any], demo: bool,
                 idle_lock_s: float) -> None:
        super().__init__(window)
        self.services = services
        self.window = window
        self.gated = gated              # panels with set_powers(powers, role_text)
        self.demo = demo
        self.user: str | None = None
        self.role: str | None = None
        self._relay = _Relay(self)
        self._relay.done.connect(lambda fn, fut: fn(fut))
        self.badge = IdentityBadge(window)
        self.badge.setObjectName("identity_badge")
        window.statusBar().addPermanentWidget(self.badge)
        self.badge.clicked.connect(self._menu)
        self.lock_screen = LockScreen(window)
        self.lock_screen.unlock_requested.connect(self._unlock)
        self.lock_screen.switch_user_requested.connect(self.switch_user)
        self.act_lock = QAction(window, shortcut=QKeySequence("Ctrl+L"), triggered=self.lock)
        window.addAction(self.act_lock)
        self.dialog: SignInDialog | None = None
        self._failures = 0                   # wrong passwords in a row at this console
        self._not_before = 0.0               # time.monotonic() before which no new try is sent
        self.idle = QTimer(self, singleShot=True, interval=int(idle_lock_s * 1000))
        self.idle_lock_s = idle_lock_s   # 0: never
        self.idle.timeout.connect(self._idle)
        QApplication.instance().installEventFilter(self)
        self.retranslate()

    # ----- the core's word on who is signed in

    def on_signed_in(self, event: SignedIn) -> None:
        """The core says who is signed in now (GUI thread, from the bridge)."""
        self.user, self.role = event.user, event.role
        self._apply()
        if event.user is None and event.why in ("account_disabled", "refused"):
            self.lock()
            self.lock_screen.show_error(self.tr("This account was disabled or its password changed: switch user."))

    def _apply(self) -> None:
        if not self.services.mqtt.sign_in_required:
            # An open site (no accounts): nobody signs in and the server trusts every console; the badge says so.
            self.badge.set_identity(None, self.tr("open site, no sign-in"), False)
            return
        role = role_of(self.role)
        text = role_name(self.role) if self.role else self.tr("not signed in")
        granted = frozenset(p.value for p in powers(role))
        for panel in self.gated:
            panel.set_powers(granted, text)
        self.badge.set_identity(self.user, text, self.demo)
        if self.user is not None and self.idle_lock_s > 0:
            self.idle.start()

    # ----- sign in

    def sign_in_at_start(self) -> bool:
        """The sign-in dialog before the window opens (modal); False when the operator quits instead."""
        dialog = self._dialog()
        return dialog.exec() == SignInDialog.DialogCode.Accepted

    def sign_in_now(self, user: str, password: str, timeout_s: float = 15.0) -> str | None:
        """Signs in without a dialog (`--user`, the demo's own dispatcher); the refusal's words, or None."""
        fut = self.services.core.submit(self.services.sign_in(user, password))
        concurrent.futures.wait([fut], timeout_s)
        if not fut.done():
            fut.cancel()
            return self.tr("The site's broker cannot be reached:") + f" no answer in {timeout_s:.0f} s"
        problem = _refusal(fut)
        return None if problem is None else problem[0]

    def _dialog(self) -> SignInDialog:
        broker = self.services.site.broker
        dialog = SignInDialog(self.services.site.name, broker.url if broker else "", self.window)
        dialog.submitted.connect(lambda user, password: self._try(dialog, user, password))
        dialog.finished.connect(dialog.deleteLater)   # a new one for every sign-in
        self.dialog = dialog
        return dialog

    def _throttled(self) -> str | None:
        """Words for the person while wrong passwords make this console wait (None: go ahead). Mosquitto cannot
        slow down password guessing; this console at least does not help anyone guess (docs/security.md)."""
        left = self._not_before - time.monotonic()
        if left <= 0:
            return None
        return self.tr("Wrong password: wait %1 s before the next try.").replace("%1", str(int(left) + 1))

    def _count(self, refused: bool) -> None:
        """After each wrong password the next try waits twice as long (1 s, 2 s, ... at most 60 s)."""
        self._failures = self._failures + 1 if refused else 0
        wait = min(2.0 ** (self._failures - 1), MAX_WAIT_S) if refused else 0.0
        self._not_before = time.monotonic() + wait

    def _try(self, dialog: SignInDialog, user: str, password: str) -> None:
        if (wait := self._throttled()) is not None:
            dialog.show_error(wait)
            return
        dialog.set_busy(True)

        def finished(fut: concurrent.futures.Future[Any]) -> None:
            dialog.set_busy(False)
            problem = _refusal(fut)
            self._count(isinstance(fut.exception(), SignInRefused))
            if problem is None:
                log.info("%s signed in", user)
                dialog.accept()
                self.lock_screen.unlocked()
            else:
                log.warning("sign-in of %s refused: %s", user, problem[1])
                dialog.show_error(problem[0])

        self._when_done(self.services.sign_in(user, password), finished)

    def _when_done(self, coro: Any, fn: Callable[[concurrent.futures.Future[Any]], None]) -> None:
        fut = self.services.core.submit(coro)
        fut.add_done_callback(lambda f: self._relay.done.emit(fn, f))

    # ----- lock, unlock, switch, sign out

    def lock(self) -> None:
        """Locks the screen (Ctrl+L, idle): nothing operational shows until the password is given again."""
        if not self.services.mqtt.sign_in_required:
            return   # an open site has nobody to unlock it
        if not self.lock_screen.is_locked:
            log.info("screen locked (%s)", self.user)
            self.lock_screen.lock(self.user or "-", role_name(self.role) if self.role else self.tr("not signed in"))

    def _idle(self) -> None:
        if self.user is not None and not self.demo:
            self.lock()

    def _unlock(self, password: str) -> None:
        user = self.user
        if user is None:
            self.lock_screen.show_error(self.tr("Nobody is signed in: switch user."))
            return

        if (wait := self._throttled()) is not None:
            self.lock_screen.show_error(wait)
            return

        def finished(fut: concurrent.futures.Future[Any]) -> None:
            problem = _refusal(fut)
            self._count(isinstance(fut.exception(), SignInRefused))
            if problem is None:
                log.info("screen unlocked by %s", user)
                self.lock_screen.unlocked()
                self._apply()
            else:
                self.lock_screen.show_error(problem[0])

        self._when_done(self.services.mqtt.check_credentials(user, password), finished)

    def switch_user(self) -> None:
        """Another person takes this console: the screen stays locked until they have signed in."""
        self.lock()
        dialog = self._dialog()
        dialog.reset("")
        dialog.open()

    def sign_out(self) -> None:
        self.lock()
        self._when_done(self.services.sign_out(), lambda _f: None)

    def _menu(self) -> None:
        menu = QMenu(self.window)
        menu.addAction(self.tr("Lock screen (Ctrl+L)"), self.lock)
        menu.addAction(self.tr("Switch user"), self.switch_user)
        menu.addAction(self.tr("Sign out"), self.sign_out)
        menu.popup(self.badge.mapToGlobal(self.badge.rect().topLeft()))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY and self.idle.isActive():
            self.idle.start()   # the operator is there: the idle clock starts again
        return False

    def retranslate(self) -> None:
        self.act_lock.setText(self.tr("Lock screen"))
        self._apply()

    def detach(self) -> None:
        QApplication.instance().removeEventFilter(self)


def _refusal(fut: concurrent.futures.Future[Any]) -> tuple[str, str] | None:
    """(words for the operator, for the log) when the sign-in or unlock failed; None when it worked."""
    exc = fut.exception()
    if exc is None:
        return None
    if isinstance(exc, SignInRefused):
        return (QCoreApplication.translate("IdentityController",
                                           "Wrong user name or password, or the account is disabled."), str(exc))
    return QCoreApplication.translate("IdentityController", "The site's broker cannot be reached:") + f" {exc}", repr(exc)
