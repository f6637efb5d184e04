"""What the map draws, layer by layer, with QPainter (GUI thread; called from MapView's paint).

Functions here draw one layer for one view and know nothing of the widget's state. Hot paths
avoid per-point Python and Qt's slow paths: rings and trails go to Qt straight from numpy, lines
are 1 px (the raster engine's fast stroker), and icons and labels are cached pixmaps blitted at
whole pixels. Alert markers are in map_alerts.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph.functions as pgfn
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from widgets.map_projection import MapProjection
from widgets.situation import (ALERT_LEVEL_COLOURS, DOCK_STATUS_COLOURS, AlertMark, DistrictShape, DockMark,
                               DroneMark, RouteMark, ZoneShape)

# Colours of the command-hall theme (console/client/theme.py; widgets/ may not import console).
SEA = "#0a1a2e"
LAND = "#1b2533"
LAND_OUTLINE = "#4a5a70"
CITY_LAND = "#141c27"
TEXT = "#d7dde5"
TEXT_DIM = "#8b949e"
HALO = "#0d1117"
PLATE = "#161b22"
ZONE = "#f85149"
SELECTED = "#ffffff"
LINK_LOST = "#8b949e"
ROUTE_PLANNED = "#58a6ff"
ROUTE_FLOWN = "#d2a8ff"
TRAIL = "#a371f7"
DOCK_PX = 11
DRONE_PX = 9
DRONE_GROUND_PX = 4
LABEL_CELL_PX = 12
DRONE_AIRBORNE = "#e6edf3"
DRONE_GROUND = "#c9d1d9"
#: District names are shown between these scales (m/px): the city, not the street or the province.
DISTRICT_LABEL_M_PER_PX = (6.0, 120.0)


def polygon(sx: np.ndarray, sy: np.ndarray) -> QPolygonF:
    """A QPolygonF filled from pixel arrays without a Python loop (pyqtgraph's shared-memory view)."""
    poly = pgfn.create_qpolygonf(len(sx))
    view = pgfn.ndarray_from_qpolygonf(poly)
    view[:, 0] = sx
    view[:, 1] = sy
    return poly


def ring_polygon(proj: MapProjection, ring: np.ndarray) -> QPolygonF:
    """A (N, 2) lon/lat ring as pixels."""
    sx, sy = proj.to_screen(ring[:, 1], ring[:, 0])
    return polygon(np.asarray(sx), np.asarray(sy))


def halo_text(p: QPainter, x: float, y: float, text: str, colour: str = TEXT) -> None:
    """Text with a dark outline, readable over cameras, zones and land alike."""
    p.setPen(QColor(HALO))
    for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        p.drawText(QPointF(x + dx, y + dy), text)
    p.setPen(QColor(colour))
    p.drawText(QPointF(x, y), text)


# ----- the cached base: land, districts, zones --------------------------------------------------------

def draw_land(p: QPainter, proj: MapProjection, districts: Sequence[DistrictShape], city_rings: Sequence[np.ndarray]) -> None:
    """Sea background, the city's land and the four districts."""
    p.fillRect(QRectF(0, 0, proj.width, proj.height), QColor(SEA))
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    # 1 px outlines: the raster engine's fast stroker (wider pens cost ~40x more).
    p.setPen(QPen(QColor(LAND_OUTLINE).darker(150), 1.0))
    p.setBrush(QColor(CITY_LAND))
    for ring in city_rings:
        p.drawPolygon(ring_polygon(proj, ring), Qt.FillRule.OddEvenFill)
    p.setPen(QPen(QColor(LAND_OUTLINE), 1.0))
    p.setBrush(QColor(LAND))
    for d in districts:
        for ring in d.rings:
            p.drawPolygon(ring_polygon(proj, ring), Qt.FillRule.OddEvenFill)


def draw_district_labels(p: QPainter, proj: MapProjection, districts: Sequence[DistrictShape], chinese: bool) -> None:
    """District names at city zoom, drawn over the camera density so every one stays readable."""
    lo, hi = DISTRICT_LABEL_M_PER_PX
    if lo <= proj.m_per_px <= hi:
        font = QFont(p.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        p.setFont(font)
        fm = QFontMetrics(font)
        for d in districts:
            name = d.name_zh if chinese else d.name_en
            biggest = max(d.rings, key=len)
            sx, sy = proj.to_screen(float(biggest[:, 1].mean()), float(biggest[:, 0].mean()))
            halo_text(p, sx - fm.horizontalAdvance(name) / 2, sy, name, TEXT_DIM)


def draw_zones(p: QPainter, proj: MapProjection, zones: Sequence[ZoneShape]) -> None:
    """No-fly zones: translucent red with a red hatch and outline."""
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    fill, hatch = QColor(ZONE), QColor(ZONE)
    fill.setAlpha(40)
    hatch.setAlpha(120)
    for z in zones:
        for ring in z.rings:
            poly = ring_polygon(proj, ring)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(fill)
            p.drawPolygon(poly)
            p.setBrush(QBrush(hatch, Qt.BrushStyle.BDiagPattern))
            p.setPen(QPen(QColor(ZONE), 1.0))
            p.drawPolygon(poly)


# ----- scene layers -----------------------------------------------------------------------------------

def draw_coverage(p: QPainter, proj: MapProjection, docks: Sequence[DockMark]) -> None:
    """Thin translucent circles of each dock's reachable radius (outlines only: 56 filled
    circles of a few hundred pixels would cost more than the rest of the map)."""
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(QColor(88, 166, 255, 120), 1.0))
    for d in docks:
        if d.coverage_radius_m:
            r = d.coverage_radius_m / proj.m_per_px
            if r >= 3:
                sx, sy = proj.to_screen(d.lat, d.lon)
                p.drawEllipse(QPointF(sx, sy), r, r)


def draw_alert_areas(p: QPainter, proj: MapProjection, alerts: Sequence[AlertMark]) -> None:
    """The affected area of each alert that has one: a dashed 1 px circle in its level's colour
    (skipped when tiny; no fill, as a thousand filled circles would cost tens of milliseconds)."""
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setBrush(Qt.BrushStyle.NoBrush)
    pens: dict[int, QPen] = {}
    w, h = proj.width, proj.height
    for a in alerts:
        if not a.affected_radius_m:
            continue
        r = a.affected_radius_m / proj.m_per_px
        sx, sy = proj.to_screen(a.lat, a.lon)
        if r < 4 or sx < -r or sy < -r or sx > w + r or sy > h + r:
            continue
        p.setPen(pens.setdefault(a.level, QPen(QColor(ALERT_LEVEL_COLOURS.get(a.level, TEXT_DIM)), 1.0,
                                               Qt.PenStyle.DashLine)))
        p.drawEllipse(QPointF(sx, sy), r, r)


def dock_pixmap(colour: str, dpr: float) -> QPixmap:
    """A dock icon: a rounded square in its state colour with a dark rim, 2 px of margin."""

    def make() -> QPixmap:
        pm = _canvas(DOCK_PX + 2, DOCK_PX + 2, dpr)
        q = QPainter(pm)
        q.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        q.setPen(QPen(QColor(HALO), 1.5))
        q.setBrush(QColor(colour))
        q.drawRoundedRect(QRectF(1, 1, DOCK_PX, DOCK_PX), 2.5, 2.5)
        q.end()
        return pm

    return _PIXMAPS.get(("dock", colour, dpr), make)


def draw_docks(p: QPainter, proj: MapProjection, docks: Sequence[DockMark], labels: bool) -> None:
    """Dock icons in their state colour and, where they do not collide, their names."""
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    half = DOCK_PX / 2
    placed: list[QRectF] = []
    dpr = p.device().devicePixelRatioF()
    for d in docks:
        sx, sy = proj.to_screen(d.lat, d.lon)
        icon = dock_pixmap(DOCK_STATUS_COLOURS[d.status], dpr)
        p.drawPixmap(round(sx - half) - 1, round(sy - half) - 1, icon)
        placed.append(QRectF(sx - half, sy - half, DOCK_PX, DOCK_PX))
    if not labels:
        return
    # Greedy declutter: a label that would overlap an icon or an earlier label is left out;
    # zooming in (or hovering) shows it. Overlapping names are worse than missing ones.
    icons = list(placed)
    labels = Labels(p)
    for d, icon in zip(docks, icons):
        pm = labels.pixmap(d.name)
        w, h = pm.width() / labels.dpr, pm.height() / labels.dpr
        for rect in (QRectF(icon.right() + 2, icon.center().y() - h / 2, w, h),
                     QRectF(icon.left() - 2 - w, icon.center().y() - h / 2, w, h)):
            if not any(rect.intersects(r) for r in placed if r is not icon):
                placed.append(rect)
                p.drawPixmap(round(rect.left()), round(rect.top()), pm)
                break


def draw_routes(p: QPainter, proj: MapProjection, routes: Sequence[RouteMark]) -> None:
    """Planned routes dashed, flown tracks solid."""
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setBrush(Qt.BrushStyle.NoBrush)
    for r in routes:
        if len(r.planned_lats) >= 2:
            p.setPen(QPen(QColor(ROUTE_PLANNED), 1.0, Qt.PenStyle.DashLine))  # 1 px: the fast stroker
            sx, sy = proj.to_screen(r.planned_lats, r.planned_lons)
            p.drawPolyline(polygon(sx, sy))
        if len(r.flown_lats) >= 2:
            p.setPen(QPen(QColor(ROUTE_FLOWN), 1.0))
            sx, sy = proj.to_screen(r.flown_lats, r.flown_lons)
            p.drawPolyline(polygon(sx, sy))


class PixmapCache:
    """Small pixmaps rendered once and blitted many times (arrows by heading, labels by text).

    A blit costs a few µs where an anti-aliased polygon or a haloed text costs 20-80 µs; with
    hundreds of drones that is the difference between a smooth and a stuttering map.
    """

    LIMIT = 4096  # labels change with altitude and battery: drop everything now and then

    def __init__(self) -> None:
        self._items: dict[tuple[object, ...], QPixmap] = {}

    def get(self, key: tuple[object, ...], make: Callable[[], QPixmap]) -> QPixmap:
        pm = self._items.get(key)
        if pm is None:
            if len(self._items) >= self.LIMIT:
                self._items.clear()
            pm = self._items[key] = make()
        return pm


_PIXMAPS = PixmapCache()
HEADING_STEP_DEG = 5


def _canvas(width: float, height: float, dpr: float) -> QPixmap:
    pm = QPixmap(max(1, math.ceil(width * dpr)), max(1, math.ceil(height * dpr)))
    pm.setDevicePixelRatio(dpr)
    pm.fill(Qt.GlobalColor.transparent)
    return pm


def arrow_pixmap(colour: str, size: float, heading_deg: float | None, dpr: float) -> QPixmap:
    """A triangle pointing along the heading (north up, clockwise), a diamond when unknown; centred."""
    step = None if heading_deg is None else int(round(heading_deg / HEADING_STEP_DEG)) % (360 // HEADING_STEP_DEG)

    def make() -> QPixmap:
        side = 2 * size + 4
        pm = _canvas(side, side, dpr)
        q = QPainter(pm)
        q.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        q.translate(side / 2, side / 2)
        if step is None:
            pts = ((0.0, -size), (0.7 * size, 0.0), (0.0, size), (-0.7 * size, 0.0))
        else:
            q.rotate(step * HEADING_STEP_DEG)
            pts = ((0.0, -size), (0.65 * size, 0.8 * size), (0.0, 0.4 * size), (-0.65 * size, 0.8 * size))
        q.setPen(QPen(QColor(HALO), 1.2))
        q.setBrush(QColor(colour))
        q.drawPolygon(QPolygonF([QPointF(x, y) for x, y in pts]))
        q.end()
        return pm

    return _PIXMAPS.get(("arrow", colour, size, step, dpr), make)


def label_pixmap(text: str, colour: str, font: QFont, dpr: float, font_key: str | None = None) -> QPixmap:
    """Text on an opaque dark plate: readable over cameras, zones and land alike, and an opaque
    blit is some 40 times cheaper than blending a transparent one."""

    def make() -> QPixmap:
        fm = QFontMetrics(font)
        w, h = fm.horizontalAdvance(text) + 6, fm.height() + 2
        pm = QPixmap(max(1, math.ceil(w * dpr)), max(1, math.ceil(h * dpr)))
        pm.setDevicePixelRatio(dpr)
        pm.fill(QColor(PLATE))
        q = QPainter(pm)
        q.setFont(font)
        q.setPen(QColor(colour))
        q.drawText(QPointF(3, 1 + fm.ascent()), text)
        q.end()
        return pm

    return _PIXMAPS.get(("label", text, colour, font_key or font.key(), dpr), make)


class Labels:
    """Draws plate labels with one painter; looks up the font and pixel ratio once, not per label."""

    def __init__(self, p: QPainter) -> None:
        self.p = p
        self.font = p.font()
        self.font_key = self.font.key()
        self.dpr = p.device().devicePixelRatioF()

    def pixmap(self, text: str, colour: str = TEXT) -> QPixmap:
        return label_pixmap(text, colour, self.font, self.dpr, self.font_key)

    def draw(self, x: float, y: float, text: str, colour: str = TEXT, centre: bool = False) -> QRectF:
        """Blits a label with its top-left (or top-centre) at (x, y); returns where it went."""
        pm = self.pixmap(text, colour)
        w, h = pm.width() / self.dpr, pm.height() / self.dpr
        if centre:
            x -= w / 2
        # Whole pixels: a blit at a fractional position takes Qt's slow, filtered path.
        x, y = round(x), round(y)
        self.p.drawPixmap(x, y, pm)
        return QRectF(x, y, w, h)


def trails_path(proj: MapProjection, drones: Sequence[DroneMark], min_px: float = 2.5) -> QPainterPath | None:
    """Every drone's trail as one path, thinned to `min_px` steps: one Qt call instead of one per
    drone, and a trail of 600 fixes far out is a dozen points, not 600."""
    trails = [d for d in drones if len(d.trail_lats) >= 2]
    if not trails:
        return None
    sx, sy = proj.to_screen(np.concatenate([d.trail_lats for d in trails]),
                            np.concatenate([d.trail_lons for d in trails]))
    counts = np.array([len(d.trail_lats) for d in trails])
    starts = np.cumsum(counts) - counts
    # Trails wholly outside the view are dropped: stroking them off-screen still costs.
    m = 10.0
    seen = ((np.maximum.reduceat(sx, starts) >= -m) & (np.minimum.reduceat(sx, starts) <= proj.width + m)
            & (np.maximum.reduceat(sy, starts) >= -m) & (np.minimum.reduceat(sy, starts) <= proj.height + m))
    if not seen.any():
        return None
    if not seen.all():
        point_seen = np.repeat(seen, counts)
        sx, sy, counts = sx[point_seen], sy[point_seen], counts[seen]
    ends = np.cumsum(counts) - 1
    step = np.hypot(np.diff(sx), np.diff(sy))
    bucket = np.concatenate(([0], (np.cumsum(step) // min_px).astype(np.int64)))
    keep = np.concatenate(([True], bucket[1:] != bucket[:-1]))
    keep[ends] = True
    keep[ends[:-1] + 1] = True  # every trail keeps its first and last fix
    connect = np.ones(len(sx), dtype=bool)
    connect[ends] = False       # no segment from one drone's trail to the next one's
    return pgfn.arrayToQPath(sx[keep], sy[keep], connect=connect[keep])


def drone_label(d: DroneMark) -> str:
    alt = "--" if d.alt_rel_m is None else f"{d.alt_rel_m:.0f}"
    bat = "--" if d.battery_pct is None else f"{d.battery_pct:.0f}"
    return f"{alt} m · {bat} %"


def draw_drones(p: QPainter, proj: MapProjection, drones: Sequence[DroneMark], blink_on: bool,
                labels: bool, trails: QPainterPath | None) -> int:
    """Trails, heading arrows and "alt m · battery %" labels; lost-link drones grey and flashing.

    `trails` is `trails_path()` of these drones (the caller caches it per scene and view).
    Returns how many drones were drawn (inside the view), for the health line.
    """
    if not drones:
        return 0
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    w, h = proj.width, proj.height
    p.setBrush(Qt.BrushStyle.NoBrush)
    if trails is not None:
        # 1 px: Qt's raster engine strokes lines up to 1 px with its cosmetic stroker, some 40
        # times faster than the general stroker a 1.4 px pen takes (measured: 0.8 vs 37 ms).
        p.setPen(QPen(QColor(TRAIL), 1.0))
        p.drawPath(trails)
    n = len(drones)
    sx_all, sy_all = proj.to_screen(np.fromiter((d.lat for d in drones), float, n),
                                    np.fromiter((d.lon for d in drones), float, n))
    inside = (sx_all >= -20) & (sx_all <= w + 20) & (sy_all >= -20) & (sy_all <= h + 20)
    plates = Labels(p)
    dpr = plates.dpr
    taken: set[tuple[int, int]] = set()
    for k in np.nonzero(inside)[0].tolist():
        d = drones[k]
        if d.link_lost and not blink_on:
            continue  # the off phase of the flash
        sx, sy = float(sx_all[k]), float(sy_all[k])
        colour = LINK_LOST if d.link_lost else (DRONE_AIRBORNE if d.airborne else DRONE_GROUND)
        # A drone in its dock is drawn small, so the dock's state colour stays visible around it.
        pm = arrow_pixmap(colour, DRONE_PX if d.airborne else DRONE_GROUND_PX, d.heading_deg, dpr)
        p.drawPixmap(round(sx - pm.width() / dpr / 2), round(sy - pm.height() / dpr / 2), pm)
        if labels and d.airborne:
            text, text_colour = drone_label(d), LINK_LOST if d.link_lost else TEXT
            label = plates.pixmap(text, text_colour)
            x0, y0 = sx - label.width() / dpr / 2, sy + DRONE_PX + 1
            # Declutter on a coarse grid: a label over another is unreadable, so it waits for a
            # closer zoom (the tooltip has the same text). Cheaper than testing every pair.
            cells = {(cx, cy) for cx in range(int(x0 // LABEL_CELL_PX), int((x0 + label.width() / dpr) // LABEL_CELL_PX) + 1)
                     for cy in range(int(y0 // LABEL_CELL_PX), int((y0 + label.height() / dpr) // LABEL_CELL_PX) + 1)}
            if not cells & taken:
                taken |= cells
                p.drawPixmap(round(x0), round(y0), label)
    return int(inside.sum())


def draw_highlight(p: QPainter, sx: float, sy: float, radius: float) -> None:
    """The ring around the selected item."""
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(QColor(HALO), 4.0))
    p.drawEllipse(QPointF(sx, sy), radius, radius)
    p.setPen(QPen(QColor(SELECTED), 2.0))
    p.drawEllipse(QPointF(sx, sy), radius, radius)
