"""`main.py sim`: argument handling and logging around the simulator runner."""

from __future__ import annotations

import asyncio
import ipaddress
import sys
from pathlib import Path

from console.cli import build_sim_parser
from console.logging_setup import setup_logging
from console.resources import resource_path
from drones.sim.faults import parse_fault
from drones.sim.real_drones import RealDrones
from drones.child_process import set_parent_death_signal
from drones.sim.runner import SimOptions, px4_docks_arg, real_drones_arg, run_sim
from drones.sim.site_sim import SiteSimOptions
from drones.site import SiteFileError, load_site, parse_broker_url


def mavlink_bind_host(embedded_host: str, console_host: str | None) -> str:
    """Where the drones' sockets bind: beside the broker and video server, unless they must first send to a
    console on another machine, which a socket bound to the loopback address cannot reach."""
    if console_host is None or _loopback(console_host) or not _loopback(embedded_host):
        return embedded_host
    return "0.0.0.0"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: taken as another machine


def sim_main(argv: list[str]) -> int:
    parser = build_sim_parser()
    args = parser.parse_args(argv)
    if args.broker:
        try:
            parse_broker_url(args.broker)
        except ValueError as exc:
            parser.error(str(exc))
    try:
        faults = tuple(parse_fault(f) for f in args.fault)
    except ValueError as exc:
        parser.error(str(exc))
    if args.docks is not None and not 0 < args.docks <= 254:
        parser.error(f"--docks must be 1..254, got {args.docks}")
    if not 0.0 <= args.malformed <= 1.0:
        parser.error(f"--malformed must be a fraction 0..1, got {args.malformed}")
    site_path = Path(args.site) if args.site else resource_path("sites", "demo.toml")
    try:
        site = load_site(site_path)  # check it here: a broken file is one clear line, exit 2
    except SiteFileError as exc:
        sys.stderr.write(f"error: site file {exc}\n")
        return 2
    try:
        px4_docks = px4_docks_arg(args.px4, site) if args.px4 else ()
        real = real_drones_arg(args.real_drones) if args.real_drones else {}
        RealDrones(site.docks, real)   # checks the docks and URLs
    except ValueError as exc:
        parser.error(str(exc))
    setup_logging(verbose=args.verbose, name="sim")
    if args.child:
        set_parent_death_signal()
    opts = SimOptions(
        site_path=site_path, broker_url=args.broker, embedded_host=args.embedded_host,
        broker_files=tuple(Path(f) if f else None for f in (args.broker_ca, args.broker_cert, args.broker_key)),
        embedded_port=args.embedded_port, video_port=args.video_port, faults=faults, watch_stdin=args.child,
        px4_docks=px4_docks,
        site=SiteSimOptions(console_host=args.console_host,
                            mavlink_host=mavlink_bind_host(args.embedded_host, args.console_host),
                            time_scale=args.time_scale,
                            alerts_per_min=args.alerts_per_min, bursts=not args.no_bursts,
                            malformed_fraction=args.malformed, seed=args.seed, dock_count=args.docks,
                            opening_alert_s=args.opening_alert, real_drones=real))
    return asyncio.run(run_sim(opts))
