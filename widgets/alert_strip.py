"""The level-1 strip above the alert queue: every open level-1 alert stays in sight while it is open.

The queue sorts level-1 alerts first, but an operator who scrolls, filters or searches can lose
them; the strip does not scroll and ignores the queue's filter. One button per open level-1
alert (newest first, up to MAX_BUTTONS, then "+N more"); a click selects the alert everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from widgets.alert_views import AlertRow
from widgets.icons import category_icon

MAX_BUTTONS = 4
LEVEL1_COLOUR = "#ff3b30"
BUTTON_STYLE = (f"QToolButton {{ background: {LEVEL1_COLOUR}; color: #0d1117; font-weight: bold; border-radius: 3px;"
                " padding: 2px 6px; } QToolButton:checked { border: 2px solid white; }")


class _ElidedButton(QToolButton):
    """A strip button: its whole text elided to the width it gets (the tooltip has it all)."""

    def __init__(self) -> None:
        super().__init__(checkable=True)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)   # the category's drawn icon
        self.full_text = ""

    def set_full_text(self, text: str) -> None:
        self.full_text = text
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideRight,
                                                   max(40, self.width() - 16 - self.iconSize().width())))

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        self._elide()


class Level1Strip(QWidget):
    """Open level-1 alerts as buttons; feed it with `update_rows`, listen to `alert_clicked`."""

    alert_clicked = Signal(str)   # alert id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._open: dict[str, AlertRow] = {}
        self._selected: str | None = None
        self.buttons: list[_ElidedButton] = []
        self.more = QLabel()
        self.more.setStyleSheet(f"color: {LEVEL1_COLOUR}; font-weight: bold;")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        for _ in range(MAX_BUTTONS):
            b = _ElidedButton()
            b.setStyleSheet(BUTTON_STYLE)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            # Buttons share the width; a long title is elided, its whole text is in the tooltip.
            b.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            b.clicked.connect(lambda _c=False, btn=b: self._clicked(btn))
            lay.addWidget(b, 1)
            self.buttons.append(b)
        lay.addWidget(self.more)
        self.setVisible(False)

    def update_rows(self, rows: Iterable[AlertRow]) -> None:
        """Takes a batch of desk rows; keeps the level-1 ones that are open."""
        for r in rows:
            if r.level == 1 and r.open:
                self._open[r.alert_id] = r
            else:
                self._open.pop(r.alert_id, None)
        self._render()

    def set_selected(self, alert_id: str | None) -> None:
        self._selected = alert_id
        self._render()

    def shown_ids(self) -> list[str]:
        """The alerts that have a button, left to right."""
        return [str(b.property("alert_id")) for b in self.buttons if not b.isHidden()]

    def open_ids(self) -> list[str]:
        """Every open level-1 alert, newest first."""
        return [r.alert_id for r in sorted(self._open.values(), key=lambda r: (-r.ts, r.alert_id))]

    def _render(self) -> None:
        ordered = sorted(self._open.values(), key=lambda r: (-r.ts, r.alert_id))
        # The selected level-1 alert always has a button, even when newer ones fill the strip.
        chosen = ordered[:MAX_BUTTONS]
        if self._selected in self._open and self._open[self._selected] not in chosen:
            chosen[-1] = self._open[self._selected]
        for b, r in zip(self.buttons, [*chosen, *([None] * MAX_BUTTONS)]):
            b.setVisible(r is not None)
            if r is None:
                continue
            text = f"{r.level_name} {r.category_name} · {r.title or r.alert_id} · {r.state_name}"
            b.setProperty("alert_id", r.alert_id)
            b.setIcon(category_icon(r.category))
            b.set_full_text(text)
            b.setToolTip(f"{r.alert_id}\n{text}")
            b.setChecked(r.alert_id == self._selected)
        hidden = len(ordered) - len(chosen)
        self.more.setText(self.tr("+%n more", "", hidden) if hidden > 0 else "")
        self.more.setVisible(hidden > 0)
        self.setVisible(bool(ordered))

    def _clicked(self, button: QToolButton) -> None:
        alert_id = str(button.property("alert_id"))
        button.setChecked(alert_id == self._selected)   # the selection, not the click, decides the mark
        self.alert_clicked.emit(alert_id)
