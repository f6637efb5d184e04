"""`python main.py sim`: runs the simulated site (and, for the demo, its embedded broker).

The console's demo site starts this as a child process and reads one JSON line from its
stdout: `{"event": "ready", "broker": "mqtt://127.0.0.1:PORT", "video": "http://...", "drones": N,
"mavlink": {"SYSID": PORT, ...}, "px4": [DOCK, ...]}`. Every port in it is one the simulator bound and keeps (the
embedded broker binds port 0 by default, the demo asks the same of the video server with
`--video-port 0`, each drone binds port 0): the console connects to them, and nothing assumes
a port number is free.
With `--px4`, real PX4 SITL autopilots fly those docks' drones: their onboard ports are listed under
"mavlink" like the simulated drones' (PX4 answers whoever talks first), and the docks are listed
under "px4". They are stopped with the simulator.
It stops on SIGTERM/SIGINT, when its stdin closes (the parent went away), or when the parent
dies (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from drones.sim.faults import FaultSpec
from drones.sim.px4_sitl import Px4Sitl, Px4Unavailable, find_px4
from drones.sim.site_sim import SiteSim, SiteSimOptions
from drones.sim.video import VideoServer
from drones.site import Site, load_site, parse_broker_url

log = logging.getLogger(__name__)

#: Where a dock listens for its real drone when `--real-drones` names no link: PX4's ground-station port.
DEFAULT_REAL_DRONE_LINK = "udpin://127.0.0.1:14550"


@dataclass(frozen=True, slots=True)
class SimOptions:
    """What `main.py sim` was asked to run."""

    site_path: Path
    broker_url: str | None = None       # external broker; None starts the embedded one
    #: The external broker's CA, this platform's client certificate and its key (mqtts://), or None each.
    broker_files: tuple[Path | None, Path | None, Path | None] = (None, None, None)
    embedded_host: str = "127.0.0.1"
    embedded_port: int = 0              # 0: a port the system picks, reported in the ready line
    video_port: int = 18080
    site: SiteSimOptions = field(default_factory=SiteSimOptions)
    faults: tuple[FaultSpec, ...] = ()
    watch_stdin: bool = False           # stop when stdin reaches EOF (child of the console)
    #: Docks whose drone is a real PX4 SITL autopilot the simulator starts (PX4_SITL_DIR), sped up by time_scale.
    px4_docks: tuple[str, ...] = ()


async def run_sim(opts: SimOptions) -> int:
    """Runs until stopped; returns the process exit code."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if opts.watch_stdin:
        def on_stdin() -> None:
            if not sys.stdin.buffer.read1(4096):  # EOF: the parent is gone
                loop.remove_reader(sys.stdin.fileno())  # or the loop spins on the readable EOF
                stop.set()

        loop.add_reader(sys.stdin.fileno(), on_stdin)

    site = load_site(opts.site_path)
    broker = None
    url = opts.broker_url
    if url is None:
        from amqtt.errors import BrokerError

        from drones.sim.broker import broker_port, start_embedded_broker

        try:
            broker = await start_embedded_broker(opts.embedded_host, opts.embedded_port)
        except (OSError, BrokerError) as exc:  # amqtt wraps the listener's OSError in a BrokerError
            _announce({"event": "error", "reason": f"embedded broker on port {opts.embedded_port}: {exc}"})
            return 1
        url = f"mqtt://{opts.embedded_host}:{broker_port(broker)}"
    px4 = None
    site_opts = opts.site
    px4_ports: dict[int, int] = {}
    if opts.px4_docks:
        try:
            px4, links, px4_ports = _start_px4(site, opts)
        except (Px4Unavailable, ValueError) as exc:
            _announce({"event": "error", "reason": f"PX4 autopilots: {exc}"})
            await _stop_broker(broker)
            return 1
        site_opts = replace(site_opts, real_drones={**site_opts.real_drones, **links})
    ca, cert, key = opts.broker_files
    sim = SiteSim(site, replace(parse_broker_url(url), ca_file=ca, cert_file=cert, key_file=key), site_opts)
    video = None
    try:
        video = await _start_video(sim, opts)
    except OSError as exc:
        _announce({"event": "error", "reason": f"video server on port {opts.video_port}: {exc}"})
        await _stop_broker(broker)
        return 1
    try:
        await sim.start(opts.faults)
    except OSError as exc:  # the fleet closed the sockets it had opened; nothing else was started
        _announce({"event": "error", "reason": f"drones' MAVLink sockets on {opts.site.mavlink_host}: {exc}"})
        await video.close()
        await _stop_broker(broker)
        return 1
    video_url = f"http://{opts.embedded_host}:{video.port}"
    log.info("simulating %d drones against %s (time scale x%g), video %s", len(sim.docks), url,
             opts.site.time_scale, video_url)
    _announce({"event": "ready", "broker": url, "video": video_url, "drones": len(sim.docks),
               "mavlink": {str(sysid): port for sysid, port in {**sim.mavlink_ports, **px4_ports}.items()},
               "px4": list(opts.px4_docks)})
    try:
        await stop.wait()
    finally:
        await sim.close()
        if video is not None:
            await video.close()
        await _stop_broker(broker)
        if px4 is not None:
            await asyncio.get_running_loop().run_in_executor(None, px4.close)
    log.info("simulator stopped")
    return 0


