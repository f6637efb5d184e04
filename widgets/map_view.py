"""The offline situation map: districts, no-fly zones, 230,000 cameras, docks, drones and alerts.

A QPainter widget (no tiles, no network). The console hands it plain values (`set_basemap`,
`set_zones`, `set_cameras` once; `set_scene` on a ~10 Hz timer) and it repaints from them; it
never repaints per telemetry message. What does not move between frames is cached: the land,
zones and cameras per view, then docks, coverage and alert areas per scene change, and the
alert markers per pulse phase. A frame blits those and draws routes and drones on top.
All methods run on the GUI thread.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QElapsedTimer, QEvent, QLocale, QPoint, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import (QAction, QHelpEvent, QKeyEvent, QKeySequence, QMouseEvent, QPainter, QPaintEvent,
                           QResizeEvent, QWheelEvent)
from PySide6.QtWidgets import QMenu, QToolButton, QToolTip, QWidget

from widgets.map_cameras import CameraIndex
from widgets.map_hits import Hit, default_tooltip, hit_test, zone_at
from widgets.map_projection import MapProjection, ViewKey
from widgets.map_render import ANIMATION_MS, LAYERS, MapRenderer
from widgets.situation import (CameraLayer, DistrictShape, MapScene, Selection, SelectionKind, SelectionModel,
                               ZoneShape)

#: The district shortcuts Ctrl+Alt+1..4, in this order.
DISTRICT_KEYS: tuple[str, ...] = ("shinan", "shibei", "licang", "laoshan")
FRAME_RING = 600
PAN_STEP_PX = 120
ZOOM_STEP = 1.5
DRAG_THRESHOLD_PX = 4
SETTLE_MS = 150


class MapView(QWidget):
    """The situation map; follows and changes `selection` (GUI thread)."""

    layers_changed = Signal()
    camera_open_requested = Signal(str)
    point_picked = Signal(float, float)
    pick_cancelled = Signal()

    def __init__(self, selection: SelectionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.selection = selection
        self.proj = MapProjection(max(1, self.width()), max(1, self.height()))
        self.r = MapRenderer(self.proj)
        self.r.chinese = QLocale().language() == QLocale.Language.Chinese
        self._camera_ids: dict[str, int] | None = None
        self._user_moved = False
        self._frames = np.zeros(FRAME_RING)
        self._frame_count = 0
        self._clock = QElapsedTimer()
        self._clock.start()
        self._animation = QTimer(self, interval=ANIMATION_MS, timeout=self.update)
        # Rebuilds the cached layers once a drag or wheel zoom has paused this long.
        self._settle = QTimer(self, interval=SETTLE_MS, singleShot=True, timeout=self.settle)
        self._cursor: QPointF | None = None
        self._press: QPointF | None = None
        self._dragging = False
        self._pick_prompt: str | None = None

        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # every pixel is painted: skip the erase
        self.setMinimumSize(240, 180)
        self._layer_actions: dict[str, QAction] = {}
        self._layer_button = QToolButton(self)
        self._layer_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self._layer_button)
        for key in LAYERS:
            act = QAction(menu, checkable=True, checked=True)
            act.toggled.connect(lambda on, k=key: self.set_layer_visible(k, on))
            menu.addAction(act)
            self._layer_actions[key] = act
        self._layer_button.setMenu(menu)
        self._layer_button.move(8, 8)
        self._district_actions: list[QAction] = []
        for n, key in enumerate(DISTRICT_KEYS, start=1):
            act = QAction(self, shortcut=QKeySequence(f"Ctrl+Alt+{n}"))
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.triggered.connect(lambda _c=False, k=key: self.fit_district(k))
            self.addAction(act)
            self._district_actions.append(act)
        self.selection.changed.connect(self._on_selection)
        self._retranslate()

    # ----- data -------------------------------------------------------------------------------------

    def set_basemap(self, districts: Sequence[DistrictShape], city_rings: tuple[np.ndarray, ...] = ()) -> None:
        """The district outlines (and the municipality's land) drawn under everything."""
        self.r.districts, self.r.city_rings = tuple(districts), tuple(city_rings)
        self.r.base_version += 1
        self._retranslate()   # the district shortcuts are named after the districts
        if not self._user_moved:
            self.fit_all()
        self.update()

    def set_zones(self, zones: Sequence[ZoneShape]) -> None:
        self.r.zones = tuple(zones)
        self.r.base_version += 1
        self.update()

    def set_cameras(self, cameras: CameraLayer | None) -> None:
        """The camera registry (None: no cameras); indexed once here (about 50 ms for 230,000)."""
        self.r.cameras = CameraIndex(cameras) if cameras is not None else None
        self._camera_ids = None
        self.r.base_version += 1
        self.update()

    def set_scene(self, scene: MapScene) -> None:
        """Stores the moving part of the map and schedules a repaint (call it from a timer)."""
        self.r.set_scene(scene)
        self._update_animation()
        self.update()

    def _update_animation(self) -> None:
        # One 4 Hz timer, and only while something blinks or pulses: an idle map costs nothing.
        animate = self.r.animating()
        if animate and not self._animation.isActive():
            self._animation.start()
        elif not animate and self._animation.isActive():
            self._animation.stop()

    @property
    def scene(self) -> MapScene:
        """The scene last given to `set_scene`."""
        return self.r.scene

    # ----- view -------------------------------------------------------------------------------------

    def to_screen(self, lat: float, lon: float) -> QPointF:
        """The widget pixel of a WGS-84 position."""
        sx, sy = self.proj.to_screen(lat, lon)
        return QPointF(float(sx), float(sy))

    def to_geo(self, pos: QPointF | QPoint) -> tuple[float, float]:
        """(lat, lon) under a widget pixel."""
        return self.proj.to_geo(pos.x(), pos.y())

    def fit_all(self) -> None:
        """Shows the four districts (Home)."""
        if self.r.districts:
            boxes = np.array([d.bbox for d in self.r.districts])
            self.proj.fit_bbox(boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max())
        self.update()

    def fit_district(self, key: str) -> bool:
        """Shows one district (Ctrl+Alt+1..4); False when the basemap has no such district."""
        for d in self.r.districts:
            if d.key == key:
                self.proj.fit_bbox(*d.bbox)
                self._user_moved = True
                self.update()
                return True
        return False

    def center_on(self, lat: float, lon: float) -> None:
        self.proj.center_on(lat, lon)
        self._user_moved = True
        self.update()

    def pan_by(self, dx: float, dy: float) -> None:
        """Moves the map content by (dx, dy) pixels, as a drag does; the cached layers are moved
        until the view settles, then rebuilt."""
        self.proj.pan_px(dx, dy)
        self._user_moved = True
        self._interact()
        self.update()

    def zoom(self, factor: float, at: QPointF | None = None) -> None:
        """Zooms by `factor` (> 1 in) around a pixel, the centre by default."""
        at = at or QPointF(self.width() / 2, self.height() / 2)
        self.proj.zoom_at(factor, at.x(), at.y())
        self._user_moved = True
        self.update()

    def view_key(self) -> ViewKey:
        return self.proj.key

    # ----- layers and language ----------------------------------------------------------------------

    def set_layer_visible(self, key: str, visible: bool) -> None:
        if key not in self.r.visible:
            raise KeyError(key)
        if self.r.visible[key] != visible:
            self.r.visible[key] = visible
            self._layer_actions[key].setChecked(visible)
            self._update_animation()
            self.layers_changed.emit()
            self.update()

    def layer_visible(self, key: str) -> bool:
        return self.r.visible[key]

    @property
    def chinese(self) -> bool:
        """Whether district names are shown in Chinese."""
        return self.r.chinese

    def set_language(self, lang: str) -> None:
        self.r.chinese = lang.startswith("zh")
        self._retranslate()
        self.update()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.r.chinese = QLocale().language() == QLocale.Language.Chinese
            self._retranslate()
            self.update()
        super().changeEvent(event)

    def _retranslate(self) -> None:
        names = {"zones": self.tr("No-fly zones"), "cameras": self.tr("Cameras"), "coverage": self.tr("Dock coverage"),
                 "docks": self.tr("Docks"), "routes": self.tr("Routes"), "drones": self.tr("Drones"),
                 "alerts": self.tr("Alerts")}
        for key, act in self._layer_actions.items():
            act.setText(names[key])
        self._layer_button.setText(self.tr("Layers"))
        self._layer_button.adjustSize()
        names = {d.key: d.name_zh if self.r.chinese else d.name_en for d in self.r.districts}
        for act, key in zip(self._district_actions, DISTRICT_KEYS):
            act.setText(self.tr("Show district %1").replace("%1", names.get(key, key)))

    # ----- pick mode --------------------------------------------------------------------------------

    def start_pick(self, prompt_text: str) -> None:
        """The next left click emits `point_picked(lat, lon)`; Esc cancels (`pick_cancelled`)."""
        self._pick_prompt = prompt_text
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFocus()
        self.update()

    def picking(self) -> bool:
        return self._pick_prompt is not None

    def _end_pick(self) -> None:
        self._pick_prompt = None
        self.unsetCursor()
        self.update()

    # ----- hits, selection, tooltips ----------------------------------------------------------------

    def item_at(self, pos: QPointF | QPoint) -> Hit | None:
        """The topmost visible item near a pixel (what a click would select)."""
        return hit_test(self.proj, self.r.scene, self.r.cameras if self.r.visible["cameras"] else None,
                        self.layer_visible, pos.x(), pos.y())

    def tooltip_at(self, pos: QPointF | QPoint) -> str:
        """The hover text at a pixel: the item's, else the no-fly zone's name and reason, else ''."""
        hit = self.item_at(pos)
        if hit is not None:
            words = {"drone": self.tr("Drone"), "link lost": self.tr("link lost"), "airborne": self.tr("airborne"),
                     "on the ground": self.tr("on the ground")}
            return default_tooltip(hit, self.r.cameras.layer.label if self.r.cameras else None, words)
        if self.r.visible["zones"]:
            zone = zone_at(self.r.zones, *self.to_geo(pos))
            if zone is not None:
                return f"{zone.name}\n{self.tr('No-fly zone')}: {zone.reason}"
        return ""

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            assert isinstance(event, QHelpEvent)
            text = self.tooltip_at(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def _on_selection(self, _selection: Selection | None) -> None:
        self.update()

    def _selected_point(self) -> QPointF | None:
        """Where the selected item is drawn, if it is on the map."""
        sel = self.selection.current
        if sel is None:
            return None
        found: tuple[float, float] | None = None
        if sel.kind is SelectionKind.DOCK:
            found = next(((d.lat, d.lon) for d in self.r.scene.docks if d.dock_id == sel.key), None)
        elif sel.kind is SelectionKind.DRONE:
            found = next(((d.lat, d.lon) for d in self.r.scene.drones if str(d.sysid) == sel.key), None)
        elif sel.kind is SelectionKind.ALERT:
            found = next(((a.lat, a.lon) for a in self.r.scene.alerts if a.alert_id == sel.key), None)
        elif sel.kind is SelectionKind.CAMERA and self.r.cameras is not None:
            i = self._camera_index(sel.key)
            if i is not None:
                found = (float(self.r.cameras.layer.lats[i]), float(self.r.cameras.layer.lons[i]))
        return None if found is None else self.to_screen(*found)

    def _camera_index(self, camera_id: str) -> int | None:
        assert self.r.cameras is not None
        if self._camera_ids is None:  # built on the first camera selected from elsewhere
            layer = self.r.cameras.layer
            self._camera_ids = {layer.camera_id(int(i)): int(i) for i in self.r.cameras.order}
        return self._camera_ids.get(camera_id)

    # ----- input ------------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press, self._dragging = event.position(), False
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._press is not None and event.buttons() & Qt.MouseButton.LeftButton:
            delta = pos - self._press
            if self._dragging or delta.manhattanLength() >= DRAG_THRESHOLD_PX:
                self._dragging = True
                self.pan_by(delta.x(), delta.y())
                self._press = pos
        self._cursor = pos
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._press is not None:
            if not self._dragging:
                self._click(event.position())
            self._press, self._dragging = None, False
        super().mouseReleaseEvent(event)

    def _click(self, pos: QPointF) -> None:
        if self._pick_prompt is not None:
            lat, lon = self.to_geo(pos)
            self._end_pick()
            self.point_picked.emit(lat, lon)
            return
        hit = self.item_at(pos)
        if hit is not None:  # an empty spot keeps the selection (Esc clears it)
            self.selection.select(Selection(hit.kind, hit.key))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        hit = self.item_at(event.position()) if self._pick_prompt is None else None
        if hit is not None and hit.kind is SelectionKind.CAMERA:
            self.camera_open_requested.emit(hit.key)
        super().mouseDoubleClickEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._cursor = None
        self.update()
        super().leaveEvent(event)

    def _interact(self) -> None:
        self.r.interacting = True
        self._settle.start()

    def settle(self) -> None:
        """Ends a drag or wheel zoom now: the next paint rebuilds the cached layers for the view."""
        self._settle.stop()
        self.r.interacting = False
        self.update()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom(ZOOM_STEP ** (steps / 2), event.position())
            self._interact()
        event.accept()

    def key_help(self) -> list[tuple[str, str]]:
        """The keys `keyPressEvent` handles, for the F1 list (they are no shortcuts it could read)."""
        return [(self.tr("Arrow keys"), self.tr("Pan the map")), ("+", self.tr("Zoom in")), ("-", self.tr("Zoom out")),
                ("Home", self.tr("Show the whole city")),
                ("Esc", self.tr("Clear the selection, or cancel picking a point"))]

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        pans = {Qt.Key.Key_Left: (PAN_STEP_PX, 0), Qt.Key.Key_Right: (-PAN_STEP_PX, 0),
                Qt.Key.Key_Up: (0, PAN_STEP_PX), Qt.Key.Key_Down: (0, -PAN_STEP_PX)}
        if key in pans:
            self.pan_by(*pans[key])
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(ZOOM_STEP)
        elif key == Qt.Key.Key_Minus:
            self.zoom(1 / ZOOM_STEP)
        elif key == Qt.Key.Key_Home:
            self.fit_all()
        elif key == Qt.Key.Key_Escape:
            if self._pick_prompt is not None:
                self._end_pick()
                self.pick_cancelled.emit()
            else:
                self.selection.select(None)
        else:
            super().keyPressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.proj.resize(self.width(), self.height())
        if not self._user_moved:
            self.fit_all()
        super().resizeEvent(event)

    # ----- painting ---------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        t0 = time.perf_counter()
        p = QPainter(self)
        self.render_map(p)
        p.end()
        self._frames[self._frame_count % FRAME_RING] = (time.perf_counter() - t0) * 1000
        self._frame_count += 1

    def render_map(self, p: QPainter) -> None:
        """Draws the whole map with `p` (the widget, or a QImage in tests and the bench)."""
        cursor = None
        if self._cursor is not None:
            lat, lon = self.to_geo(self._cursor)
            cursor = f"{lat:.5f}, {lon:.5f}"
        self.r.render(p, self._clock.elapsed(), self.font(), self._selected_point(), cursor, self._pick_prompt,
                      self.tr("N"))

    # ----- instrumentation --------------------------------------------------------------------------

    def frame_times_ms(self) -> np.ndarray:
        """Durations of the last paint events (up to 600), oldest first."""
        n = min(self._frame_count, FRAME_RING)
        if self._frame_count <= FRAME_RING:
            return self._frames[:n].copy()
        k = self._frame_count % FRAME_RING
        return np.concatenate([self._frames[k:], self._frames[:k]])

    def stats(self) -> dict[str, float | int | None]:
        """Frame time p50/p95 (ms, None before the first paint) and what the last frame drew."""
        t = self.frame_times_ms()
        return {"p50_ms": round(float(np.percentile(t, 50)), 2) if len(t) else None,
                "p95_ms": round(float(np.percentile(t, 95)), 2) if len(t) else None,
                "frames": self._frame_count, "drones_drawn": self.r.drones_drawn,
                "alerts_drawn": self.r.alerts_drawn if self.r.visible["alerts"] else 0,
                "cameras_drawn": self.r.cameras_drawn,
                "camera_lod": self.r.camera_lod.value if self.r.camera_lod else None}
