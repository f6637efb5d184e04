"""CPU and bandwidth of the simulator's MJPEG video server.

The server runs in a child process (`python -m bench.bench_video serve`) so that its CPU time is
its own; raw HTTP clients in this process read the streams. For each case: server CPU seconds per
second of wall time (total and per encoded stream), frames per second each client really got, and
bytes per second per stream. Also the render+encode time of one frame of each picture, in process.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARMUP_S = 1.5
MEASURE_S = 4.0
CAMERA_IDS = [f"370202000013100{i:05d}" for i in range(16)]


@dataclass(frozen=True, slots=True)
class Case:
    """N clients on streams of one kind; `shared` puts all of them on the first stream."""

    name: str
    kind: str                   # "camera" or "drone"
    clients: int
    query: str = ""
    shared: bool = False
    sub: bool = False


CASES = [
    *(Case(f"camera_640x360_25fps_x{n}", "camera", n, "?fps=25") for n in (1, 4, 16)),
    *(Case(f"camera_default_x{n}", "camera", n) for n in (1, 4, 16)),
    Case("camera_default_16_clients_one_stream", "camera", 16, shared=True),
    Case("camera_sub_320x180_x16", "camera", 16, sub=True),
    *(Case(f"drone_default_x{n}", "drone", n) for n in (1, 4)),
]


class Client:
    """Reads one MJPEG stream and counts its frames and bytes."""

    def __init__(self, port: int, path: str) -> None:
        self.port, self.path = port, path
        self.frames = 0
        self.bytes = 0
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(f"GET {self.path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            if b" 200 " not in head.split(b"\r\n", 1)[0]:
                raise RuntimeError(f"{self.path}: {head[:40]!r}")
            while True:
                part = await reader.readuntil(b"\r\n\r\n")
                length = int(part.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                await reader.readexactly(length + 2)
                self.frames += 1
                self.bytes += len(part) + length + 2
        finally:
            writer.close()

    def counts(self) -> tuple[int, int]:
        if self.task.done() and not self.task.cancelled() and self.task.exception() is not None:
            raise self.task.exception()  # type: ignore[misc]
        return self.frames, self.bytes


async def _health(port: int) -> dict[str, object]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /health HTTP/1.1\r\nHost: bench\r\n\r\n")
    data = await reader.read()
    writer.close()
    return json.loads(data.split(b"\r\n\r\n", 1)[1])


def _cpu_s(pid: int) -> float:
    import psutil

    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


async def _measure(case: Case, port: int, pid: int) -> dict[str, object]:
    sub = "/sub" if case.sub else ""
    if case.kind == "camera":
        paths = [f"/camera/{CAMERA_IDS[0 if case.shared else i]}{sub}.mjpg{case.query}" for i in range(case.clients)]
    else:
        paths = [f"/drone/{i + 1}{sub}.mjpg{case.query}" for i in range(case.clients)]
    clients = [Client(port, p) for p in paths]
    await asyncio.sleep(WARMUP_S)
    before = [c.counts() for c in clients]
    cpu0, t0 = _cpu_s(pid), time.monotonic()
    await asyncio.sleep(MEASURE_S)
    cpu1, t1 = _cpu_s(pid), time.monotonic()
    after = [c.counts() for c in clients]
    for c in clients:
        c.task.cancel()
    await asyncio.gather(*(c.task for c in clients), return_exceptions=True)
    while (await _health(port))["clients"]:
        await asyncio.sleep(0.05)   # polling the server until it has let the clients go
    wall = t1 - t0
    streams = 1 if case.shared else case.clients
    cpu = (cpu1 - cpu0) / wall
    fps = [(a[0] - b[0]) / wall for a, b in zip(after, before)]
    rate = [(a[1] - b[1]) / wall for a, b in zip(after, before)]
    return {"clients": case.clients, "streams": streams, "server_cpu_s_per_s": round(cpu, 3),
            "cpu_s_per_stream_s": round(cpu / streams, 4),
            "fps_per_client": {"mean": round(statistics.mean(fps), 1), "min": round(min(fps), 1)},
            "bytes_per_s_per_stream": round(statistics.mean(rate))}


def frame_costs_ms() -> dict[str, float]:
    """Render+encode time of one frame of each picture, in this process."""
    from drones.sim.video_render import CameraRenderer, DroneRenderer, DroneView, NoSignalRenderer, encode_jpeg

    now = time.time()
    flying = DroneView(36.0671, 120.3826, 85.0, 35.0, 12.0, 76.0, True, "MISSION")
    docked = DroneView(36.0671, 120.3826, 0.0, 0.0, 0.0, 64.0, False, "HOLD")
    drone = DroneRenderer(1, 640, 360)
    drone.render(now, flying)                       # builds the ground texture once
    cases = {
        "camera_640x360": (CameraRenderer(CAMERA_IDS[0], "香港中路与山东路路口", "市南区", 640, 360), None),
        "camera_320x180": (CameraRenderer(CAMERA_IDS[0], "香港中路与山东路路口", "市南区", 320, 180), None),
        "drone_flying_640x360": (drone, flying),
        "drone_docked_640x360": (drone, docked),
        "nosignal_640x360": (NoSignalRenderer(640, 360), None),
    }
    out = {}
    for name, (renderer, view) in cases.items():
        n = 100
        t0 = time.perf_counter()
        for i in range(n):
            encode_jpeg(renderer.render(now + i * 0.1, view))
        out[name] = round((time.perf_counter() - t0) / n * 1000, 2)
    return out


def run() -> dict[str, object]:
    proc = subprocess.Popen([sys.executable, "-m", "bench.bench_video", "serve"], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(json.loads(proc.stdout.readline())["port"])

        async def all_cases() -> dict[str, object]:
            idle0, t0 = _cpu_s(proc.pid), time.monotonic()
            await asyncio.sleep(2.0)
            results: dict[str, object] = {"idle_server_cpu_s_per_s": round((_cpu_s(proc.pid) - idle0) /
                                                                           (time.monotonic() - t0), 4)}
            for case in CASES:
                results[case.name] = await _measure(case, port, proc.pid)
            results["encoded_frames_after_all_clients_left"] = (await _health(port))["encoded"]
            return results

        results = asyncio.run(all_cases())
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(10)
    return {"cores": os.cpu_count(), "measure_s": MEASURE_S, "cases": results, "frame_cost_ms": frame_costs_ms()}


def serve() -> None:
    """Child process: a VideoServer with 16 cameras and 16 drones circling, until stdin closes."""
    from drones.sim.video import VideoServer
    from drones.sim.video_render import DroneView

    def drone(sysid: int) -> DroneView | None:
        t = time.time() / 30 + sysid
        return DroneView(36.0671 + 0.002 * math.sin(t), 120.3826 + 0.002 * math.cos(t), 80.0,
                         (math.degrees(-t) - 90) % 360, 12.0, 70.0, True, "MISSION") if 1 <= sysid <= 16 else None

    cameras = {cid: (f"测试路口 {i}", "市南区") for i, cid in enumerate(CAMERA_IDS)}

    async def main() -> None:
        server = VideoServer("127.0.0.1", 0, camera_info=cameras.get, drone_state=drone)
        await server.start()
        sys.stdout.write(json.dumps({"port": server.port}) + "\n")
        sys.stdout.flush()
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        loop.add_reader(sys.stdin.fileno(), stop.set)
        await stop.wait()
        await server.close()

    asyncio.run(main())


if __name__ == "__main__" and sys.argv[1:] == ["serve"]:
    serve()
