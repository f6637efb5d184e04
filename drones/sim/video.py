"""The site simulator's video server: camera, drone and "no signal" feeds as HTTP MJPEG streams.

    GET /camera/{id}.mjpg        640×360, 10 fps     GET /camera/{id}/sub.mjpg   320×180
    GET /drone/{sysid}.mjpg      640×360, 15 fps     GET /drone/{sysid}/sub.mjpg 320×180
    GET /nosignal.mjpg           colour bars
    GET /health                  JSON: streams, clients, frames encoded per source
    any stream takes ?fps=N (1..25) and ?size=WxH; anything else is 404.

The wire format is `multipart/x-mixed-replace`, one `image/jpeg` part with Content-Length per frame.
FFmpeg, and so QMediaPlayer, opens such URLs with its `mpjpeg` demuxer. That demuxer stamps frames
at 25 fps whatever rate they arrive at, so streams are capped at 25 fps: a faster stream would
build up latency in the player.

Cost: a stream (source, size, rate) is rendered and encoded only while it has clients, once for
all of them, on a small worker pool so that the simulator's event loop stays free. A client that
falls behind skips frames instead of buffering them. Everything here, including the camera_info
and drone-state callables, runs on the event loop that called `start()`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from drones.sim.video_render import (CameraRenderer, DroneRenderer, DroneView, NoSignalRenderer, Renderer, encode_jpeg,
                                     ground_texture)

log = logging.getLogger(__name__)

__all__ = ["CameraInfo", "DroneStateProvider", "DroneView", "StreamKey", "VideoServer"]

CameraInfo = Callable[[str], tuple[str, str] | None]          # camera id -> (name, district)
DroneStateProvider = Callable[[int], DroneView | None]        # MAVLink system id -> state
SourceKind = Literal["camera", "drone", "nosignal"]

BOUNDARY = "qdframe"
CAMERA_FPS = 10
DRONE_FPS = 15
NOSIGNAL_FPS = 5
MAX_FPS = 25                       # FFmpeg's mpjpeg demuxer assumes 25 fps (see the module docstring)
MAIN_SIZE = (640, 360)
SUB_SIZE = (320, 180)
MIN_SIZE = (160, 90)
MAX_SIZE = (1920, 1080)
MAX_SYSID = 255
REQUEST_TIMEOUT_S = 5.0            # a connection that sends no complete request in this time is dropped
MAX_REQUEST_BYTES = 8 * 1024
CLIENT_BACKLOG_BYTES = 1_000_000   # about 25 frames at 640×360: a client further behind skips frames
CLOSE_GRACE_S = 1.0                # how long a closing connection may take to flush
READ_CHUNK = 4096
RENDER_WORKERS = max(2, min(4, os.cpu_count() or 1))
_PATH = re.compile(r"/(camera|drone)/([A-Za-z0-9_-]{1,64})(/sub)?\.mjpg")
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
_STREAM_HEAD = (f"HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary={BOUNDARY}\r\n"
                "Cache-Control: no-cache, no-store\r\nPragma: no-cache\r\nConnection: close\r\n\r\n").encode()


@dataclass(frozen=True, slots=True)
class StreamKey:
    """One encoded stream: a source at one size and frame rate."""

    kind: SourceKind
    ident: str                     # camera id, drone system id, or "" for no signal
    width: int
    height: int
    fps: int

    @property
    def source(self) -> str:
        """"camera/ID", "drone/N" or "nosignal": what the frame counters are kept by."""
        return f"{self.kind}/{self.ident}" if self.ident else self.kind

    @property
    def path(self) -> str:
        return f"/{self.source}.mjpg?size={self.width}x{self.height}&fps={self.fps}"


class _Stream:
    """A producer task and the clients it writes every frame to. Lives while it has clients."""

    def __init__(self, key: StreamKey, factory: Callable[[], Renderer]) -> None:
        self.key = key
        self.factory = factory
        self.clients: set[asyncio.StreamWriter] = set()
        self.task: asyncio.Task[None] | None = None
        self.last_part: bytes | None = None
        self.frames = 0
        self.skipped = 0

    def publish(self, part: bytes) -> None:
        self.last_part = part
        self.frames += 1
        for writer in self.clients:
            transport = writer.transport
            if transport.is_closing():
                continue
            if transport.get_write_buffer_size() > CLIENT_BACKLOG_BYTES:
                self.skipped += 1
                continue
            writer.write(part)


def _part(jpeg: bytes) -> bytes:
    return b"--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n%s\r\n" % (BOUNDARY.encode(), len(jpeg), jpeg)


def _render_jpeg(renderer: Renderer, now_s: float, view: DroneView | None) -> bytes:
    """Runs on a worker thread: Pillow releases the GIL while it encodes."""
    return encode_jpeg(renderer.render(now_s, view))


class VideoServer:
    """Serves the simulator's video feeds over HTTP on one asyncio loop.

    `time_scale` makes the picture's clock and motion run faster than the wall clock, like the
    rest of the simulator. `port` 0 picks a free port; read `port` after `start()`.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, time_scale: float = 1.0, *,
                 camera_info: CameraInfo | None = None, drone_state: DroneStateProvider | None = None,
                 workers: int = RENDER_WORKERS) -> None:
        self._host = host
        self._port = port
        self._time_scale = time_scale
        self._camera_info = camera_info
        self._drone_state = drone_state
        self._workers = workers
        self._epoch0, self._mono0 = time.time(), time.monotonic()
        self._server: asyncio.Server | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._streams: dict[StreamKey, _Stream] = {}
        self._connections: dict[asyncio.Task[object], asyncio.StreamReader] = {}
        self._producers: set[asyncio.Task[None]] = set()
        self._encoded: Counter[str] = Counter()

    @property
    def port(self) -> int:
        return self._port

    def url(self, path: str) -> str:
        """An http:// URL for `path` on this server (loopback when it listens on every interface)."""
        host = "127.0.0.1" if self._host in ("", "0.0.0.0", "::") else self._host
        return f"http://{host}:{self._port}{path}"

    def camera_url(self, camera_id: str, sub: bool = False) -> str:
        return self.url(f"/camera/{camera_id}{'/sub' if sub else ''}.mjpg")

    def drone_url(self, sysid: int, sub: bool = False) -> str:
        return self.url(f"/drone/{sysid}{'/sub' if sub else ''}.mjpg")

    def set_camera_info(self, lookup: CameraInfo | None) -> None:
        """`lookup(camera_id)` gives (name, district), or None for a camera that does not exist."""
        self._camera_info = lookup

    def set_drone_state_provider(self, provider: DroneStateProvider | None) -> None:
        """`provider(sysid)` gives the drone's latest state, or None when there is no such drone or link."""
        self._drone_state = provider

    def sim_time(self) -> float:
        """The simulator's clock in epoch seconds: wall time at construction, then scaled."""
        return self._epoch0 + (time.monotonic() - self._mono0) * self._time_scale

    async def start(self) -> None:
        """Listens; raises OSError when the port is taken."""
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="video-render")
        if self._drone_state is not None:
            # Built now, while the site starts: built on a drone feed's first request it held the GIL for seconds
            # on a loaded machine and stalled everything else in this process (the demo's broker among it).
            ground_texture()
        self._server = await asyncio.start_server(self._serve_client, self._host, self._port,
                                                  limit=MAX_REQUEST_BYTES)
        self._port = self._server.sockets[0].getsockname()[1]
        log.info("video server on http://%s:%d", self._host, self._port)

    async def close(self) -> None:
        """Stops listening, ends every stream and connection, and waits for them to finish."""
        if self._server is None:
            return
        self._server.close()
        # Connections end as if their clients had hung up: cancelling start_server's handler tasks
        # makes Python 3.12's StreamReaderProtocol log a spurious "Exception in callback".
        for reader in self._connections.values():
            reader.feed_eof()
        for task in self._producers:
            task.cancel()
        await asyncio.gather(*self._connections, *self._producers, return_exceptions=True)
        await self._server.wait_closed()
        self._streams.clear()
        self._server = None
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        log.info("video server closed")

    def health(self) -> dict[str, object]:
        """What /health answers: open streams, connected clients, frames encoded per source so far."""
        streams = [{"path": s.key.path, "clients": len(s.clients), "frames": s.frames, "skipped": s.skipped}
                   for s in self._streams.values()]
        return {"streams": streams, "clients": sum(len(s.clients) for s in self._streams.values()),
                "connections": len(self._connections), "producers": len(self._producers),
                "encoded": dict(self._encoded)}

    # ------------------------------------------------------------ HTTP

    async def _serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = reader
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT_S)
            request = head.split(b"\r\n", 1)[0].decode("latin-1").split()
            if len(request) != 3 or not request[2].startswith("HTTP/"):
                self._reply(writer, 400, "bad request line\n")
            elif request[0] not in ("GET", "HEAD"):
                self._reply(writer, 405, "only GET and HEAD\n")
            else:
                await self._route(request[0], request[1], reader, writer)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError):
            pass                                                  # the client went away or never asked
        finally:
            del self._connections[task]
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), CLOSE_GRACE_S)
            except (TimeoutError, ConnectionError):
                writer.transport.abort()

    def _reply(self, writer: asyncio.StreamWriter, status: int, body: str,
               content_type: str = "text/plain; charset=utf-8", head_only: bool = False) -> None:
        data = body.encode()
        writer.write(f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: {content_type}\r\n"
                     f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode())
        if not head_only:
            writer.write(data)

    async def _route(self, method: str, target: str, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        url = urlsplit(target)
        path, query = unquote(url.path), parse_qs(url.query)
        head_only = method == "HEAD"
        if path == "/health":
            self._reply(writer, 200, json.dumps(self.health()) + "\n", "application/json", head_only)
            return
        factory: Callable[[], Renderer]
        if path == "/nosignal.mjpg":
            kind, ident, sub, default_fps = "nosignal", "", False, NOSIGNAL_FPS
        elif (m := _PATH.fullmatch(path)) is not None:
            kind, ident, sub = m.group(1), m.group(2), m.group(3) is not None
            default_fps = CAMERA_FPS if kind == "camera" else DRONE_FPS
        else:
            self._reply(writer, 404, f"no such stream: {path}\n", head_only=head_only)
            return
        try:
            (width, height), fps = _options(query, SUB_SIZE if sub else MAIN_SIZE, default_fps)
        except ValueError as exc:
            self._reply(writer, 400, f"{exc}\n", head_only=head_only)
            return
        if kind == "camera":
            info = self._lookup_camera(ident)
            if info is None:
                self._reply(writer, 404, f"no camera {ident}\n", head_only=head_only)
                return
            name, district = info
            factory = partial(CameraRenderer, ident, name, district, width, height)
        elif kind == "drone":
            if not ident.isdigit() or not 1 <= int(ident) <= MAX_SYSID or self._drone_view(int(ident)) is None:
                self._reply(writer, 404, f"no drone {ident}\n", head_only=head_only)
                return
            factory = partial(DroneRenderer, int(ident), width, height)
        else:
            factory = partial(NoSignalRenderer, width, height)
        writer.write(_STREAM_HEAD)
        if not head_only:
            await self._stream_to(StreamKey(kind, ident, width, height, fps), factory, reader, writer)

    def _lookup_camera(self, camera_id: str) -> tuple[str, str] | None:
        if self._camera_info is None:
            return None
        try:
            return self._camera_info(camera_id)
        except Exception:
            log.exception("camera_info(%r) failed", camera_id)
            return None

    def _drone_view(self, sysid: int) -> DroneView | None:
        if self._drone_state is None:
            return None
        try:
            return self._drone_state(sysid)
        except Exception:
            log.exception("drone state provider failed for system %d", sysid)
            return None

    # ------------------------------------------------------------ streams

    async def _stream_to(self, key: StreamKey, factory: Callable[[], Renderer], reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> None:
        """Adds the client to the stream (starting it if needed) until the client hangs up."""
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = _Stream(key, factory)
        stream.clients.add(writer)
        if stream.last_part is not None:
            writer.write(stream.last_part)                        # a joining client need not wait a tick
        if stream.task is None:
            stream.task = asyncio.create_task(self._produce(stream), name=f"video {key.path}")
            self._producers.add(stream.task)
            stream.task.add_done_callback(self._producers.discard)
        try:
            while await reader.read(READ_CHUNK):                  # nothing is expected; EOF means gone
                pass
        finally:
            stream.clients.discard(writer)
            if not stream.clients and self._streams.get(key) is stream:
                del self._streams[key]
                if stream.task is not None:
                    stream.task.cancel()

    async def _produce(self, stream: _Stream) -> None:
        """Renders and sends frames at the stream's rate; a late frame delays the next, never bursts."""
        loop = asyncio.get_running_loop()
        key, pool = stream.key, self._pool
        period = 1.0 / key.fps
        try:
            renderer = await loop.run_in_executor(pool, stream.factory)     # static parts are drawn here
            deadline = loop.time()
            while True:
                view = self._drone_view(int(key.ident)) if key.kind == "drone" else None
                jpeg = await loop.run_in_executor(pool, _render_jpeg, renderer, self.sim_time(), view)
                stream.publish(_part(jpeg))
                self._encoded[key.source] += 1
                deadline += period
                delay = deadline - loop.time()
                if delay < 0:
                    deadline, delay = loop.time(), 0.0
                await asyncio.sleep(delay)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("video stream %s failed; closing its clients", key.path)
            if self._streams.get(key) is stream:
                del self._streams[key]
            for writer in stream.clients:
                writer.close()


def _options(query: dict[str, list[str]], size: tuple[int, int], fps: int) -> tuple[tuple[int, int], int]:
    """Size and frame rate from ?size=WxH&fps=N over the defaults; ValueError says what is wrong."""
    if "size" in query:
        try:
            w, h = (int(v) for v in query["size"][-1].lower().split("x"))
        except ValueError:
            raise ValueError("size must be WIDTHxHEIGHT") from None
        if not (MIN_SIZE[0] <= w <= MAX_SIZE[0] and MIN_SIZE[1] <= h <= MAX_SIZE[1]):
            raise ValueError(f"size must be within {MIN_SIZE[0]}x{MIN_SIZE[1]} .. {MAX_SIZE[0]}x{MAX_SIZE[1]}")
        size = (w, h)
    if "fps" in query:
        try:
            fps = int(query["fps"][-1])
        except ValueError:
            raise ValueError("fps must be a whole number") from None
        if not 1 <= fps <= MAX_FPS:
            raise ValueError(f"fps must be within 1..{MAX_FPS}")
    return size, fps
