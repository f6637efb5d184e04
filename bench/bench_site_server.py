"""The site server with three consoles attached, on real parts: what a console sees, how fast, at what cost.

Per fleet size (56: the demo site; 254: the demo site plus synthetic docks, written to a site file in a temporary
directory and given to both the simulator and the server with `--site`), on a fresh real Mosquitto each
(tests/brokers.py, port chosen there):

- the simulator as a child process (`main.py sim` run through this module, `--sim-child`, so that a few probe
  drones can stamp their GLOBAL_POSITION_INT, see below), alert feed off;
- the site server as a child process (`main.py server --broker URL --mavlink-map JSON --data-dir TMP`, started by
  console/demo_site.py's `ServerChild` exactly as the demo starts it);
- three consoles: three `RemoteServices`, each on a `CoreLoop` of its own, in this process. In one process
  because this is where the clock is read and the replicas are watched without a child protocol; the price is
  that the three consoles share one GIL (and this machine's cores with the server and the simulator), so a
  console's figures here are, if anything, worse than on a machine of its own.

Measured:

- telemetry latency: PROBES docked drones change their reported latitude every 0.25-0.6 s; the change's send time
  (CLOCK_MONOTONIC, one clock for every process of the machine, in 100 us units modulo 10 s) is what the new
  latitude's last five 1e-7 degree digits say, stamped right before the first GLOBAL_POSITION_INT that carries
  it is sent. Each console's replica is checked the moment a frame has been applied (`FleetReplica.apply`
  returned: any reader sees the value from then on); the time since the stamp is one sample per change and
  console. The server publishes at TICK_HZ, so up to one tick period is in every sample by design.
  Goal p99 <= 100 ms. Also the bytes/s each console receives (`RemoteServices.frame_bytes`).
- server CPU: the server process's user+system CPU seconds per wall second (all threads, psutil) over the same
  window, at 56 and 254 drones (the simulator's and this process's figures beside it).
- command round trip: `drone.hold` on a docked drone (the console takes the dock's authority first), the wall
  time of `RemoteServices.request` on the console's loop: console -> broker -> server -> MAVSDK -> the drone's
  COMMAND_ACK -> server -> broker -> console. `server.health` (no drone) is timed the same way as the path
  without the drone. Goal p99 <= 250 ms.
- a new console's full picture: from `RemoteServices` construction to every drone with a position and linked,
  every dock online and every open alert present (COUNT alerts published before). Goal <= 3 s.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SIZES = tuple(int(x) for x in os.environ.get("BENCH_SITE_SIZES", "56,254").split(","))
#: Docked drones whose latitude carries the send time of its changes (index in the site's dock list).
PROBE_INDEXES = tuple(range(20, 30))
#: The stamp: CLOCK_MONOTONIC in 100 us units modulo this (10 s), as the last digits of the latitude in 1e-7 deg.
STAMP_MOD = 100_000
CHANGE_EVERY_S = (0.25, 0.6)
N_CONSOLES = 3
N_ALERTS = 40
WARMUP_S = 3.0
WINDOW_S = 20.0
N_COMMANDS = 30          # per console
READY_TIMEOUT_S = 150.0
GOAL_LATENCY_P99_MS = 100.0
GOAL_COMMAND_P99_MS = 250.0
GOAL_PICTURE_S = 3.0


def _log(text: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {text}", flush=True)


# ----------------------------------------------------------------------------- the simulator child


def sim_child(probes: list[int], argv: list[str]) -> int:
    """`main.py sim ARGV`, with the probe drones' GLOBAL_POSITION_INT stamped (see the module's text)."""
    sys.path.insert(0, str(ROOT))
    from console.sim_main import sim_main
    from drones.sim import endpoint

    position_id = endpoint.M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT
    send_message = endpoint.VehicleEndpoint._send_message
    probe_set = set(probes)
    state: dict[int, list[float]] = {}   # sysid -> [code, next change at]

    def stamped(self: Any, mid: int) -> bool:
        sysid = self.vehicle.sysid
        if mid != position_id or sysid not in probe_set:
            return send_message(self, mid)
        now = time.monotonic()
        st = state.setdefault(sysid, [0, 0.0])
        if now >= st[1]:
            st[0] = (time.monotonic_ns() // 100_000) % STAMP_MOD
            st[1] = now + random.uniform(*CHANGE_EVERY_S)
        m = self.vehicle.model
        lat = int(m.lat * 1e7) // STAMP_MOD * STAMP_MOD + int(st[0])
        self.mav.global_position_int_send(self.time_boot_ms(), lat, int(m.lon * 1e7), int(m.alt_amsl_m * 1000),
                                          int(m.relative_alt_m * 1000), int(m.v_north_m_s * 100),
                                          int(m.v_east_m_s * 100), int(m.v_down_m_s * 100),
                                          int(m.yaw_deg * 100) % 36000)
        return True

    endpoint.VehicleEndpoint._send_message = stamped  # type: ignore[method-assign]
    return sim_main(argv)


# ----------------------------------------------------------------------------- site files


def site_file_254(tmp: Path) -> Path:
    """The demo site with synthetic docks up to 254 (as `main.py sim --docks 254` makes them), as a site file both
    the simulator and the server read; the demo's relative data paths made absolute."""
    from console.cli import DEMO_SITE_FILE
    from console.resources import resource_path
    from drones.sim.site_sim import docks_for
    from drones.site import load_site

    demo_path = resource_path(*DEMO_SITE_FILE)
    site = load_site(demo_path)
    text = demo_path.read_text(encoding="utf-8")

    def absolute(m: re.Match[str]) -> str:
        return f'{m.group(1)} = {json.dumps(str((demo_path.parent / m.group(2)).resolve()))}'

    text = re.sub(r'^(basemap|cameras|nofly) = "([^"]+)"', absolute, text, flags=re.M)
    extra = []
    for d in docks_for(site, 254)[len(site.docks):]:
        extra.append(f'\n[[docks]]\nid = "{d.id}"\nname = {json.dumps(d.name, ensure_ascii=False)}\n'
                     f'district = "{d.district}"\nlat = {d.lat:.6f}\nlon = {d.lon:.6f}\n'
                     f'ground_alt_m = {d.ground_alt_m}\ndock_sn = "{d.dock_sn}"\nsysid = {d.sysid}\nport = {d.port}\n'
                     f'video_url = "{d.video_url}"\n')
    path = tmp / "site254.toml"
    path.write_text(text + "".join(extra), encoding="utf-8")
    assert len(load_site(path).docks) == 254
    return path


