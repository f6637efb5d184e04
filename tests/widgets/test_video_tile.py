"""VideoTile against real HTTP MJPEG streams (a tiny controllable server) and a local file, offscreen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.widgets.mjpeg_server import MjpegServer, write_mjpeg_file
from widgets import video_tile
from widgets.video_source import DroneInfo, TileSource, TileState
from widgets.video_tile import VideoTile


@pytest.fixture
def server() -> Iterator[MjpegServer]:
    s = MjpegServer(fps=15)
    yield s
    s.close()


@pytest.fixture
def tile(qtbot: Any) -> Iterator[VideoTile]:
    t = VideoTile()
    qtbot.addWidget(t)
    t.resize(640, 360)
    t.show()
    yield t
    t.stop()


def source(url: str | None, **kw: Any) -> TileSource:
    return TileSource(key="camera:1", title="香港中路", district="市南区", url=url, **kw)


def test_a_tile_goes_live_renders_frames_and_snapshots(tile: VideoTile, server: MjpegServer, qtbot: Any) -> None:
    states: list[TileState] = []
    tile.state_changed.connect(states.append)
    tile.set_source(source(server.url))
    qtbot.waitUntil(lambda: tile.state is TileState.LIVE and tile.frames >= 5, timeout=10_000)
    assert states[:2] == [TileState.CONNECTING, TileState.LIVE]
    image = tile.snapshot()
    assert (image.width(), image.height()) == (320, 180)
    assert not tile.grab().isNull()


def test_an_unreachable_url_shows_no_signal_with_a_reason_and_retries(tile: VideoTile, qtbot: Any,
                                                                       monkeypatch: pytest.MonkeyPatch,
                                                                       refused_port: int) -> None:
    monkeypatch.setattr(video_tile, "BACKOFF_S", (0.2, 0.4))
    tile.set_source(source(f"http://127.0.0.1:{refused_port}/x.mjpg"))
    qtbot.waitUntil(lambda: tile.state is TileState.NO_SIGNAL, timeout=10_000)
    assert tile.reason
    first = tile.restarts
    qtbot.waitUntil(lambda: tile.restarts >= first + 2, timeout=10_000)   # it keeps trying
    assert tile.state is TileState.NO_SIGNAL


def test_a_stalled_stream_is_detected_and_recovers(tile: VideoTile, server: MjpegServer, qtbot: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(video_tile, "STALL_S", 1.0)
    monkeypatch.setattr(video_tile, "BACKOFF_S", (0.3,))
    tile.set_source(source(server.url))
    qtbot.waitUntil(lambda: tile.state is TileState.LIVE, timeout=10_000)
    server.stalled.set()
    # How soon a stall is noticed with the real STALL_S is measured by bench/bench_video_tile.py.
    qtbot.waitUntil(lambda: tile.state is TileState.RECONNECTING, timeout=10_000)
    assert "1 s" in tile.reason     # the watchdog's stall limit (1 s here) did it, not a player error
    server.stalled.clear()
    frames = tile.frames
    qtbot.waitUntil(lambda: tile.state is TileState.LIVE and tile.frames > frames, timeout=15_000)


def test_a_dropped_connection_reconnects(tile: VideoTile, server: MjpegServer, qtbot: Any,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(video_tile, "BACKOFF_S", (0.3,))
    states: list[TileState] = []
    tile.state_changed.connect(states.append)
    tile.set_source(source(server.url))
    qtbot.waitUntil(lambda: tile.state is TileState.LIVE, timeout=10_000)
    server.drop_clients()
    qtbot.waitUntil(lambda: TileState.RECONNECTING in states, timeout=10_000)
    qtbot.waitUntil(lambda: tile.state is TileState.LIVE, timeout=15_000)


def test_a_local_file_plays_and_loops(tile: VideoTile, tmp_path: Path, qtbot: Any) -> None:
    clip = write_mjpeg_file(tmp_path / "clip.mjpeg", frames=20)
    tile.set_source(TileSource(key=f"file:{clip}", title="clip", url=str(clip), kind="file", loop=True))
    qtbot.waitUntil(lambda: tile.frames > 30, timeout=15_000)        # more frames than the file holds
    assert tile.state is TileState.LIVE


def test_hidden_tiles_stop_decoding_and_resume_when_shown(tile: VideoTile, server: MjpegServer, qtbot: Any) -> None:
    tile.set_source(source(server.url))
    qtbot.waitUntil(lambda: tile.state is TileState.LIVE, timeout=10_000)
    tile.hide()
    qtbot.waitUntil(lambda: tile.state is TileState.IDLE and tile.url is None, timeout=5_000)
    qtbot.waitUntil(lambda: server.clients() == 0, timeout=5_000)   # the connection is closed
    frames = tile.frames
    tile.show()
    qtbot.waitUntil(lambda: tile.state is TileState.LIVE and tile.frames > frames, timeout=10_000)


def test_a_small_tile_uses_the_sub_stream(tile: VideoTile, server: MjpegServer, qtbot: Any) -> None:
    tile.set_source(source("http://127.0.0.1:1/main.mjpg", sub_url=server.url, stream_size=(640, 360)))
    tile.resize(640, 360)
    assert tile.wanted_url() == "http://127.0.0.1:1/main.mjpg"
    tile.resize(320, 180)
    assert tile.wanted_url() == server.url
    qtbot.waitUntil(lambda: tile.url == server.url and tile.state is TileState.LIVE, timeout=15_000)


def test_camera_without_a_stream_and_the_overlay_lines(tile: VideoTile, qtbot: Any) -> None:
    tile.set_source(source(None, offline_reason="camera offline", alert_id="A1", alert_level=1))
    assert tile.state is TileState.NO_SIGNAL and tile.reason == "camera offline"
    tile.set_drone_info(DroneInfo(alt_rel_m=85.2, battery_pct=None, task_state="en_route"))
    tile.set_pinned(True)
    assert tile.pinned
    assert not tile.grab().isNull()
    tile.set_source(None)
    assert tile.state is TileState.IDLE and tile.snapshot().isNull()
