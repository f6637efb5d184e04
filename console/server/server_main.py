"""`main.py server`: the headless site server (no Qt is imported on this path).

Prints one JSON line on stdout once its role is known (`{"event": "ready", "server_id", "role"}`), then one
when it stops. SIGTERM / SIGINT stop it in order (the lease is given back, so a standby takes over at once).
Exit codes: 0 stopped, 2 bad input, 3 lost the lease (stop acting; a supervisor starts it again as standby).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from dataclasses import replace
from pathlib import Path

from platformdirs import user_data_dir

from console.cli import load_requested_site
from console.core.core_loop import CoreLoop
from console.core.workstation import _read_or_make_id
from console.logging_setup import setup_logging
from drones.site import Site, SiteFileError

log = logging.getLogger(__name__)

EXIT_BAD_INPUT = 2
EXIT_LEASE_LOST = 3
#: How long the server waits for its first look at the lease before it reports anyway.
ROLE_WAIT_S = 30.0


def build_server_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="main.py server",
        description="Run the headless site server: it owns the drones (MAVSDK), the docks, flight tasks, command "
                    "authority, the alert journal and workflow, automation and the five automatics, and serves "
                    "every console over the site's MQTT broker. One server per site is active; a second one "
                    "started for the same site waits as standby and takes over if the active one dies.")
    p.add_argument("--site", metavar="FILE", help="TOML site file (default: the embedded demo site)")
    p.add_argument("--broker", metavar="URL", help="MQTT broker URL; overrides the site file's")
    p.add_argument("--broker-ca", metavar="FILE", help="the site CA to trust (mqtts://); overrides the site file's")
    p.add_argument("--broker-cert", metavar="FILE", help="the server's client certificate; overrides the site file's")
    p.add_argument("--broker-key", metavar="FILE", help="the key of --broker-cert")
    p.add_argument("--accounts-dir", metavar="DIR",
                   help="the site's account book (`main.py admin`); overrides the site file's [security] accounts_dir")
    p.add_argument("--data-dir", metavar="DIR",
                   help="where the server keeps its identity and SQLite journals (default: the user's data "
                        "directory, server/); a site with [journal] url keeps its journals in PostgreSQL")
    p.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    # The demo (`main.py` with no site file) starts the server as a child with the simulator's ports.
    p.add_argument("--mavlink-map", help=argparse.SUPPRESS)    # JSON {sysid: url}
    p.add_argument("--video-base", help=argparse.SUPPRESS)
    p.add_argument("--demo-flights", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--demo-only", default="", help=argparse.SUPPRESS)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return p


def default_data_dir() -> Path:
    return Path(os.environ.get("QD_CONSOLE_DATA_DIR") or user_data_dir("qd-console", appauthor=False)) / "server"


def server_main(argv: list[str]) -> int:
    parser = build_server_parser()
    args = parser.parse_args(argv)
    try:
        site, _demo = load_requested_site(args.site, args.broker)
        if args.mavlink_map:
            site = site.with_mavlink({int(k): str(v) for k, v in json.loads(args.mavlink_map).items()})
        if args.video_base:
            site = site.with_video_base(args.video_base)
        site = _with_security_args(site, args)
    except SiteFileError as exc:
        sys.stderr.write(f"error: site file {exc}\n")
        return EXIT_BAD_INPUT
    except ValueError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_BAD_INPUT
    if site.broker is None:
        sys.stderr.write("error: the site server needs a broker: --broker URL, or a site file with [broker] url\n")
        return EXIT_BAD_INPUT
    if site.broker.cert_file is not None and site.accounts_dir is None:
        # A server on a secured broker without the account book would have to trust every request's word.
        sys.stderr.write("error: the site server signs in with a certificate but has no account book to check "
                         "requests against: set [security] accounts_dir in the site file or --accounts-dir\n")
        return EXIT_BAD_INPUT
    log_file, errors = setup_logging(verbose=args.verbose, name="server")
    if args.child:
        from drones.child_process import set_parent_death_signal

        set_parent_death_signal()   # the demo's server never outlives the console that started it
    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        server_id = _read_or_make_id(data_dir / "server_id")
    except OSError as exc:
        sys.stderr.write(f"error: data directory {data_dir} is not usable: {exc}\n")
        return EXIT_BAD_INPUT
    log.info("site server %s for site %r, data in %s, log file %s", server_id, site.name, data_dir, log_file)

    from console.server.site_server import SiteServer

    core = CoreLoop("server-core")
    core.start()
    from console.server.authorize import book_lookup

    accounts = book_lookup(site.accounts_dir) if site.accounts_dir is not None else None
    server = SiteServer(site, core, data_dir=data_dir, server_id=server_id, errors=errors,
                        demo_flights=args.demo_flights, demo_only=[d for d in args.demo_only.split(",") if d],
                        accounts=accounts)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    server.start()
    server.role_known.wait(ROLE_WAIT_S)
    _say({"event": "ready", "server_id": server_id, "role": server.role, "site": site.name})
    while not stop.is_set() and not server.lost.is_set():
        stop.wait(0.2)   # the main thread only waits for a signal or a lost lease
    lost = server.lost.is_set()
    clean = core.stop(timeout_s=5.0)
    _say({"event": "stopped", "server_id": server_id, "lease_lost": server.lost_reason, "clean": clean})
    return EXIT_LEASE_LOST if lost else 0


def _with_security_args(site: Site, args: argparse.Namespace) -> Site:
    """The site with the command line's TLS files and account book in place of the site file's."""
    if site.broker is not None and (args.broker_ca or args.broker_cert or args.broker_key):
        if bool(args.broker_cert) != bool(args.broker_key):
            raise ValueError("--broker-cert and --broker-key go together")
        site = site.with_broker(replace(site.broker, ca_file=Path(args.broker_ca) if args.broker_ca else
                                        site.broker.ca_file,
                                        cert_file=Path(args.broker_cert) if args.broker_cert else site.broker.cert_file,
                                        key_file=Path(args.broker_key) if args.broker_key else site.broker.key_file))
    if args.accounts_dir:
        site = replace(site, accounts_dir=Path(args.accounts_dir))
    return site


def _say(line: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    sys.stdout.flush()
