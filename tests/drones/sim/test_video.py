"""The simulator's video server: real HTTP MJPEG streams, read raw and played by QMediaPlayer."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
import math
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any, BinaryIO

import numpy as np
import pytest
from PIL import Image

from drones.sim import video_render
from drones.sim.video import VideoServer
from drones.sim.video_render import DroneRenderer, DroneView
from tests.conftest import wait_until

CAMERA_ID = "37020200001310000001"
CAMERAS = {CAMERA_ID: ("香港中路与山东路路口", "市南区"), "37021200001310000007": ("崂山风景区入口", "崂山区")}
FLYING = DroneView(lat_deg=36.0671, lon_deg=120.3826, relative_alt_m=85.0, heading_deg=35.0, ground_speed_m_s=12.0,
                   battery_pct=76.0, armed=True, mode="MISSION")


class VideoThread:
    """A VideoServer on its own asyncio loop thread, as the simulator process runs it."""

    def __init__(self) -> None:
        self.drones: dict[int, DroneView | None] = {3: FLYING}
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="video", daemon=True)
        self.thread.start()
        self.server = VideoServer("127.0.0.1", 0, camera_info=CAMERAS.get, drone_state=self.drones.get)
        self.call(self.server.start())

    def call(self, coro: Any, timeout_s: float = 10.0) -> Any:
        fut: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return fut.result(timeout_s)

    def tasks(self) -> int:
        """Tasks alive on the server's loop, not counting the one asking."""
        async def count() -> int:
            return len(asyncio.all_tasks()) - 1

        return int(self.call(count()))

    def close(self) -> None:
        self.call(self.server.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def video() -> Iterator[VideoThread]:
    server = VideoThread()
    yield server
    server.close()


class MjpegClient:
    """A blocking HTTP client that reads multipart/x-mixed-replace JPEG parts off a socket."""

    def __init__(self, port: int, path: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        self.file: BinaryIO = self.sock.makefile("rb")
        self.status = int(self.file.readline().split()[1])
        self.headers = self._headers()

    def _headers(self) -> dict[str, str]:
        headers = {}
        while (line := self.file.readline().decode("latin-1").strip()):
            name, _, value = line.partition(":")
            headers[name.lower()] = value.strip()
        return headers

    def frame(self) -> bytes:
        boundary = self.headers["content-type"].split("boundary=")[1]
        assert self.file.readline().strip() == f"--{boundary}".encode()
        part = self._headers()
        assert part["content-type"] == "image/jpeg"
        data = self.file.read(int(part["content-length"]))
        assert self.file.read(2) == b"\r\n"
        return data

    def body(self) -> bytes:
        return self.file.read(int(self.headers["content-length"]))

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def get(port: int, path: str) -> tuple[int, bytes]:
    client = MjpegClient(port, path)
    try:
        return client.status, client.body()
    finally:
        client.close()


def health(port: int) -> dict[str, Any]:
    status, body = get(port, "/health")
    assert status == 200
    return json.loads(body)


def frames(port: int, path: str, n: int) -> list[Image.Image]:
    client = MjpegClient(port, path)
    try:
        assert client.status == 200
        assert client.headers["content-type"].startswith("multipart/x-mixed-replace")
        return [Image.open(io.BytesIO(client.frame())) for _ in range(n)]
    finally:
        client.close()


def differs(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16)).mean())


# ------------------------------------------------------------ raw HTTP

@pytest.mark.parametrize(("path", "size"), [
    (f"/camera/{CAMERA_ID}.mjpg", (640, 360)),
    (f"/camera/{CAMERA_ID}/sub.mjpg", (320, 180)),
    (f"/camera/{CAMERA_ID}.mjpg?size=480x270&fps=25", (480, 270)),
    ("/drone/3.mjpg", (640, 360)),
    ("/nosignal.mjpg?fps=25", (640, 360)),
])
def test_a_stream_delivers_jpeg_frames_of_its_size_that_move(video: VideoThread, path: str,
                                                               size: tuple[int, int]) -> None:
    if path.startswith("/drone"):
        video.drones[3] = FLYING
    got = frames(video.server.port, path, 4)
    assert all(f.format == "JPEG" and f.size == size for f in got)
    if path.startswith("/drone"):     # the picture moves when the drone does, not by itself
        video.drones[3] = dataclasses.replace(FLYING, heading_deg=120.0)
        got.append(frames(video.server.port, path, 3)[-1])
    assert differs(got[0], got[-1]) > 1.0


