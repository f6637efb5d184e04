"""Alert markers for the map: anti-aliased sprites stamped into one image with numpy.

Qt's raster engine takes about 15 µs per anti-aliased circle, so 1,000 alerts drawn one by one
would cost a frame's whole budget; stamping pre-rendered sprites (one per level, and pulse rings
per phase) with numpy costs a few milliseconds, once per alert change, view and pulse phase.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from widgets.map_painters import HALO, TEXT_DIM
from widgets.map_projection import MapProjection, geo_to_m
from widgets.situation import ALERT_LEVEL_COLOURS, AlertMark

SPRITE_PX = 31
PULSE_PHASES = 4


def _sprite(colour: str | None, pulse_phase: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A marker (colour) or pulse ring (phase) rendered once with QPainter: (dy, dx, premultiplied pixels)."""
    img = QImage(SPRITE_PX, SPRITE_PX, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(0)
    q = QPainter(img)
    q.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    c = SPRITE_PX / 2
    if pulse_phase is None:
        q.setPen(QPen(QColor(HALO), 1.5))
        q.setBrush(QColor(colour))
        q.drawEllipse(QPointF(c, c), 5.5, 5.5)
    else:
        ring = QColor(colour or "#ffffff")
        ring.setAlpha(int(230 - 50 * pulse_phase))
        q.setPen(QPen(ring, 2.0))
        q.drawEllipse(QPointF(c, c), 7.5 + 2.2 * pulse_phase, 7.5 + 2.2 * pulse_phase)
    q.end()
    pixels = np.frombuffer(img.constBits(), dtype=np.uint32).reshape(SPRITE_PX, SPRITE_PX).copy()
    dy, dx = np.nonzero(pixels)
    return dy - SPRITE_PX // 2, dx - SPRITE_PX // 2, pixels[dy, dx]


_SPRITES: dict[tuple[int, int | None], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def sprite(level: int, pulse_phase: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    key = (level, pulse_phase)
    if key not in _SPRITES:  # rendered lazily: a QPainter needs the QGuiApplication
        _SPRITES[key] = _sprite(ALERT_LEVEL_COLOURS.get(level, TEXT_DIM), pulse_phase)
    return _SPRITES[key]


def stamp(pixels: np.ndarray, px: np.ndarray, py: np.ndarray, spr: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    """Writes a sprite at every (px, py) at once; where two overlap the later one wins."""
    if not len(px):
        return
    dy, dx, values = spr
    h, w = pixels.shape
    ys = (py[:, None] + dy[None, :]).ravel()
    xs = (px[:, None] + dx[None, :]).ravel()
    vals = np.broadcast_to(values[None, :], (len(px), len(values))).ravel()
    ok = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    pixels[ys[ok], xs[ok]] = vals[ok]


def alert_overlay(proj: MapProjection, alerts: Sequence[AlertMark], phase: int) -> tuple[np.ndarray, int]:
    """Premultiplied pixels of every alert in view (pulse rings of unacknowledged ones under the
    markers, the most severe level on top), and how many were drawn."""
    pixels = np.zeros((proj.height, proj.width), dtype=np.uint32)
    if not alerts:
        return pixels, 0
    lats = np.fromiter((a.lat for a in alerts), float, len(alerts))
    lons = np.fromiter((a.lon for a in alerts), float, len(alerts))
    levels = np.fromiter((a.level for a in alerts), np.int64, len(alerts))
    acked = np.fromiter((a.acknowledged for a in alerts), bool, len(alerts))
    sx, sy = proj.m_to_screen(*geo_to_m(lats, lons))
    px, py = np.rint(sx).astype(np.int64), np.rint(sy).astype(np.int64)
    m = SPRITE_PX
    inside = (px > -m) & (px < proj.width + m) & (py > -m) & (py < proj.height + m)
    order = sorted(set(levels[inside].tolist()), reverse=True)
    for level in order:
        sel = inside & (levels == level) & ~acked
        stamp(pixels, px[sel], py[sel], sprite(level, phase % PULSE_PHASES))
    for level in order:
        sel = inside & (levels == level)
        stamp(pixels, px[sel], py[sel], sprite(level, None))
    return pixels, int(inside.sum())
