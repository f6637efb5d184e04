"""Pictograms drawn with QPainter: alert categories and the camera mark, the same on every machine.

Symbol characters (emoji, dingbats) render only where some installed font has them; on the hall's
machines and under Xvfb several showed as ⊠ boxes. These are drawn instead, so nothing depends on a
font the bundle does not ship. Each painter draws on a 64 × 64 canvas; `category_icon` scales it to
the sizes views ask for and caches the result (GUI thread only).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

#: Sizes (px) each icon is rendered at: table rows, lists, and hi-dpi doubles.
ICON_SIZES = (16, 20, 24, 32, 48)
#: The light stroke of the dark theme, and the accents that tell categories apart at a glance.
INK = QColor("#d7dde5")
WATER = QColor("#58a6ff")
FIRE = QColor("#f0883e")
ALARM = QColor("#f85149")
GREEN = QColor("#3fb950")
AMBER = QColor("#d29922")

Painter = Callable[[QPainter], None]


def _pen(p: QPainter, colour: QColor, width: float = 5.0) -> None:
    p.setPen(QPen(colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
    p.setBrush(Qt.BrushStyle.NoBrush)


def _fill(p: QPainter, colour: QColor) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(colour))


def _letter(p: QPainter, rect: QRectF, text: str, colour: QColor) -> None:
    # Latin letters and digits only: every font has them.
    font = QFont(p.font())
    font.setPixelSize(int(rect.height() * 0.8))
    font.setBold(True)
    p.setFont(font)
    p.setPen(colour)
    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


def _parking(p: QPainter) -> None:
    _fill(p, WATER)
    p.drawRoundedRect(QRectF(8, 8, 48, 48), 8, 8)
    _letter(p, QRectF(8, 8, 48, 48), "P", QColor("#ffffff"))


def _garbage(p: QPainter) -> None:
    _pen(p, GREEN)
    p.drawPolygon(QPolygonF([QPointF(16, 22), QPointF(48, 22), QPointF(44, 58), QPointF(20, 58)]))
    p.drawLine(QPointF(10, 16), QPointF(54, 16))
    p.drawLine(QPointF(26, 10), QPointF(38, 10))
    for x in (27.0, 32.0, 37.0):
        p.drawLine(QPointF(x, 30), QPointF(x, 50))


def _road_damage(p: QPainter) -> None:
    _pen(p, INK)
    p.drawLine(QPointF(20, 6), QPointF(8, 58))
    p.drawLine(QPointF(44, 6), QPointF(56, 58))
    _pen(p, ALARM, 4.5)
    p.drawPolyline(QPolygonF([QPointF(30, 10), QPointF(36, 22), QPointF(27, 32), QPointF(37, 44),
                              QPointF(30, 56)]))


def _muck_truck(p: QPainter) -> None:
    _fill(p, AMBER)
    p.drawRect(QRectF(6, 24, 34, 20))                       # the box
    p.drawChord(QRectF(8, 10, 30, 28), 0, 180 * 16)         # its load, uncovered
    _fill(p, INK)
    p.drawRect(QRectF(42, 30, 16, 14))                      # the cab
    _fill(p, QColor("#0d1117"))
    p.drawRect(QRectF(46, 33, 8, 5))                        # its window
    _pen(p, INK, 4.0)
    p.setBrush(QBrush(QColor("#0d1117")))
    for x in (16.0, 50.0):
        p.drawEllipse(QPointF(x, 50), 6, 6)


def _crowding(p: QPainter) -> None:
    for x, y, colour in ((18.0, 24.0, INK), (46.0, 24.0, INK), (32.0, 30.0, AMBER)):
        _fill(p, colour)
        p.drawEllipse(QPointF(x, y - 8), 7, 7)
        p.drawChord(QRectF(x - 13, y + 2, 26, 26), 0, 180 * 16)


def _waterlogging(p: QPainter) -> None:
    _fill(p, WATER)
    drop = QPainterPath(QPointF(32, 4))
    drop.cubicTo(QPointF(22, 20), QPointF(18, 28), QPointF(22, 36))
    drop.cubicTo(QPointF(28, 46), QPointF(38, 46), QPointF(42, 36))
    drop.cubicTo(QPointF(46, 28), QPointF(42, 20), QPointF(32, 4))
    p.drawPath(drop)
    _pen(p, WATER, 4.0)
    for y in (52.0, 60.0):
        wave = QPainterPath(QPointF(6, y))
        for x0 in range(6, 58, 13):
            wave.quadTo(QPointF(x0 + 3.25, y - 5), QPointF(x0 + 6.5, y))
            wave.quadTo(QPointF(x0 + 9.75, y + 5), QPointF(x0 + 13, y))
        p.drawPath(wave)


def _fallen_tree(p: QPainter) -> None:
    _pen(p, AMBER, 7.0)
    p.drawLine(QPointF(8, 54), QPointF(38, 38))             # the trunk, lying down
    _fill(p, GREEN)
    p.drawEllipse(QPointF(44, 30), 15, 13)
    _pen(p, INK, 4.0)
    p.drawLine(QPointF(4, 60), QPointF(60, 60))


def _gas_leak(p: QPainter) -> None:
    _fill(p, AMBER)
    p.drawPolygon(QPolygonF([QPointF(32, 4), QPointF(61, 58), QPointF(3, 58)]))
    _fill(p, QColor("#0d1117"))
    p.drawRoundedRect(QRectF(29, 20, 6, 22), 3, 3)
    p.drawEllipse(QPointF(32, 50), 3.5, 3.5)


def _drone(p: QPainter) -> None:
    _pen(p, INK)
    p.drawLine(QPointF(14, 14), QPointF(50, 50))
    p.drawLine(QPointF(50, 14), QPointF(14, 50))
    _pen(p, ALARM, 4.0)
    for x, y in ((14.0, 14.0), (50.0, 14.0), (14.0, 50.0), (50.0, 50.0)):
        p.drawEllipse(QPointF(x, y), 9, 9)
    _fill(p, INK)
    p.drawRect(QRectF(25, 25, 14, 14))


def _fire_smoke(p: QPainter) -> None:
    _pen(p, QColor("#8b949e"), 4.0)
    smoke = QPainterPath(QPointF(36, 22))
    smoke.cubicTo(QPointF(28, 16), QPointF(44, 10), QPointF(36, 2))
    p.drawPath(smoke)
    _fill(p, FIRE)
    flame = QPainterPath(QPointF(32, 22))
    flame.cubicTo(QPointF(50, 36), QPointF(52, 60), QPointF(32, 60))
    flame.cubicTo(QPointF(12, 60), QPointF(14, 40), QPointF(24, 30))
    flame.cubicTo(QPointF(24, 40), QPointF(30, 42), QPointF(32, 22))
    p.drawPath(flame)


def _fishing(p: QPainter) -> None:
    _fill(p, WATER)
    p.drawEllipse(QRectF(8, 20, 36, 24))
    p.drawPolygon(QPolygonF([QPointF(40, 32), QPointF(58, 20), QPointF(58, 44)]))
    _fill(p, QColor("#0d1117"))
    p.drawEllipse(QPointF(18, 29), 3, 3)
    _pen(p, ALARM, 4.0)
    p.drawLine(QPointF(6, 54), QPointF(58, 10))            # crossed out: not allowed here


def _sea_rescue(p: QPainter) -> None:
    ring = QRectF(10, 10, 44, 44)
    p.setBrush(Qt.BrushStyle.NoBrush)
    for k in range(4):
        p.setPen(QPen(ALARM if k % 2 == 0 else INK, 12.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        p.drawArc(ring, k * 90 * 16, 90 * 16)


def _unknown(p: QPainter) -> None:
    _pen(p, INK)
    p.drawEllipse(QPointF(32, 32), 26, 26)
    _letter(p, QRectF(12, 12, 40, 40), "?", INK)


def _camera(p: QPainter) -> None:
    _fill(p, INK)
    p.drawRoundedRect(QRectF(6, 20, 36, 26), 5, 5)
    p.drawPolygon(QPolygonF([QPointF(42, 30), QPointF(58, 20), QPointF(58, 46), QPointF(42, 36)]))
    _fill(p, QColor("#0d1117"))
    p.drawEllipse(QPointF(20, 33), 6, 6)


def _person(p: QPainter) -> None:
    # The signed-in person (the 👤 character is not in the console's font).
    _fill(p, INK)
    p.drawEllipse(QPointF(32, 20), 11, 11)
    path = QPainterPath()
    path.moveTo(10, 58)
    path.cubicTo(10, 36, 54, 36, 54, 58)
    path.closeSubpath()
    p.drawPath(path)


def _lock(p: QPainter) -> None:
    _pen(p, INK, 6.0)
    p.drawArc(QRectF(18, 6, 28, 32), 0, 180 * 16)
    p.drawLine(QPointF(18, 22), QPointF(18, 30))
    p.drawLine(QPointF(46, 22), QPointF(46, 30))
    _fill(p, INK)
    p.drawRoundedRect(QRectF(10, 28, 44, 30), 5, 5)
    _fill(p, QColor("#0d1117"))
    p.drawEllipse(QPointF(32, 40), 4, 4)
    p.drawRect(QRectF(30, 40, 4, 10))


#: The pictogram of each known alert category (keys as on the wire); others get UNKNOWN_CATEGORY's.
CATEGORY_PAINTERS: dict[str, Painter] = {
    "illegal_parking": _parking, "garbage_spill": _garbage, "road_damage": _road_damage,
    "muck_truck": _muck_truck, "crowding": _crowding, "waterlogging": _waterlogging,
    "fallen_tree": _fallen_tree, "gas_leak": _gas_leak, "drone_intrusion": _drone,
    "forest_fire_smoke": _fire_smoke, "illegal_fishing": _fishing, "sea_rescue": _sea_rescue,
}
#: Symbols that are not categories, by name.
SYMBOL_PAINTERS: dict[str, Painter] = {"camera": _camera, "person": _person, "lock": _lock}

_cache: dict[str, QIcon] = {}


def paint_pixmap(painter: Painter, size: int) -> QPixmap:
    """One pictogram at `size` × `size` pixels on a transparent background."""
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.scale(size / 64.0, size / 64.0)
    painter(p)
    p.end()
    return pix


def _icon(key: str, painter: Painter) -> QIcon:
    icon = _cache.get(key)
    if icon is None:
        icon = QIcon()
        for size in ICON_SIZES:
            icon.addPixmap(paint_pixmap(painter, size))
        _cache[key] = icon
    return icon


def category_icon(category: str) -> QIcon:
    """The pictogram of an alert category; an unknown category gets a question mark."""
    painter = CATEGORY_PAINTERS.get(category)
    return _icon(f"category:{category}", painter) if painter else _icon("category:?", _unknown)


def symbol_icon(name: str) -> QIcon:
    """A drawn symbol by name (see SYMBOL_PAINTERS); KeyError for a name not drawn here."""
    return _icon(f"symbol:{name}", SYMBOL_PAINTERS[name])
