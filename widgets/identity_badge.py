"""The status bar's badge of who is signed in: "user · role", and "demo" for a demo sign-in.

A click emits `clicked()`; the console opens its menu there (lock, switch user, sign out).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtWidgets import QToolButton, QWidget

from widgets.icons import symbol_icon

WARN_COLOUR = "#d29922"


class IdentityBadge(QToolButton):
    """A flat button with the person mark; `set_identity(user, role_text, demo)` says who, `clicked()` asks for
    the menu."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._user: str | None = None
        self._role_text = ""
        self._demo = False
        self.setIcon(symbol_icon("person"))
        self.setIconSize(QSize(16, 16))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setAutoRaise(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.retranslate()

    def set_identity(self, user: str | None, role_text: str, demo: bool) -> None:
        """Who is signed in (None: nobody), the role's name in the current language, and whether it is the
        demo site's sign-in (marked, so nobody takes a demo console for a live one)."""
        self._user, self._role_text, self._demo = user, role_text, demo
        self.retranslate()

    def retranslate(self) -> None:
        if self._user is None:
            text = self.tr("Not signed in")
        else:
            text = self.tr("%1 · %2").replace("%1", self._user).replace("%2", self._role_text)
            if self._demo:
                text += "  [" + self.tr("demo") + "]"
        self.setText(text)
        self.setStyleSheet(f"QToolButton {{ color: {WARN_COLOUR}; font-weight: bold; }}" if self._demo else "")
        self.setToolTip(self.tr("Signed in as %1 (%2): click to lock the screen, switch user or sign out")
                        .replace("%1", self._user).replace("%2", self._role_text) if self._user is not None
                        else self.tr("Nobody is signed in"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange and hasattr(self, "_demo"):
            self.retranslate()
        super().changeEvent(event)
