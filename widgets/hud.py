"""The head-up display of the selected drone: attitude, heading, height, speed, battery, GPS, mode.

Painted from one `DroneDetail` snapshot (the console refreshes it at a few hertz); values not yet
reported are drawn as "--" and a greyed level horizon, never as zero. A lost link covers the
display with a red "LINK LOST" so nobody reads stale numbers as live ones.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from widgets.situation import DroneDetail
from widgets.texts import flight_mode_text

SKY = QColor("#1f4e79")
GROUND = QColor("#5a3d1e")
UNKNOWN_SKY = QColor("#2d333b")
UNKNOWN_GROUND = QColor("#22272e")
ALARM = QColor("#f85149")
WARN = QColor("#d29922")
OK = QColor("#3fb950")
#: Vertical pixels per degree of pitch, relative to the horizon box height (±30° fills the box).
PITCH_SPAN_DEG = 30.0
#: Degrees of heading shown across the heading tape.
TAPE_SPAN_DEG = 90.0
LOW_BATTERY_PCT = 25.0
SIDE_PADDING_PX = 12.0   # the readout's text margins (4 + 4) and a little air


def _num(value: float | None, fmt: str, unit: str = "") -> str:
    return "--" if value is None else f"{value:{fmt}}{unit}"


class HudWidget(QWidget):
    """Paints one drone's flight state; `set_detail(None)` blanks it, `readouts()` gives its texts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._detail: DroneDetail | None = None
        self.setMinimumSize(260, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(360, 240)

    def set_detail(self, detail: DroneDetail | None) -> None:
        if detail != self._detail:
            self._detail = detail
            self.update()

    @property
    def link_lost(self) -> bool:
        """True while the LINK LOST overlay covers the display."""
        return self._detail is not None and self._detail.link_lost

    def readouts(self) -> dict[str, str]:
        """The texts the display shows, by name (also what tests and screen readers look at)."""
        d = self._detail
        if d is None:
            return {k: "--" for k in ("heading", "altitude", "ground_speed", "climb", "battery", "gps", "mode",
                                      "armed", "roll", "pitch")}
        battery = _num(d.battery_pct, ".0f", "%")
        if d.battery_v is not None:
            battery += f" {d.battery_v:.1f} V"
        if d.gps_fix is None and d.satellites is None:
            gps = "--"
        else:
            fix = "--" if d.gps_fix is None else self._fix_text(d.gps_fix)
            sats = "--" if d.satellites is None else str(d.satellites)
            gps = self.tr("%1, %2 sats").replace("%1", fix).replace("%2", sats)
        armed = "--" if d.armed is None else (self.tr("ARMED") if d.armed else self.tr("DISARMED"))
        return {
            "heading": "--" if d.heading_deg is None else f"{d.heading_deg % 360:03.0f}°",
            "altitude": _num(d.alt_rel_m, ".1f", " m"),
            "ground_speed": _num(d.ground_speed_m_s, ".1f", " m/s"),
            "climb": _num(d.climb_m_s, "+.1f", " m/s"),
            "battery": battery,
            "gps": gps,
            "mode": flight_mode_text(d.mode),
            "armed": armed,
            "roll": _num(d.roll_deg, ".0f", "°"),
            "pitch": _num(d.pitch_deg, ".0f", "°"),
        }

    def _fix_text(self, fix: int) -> str:
        # MAVLink GPS_FIX_TYPE values.
        names = {0: self.tr("No GPS"), 1: self.tr("No fix"), 2: self.tr("2D"), 3: self.tr("3D"), 4: self.tr("DGPS"),
                 5: self.tr("RTK float"), 6: self.tr("RTK fixed")}
        return names.get(fix, str(fix))

    # ----- painting -------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect())
        p.fillRect(rect, self.palette().color(QPalette.ColorRole.Base))
        text = self.palette().color(QPalette.ColorRole.Text)
        p.setFont(self.readout_font())
        line_h = self.fontMetrics().height() + 2
        tape = QRectF(rect.left(), rect.top(), rect.width(), line_h * 1.6)
        bottom = QRectF(rect.left(), rect.bottom() - line_h * 2, rect.width(), line_h * 2)
        horizon = QRectF(rect.left(), tape.bottom(), rect.width(), bottom.top() - tape.bottom())
        r = self.readouts()
        self._paint_horizon(p, horizon)
        self._paint_tape(p, tape, text)
        self._paint_side_readouts(p, horizon, r, line_h)
        self._paint_bottom(p, bottom, r, text)
        if self._detail is None:
            p.setPen(text)
            p.drawText(horizon, Qt.AlignmentFlag.AlignCenter, self.tr("No drone selected"))
        elif self._detail.link_lost:
            self._paint_link_lost(p, rect)
        p.end()

    def _paint_horizon(self, p: QPainter, box: QRectF) -> None:
        d = self._detail
        known = d is not None and d.roll_deg is not None and d.pitch_deg is not None
        roll = d.roll_deg if known and d else 0.0
        pitch = d.pitch_deg if known and d else 0.0
        p.save()
        p.setClipRect(box)
        c = box.center()
        px_per_deg = box.height() / (2 * PITCH_SPAN_DEG)
        p.translate(c)
        p.rotate(-float(roll))  # the horizon turns against the drone's roll
        p.translate(0, float(pitch) * px_per_deg)  # nose up: the horizon moves down
        big = 2 * max(box.width(), box.height())
        p.fillRect(QRectF(-big, -big, 2 * big, big), SKY if known else UNKNOWN_SKY)
        p.fillRect(QRectF(-big, 0, 2 * big, big), GROUND if known else UNKNOWN_GROUND)
        p.setPen(QPen(QColor("#d7dde5") if known else QColor("#6e7681"), 1.5))
        p.drawLine(QPointF(-big, 0), QPointF(big, 0))
        if known:
            # Pitch ladder every 10 degrees.
            for deg in (-20, -10, 10, 20):
                y = -deg * px_per_deg
                w = box.width() * (0.12 if deg % 20 else 0.2)
                p.drawLine(QPointF(-w / 2, y), QPointF(w / 2, y))
        p.restore()
        # The aircraft symbol stays fixed in the middle.
        p.setPen(QPen(QColor("#ffd60a"), 3))
        w = box.width() * 0.15
        p.drawLine(QPointF(c.x() - w, c.y()), QPointF(c.x() - w / 3, c.y()))
        p.drawLine(QPointF(c.x() + w / 3, c.y()), QPointF(c.x() + w, c.y()))
        p.drawPoint(c)

    def _paint_tape(self, p: QPainter, box: QRectF, text: QColor) -> None:
        p.fillRect(box, self.palette().color(QPalette.ColorRole.Window))
        heading = self._detail.heading_deg if self._detail else None
        cx = box.center().x()
        if heading is not None:
            px_per_deg = box.width() / TAPE_SPAN_DEG
            p.setPen(QPen(text, 1))
            first = int((heading - TAPE_SPAN_DEG / 2) // 10 * 10)
            for deg in range(first, int(heading + TAPE_SPAN_DEG / 2) + 10, 10):
                x = cx + (deg - heading) * px_per_deg
                p.drawLine(QPointF(x, box.bottom()), QPointF(x, box.bottom() - (8 if deg % 30 == 0 else 4)))
                if deg % 30 == 0:
                    label = {0: "N", 90: "E", 180: "S", 270: "W"}.get(deg % 360, str(deg % 360))
                    p.drawText(QRectF(x - 20, box.top(), 40, box.height() - 6), Qt.AlignmentFlag.AlignCenter, label)
        p.setPen(QPen(QColor("#ffd60a"), 2))
        p.drawLine(QPointF(cx, box.bottom()), QPointF(cx, box.bottom() - 10))
        p.setPen(text if heading is not None else QColor("#6e7681"))
        p.drawText(box.adjusted(4, 0, -4, 0), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                   self.readouts()["heading"])

    def painted_texts(self) -> list[str]:
        """The words the display paints now (what the language tests read)."""
        r = self.readouts()
        overlay = self.tr("No drone selected") if self._detail is None else \
            self.tr("LINK LOST") if self._detail.link_lost else ""
        return [*self.side_lines(r), self.tr("GPS %1").replace("%1", r["gps"]), r["armed"], r["battery"], overlay]

    def readout_font(self) -> QFont:
        """The font every readout is drawn in (the widget's, bold)."""
        font = QFont(self.font())
        font.setBold(True)
        return font

    def side_lines(self, r: dict[str, str]) -> tuple[str, str]:
        """The left and right readouts over the horizon (two lines each)."""
        return (self.tr("GS %1").replace("%1", r["ground_speed"]) + "\n" + self.tr("Mode %1").replace("%1", r["mode"]),
                self.tr("ALT %1").replace("%1", r["altitude"]) + "\n" + self.tr("VS %1").replace("%1", r["climb"]))

    def side_width(self, box_width: float, r: dict[str, str], fm: QFontMetricsF) -> float:
        """Wide enough for the longest readout line in this language and font, never more than half the display."""
        longest = max(fm.horizontalAdvance(line) for text in self.side_lines(r) for line in text.split("\n"))
        return min(max(90.0, box_width * 0.28, longest + SIDE_PADDING_PX), box_width / 2 - 8)

    def _paint_side_readouts(self, p: QPainter, box: QRectF, r: dict[str, str], line_h: float) -> None:
        w = self.side_width(box.width(), r, QFontMetricsF(p.font()))
        shade = QColor(0, 0, 0, 140)
        left = QRectF(box.left() + 4, box.center().y() - line_h * 1.5, w, line_h * 3)
        right = QRectF(box.right() - 4 - w, left.top(), w, line_h * 3)
        p.fillRect(left, shade)
        p.fillRect(right, shade)
        p.setPen(QColor("#e6edf3"))
        left_text, right_text = self.side_lines(r)
        p.drawText(left.adjusted(4, 0, -4, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, left_text)
        p.drawText(right.adjusted(4, 0, -4, 0), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, right_text)

    def _paint_bottom(self, p: QPainter, box: QRectF, r: dict[str, str], text: QColor) -> None:
        p.fillRect(box, self.palette().color(QPalette.ColorRole.Window))
        d = self._detail
        half = box.height() / 2
        # Battery bar: empty outline when unknown, red below the low mark.
        bar = QRectF(box.left() + 6, box.top() + 4, box.width() * 0.35, half - 6)
        p.setPen(QPen(text, 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(bar)
        if d is not None and d.battery_pct is not None:
            frac = min(max(d.battery_pct, 0.0), 100.0) / 100.0
            p.fillRect(bar.adjusted(1, 1, -(bar.width() - 2) * (1 - frac) - 1, -1),
                       ALARM if d.battery_pct < LOW_BATTERY_PCT else OK)
        p.drawText(bar, Qt.AlignmentFlag.AlignCenter, r["battery"])
        row2 = QRectF(box.left() + 6, box.top() + half, box.width() - 12, half)
        p.drawText(row2, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   self.tr("GPS %1").replace("%1", r["gps"]))
        # Armed badge at the right: red ARMED, plain DISARMED, grey unknown.
        badge = QRectF(box.right() - 100, box.top() + 3, 94, half - 4)
        colour = QColor("#6e7681") if d is None or d.armed is None else (ALARM if d.armed else OK)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawRoundedRect(badge, 4, 4)
        p.setPen(QColor("#0d1117"))
        p.drawText(badge, Qt.AlignmentFlag.AlignCenter, r["armed"])

    def _paint_link_lost(self, p: QPainter, rect: QRectF) -> None:
        p.fillRect(rect, QColor(13, 17, 23, 170))
        font = QFont(self.font())
        font.setBold(True)
        font.setPixelSize(max(18, int(rect.height() / 6)))
        p.setFont(font)
        p.setPen(QPen(ALARM, 3))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(rect.adjusted(2, 2, -2, -2))
        p.setPen(ALARM)
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.tr("LINK LOST"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.update()  # every text is drawn through tr() at paint time
        super().changeEvent(event)
