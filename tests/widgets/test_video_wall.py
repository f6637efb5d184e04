"""VideoWall: layouts, presets, drag and drop, maximising, snapshots, detaching and camera search."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt
from PySide6.QtGui import QDropEvent, QImage

from tests.widgets.mjpeg_server import MjpegServer
from widgets.camera_search import CameraSearchBox
from widgets.video_source import TileSource, TileState
from widgets.video_wall import LAYOUTS, VideoWall

CAMERAS = {f"3702020000131000000{i}": f"香港中路 {i}号枪机" for i in range(10)}


@pytest.fixture(scope="module")
def server() -> Iterator[MjpegServer]:
    s = MjpegServer(fps=10)
    yield s
    s.close()


@pytest.fixture
def wall(qtbot: Any, tmp_path: Path, server: MjpegServer) -> Iterator[VideoWall]:
    def resolve(key: str) -> TileSource | None:
        cid = key.removeprefix("camera:")
        if cid not in CAMERAS:
            return None
        return TileSource(key=key, title=CAMERAS[cid], district="市南区", url=server.url)

    def search(text: str, limit: int) -> list[tuple[str, str]]:
        return [(cid, name) for cid, name in CAMERAS.items() if text in cid or text in name][:limit]

    settings = QSettings(str(tmp_path / "wall.ini"), QSettings.Format.IniFormat)
    w = VideoWall(resolve=resolve, search=search, settings=settings, snapshots_dir=tmp_path / "snaps")
    qtbot.addWidget(w)
    w.resize(960, 600)
    w.show()
    yield w
    w.stop()


def ids(wall: VideoWall) -> list[str | None]:
    return [s.camera_id if s else None for s in wall.sources()]


def test_layouts_switch_by_method_and_shortcut(wall: VideoWall, qtbot: Any) -> None:
    for name, cells in LAYOUTS.items():
        wall.set_layout(name)
        assert wall.tile_count == len(cells)
        assert [t.isVisible() for t in wall.tiles] == [i < len(cells) for i in range(16)]
    wall.tiles[0].setFocus()
    qtbot.keyClick(wall.tiles[0], Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)
    assert wall.layout_name == "4x4"
    qtbot.keyClick(wall.tiles[0], Qt.Key.Key_5, Qt.KeyboardModifier.AltModifier)
    assert wall.layout_name == "1+5"
    big, small = wall.tiles[0].geometry(), wall.tiles[1].geometry()
    assert big.width() > 1.8 * small.width()


def test_presets_save_and_recall_layout_sources_and_pins(wall: VideoWall) -> None:
    wall.set_layout("2x2")
    cams = list(CAMERAS)
    for i in range(3):
        assert wall.open_camera(cams[i], i)
    wall.tiles[1].set_pinned(True)
    wall.save_preset("morning")
    wall.set_layout("3x3")
    for i in range(4):
        wall.set_tile_source(i, None)
    wall.tiles[1].set_pinned(False)
    assert wall.preset_names() == ["morning"]
    assert wall.load_preset("morning")
    assert wall.layout_name == "2x2"
    assert ids(wall) == [cams[0], cams[1], cams[2], None]
    assert wall.pinned() == [False, True, False, False]
    assert not wall.load_preset("nope")


def _drop(widget: Any, mime: QMimeData) -> None:
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    event = QDropEvent(pos, Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    widget.dropEvent(event)   # Qt routes a Drop only during a real drag; the handler is what is tested


def test_drag_and_drop_swaps_tiles_and_places_cameras(wall: VideoWall) -> None:
    cams = list(CAMERAS)
    wall.open_camera(cams[0], 0)
    wall.open_camera(cams[1], 1)
    tile_mime = QMimeData()
    tile_mime.setData("application/x-qd-video-tile", b"0")
    _drop(wall.tiles[1], tile_mime)
    assert ids(wall)[:2] == [cams[1], cams[0]]
    camera_mime = QMimeData()
    camera_mime.setText(f"camera:{cams[5]}")
    _drop(wall.tiles[4], camera_mime)
    assert ids(wall)[4] == cams[5]
    camera_mime.setText("camera:404")
    _drop(wall.tiles[4], camera_mime)
    assert ids(wall)[4] == cams[5]                      # an unknown camera changes nothing


def test_double_click_maximises_a_tile_and_back(wall: VideoWall, qtbot: Any) -> None:
    qtbot.mouseDClick(wall.tiles[4], Qt.MouseButton.LeftButton)
    assert wall.maximised == 4 and wall.selected == 4
    assert [t.isVisible() for t in wall.tiles[:9]] == [i == 4 for i in range(9)]
    qtbot.mouseDClick(wall.tiles[4], Qt.MouseButton.LeftButton)
    assert wall.maximised is None
    assert all(t.isVisible() for t in wall.tiles[:9])


def test_snapshot_saves_a_png_with_camera_time_and_alert(wall: VideoWall, qtbot: Any) -> None:
    cam = list(CAMERAS)[2]
    wall.open_camera(cam, 3)
    qtbot.waitUntil(lambda: wall.tiles[3].state is TileState.LIVE, timeout=10_000)
    saved: list[tuple[str, str, str]] = []
    wall.snapshot_saved.connect(lambda *a: saved.append(a))
    path = wall.snapshot_selected(alert_id="ALR-20261124-000123")
    assert path is not None and path.exists()
    assert cam in path.name and "ALR-20261124-000123" in path.name
    image = QImage(str(path))
    assert (image.width(), image.height()) == (320, 180)
    assert image.text("camera") == cam and image.text("alert") == "ALR-20261124-000123"
    assert image.text("time").startswith(time.strftime("%Y-"))
    assert saved == [(str(path), f"camera:{cam}", "ALR-20261124-000123")]
    wall.select(8)
    assert wall.snapshot_selected() is None            # an empty tile has no picture


def test_detach_to_its_own_window_and_back(wall: VideoWall) -> None:
    wall.detach()
    assert wall.detached and wall.body.window() is not wall.window()
    assert wall.body.window().isFullScreen()
    wall.attach()
    assert not wall.detached and wall.body.window() is wall.window()
    wall.detach()
    wall.body.window().close()                          # closing the window re-attaches
    assert not wall.detached and wall.body.isVisible()


def test_tiles_by_state_counts_the_layouts_tiles(wall: VideoWall, qtbot: Any) -> None:
    wall.set_layout("2x2")
    wall.open_camera(list(CAMERAS)[0], 0)
    wall.set_tile_source(1, TileSource(key="camera:x", title="x", url=None, offline_reason="offline"))
    qtbot.waitUntil(lambda: wall.tiles_by_state()["live"] == 1, timeout=10_000)
    assert wall.tiles_by_state() == {"idle": 2, "connecting": 0, "live": 1, "reconnecting": 0, "no_signal": 1,
                                     "error": 0}


def test_search_box_debounces_and_opens_the_chosen_camera(wall: VideoWall, qtbot: Any) -> None:
    calls: list[str] = []
    box = CameraSearchBox(lambda t, n: calls.append(t) or [("1", "one"), ("2", "two")])
    qtbot.addWidget(box)
    chosen: list[str] = []
    box.camera_chosen.connect(chosen.append)
    qtbot.keyClicks(box.edit, "shinan")
    qtbot.waitUntil(lambda: box.results.count() == 2, timeout=2_000)
    assert calls == ["shinan"]                        # one search for the whole word
    qtbot.keyClick(box.edit, Qt.Key.Key_Down)
    qtbot.keyClick(box.edit, Qt.Key.Key_Return)
    assert chosen == ["2"]
    assert box.results.mimeData([box.results.item(0)]).text() == "camera:1"
    wall.select(2)
    wall.search.edit.setText(list(CAMERAS)[7])
    wall.search.run_search()
    qtbot.keyClick(wall.search.edit, Qt.Key.Key_Return)
    assert ids(wall)[2] == list(CAMERAS)[7]