def _start_px4(site: Site, opts: SimOptions) -> tuple[Px4Sitl, dict[str, str], dict[int, int]]:
    """Starts a PX4 SITL autopilot parked on each named dock (in an executor: booting takes seconds).

    Returns the launcher, each dock's link to its drone's ground-station port (for the dock) and each
    drone's onboard port (for the console, reported like a simulated drone's)."""
    by_id = {d.id: d for d in site.docks}
    missing = [d for d in opts.px4_docks if d not in by_id]
    if missing:
        raise ValueError(f"no such dock in the site: {', '.join(missing)}")
    run_dir = Path(tempfile.mkdtemp(prefix="qd-px4-"))
    sitl = Px4Sitl(find_px4(), run_dir, speed_factor=opts.site.time_scale)
    docks = [by_id[d] for d in opts.px4_docks]
    # Started from this (the main) thread, which lives as long as they do: they die with it (see px4_sitl). The loop
    # waits meanwhile; nothing else is using it before the simulator reports ready.
    instances = sitl.start_many([(d.sysid, d.lat, d.lon, d.ground_alt_m) for d in docks], site.autopilot_params)
    for d, inst in zip(docks, instances, strict=True):
        log.info("dock %s: real PX4 autopilot, instance %d (pid %d), onboard port %d, log %s", d.id, inst.instance,
                 inst.process.pid, inst.onboard_port, inst.log_path)
    links = {d.id: f"udpout://127.0.0.1:{inst.gcs_port}" for d, inst in zip(docks, instances, strict=True)}
    ports = {inst.sysid: inst.onboard_port for inst in instances}
    return sitl, links, ports


def px4_docks_arg(text: str, site: Site) -> tuple[str, ...]:
    """`--px4 DOCK,...` or `--px4 N` (the site's first N docks); ValueError when neither."""
    text = text.strip()
    if text.isdigit():
        n = int(text)
        if not 0 < n <= len(site.docks):
            raise ValueError(f"--px4 N must be 1..{len(site.docks)}, got {n}")
        return tuple(d.id for d in site.docks[:n])
    ids = tuple(t.strip() for t in text.split(",") if t.strip())
    if not ids:
        raise ValueError("--px4 names no dock")
    return ids


def real_drones_arg(text: str) -> dict[str, str]:
    """`--real-drones DOCK[=URL],...`: a dock alone listens where PX4 sends its ground-station link."""
    links: dict[str, str] = {}
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        dock, _, url = item.partition("=")
        links[dock.strip()] = url.strip() or DEFAULT_REAL_DRONE_LINK
    if not links:
        raise ValueError("--real-drones names no dock")
    return links


async def _start_video(sim: SiteSim, opts: SimOptions) -> VideoServer:
    """The camera and drone video server, fed by the camera registry and the simulated drones."""
    video = VideoServer(opts.embedded_host, opts.video_port, opts.site.time_scale,
                        camera_info=sim.camera_info, drone_state=sim.drone_view)
    await video.start()
    return video


async def _stop_broker(broker: object | None) -> None:
    if broker is not None:
        from drones.sim.broker import stop_embedded_broker

        await stop_embedded_broker(broker)  # type: ignore[arg-type]


def _announce(message: dict[str, object]) -> None:
    """Writes one protocol line for the parent process (stdout carries only these lines)."""
    sys.stdout.write(json.dumps(message, ensure_ascii=False) + "\n")
    sys.stdout.flush()


