"""CPU, dropped frames and memory of the video wall playing 4, 9 and 16 streams of 640×360 at 25 fps.

The simulator's video server runs in one child process (`python -m bench.bench_video serve`), the wall
in another (`python -m bench.bench_video_wall wall N PORT`, offscreen) so each one's CPU is its own.
For comparison the same N streams are decoded by N `ffmpeg -i URL -f null -` processes in the same
run (when ffmpeg is installed). Dropped frames: 1 - frames the tiles received / frames the server
sent to them in the same window (the server's /health counters). Memory per tile: the wall process's
RSS growth from an empty wall, divided by N. Goal: wall CPU <= 1.5x ffmpeg's, drops <= 1 %.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARMUP_S = 3.0
MEASURE_S = 6.0
LIVE_TIMEOUT_S = 30.0
CASES = {4: "2x2", 9: "3x3", 16: "4x4"}
QUERY = "?fps=25"                 # the server's default size is 640×360


def _health(port: int) -> dict[str, object]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as r:
        return json.loads(r.read())


def _encoded(port: int, ids: list[str]) -> int:
    encoded = _health(port)["encoded"]
    assert isinstance(encoded, dict)
    return sum(int(encoded.get(f"camera/{cid}", 0)) for cid in ids)


def _cpu_s(pids: list[int]) -> float:
    import psutil

    total = 0.0
    for pid in pids:
        t = psutil.Process(pid).cpu_times()
        total += t.user + t.system
    return total


def _rss_mb(pid: int) -> float:
    import psutil

    return psutil.Process(pid).memory_info().rss / 2**20


def wall_child(n: int, port: int) -> None:
    """Child process: a VideoWall of n tiles on the server's cameras; prints one JSON line."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from bench.bench_video import CAMERA_IDS
    from widgets.video_source import TileSource, TileState
    from widgets.video_wall import LAYOUTS, VideoWall

    app = QApplication([])
    side = {4: 2, 9: 3, 16: 4}[n]
    wall = VideoWall(resolve=lambda key: TileSource(key=key, title=key, url=f"http://127.0.0.1:{port}/camera/"
                                                                          f"{key.split(':', 1)[1]}.mjpg{QUERY}"))
    wall.set_layout(CASES[n])
    assert len(LAYOUTS[CASES[n]]) == n
    wall.resize(side * 646, side * 366 + 40)     # every tile at least 640×360: the main stream is played
    wall.show()

    def run_for(seconds: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()

    run_for(1.0)
    rss0 = _rss_mb(os.getpid())
    for i in range(n):
        wall.open_camera(CAMERA_IDS[i], i)
    deadline = time.monotonic() + LIVE_TIMEOUT_S
    while wall.tiles_by_state()["live"] < n and time.monotonic() < deadline:
        run_for(0.2)
    run_for(WARMUP_S)
    tiles = wall.tiles[:n]
    f0, s0 = sum(t.frames for t in tiles), _encoded(port, CAMERA_IDS[:n])
    cpu0, t0 = _cpu_s([os.getpid()]), time.monotonic()
    run_for(MEASURE_S)
    cpu1, t1 = _cpu_s([os.getpid()]), time.monotonic()
    f1, s1 = sum(t.frames for t in tiles), _encoded(port, CAMERA_IDS[:n])
    rss1 = _rss_mb(os.getpid())
    states = wall.tiles_by_state()
    wall.stop()
    QCoreApplication.processEvents()
    sys.stdout.write(json.dumps({"cpu_s_per_s": (cpu1 - cpu0) / (t1 - t0), "frames": f1 - f0, "sent": s1 - s0,
                                 "wall_s": t1 - t0, "rss0_mb": rss0, "rss1_mb": rss1,
                                 "live": states["live"]}) + "\n")
    sys.stdout.flush()
    app.quit()


def _ffmpeg_case(n: int, port: int, server_pid: int) -> dict[str, object]:
    from bench.bench_video import CAMERA_IDS

    procs = [subprocess.Popen(["ffmpeg", "-nostdin", "-loglevel", "error", "-i",
                               f"http://127.0.0.1:{port}/camera/{cid}.mjpg{QUERY}", "-f", "null", "-"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for cid in CAMERA_IDS[:n]]
    try:
        time.sleep(WARMUP_S)             # the benchmark's warm-up period, not a synchronisation
        pids = [p.pid for p in procs]
        cpu0, srv0, t0 = _cpu_s(pids), _cpu_s([server_pid]), time.monotonic()
        time.sleep(MEASURE_S)            # the measuring window
        cpu1, srv1, t1 = _cpu_s(pids), _cpu_s([server_pid]), time.monotonic()
        alive = sum(p.poll() is None for p in procs)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)
    return {"cpu_s_per_s": round((cpu1 - cpu0) / (t1 - t0), 3), "processes_alive": alive,
            "server_cpu_s_per_s": round((srv1 - srv0) / (t1 - t0), 3)}


def _wall_case(n: int, port: int, server_pid: int) -> dict[str, object]:
    srv0, t0 = _cpu_s([server_pid]), time.monotonic()
    out = subprocess.run([sys.executable, "-m", "bench.bench_video_wall", "wall", str(n), str(port)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=True)
    srv = (_cpu_s([server_pid]) - srv0) / (time.monotonic() - t0)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    sent = max(1, int(r["sent"]))
    return {"cpu_s_per_s": round(r["cpu_s_per_s"], 3), "live_tiles": r["live"],
            "fps_per_tile": round(r["frames"] / r["wall_s"] / n, 1),
            "dropped_pct": round(max(0.0, 100.0 * (1 - r["frames"] / sent)), 2),
            "rss_empty_wall_mb": round(r["rss0_mb"], 1),
            "rss_per_tile_mb": round((r["rss1_mb"] - r["rss0_mb"]) / n, 1),
            "server_cpu_s_per_s_whole_run": round(srv, 3)}


def run() -> dict[str, object]:
    server = subprocess.Popen([sys.executable, "-m", "bench.bench_video", "serve"], cwd=ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    has_ffmpeg = shutil.which("ffmpeg") is not None
    results: dict[str, object] = {"cores": os.cpu_count(), "measure_s": MEASURE_S, "stream": "640x360 MJPEG 25 fps",
                                  "ffmpeg": has_ffmpeg}
    try:
        assert server.stdout is not None
        port = int(json.loads(server.stdout.readline())["port"])
        for n in CASES:
            case: dict[str, object] = {"wall": _wall_case(n, port, server.pid)}
            if has_ffmpeg:
                ff = _ffmpeg_case(n, port, server.pid)
                case["ffmpeg_null"] = ff
                wall_cpu = float(case["wall"]["cpu_s_per_s"])  # type: ignore[index]
                case["cpu_ratio_wall_to_ffmpeg"] = round(wall_cpu / max(1e-6, float(ff["cpu_s_per_s"])), 2)
            results[f"tiles_{n}"] = case
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(10)
    return results


if __name__ == "__main__" and sys.argv[1:2] == ["wall"]:
    wall_child(int(sys.argv[2]), int(sys.argv[3]))
