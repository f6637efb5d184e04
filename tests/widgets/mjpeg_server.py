"""A tiny HTTP MJPEG server for video tile tests: it can stall (keep the connection, send nothing) and
drop its clients on demand, which the simulator's server cannot. Also writes MJPEG files."""

from __future__ import annotations

import io
import socket
import threading
from pathlib import Path

from PIL import Image, ImageDraw

BOUNDARY = b"frame"


def jpeg_frames(n: int = 10, size: tuple[int, int] = (320, 180)) -> list[bytes]:
    """`n` distinct JPEG pictures."""
    out = []
    for i in range(n):
        img = Image.new("RGB", size, (20 + 20 * i % 235, 80, 160))
        ImageDraw.Draw(img).rectangle((10 + 5 * i, 10, 60 + 5 * i, 60), fill=(255, 255, 255))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=80)
        out.append(buf.getvalue())
    return out


def write_mjpeg_file(path: Path, frames: int = 50, size: tuple[int, int] = (320, 180)) -> Path:
    """A raw MJPEG file (concatenated JPEGs), which FFmpeg probes as the mjpeg format."""
    path.write_bytes(b"".join(jpeg_frames(frames, size)))
    return path


class MjpegServer:
    """multipart/x-mixed-replace JPEG frames at `fps` to every client, on loopback threads."""

    def __init__(self, fps: float = 15.0, size: tuple[int, int] = (320, 180)) -> None:
        self.frames = jpeg_frames(8, size)
        self.fps = fps
        self.stalled = threading.Event()
        self._stop = threading.Event()
        self._clients: list[socket.socket] = []
        self._lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True, name="mjpeg-accept").start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/stream.mjpg"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self._clients.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True, name="mjpeg-client").start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=frame\r\n"
                         b"Connection: close\r\n\r\n")
            i = 0
            while not self._stop.is_set():
                if not self.stalled.is_set():
                    jpeg = self.frames[i % len(self.frames)]
                    conn.sendall(b"--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n%s\r\n"
                                 % (BOUNDARY, len(jpeg), jpeg))
                    i += 1
                self._stop.wait(1.0 / self.fps)  # the stream's frame period
        except OSError:
            pass
        finally:
            conn.close()

    def drop_clients(self) -> None:
        """Closes every open connection (the server keeps listening)."""
        with self._lock:
            clients, self._clients = self._clients, []
        for c in clients:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()

    def clients(self) -> int:
        with self._lock:
            return sum(1 for c in self._clients if c.fileno() >= 0)

    def close(self) -> None:
        self._stop.set()
        self.sock.close()
        self.drop_clients()