# ----------------------------------------------------------------------------- consoles


class Probe:
    """Latency samples of one console: a wrapper around its replica's `apply`."""

    def __init__(self, services: Any, sysids: list[int]) -> None:
        from drones.telemetry_store import Col

        self.samples: list[float] = []
        self.recording = False
        self._last: dict[int, int | None] = dict.fromkeys(sysids)
        fleet = services.fleet
        apply = fleet.apply
        writers = {s: fleet.store.writer(s) for s in sysids}

        def probed(header: dict[str, Any], numbers: np.ndarray) -> None:
            apply(header, numbers)
            now = time.monotonic_ns() // 100_000
            for sysid, writer in writers.items():
                lat = writer.value(Col.LAT)
                if lat != lat:   # NaN: not heard yet
                    continue
                code = round(lat * 1e7) % STAMP_MOD
                if code != self._last[sysid]:
                    if self._last[sysid] is not None and self.recording:
                        self.samples.append(((now - code) % STAMP_MOD) / 10.0)
                    self._last[sysid] = code

        fleet.apply = probed


class Console:
    def __init__(self, site: Any, tmp: Path, name: str, probes: list[int] | None) -> None:
        from console.core.core_loop import CoreLoop
        from console.core.workstation import Workstation
        from console.remote.site_client import RemoteServices

        (tmp / name).mkdir(parents=True, exist_ok=True)
        self.core = CoreLoop(name)
        self.core.start()
        self.services = RemoteServices(site, self.core, station=Workstation(name, tmp / name))
        self.probe = Probe(self.services, probes) if probes else None

    def start(self) -> None:
        self.services.start()

    def picture(self, n_alerts: int) -> bool:
        """Every drone with a position and linked, every dock online, `n_alerts` alerts present."""
        from vocab import LinkState

        s = self.services
        if not s.present or s.docks.online_count < len(s.site.docks) or len(s.alerts.alerts()) < n_alerts:
            return False
        store = s.fleet.store
        return all(store.snapshot(d.sysid).lat is not None and store.link(d.sysid) is LinkState.OK
                   for d in s.site.docks)

    def stop(self) -> None:
        self.core.stop(timeout_s=5.0)


