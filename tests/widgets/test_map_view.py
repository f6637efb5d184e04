"""The situation map: selection by click, highlight, layers, colours, tooltips, view, pick mode, LOD, stats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QKeySequence, QWheelEvent
from PySide6.QtWidgets import QApplication

from widgets.map_cameras import CameraLod
from widgets.map_view import LAYERS, MapView
from widgets.situation import (ALERT_LEVEL_COLOURS, DOCK_STATUS_COLOURS, AlertMark, CameraLayer, DistrictShape,
                               DockMark, DroneMark, MapScene, Selection, SelectionKind, SelectionModel, ZoneShape)
from vocab import DockStatus

ROOT = Path(__file__).resolve().parents[2]


def square(lon0: float, lat0: float, lon1: float, lat1: float) -> np.ndarray:
    return np.array([(lon0, lat0), (lon1, lat0), (lon1, lat1), (lon0, lat1), (lon0, lat0)])


DISTRICTS = [
    DistrictShape("shinan", "市南区", "Shinan", (square(120.30, 36.04, 120.42, 36.09),), (120.30, 36.04, 120.42, 36.09)),
    DistrictShape("shibei", "市北区", "Shibei", (square(120.30, 36.09, 120.43, 36.16),), (120.30, 36.09, 120.43, 36.16)),
    DistrictShape("licang", "李沧区", "Licang", (square(120.34, 36.16, 120.50, 36.24),), (120.34, 36.16, 120.50, 36.24)),
    DistrictShape("laoshan", "崂山区", "Laoshan", (square(120.43, 36.04, 120.70, 36.16),), (120.43, 36.04, 120.70, 36.16)),
]
ZONE = ZoneShape("NF1", "Test airfield", "airport approach", (square(120.60, 36.18, 120.66, 36.22),))
DOCK = DockMark("D01", "Dock One", "shinan", 36.07, 120.35, DockStatus.FAULT, 1, coverage_radius_m=2000.0,
                tooltip="Dock One: cover fault")
DRONE = DroneMark(2, "D02", 36.12, 120.40, heading_deg=90.0, alt_rel_m=80.0, battery_pct=76.0, airborne=True,
                  link_lost=False, trail_lats=np.array([36.11, 36.115, 36.12]),
                  trail_lons=np.array([120.38, 120.39, 120.40]))
ALERT = AlertMark("ALR-1", 36.10, 120.55, 1, "smoke", acknowledged=True, affected_radius_m=500.0)
SCENE = MapScene(docks=(DOCK,), drones=(DRONE,), alerts=(ALERT,))


def small_cameras() -> CameraLayer:
    """Nine cameras in a tight grid around 36.20 N 120.45 E, the centre one live."""
    lats = 36.20 + np.repeat([-0.001, 0.0, 0.001], 3)
    lons = 120.45 + np.tile([-0.001, 0.0, 0.001], 3)
    live = np.zeros(9, dtype=bool)
    live[4] = True
    return CameraLayer(lats, lons, label=lambda i: f"camera {i}", camera_id=lambda i: f"CAM{i:03d}", live=live)


@pytest.fixture
def view(qtbot):  # type: ignore[no-untyped-def]
    selection = SelectionModel()
    v = MapView(selection)
    qtbot.addWidget(v)
    v.resize(800, 600)
    v.set_basemap(DISTRICTS)
    v.set_zones([ZONE])
    v.set_cameras(small_cameras())
    v.set_scene(SCENE)
    v.show()
    qtbot.waitExposed(v)
    return v


def pixel(view: MapView, at: QPointF) -> QColor:
    image: QImage = view.grab().toImage()
    return image.pixelColor(round(at.x()), round(at.y()))


def close(c: QColor, hex_colour: str, tol: int = 40) -> bool:
    e = QColor(hex_colour)
    return abs(c.red() - e.red()) + abs(c.green() - e.green()) + abs(c.blue() - e.blue()) <= tol


def street_zoom_on_cameras(view: MapView) -> None:
    view.center_on(36.20, 120.45)
    view.proj.m_per_px = 1.0   # 800 m across: street zoom
    view.update()


def test_layers_are_listed_in_drawing_order(view: MapView) -> None:
    assert LAYERS == ("zones", "cameras", "coverage", "docks", "routes", "drones", "alerts")
    assert all(view.layer_visible(k) for k in LAYERS)


def test_click_selects_dock_drone_and_alert(view: MapView, qtbot) -> None:  # type: ignore[no-untyped-def]
    for mark, expected in ((DOCK, Selection(SelectionKind.DOCK, "D01")),
                           (DRONE, Selection(SelectionKind.DRONE, "2")),
                           (ALERT, Selection(SelectionKind.ALERT, "ALR-1"))):
        at = view.to_screen(mark.lat, mark.lon).toPoint()
        with qtbot.waitSignal(view.selection.changed, timeout=1000) as blocker:
            qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=at + QPoint(2, 1))
        assert blocker.args == [expected]
        assert view.selection.current == expected


def test_click_on_empty_map_keeps_selection_and_escape_clears_it(view: MapView, qtbot) -> None:  # type: ignore[no-untyped-def]
    view.selection.select(Selection(SelectionKind.DOCK, "D01"))
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(5, 300))
    assert view.selection.current == Selection(SelectionKind.DOCK, "D01")
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert view.selection.current is None


def test_camera_click_selects_and_double_click_asks_to_open_it(view: MapView, qtbot) -> None:  # type: ignore[no-untyped-def]
    street_zoom_on_cameras(view)
    at = view.to_screen(36.201, 120.449).toPoint()   # camera 6 (top row, left)
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=at)
    assert view.selection.current == Selection(SelectionKind.CAMERA, "CAM006")
    with qtbot.waitSignal(view.camera_open_requested, timeout=1000) as blocker:
        qtbot.mouseDClick(view, Qt.MouseButton.LeftButton, pos=at)
    assert blocker.args == ["CAM006"]


def test_selection_from_elsewhere_is_highlighted(view: MapView) -> None:
    at = view.to_screen(DOCK.lat, DOCK.lon)
    ring = at + QPointF(13, 0)   # the highlight ring's radius
    assert not close(pixel(view, ring), "#ffffff", 60)
    view.selection.select(Selection(SelectionKind.DOCK, "D01"))
    assert close(pixel(view, ring), "#ffffff", 60)


def test_dock_state_colour_is_drawn_at_its_pixel(view: MapView) -> None:
    at = view.to_screen(DOCK.lat, DOCK.lon)
    assert close(pixel(view, at), DOCK_STATUS_COLOURS[DockStatus.FAULT])
    view.set_scene(MapScene(docks=(DOCK.__class__(**{**{f: getattr(DOCK, f) for f in DOCK.__slots__},
                                                       "status": DockStatus.READY}),)))
    assert close(pixel(view, at), DOCK_STATUS_COLOURS[DockStatus.READY])


def test_alert_marker_in_level_colour(view: MapView) -> None:
    at = view.to_screen(ALERT.lat, ALERT.lon)
    assert close(pixel(view, at), ALERT_LEVEL_COLOURS[1])


def test_hidden_layer_is_neither_drawn_nor_hit(view: MapView, qtbot) -> None:  # type: ignore[no-untyped-def]
    at = view.to_screen(DOCK.lat, DOCK.lon)
    assert view.item_at(at) is not None
    with qtbot.waitSignal(view.layers_changed, timeout=1000):
        view.set_layer_visible("docks", False)
    assert not view.layer_visible("docks")
    assert view.item_at(at) is None
    assert not close(pixel(view, at), DOCK_STATUS_COLOURS[DockStatus.FAULT])
    view.set_layer_visible("docks", True)
    assert view.item_at(at) is not None


def test_tooltips_for_dock_zone_and_camera(view: MapView) -> None:
    assert view.tooltip_at(view.to_screen(DOCK.lat, DOCK.lon)) == "Dock One: cover fault"
    zone_text = view.tooltip_at(view.to_screen(36.20, 120.63))
    assert "Test airfield" in zone_text and "airport approach" in zone_text
    assert view.tooltip_at(QPointF(3, 3)) == ""
    street_zoom_on_cameras(view)
    assert view.tooltip_at(view.to_screen(36.20, 120.45)) == "camera 4"


def test_drone_tooltip_is_built_from_its_fields_when_none_given(view: MapView) -> None:
    text = view.tooltip_at(view.to_screen(DRONE.lat, DRONE.lon))
    assert "2" in text and "80 m" in text and "76 %" in text


def test_fit_district_shows_its_bbox(view: MapView) -> None:
    view.fit_all()
    assert view.fit_district("licang")
    min_lon, min_lat, max_lon, max_lat = DISTRICTS[2].bbox
    rect = view.rect()
    for lat, lon in ((min_lat, min_lon), (max_lat, max_lon)):
        assert rect.contains(view.to_screen(lat, lon).toPoint())
    # and it fills the view: the box spans most of one dimension
    a, b = view.to_screen(min_lat, min_lon), view.to_screen(max_lat, max_lon)
    assert abs(b.x() - a.x()) > 0.8 * view.width() or abs(b.y() - a.y()) > 0.8 * view.height()
    assert not view.fit_district("nowhere")


def test_district_shortcuts_and_home(view: MapView, qtbot) -> None:  # type: ignore[no-untyped-def]
    shortcuts = {a.shortcut().toString(): a for a in view.actions()}
    assert shortcuts[QKeySequence("Ctrl+Alt+4").toString()].shortcutContext() == \
        Qt.ShortcutContext.WidgetWithChildrenShortcut
    shortcuts[QKeySequence("Ctrl+Alt+4").toString()].trigger()
    laoshan = view.view_key()
    centre = view.to_screen(36.10, 120.565)
    assert centre.x() == pytest.approx(view.width() / 2, abs=1) and centre.y() == pytest.approx(view.height() / 2, abs=1)
    qtbot.keyClick(view, Qt.Key.Key_Home)
    assert view.view_key() != laoshan
    qtbot.keyClick(view, Qt.Key.Key_Plus)
    assert view.proj.m_per_px < laoshan.m_per_px * 10


def test_wheel_zooms_around_the_cursor(view: MapView) -> None:
    at = QPointF(200, 150)
    before = view.to_geo(at)
    scale = view.proj.m_per_px
    event = QWheelEvent(at, view.mapToGlobal(at), QPoint(0, 0), QPoint(0, 240), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view, event)
    assert view.proj.m_per_px < scale
    after = view.to_geo(at)
    assert after == pytest.approx(before, abs=1e-7)


def test_pick_mode_emits_the_clicked_point_and_escape_cancels(view: MapView, qtbot) -> None:  # type: ignore[no-untyped-def]
    view.selection.select(Selection(SelectionKind.DRONE, "2"))
    view.start_pick("Click where the drone should fly to")
    assert view.picking() and view.cursor().shape() == Qt.CursorShape.CrossCursor
    at = QPoint(300, 200)
    expected = view.to_geo(at)
    with qtbot.waitSignal(view.point_picked, timeout=1000) as blocker:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=at)
    assert blocker.args == pytest.approx(list(expected), abs=1e-5)
    assert not view.picking()
    assert view.selection.current == Selection(SelectionKind.DRONE, "2")   # a pick does not select
    view.start_pick("again")
    with qtbot.waitSignal(view.pick_cancelled, timeout=1000):
        qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert not view.picking()
    assert view.selection.current == Selection(SelectionKind.DRONE, "2")   # Esc cancelled the pick only


def test_lost_link_drone_runs_the_blink_timer_only_while_needed(view: MapView) -> None:
    assert not view._animation.isActive()
    lost = DroneMark(3, "D03", 36.13, 120.41, None, None, None, airborne=True, link_lost=True)
    view.set_scene(MapScene(drones=(lost,)))
    assert view._animation.isActive()
    view.set_scene(SCENE)
    assert not view._animation.isActive()


def test_frame_stats_after_paints(view: MapView) -> None:
    for _ in range(5):
        view.grab()
    stats = view.stats()
    assert stats["frames"] >= 5
    assert stats["p50_ms"] is not None and stats["p95_ms"] >= stats["p50_ms"] > 0
    assert stats["drones_drawn"] == 1
    assert len(view.frame_times_ms()) == stats["frames"]


def test_chinese_district_names_follow_the_language(view: MapView) -> None:
    view.set_language("zh_CN")
    assert view.chinese
    view.set_language("en")
    assert not view.chinese


@pytest.fixture(scope="module")
def registry():  # type: ignore[no-untyped-def]
    from drones.cameras import CameraRegistry
    return CameraRegistry.load(ROOT / "resources" / "sites" / "demo_cameras.npz")


def test_real_cameras_switch_from_density_to_icons(qtbot, registry) -> None:  # type: ignore[no-untyped-def]
    from drones.basemap import load_basemap
    basemap = load_basemap(ROOT / "resources" / "map" / "qingdao.geojson")
    v = MapView(SelectionModel())
    qtbot.addWidget(v)
    v.resize(1600, 1000)
    v.set_basemap([DistrictShape(d.key, d.name_zh, d.name_en, tuple(r for p in d.polygons for r in p), d.bbox)
                   for d in basemap.districts])
    v.set_cameras(CameraLayer(registry.lat, registry.lon, label=lambda i: f"{registry.name(i)}\n{registry.id(i)}",
                              camera_id=registry.id, live=registry.live))
    v.show()
    qtbot.waitExposed(v)
    v.grab()   # paints the widget into a pixmap, whatever the platform does with windows
    assert v.stats()["camera_lod"] == CameraLod.DENSITY.value
    assert v.stats()["cameras_drawn"] > 200_000
    i = int(np.nonzero(registry.live)[0][0])
    v.center_on(float(registry.lat[i]), float(registry.lon[i]))
    v.proj.m_per_px = 1.2   # under 2 km across
    v.grab()
    assert v.stats()["camera_lod"] == CameraLod.ICONS.value
    assert 0 < v.stats()["cameras_drawn"] < 50_000
    at = v.to_screen(float(registry.lat[i]), float(registry.lon[i]))
    hit = v.item_at(at)
    assert hit is not None and hit.kind is SelectionKind.CAMERA
    # the nearest camera to that pixel is this one, or one at the very same place
    assert registry.find(hit.key) is not None
    assert registry.name(i) in v.tooltip_at(at) or hit.key != registry.id(i)
