"""The map's frame: cached layers blitted, the moving items drawn on top (GUI thread).

Three caches, each rebuilt only when its key changes:
- base: land, districts, zones and cameras — per view (pan, zoom, resize) and data;
- static: the base plus coverage rings, docks and alert areas — per view and dock/alert change
  (about once a second: docks report at 1 Hz);
- alert markers: one transparent image per pulse phase (4), drawn only where it has pixels.
A frame is then one opaque blit, routes, drones, the alert tiles and the overlays.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from widgets import map_alerts, map_painters as paint
from widgets.map_cameras import DENSITY_CELL_PX, CameraIndex, CameraLod
from widgets.map_projection import MapProjection, nice_scale
from widgets.situation import DistrictShape, MapScene, ZoneShape

#: Layer keys in drawing order (bottom to top).
LAYERS: tuple[str, ...] = ("zones", "cameras", "coverage", "docks", "routes", "drones", "alerts")
ANIMATION_MS = 250         # 4 Hz: blink of lost drones and pulse of new alerts
BLINK_HALF_PERIOD_MS = 500
#: Names (docks, drone labels) are shown below this scale (m/px); farther out they would be a wall of text.
LABEL_MAX_M_PER_PX = 60.0
ALERT_TILE_PX = 128
HIGHLIGHT_RADIUS_PX = 13.0


def content_tiles(pixels: np.ndarray, tile: int = ALERT_TILE_PX) -> list[QRect]:
    """The tiles of an overlay that hold any pixel: blending only those skips the empty screen."""
    h, w = pixels.shape
    th, tw = -(-h // tile), -(-w // tile)
    padded = np.zeros((th * tile, tw * tile), dtype=bool)
    padded[:h, :w] = pixels != 0
    used = padded.reshape(th, tile, tw, tile).any(axis=(1, 3))
    return [QRect(c * tile, r * tile, min(tile, w - c * tile), min(tile, h - r * tile))
            for r, c in zip(*np.nonzero(used))]


class MapRenderer:
    """What the map shows and how it is drawn; MapView feeds it and handles input."""

    def __init__(self, proj: MapProjection) -> None:
        self.proj = proj
        self.districts: tuple[DistrictShape, ...] = ()
        self.city_rings: tuple[np.ndarray, ...] = ()
        self.zones: tuple[ZoneShape, ...] = ()
        self.cameras: CameraIndex | None = None
        self.scene = MapScene()
        self.visible = dict.fromkeys(LAYERS, True)
        self.chinese = False
        self.base_version = 0    # bumped by the owner when districts, zones or cameras change
        self.scene_version = 0   # bumped when docks or alerts change
        self._base: tuple[object, QPixmap] | None = None
        self._static: tuple[object, QPixmap] | None = None
        self._alerts: dict[object, tuple[QImage, list[QRect]]] = {}
        self._trails: tuple[object, QPainterPath | None] | None = None
        #: Set by the owner while the view is being dragged or wheeled: the last cached layers are
        #: moved and scaled instead of rebuilt (a rebuild takes ~60 ms with the full city), and
        #: rebuilt once the view settles.
        self.interacting = False
        self.camera_lod: CameraLod | None = None
        self.cameras_drawn = 0
        self.alerts_drawn = 0
        self.drones_drawn = 0

    def set_scene(self, scene: MapScene) -> None:
        old, self.scene = self.scene, scene
        # Docks and alerts are cached with the static layers: compare values (cheap, no arrays)
        # so that an unchanged fleet does not rebuild them ten times a second.
        if scene.docks != old.docks or scene.alerts != old.alerts:
            self.scene_version += 1

    def animating(self) -> bool:
        """Whether something blinks or pulses (the owner runs its animation timer only then)."""
        return ((self.visible["drones"] and any(d.link_lost for d in self.scene.drones))
                or (self.visible["alerts"] and any(not a.acknowledged for a in self.scene.alerts)))

    def render(self, p: QPainter, now_ms: int, font: QFont, selected: QPointF | None, cursor_text: str | None,
               pick_prompt: str | None, north_text: str) -> None:
        """Draws one frame with `p` (a widget, or a QImage in tests and the bench)."""
        p.setFont(font)
        preview = self._preview_rect() if self.interacting else None
        if preview is not None:
            assert self._static is not None
            p.fillRect(QRectF(0, 0, self.proj.width, self.proj.height), QColor(paint.SEA))
            p.drawPixmap(preview, self._static[1], QRectF(self._static[1].rect()))
        else:
            p.drawPixmap(0, 0, self._static_layer(font))
        v = self.visible
        if v["routes"] and self.scene.routes:
            paint.draw_routes(p, self.proj, self.scene.routes)
        self.drones_drawn = 0
        if v["drones"] and self.scene.drones:
            blink_on = (now_ms // BLINK_HALF_PERIOD_MS) % 2 == 0
            self.drones_drawn = paint.draw_drones(p, self.proj, self.scene.drones, blink_on,
                                                  self.proj.m_per_px <= LABEL_MAX_M_PER_PX, self._trails_path())
        if v["alerts"] and self.scene.alerts:
            if preview is not None and self._alerts:
                image = next(iter(self._alerts.values()))[0]
                p.drawImage(preview, image, QRectF(image.rect()))
            elif preview is None:
                image, tiles = self._alert_layer(int(now_ms // ANIMATION_MS) % map_alerts.PULSE_PHASES)
                for rect in tiles:
                    p.drawImage(rect.topLeft(), image, rect)
        if selected is not None:
            paint.draw_highlight(p, selected.x(), selected.y(), HIGHLIGHT_RADIUS_PX)
        self._draw_overlays(p, cursor_text, pick_prompt, north_text)

    # ----- caches -------------------------------------------------------------------------------------

    def _preview_rect(self) -> QRectF | None:
        """Where the last cached frame lies in the current view (None: no usable cache)."""
        if self._static is None or self._base is None:
            return None
        old = self._base[0][0]  # type: ignore[index]
        if (old.width, old.height) != (self.proj.width, self.proj.height):
            return None
        x0, y0 = self.proj.m_to_screen(old.cx_m - old.width / 2 * old.m_per_px, old.cy_m + old.height / 2 * old.m_per_px)
        k = old.m_per_px / self.proj.m_per_px
        return QRectF(float(x0), float(y0), old.width * k, old.height * k)

    def _base_layer(self, font: QFont) -> QPixmap:
        """Land, districts, zones and cameras for this view."""
        v = self.visible
        key = (self.proj.key, self.base_version, v["zones"], v["cameras"], self.chinese, font.key())
        if self._base is None or self._base[0] != key:
            w, h = self.proj.width, self.proj.height
            pm = QPixmap(w, h)
            p = QPainter(pm)
            p.setFont(font)
            paint.draw_land(p, self.proj, self.districts, self.city_rings)
            if v["zones"]:
                paint.draw_zones(p, self.proj, self.zones)
            self.camera_lod, self.cameras_drawn = None, 0
            if v["cameras"] and self.cameras is not None:
                image, self.camera_lod, self.cameras_drawn = self.cameras.render(self.proj)
                # The density image has one pixel per cell: scaled up smoothly it reads as a glow.
                cell = 1 if self.camera_lod is CameraLod.ICONS else DENSITY_CELL_PX
                p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
                p.drawImage(QRectF(0, 0, w, h), image, QRectF(0, 0, w / cell, h / cell))
            paint.draw_district_labels(p, self.proj, self.districts, self.chinese)
            p.end()
            self._base = (key, pm)
        return self._base[1]

    def _static_layer(self, font: QFont) -> QPixmap:
        """The base plus what changes about once a second: coverage rings, alert areas, docks."""
        base = self._base_layer(font)
        v = self.visible
        key = (self._base[0] if self._base else None, self.scene_version, v["coverage"], v["docks"], v["alerts"])
        if self._static is None or self._static[0] != key:
            pm = QPixmap(base)
            p = QPainter(pm)
            p.setFont(font)
            if v["coverage"]:
                paint.draw_coverage(p, self.proj, self.scene.docks)
            if v["alerts"]:
                paint.draw_alert_areas(p, self.proj, self.scene.alerts)
            if v["docks"]:
                paint.draw_docks(p, self.proj, self.scene.docks, labels=self.proj.m_per_px <= LABEL_MAX_M_PER_PX)
            p.end()
            self._static = (key, pm)
        return self._static[1]

    def _alert_layer(self, phase: int) -> tuple[QImage, list[QRect]]:
        """Alert markers (and pulse rings at `phase`), one cached image per phase, and its used tiles."""
        key = (self.proj.key, self.scene_version, phase)
        cached = self._alerts.get(key)
        if cached is None:
            if any(k[:2] != key[:2] for k in self._alerts):  # type: ignore[index]
                self._alerts.clear()
            pixels, self.alerts_drawn = map_alerts.alert_overlay(self.proj, self.scene.alerts, phase)
            image = QImage(pixels.data, self.proj.width, self.proj.height, 4 * self.proj.width,
                           QImage.Format.Format_ARGB32_Premultiplied).copy()
            cached = self._alerts[key] = (image, content_tiles(pixels))
        return cached

    def _trails_path(self) -> QPainterPath | None:
        # Repaints without a new scene (hover, blink) reuse the trails of the last one.
        key = (id(self.scene), self.proj.key)
        if self._trails is None or self._trails[0] != key:
            self._trails = (key, paint.trails_path(self.proj, self.scene.drones))
        return self._trails[1]

    # ----- overlays -----------------------------------------------------------------------------------

    def _draw_overlays(self, p: QPainter, cursor_text: str | None, pick_prompt: str | None, north_text: str) -> None:
        """Scale bar, north arrow, cursor coordinates and the pick prompt."""
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        w, h = self.proj.width, self.proj.height
        plates = paint.Labels(p)
        metres, px = nice_scale(self.proj.m_per_px)
        x0, y0 = 14.0, h - 16.0
        bar = QPolygonF([QPointF(x0, y0 - 6), QPointF(x0, y0), QPointF(x0 + px, y0), QPointF(x0 + px, y0 - 6)])
        p.setPen(QPen(QColor(paint.HALO), 4))
        p.drawPolyline(bar)
        p.setPen(QPen(QColor(paint.TEXT), 1.6))
        p.drawPolyline(bar)
        plates.draw(x0 + px + 6, y0 - 12, f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m")
        nx, ny = w - 26.0, 52.0
        p.setPen(QPen(QColor(paint.HALO), 1.2))
        p.setBrush(QColor(paint.TEXT))
        p.drawPolygon(QPolygonF([QPointF(nx, ny - 16), QPointF(nx + 7, ny + 4), QPointF(nx, ny),
                                 QPointF(nx - 7, ny + 4)]))
        plates.draw(nx, ny + 7, north_text, centre=True)
        if cursor_text:
            plates.draw(w - 12.0 - plates.pixmap(cursor_text).width() / plates.dpr, h - 26.0, cursor_text)
        if pick_prompt is not None:
            p.fillRect(QRect(w // 2 - 260, 8, 520, 28), QColor(31, 111, 235, 200))
            p.setPen(QColor("#ffffff"))
            p.drawText(QRect(0, 8, w, 28), Qt.AlignmentFlag.AlignCenter, pick_prompt)