def _wait(predicate: Any, timeout_s: float, period_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(period_s)   # polling the consoles' replicas (read from any thread)
    return bool(predicate())


async def _publish_alerts(url: str, root: str, n: int) -> None:
    import aiomqtt

    from drones.site import parse_broker_url

    cfg = parse_broker_url(url)
    async with aiomqtt.Client(cfg.host, cfg.port, protocol=aiomqtt.ProtocolVersion.V311) as client:
        for i in range(n):
            # Levels 3-4: open alerts the consoles show, none that the automation dispatches.
            body = {"id": f"SRV-{i:04d}", "category": "waterlogging", "level": 3 + i % 2,
                    "lat": 36.06 + (i % 10) * 0.003, "lon": 120.36 + (i // 10) * 0.003, "title": f"bench alert {i}"}
            await client.publish(f"{root}/alerts/v1/shinan/waterlogging", json.dumps(body), qos=1)


def _pct(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"samples": 0}
    a = np.asarray(values)
    return {"samples": len(a), "p50_ms": round(float(np.percentile(a, 50)), 1),
            "p99_ms": round(float(np.percentile(a, 99)), 1), "max_ms": round(float(a.max()), 1)}


async def _timed(services: Any, op: str, args: dict[str, Any]) -> tuple[float, str | None]:
    t0 = time.perf_counter()
    try:
        await services.request(op, args, by="bench-op")
        err = None
    except Exception as exc:  # noqa: BLE001 - a refusal is a result to record
        err = f"{type(exc).__name__}: {exc}"
    return (time.perf_counter() - t0) * 1000, err


def _cpu(proc: Any) -> float:
    t = proc.cpu_times()
    return t.user + t.system


def _start_profile(pid: int, work: Path) -> subprocess.Popen[bytes]:
    """py-spy on the server over the window (BENCH_PYSPY=1; --nonblocking: the server is not paused)."""
    spy = Path(sys.executable).parent / "py-spy"
    return subprocess.Popen([str(spy), "record", "--nonblocking", "--threads", "-r", "50", "-d", str(int(WINDOW_S) - 2),
                             "-f", "raw", "-o", str(work / "server-profile.txt"), "-p", str(pid)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _read_profile(spy: subprocess.Popen[bytes], work: Path, top: int = 15) -> dict[str, Any]:
    """The server's samples by function: own (leaf) and inclusive shares, and by thread."""
    spy.wait(30)
    own: dict[str, int] = {}
    incl: dict[str, int] = {}
    threads: dict[str, int] = {}
    total = 0
    path = work / "server-profile.txt"
    for line in path.read_text(errors="replace").splitlines() if path.exists() else ():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        threads[frames[0][:60]] = threads.get(frames[0][:60], 0) + n
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for f in set(frames[1:]):
            incl[f] = incl.get(f, 0) + n

    def share(d: dict[str, int]) -> dict[str, float]:
        return {k: round(100 * v / total, 1) for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:top]}

    return {"samples": total, "own_percent": share(own), "inclusive_percent": share(incl),
            "thread_percent": share(threads)} if total else {"samples": 0}


# ----------------------------------------------------------------------------- one fleet size


def measure(n: int, tmp: Path) -> dict[str, Any]:
    import psutil

    from console.cli import load_requested_site
    from console.demo_site import ServerChild, json_lines, stop_child
    from drones.site import load_site, parse_broker_url
    from tests.brokers import MosquittoBroker

    work = tmp / f"n{n}"
    work.mkdir()
    site_path = site_file_254(work) if n == 254 else None
    broker = MosquittoBroker(work, "persistence false\nmax_queued_messages 0\n")
    sim: subprocess.Popen[bytes] | None = None
    server: ServerChild | None = None
    consoles: list[Console] = []
    try:
        broker.start()
        _log(f"{n} drones: mosquitto on {broker.url}")
        site = load_site(site_path) if site_path else load_requested_site(None, None)[0]
        site = site.with_broker(parse_broker_url(broker.url))
        assert len(site.docks) == n
        probes = [site.docks[i].sysid for i in PROBE_INDEXES]
        args = [sys.executable, "-m", "bench.bench_site_server", "--sim-child", json.dumps(probes),
                "--child", "--broker", broker.url, "--video-port", "0", "--alerts-per-min", "0"]
        if site_path:
            args += ["--site", str(site_path)]
        t0 = time.monotonic()
        sim = subprocess.Popen(args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
        assert sim.stdout is not None
        ready = next((m for m in json_lines(sim.stdout.fileno(), 120) if m.get("event") == "ready"), None)
        if ready is None:
            raise RuntimeError(f"simulator not ready (exit code {sim.poll()})")
        ports = {int(k): int(v) for k, v in ready["mavlink"].items()}
        _log(f"simulator ready with {len(ports)} drones in {time.monotonic() - t0:.1f} s")
        mavlink = {sysid: f"udpout://127.0.0.1:{port}" for sysid, port in ports.items()}
        site = site.with_mavlink(mavlink)
        t0 = time.monotonic()
        server = ServerChild(broker_url=broker.url, mavlink=mavlink, video_url=ready.get("video"),
                             data_dir=work / "server", site_path=site_path)
        server.start()
        assert server.proc is not None
        server_ps = psutil.Process(server.proc.pid)
        _log(f"site server {server.server_id} ready in {time.monotonic() - t0:.1f} s")

        t0 = time.monotonic()
        consoles = [Console(site, work, f"bench-console-{i}", probes) for i in range(N_CONSOLES)]
        built_s = time.monotonic() - t0
        for c in consoles:
            c.start()
        asyncio.run(_publish_alerts(broker.url, site.topic_root, N_ALERTS))
        ok = _wait(lambda: all(c.picture(N_ALERTS) for c in consoles), READY_TIMEOUT_S, 0.2)
        linked_s = time.monotonic() - t0
        _log(f"3 consoles built in {built_s:.1f} s; full picture in all three: {ok} after {linked_s:.1f} s")
        if not ok:
            s = consoles[0].services
            _log(f"console 0: present={s.present} links={s.fleet.link_counts()} docks online={s.docks.online_count} "
                 f"alerts={len(s.alerts.alerts())}")

        # ----- the window: latency, bytes, CPU
        time.sleep(WARMUP_S)   # settling after the consoles joined: not measured
        me, sim_ps = psutil.Process(), psutil.Process(sim.pid)
        c0 = (_cpu(server_ps), _cpu(sim_ps), _cpu(me), time.monotonic())
        b0 = [(c.services.frame_bytes, c.services.frames) for c in consoles]
        for c in consoles:
            assert c.probe is not None
            c.probe.recording = True
        _log(f"measuring latency, bytes and CPU for {WINDOW_S:g} s")
        spy = _start_profile(server.proc.pid, work) if os.environ.get("BENCH_PYSPY") else None
        time.sleep(WINDOW_S)   # the measuring window
        profile = _read_profile(spy, work) if spy is not None else None
        for c in consoles:
            assert c.probe is not None
            c.probe.recording = False
        c1 = (_cpu(server_ps), _cpu(sim_ps), _cpu(me), time.monotonic())
        dt = c1[3] - c0[3]
        per_console = []
        for c, (fb, fr) in zip(consoles, b0, strict=True):
            assert c.probe is not None
            per_console.append({"bytes_per_s": round((c.services.frame_bytes - fb) / dt),
                                "frames_per_s": round((c.services.frames - fr) / dt, 1),
                                "latency": _pct(c.probe.samples)})
        all_samples = [x for c in consoles for x in (c.probe.samples if c.probe else [])]
        latency = _pct(all_samples)
        server_cpu = (c1[0] - c0[0]) / dt
        _log(f"latency {latency}; server CPU {server_cpu:.2f} s/s; "
             f"console bytes/s {[p['bytes_per_s'] for p in per_console]}")

        # ----- command round trips
        commands: list[float] = []
        health: list[float] = []
        refused: dict[str, int] = {}
        takes: list[float] = []
        for i, c in enumerate(consoles):
            dock = site.docks[i]
            ms, err = c.core.call(_timed(c.services, "authority.take", {"dock_id": dock.id, "force": True}), 30)
            takes.append(ms)
            if err:
                refused[err] = refused.get(err, 0) + 1
        for _ in range(N_COMMANDS):
            for i, c in enumerate(consoles):
                ms, err = c.core.call(_timed(c.services, "drone.hold", {"sysid": site.docks[i].sysid}), 30)
                if err:
                    refused[err] = refused.get(err, 0) + 1
                else:
                    commands.append(ms)
                ms, err = c.core.call(_timed(c.services, "server.health", {}), 30)
                if not err:
                    health.append(ms)
        command = _pct(commands)
        _log(f"drone.hold round trip {command}; server.health {_pct(health)}; refused {refused}")

        # ----- a new console's full picture
        t0 = time.monotonic()
        fourth = Console(site, work, "bench-console-new", None)
        built = time.monotonic() - t0
        fourth.start()
        pic_ok = _wait(lambda: fourth.picture(N_ALERTS), 60, 0.01)
        picture_s = time.monotonic() - t0
        fourth.stop()
        _log(f"new console: built in {built:.2f} s, full picture {pic_ok} after {picture_s:.2f} s")

        server_health = consoles[0].services._server_health_snap or {}
        extra = {"server_profile": profile} if profile is not None else {}
        return {
            "drones": n,
            "consoles": N_CONSOLES,
            "consoles_full_picture": ok,
            "telemetry_latency_change_to_console": {**latency, "goal_p99_ms": GOAL_LATENCY_P99_MS,
                                                    "met": bool(latency.get("p99_ms", 1e9) <= GOAL_LATENCY_P99_MS)},
            "per_console": per_console,
            "server_cpu_s_per_s": round(server_cpu, 3),
            "simulator_cpu_s_per_s": round((c1[1] - c0[1]) / dt, 3),
            "bench_process_cpu_s_per_s_3_consoles": round((c1[2] - c0[2]) / dt, 3),
            "command_round_trip_drone_hold": {**command, "goal_p99_ms": GOAL_COMMAND_P99_MS,
                                              "met": bool(command.get("p99_ms", 1e9) <= GOAL_COMMAND_P99_MS)},
            "round_trip_server_health": _pct(health),
            "authority_take_ms": [round(x, 1) for x in takes],
            "requests_refused": refused,
            "new_console": {"construct_s": round(built, 2), "full_picture_s": round(picture_s, 2), "ok": pic_ok,
                            "goal_s": GOAL_PICTURE_S, "met": bool(pic_ok and picture_s <= GOAL_PICTURE_S)},
            "server_health": {k: server_health.get(k) for k in ("drones_connected", "docks_online", "frames_sent",
                                                                "frame_bytes_sent", "requests_handled")},
            **extra,
        }
    finally:
        for c in consoles:
            c.stop()
        if server is not None:
            server.stop()
        stop_child(sim, "bench simulator")
        broker.close()


def run() -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-site-server-"))
    os.environ.setdefault("QD_CONSOLE_LOG_DIR", str(tmp / "logs"))   # the children's logs stay with the bench
    try:
        results = {f"site_{n}": measure(n, tmp) for n in SIZES}
    finally:
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"  kept {tmp}", flush=True)
    goals = {f"{key}.{g}": bool(r[g]["met"]) for key, r in results.items()
             for g in ("telemetry_latency_change_to_console", "command_round_trip_drone_hold", "new_console")}
    return {
        "what": "site server child + simulator child + 3 RemoteServices consoles (this process) on a real Mosquitto",
        **results,
        "server_cpu_ratio_254_over_56": round(results["site_254"]["server_cpu_s_per_s"]
                                              / max(results["site_56"]["server_cpu_s_per_s"], 1e-9), 2)
        if {"site_56", "site_254"} <= results.keys() else None,
        "goal": (f"telemetry change -> every console p99 <= {GOAL_LATENCY_P99_MS:g} ms; drone.hold round trip p99 <= "
                 f"{GOAL_COMMAND_P99_MS:g} ms; a new console's full picture <= {GOAL_PICTURE_S:g} s (each size)"),
        "goals": goals,
        "goal_met": all(goals.values()),
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--sim-child"]:
        sys.exit(sim_child(json.loads(sys.argv[2]), sys.argv[3:]))
    print(json.dumps(run(), indent=2, ensure_ascii=False))