def test_unknown_paths_and_sources_are_404_and_bad_options_400(video: VideoThread) -> None:
    port = video.server.port
    for path in ("/camera/999.mjpg", "/drone/9.mjpg", "/drone/abc.mjpg", "/", "/camera/../etc/passwd", "/x.mjpg"):
        assert get(port, path)[0] == 404, path
    for path in (f"/camera/{CAMERA_ID}.mjpg?fps=0", f"/camera/{CAMERA_ID}.mjpg?fps=60",
                 f"/camera/{CAMERA_ID}.mjpg?size=big", f"/camera/{CAMERA_ID}.mjpg?size=99999x2"):
        assert get(port, path)[0] == 400, path
    assert health(port)["encoded"] == {}


def test_nothing_is_encoded_without_a_client(video: VideoThread) -> None:
    port = video.server.port
    assert health(port)["encoded"] == {}
    frames(port, f"/camera/{CAMERA_ID}.mjpg", 3)
    wait_until(lambda: health(port)["streams"] == [], 5, "the idle stream to stop")
    encoded = health(port)["encoded"][f"camera/{CAMERA_ID}"]
    frames(port, "/nosignal.mjpg?fps=10", 5)      # time passes: ≥ 4 ticks of the 10 fps camera
    after = health(port)["encoded"]
    assert after[f"camera/{CAMERA_ID}"] == encoded
    assert set(after) == {f"camera/{CAMERA_ID}", "nosignal"}


def test_sixteen_clients_share_one_encoder_and_leave_no_tasks_behind(video: VideoThread) -> None:
    port = video.server.port
    idle_tasks = video.tasks()
    clients = [MjpegClient(port, f"/camera/{CAMERA_ID}.mjpg") for _ in range(16)]
    clients += [MjpegClient(port, "/drone/3.mjpg"), MjpegClient(port, "/camera/37021200001310000007/sub.mjpg")]
    for client in clients:
        Image.open(io.BytesIO(client.frame())).load()
        Image.open(io.BytesIO(client.frame())).load()
    state = health(port)
    assert state["clients"] == 18
    assert sorted(s["clients"] for s in state["streams"]) == [1, 1, 16]
    shared = next(s for s in state["streams"] if s["clients"] == 16)
    assert shared["frames"] == state["encoded"][f"camera/{CAMERA_ID}"]   # one encoder for all sixteen
    for client in clients:
        client.close()
    wait_until(lambda: health(port)["clients"] == 0 and health(port)["producers"] == 0, 5, "clients to be gone")
    wait_until(lambda: video.tasks() == idle_tasks, 5, "the server's tasks to finish")


def test_a_drone_that_loses_its_link_shows_no_signal_and_a_docked_one_its_dock(video: VideoThread) -> None:
    client = MjpegClient(video.server.port, "/drone/3.mjpg?fps=25")
    try:
        flying = Image.open(io.BytesIO(client.frame()))
        video.drones[3] = None
        lost = _next_frame_unlike(client, flying)
        video.drones[3] = DroneView(36.0671, 120.3826, 0.0, 0.0, 0.0, 64.0, armed=False, mode="HOLD")
        docked = _next_frame_unlike(client, lost)
    finally:
        client.close()
    bars = np.asarray(lost)[10:200, :, :].reshape(-1, 3).mean(axis=0)
    assert bars.min() > 60                       # colour bars: bright in every channel on average
    assert np.asarray(docked).mean() < np.asarray(lost).mean()   # the dock is dim


def _next_frame_unlike(client: MjpegClient, previous: Image.Image) -> Image.Image:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        frame = Image.open(io.BytesIO(client.frame()))
        if differs(frame, previous) > 20:
            return frame
    raise AssertionError("the picture did not change")


def test_the_ground_moves_under_the_drone_as_it_flies_forward() -> None:
    renderer = DroneRenderer(3, 640, 360)
    metres = 10.0
    for heading in (0.0, 35.0, 200.0):
        north = metres * math.cos(math.radians(heading)) / video_render.M_PER_DEG_LAT
        east = metres * math.sin(math.radians(heading)) / (
            video_render.M_PER_DEG_LON_EQUATOR * math.cos(math.radians(video_render.ORIGIN_LAT_DEG)))
        before = np.asarray(renderer._aerial(DroneView(36.0671, 120.3826, 85.0, heading, 0, 50, True, "M")), np.int16)
        after = np.asarray(renderer._aerial(DroneView(36.0671 + north, 120.3826 + east, 85.0, heading, 0, 50, True,
                                                      "M")), np.int16)
        shift = round(metres / (2 * 85.0 * math.tan(math.radians(video_render.CAMERA_HFOV_DEG / 2)) / 640))
        centre = after[150:210, 290:350]
        ahead = before[150 - shift:210 - shift, 290:350]      # what was straight ahead is now below us
        assert np.abs(ahead - centre).mean() < 2.0 < np.abs(before[150:210, 290:350] - centre).mean()


