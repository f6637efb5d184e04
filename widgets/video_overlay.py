"""The overlay drawn over a video tile: what it shows, where, local time, state and reason.

Drawn with QPainter on every paint of the tile (no child widgets, so nothing re-layouts per frame).
Colours are the console theme's state colours (copied: widgets do not import the console).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen

from widgets.video_source import DroneInfo, TileSource, TileState, fmt_number

STATE_OK = "#3fb950"
STATE_WARN = "#d29922"
STATE_ALARM = "#f85149"
STATE_IDLE = "#8b949e"
SELECTED = "#1f6feb"
TEXT = QColor("#e6edf3")
BAND = QColor(13, 17, 23, 170)
#: Alert levels 1 (most severe) .. 4, as on the map (widgets.situation.ALERT_LEVEL_COLOURS).
LEVEL_COLOURS: dict[int, str] = {1: "#ff3b30", 2: "#ff9500", 3: "#ffd60a", 4: "#64d2ff"}
STATE_COLOURS: dict[TileState, str] = {
    TileState.IDLE: STATE_IDLE, TileState.CONNECTING: STATE_WARN, TileState.LIVE: STATE_OK,
    TileState.RECONNECTING: STATE_WARN, TileState.NO_SIGNAL: STATE_ALARM, TileState.ERROR: STATE_ALARM,
}


def state_text(state: TileState) -> str:
    """The state as the operator reads it."""
    return {
        TileState.IDLE: QCoreApplication.translate("VideoTile", "idle"),
        TileState.CONNECTING: QCoreApplication.translate("VideoTile", "connecting"),
        TileState.LIVE: QCoreApplication.translate("VideoTile", "live"),
        TileState.RECONNECTING: QCoreApplication.translate("VideoTile", "reconnecting"),
        TileState.NO_SIGNAL: QCoreApplication.translate("VideoTile", "no signal"),
        TileState.ERROR: QCoreApplication.translate("VideoTile", "error"),
    }[state]


def drone_text(info: DroneInfo) -> str:
    return (QCoreApplication.translate("VideoTile", "alt %1 m").replace("%1", fmt_number(info.alt_rel_m))
            + " · " + QCoreApplication.translate("VideoTile", "battery %1 %").replace("%1", fmt_number(info.battery_pct))
            + " · " + QCoreApplication.translate("VideoTile", "task %1").replace("%1", info.task_state or "--"))


def _font(base: QFont, px: int, bold: bool = False) -> QFont:
    font = QFont(base)
    font.setPixelSize(px)
    font.setBold(bold)
    return font


def draw_overlay(p: QPainter, rect: QRect, source: TileSource | None, state: TileState, reason: str,
                 drone: DroneInfo | None, clock: str, *, selected: bool, pinned: bool, stale: bool,
                 reserve_right: int = 0) -> None:
    """Top band: level badge, title, district, time (left of `reserve_right` px kept for the pin button).
    Bottom band: state (and reason), drone line."""
    px = max(10, min(16, rect.height() // 18))
    base = p.font()
    band_h = px + 10
    p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    if source is None:
        p.setPen(QColor(STATE_IDLE))
        p.setFont(_font(base, px))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, QCoreApplication.translate(
            "VideoTile", "Drop a camera here"))
    else:
        top = QRect(rect.left(), rect.top(), rect.width(), band_h)
        p.fillRect(top, BAND)
        x = rect.left() + 6
        if source.alert_level is not None:
            badge = QRect(x, top.top() + 3, int(px * 2.2), band_h - 6)
            p.fillRect(badge, QColor(LEVEL_COLOURS.get(source.alert_level, STATE_ALARM)))
            p.setPen(QColor("#000000"))
            p.setFont(_font(base, px - 1, bold=True))
            p.drawText(badge, Qt.AlignmentFlag.AlignCenter, f"L{source.alert_level}")
            x = badge.right() + 6
        p.setFont(_font(base, px))
        p.setPen(TEXT)
        clock_w = QFontMetrics(p.font()).horizontalAdvance(clock) + 8
        pin_w = reserve_right
        title = source.title + (f" · {source.district}" if source.district else "")
        avail = max(0, rect.right() - pin_w - clock_w - x)
        title = QFontMetrics(p.font()).elidedText(title, Qt.TextElideMode.ElideRight, avail)
        p.drawText(QRect(x, top.top(), avail, band_h), Qt.AlignmentFlag.AlignVCenter, title)
        p.drawText(QRect(rect.right() - pin_w - clock_w, top.top(), clock_w, band_h),
                   Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, clock)
        lines = 2 if drone is not None else 1
        bottom = QRect(rect.left(), rect.bottom() - band_h * lines + 1, rect.width(), band_h * lines)
        if stale or drone is not None or state is not TileState.LIVE:
            p.fillRect(bottom, BAND)
        status = state_text(state) + (f": {reason}" if reason else "")
        p.setPen(QColor(STATE_COLOURS[state]))
        p.setBrush(QColor(STATE_COLOURS[state]))
        dot = px // 2
        p.drawEllipse(rect.left() + 6, bottom.top() + (band_h - dot) // 2, dot, dot)
        p.setPen(TEXT)
        line = QRect(rect.left() + 10 + dot, bottom.top(), rect.width() - 16 - dot, band_h)
        p.drawText(line, Qt.AlignmentFlag.AlignVCenter,
                   QFontMetrics(p.font()).elidedText(status, Qt.TextElideMode.ElideRight, line.width()))
        if drone is not None:
            p.drawText(line.translated(0, band_h), Qt.AlignmentFlag.AlignVCenter, drone_text(drone))
        if state in (TileState.NO_SIGNAL, TileState.ERROR) and stale:
            p.setPen(QColor(STATE_COLOURS[state]))
            p.setFont(_font(base, px + 4, bold=True))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, state_text(state))
    border = None
    if selected:
        border = QColor(SELECTED)
    elif source is not None and source.alert_level is not None:
        border = QColor(LEVEL_COLOURS.get(source.alert_level, STATE_ALARM))
    elif pinned:
        border = QColor(STATE_IDLE)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(border if border is not None else QColor("#30363d"), 2 if border is not None else 1))
    p.drawRect(rect.adjusted(0, 0, -1, -1))