def test_without_a_cjk_font_text_falls_back_to_ascii_and_says_so_once(monkeypatch: pytest.MonkeyPatch,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(video_render, "CJK_FONTS", (("/nonexistent/font.ttc", 0),))
    for cached in (video_render._cjk_font_file, video_render.font, video_render._glyph,
                   video_render._line_metrics):
        cached.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger=video_render.__name__):
            img = video_render.CameraRenderer(CAMERA_ID, "香港中路", "市南区", 640, 360).render(time.time())
            video_render.NoSignalRenderer(320, 180).render(time.time())
        assert img.size == (640, 360)
        assert video_render.text("无信号", "NO SIGNAL") == "NO SIGNAL"
        assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1
        assert "no CJK font" in caplog.records[0].message
    finally:
        for cached in (video_render._cjk_font_file, video_render.font, video_render._glyph,
                   video_render._line_metrics):
            cached.cache_clear()


# ------------------------------------------------------------ QMediaPlayer (FFmpeg's mpjpeg demuxer)

class Player:
    """A QMediaPlayer into a QVideoSink that records frames, errors and media states."""

    def __init__(self, url: str) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtMultimedia import QMediaPlayer, QVideoSink

        self.player = QMediaPlayer()
        self.sink = QVideoSink()
        self.player.setVideoOutput(self.sink)
        self.sizes: list[tuple[int, int]] = []
        self.errors: list[tuple[QMediaPlayer.Error, str]] = []
        self.statuses: list[QMediaPlayer.MediaStatus] = []
        self.sink.videoFrameChanged.connect(lambda f: self.sizes.append((f.size().width(), f.size().height())))
        self.player.errorOccurred.connect(lambda e, msg: self.errors.append((e, msg)))
        self.player.mediaStatusChanged.connect(self.statuses.append)
        self.player.setSource(QUrl(url))
        self.player.play()

    def close(self) -> None:
        from PySide6.QtCore import QUrl

        self.player.stop()
        self.player.setSource(QUrl())


@pytest.fixture
def play(qtbot: Any) -> Iterator[Any]:
    players: list[Player] = []

    def start(url: str) -> Player:
        players.append(Player(url))
        return players[-1]

    yield start
    for p in players:
        p.close()


def test_qmediaplayer_plays_a_camera_url_into_a_video_sink(video: VideoThread, play: Any, qtbot: Any) -> None:
    player = play(video.server.camera_url(CAMERA_ID))
    qtbot.waitUntil(lambda: len(player.sizes) >= 5, timeout=15_000)
    assert set(player.sizes) == {(640, 360)}
    assert player.errors == []
    sub = play(video.server.camera_url(CAMERA_ID, sub=True))
    qtbot.waitUntil(lambda: len(sub.sizes) >= 3, timeout=15_000)
    assert set(sub.sizes) == {(320, 180)}


def test_qmediaplayer_reports_an_error_for_an_unknown_camera(video: VideoThread, play: Any, qtbot: Any) -> None:
    from PySide6.QtMultimedia import QMediaPlayer

    player = play(video.server.camera_url("404"))
    qtbot.waitUntil(lambda: bool(player.errors), timeout=15_000)
    assert player.errors[0][0] == QMediaPlayer.Error.ResourceError
    qtbot.waitUntil(lambda: QMediaPlayer.MediaStatus.InvalidMedia in player.statuses, timeout=5_000)
    assert player.sizes == []


def test_qmediaplayer_reports_a_resource_error_when_the_server_stops(video: VideoThread, play: Any,
                                                                      qtbot: Any) -> None:
    """What the video wall must watch for: ResourceError ("Demuxing failed"), repeated, and no EndOfMedia."""
    from PySide6.QtMultimedia import QMediaPlayer

    player = play(video.server.drone_url(3))
    qtbot.waitUntil(lambda: len(player.sizes) >= 3, timeout=15_000)
    video.call(video.server.close())
    qtbot.waitUntil(lambda: bool(player.errors) or QMediaPlayer.MediaStatus.EndOfMedia in player.statuses,
                    timeout=15_000)
    assert player.errors[0][0] == QMediaPlayer.Error.ResourceError
    assert QMediaPlayer.MediaStatus.EndOfMedia not in player.statuses
