"""Command-line interface of main.py (kept apart so tests can read the help text)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from console.resources import resource_path
from drones.site import Site, SiteFileError, load_site, parse_broker_url

DEMO_SITE_FILE = ("sites", "demo.toml")

DESCRIPTION = """\
Qingdao low-altitude command console (青岛低空指挥台).

With no --site and no --broker, runs the whole demo site on this machine: the site simulator
(docks, drones, alerts, camera streams, with an embedded MQTT broker) and the site server as
child processes, and the console attached to the server. With --broker (and the site file of
the site, or the demo site's by default), the console attaches to a site server already
running on that broker; several consoles can attach to one server.
"""

EPILOG = """\
sub-commands:
  server   run the headless site server (see: main.py server --help)
  sim      run the site simulator alone (see: main.py sim --help)
  admin    site accounts and certificates: init-site, add-user, passwd, disable, list... (docs/security.md)

examples:
  main.py                                  demo site, Chinese UI
  main.py --lang en --time-scale 10        demo site, English UI, simulator physics x10
  main.py --site /etc/qd-console/site.toml a console of a real site (its server runs on the site host)
  main.py --broker mqtt://127.0.0.1:PORT  a second console on the demo site another main.py started
  main.py --px4 4                          demo site, real PX4 autopilots at the first 4 docks
  main.py --smoke 10 /tmp/console.png      IT check: run 10 s, screenshot, JSON health line
"""


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="main.py", description=DESCRIPTION, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--site", metavar="FILE", help="TOML site file of a real site (default: the embedded demo site)")
    p.add_argument("--broker", metavar="URL",
                   help="MQTT broker URL (mqtt://host:port or mqtts://user:pass@host:port) of the site whose server "
                        "this console attaches to; overrides the site file's")
    p.add_argument("--user", metavar="NAME",
                   help="sign in as NAME without the sign-in dialog (with --password-stdin: IT staff's smoke checks)")
    p.add_argument("--password-stdin", action="store_true", help="read --user's password from standard input")
    p.add_argument("--lang", choices=("zh_CN", "en"), help="UI language (default: the last one chosen, else zh_CN)")
    p.add_argument("--time-scale", type=positive_float, default=1.0, metavar="X",
                   help="physics time scale passed to the demo site's simulator (default 1)")
    p.add_argument("--px4", metavar="DOCKS",
                   help="demo site: fly real PX4 autopilots (SITL, from PX4_SITL_DIR) from these docks (DOCK,... or "
                        "a number N: the first N) and simulated drones from the others")
    p.add_argument("--demo-flights", type=int, default=0, metavar="N",
                   help="demo site: send N drones on sample verification flights once their docks are ready")
    p.add_argument("--smoke", nargs=2, metavar=("SECONDS", "PNG"),
                   help="start, run SECONDS, save a screenshot of the main window to PNG, print one JSON "
                        "health line on stdout; exit 0 if healthy, 1 with the problems otherwise")
    p.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    p.add_argument("--reset-layout", action="store_true", help="forget the saved window layout")
    return p


FAULT_HELP = """fault to inject, repeatable: KIND:SYSID[:SECONDS][@AFTER_S] with KIND one of
link (radio silent for SECONDS, default 30), gps (GPS lost), battery (battery fault),
noack (never acknowledges commands), cover (dock cover motor fault), offline (dock offline);
e.g. --fault link:3:20@60 drops drone 3's link for 20 s, one minute after start"""


def build_sim_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="main.py sim", description="Run the site simulator alone: PX4-like drones "
                                "over MAVLink/UDP, docks and alerts over MQTT, camera and drone video over HTTP. "
                                "Several consoles can share one simulator (they connect with --broker).")
    p.add_argument("--site", metavar="FILE", help="site file whose docks to simulate (default: the demo site)")
    p.add_argument("--broker", metavar="URL", help="external broker (default: start an embedded one)")
    p.add_argument("--broker-ca", metavar="FILE", help="the site CA to trust (mqtts://)")
    p.add_argument("--broker-cert", metavar="FILE", help="the platform's client certificate (mqtts://)")
    p.add_argument("--broker-key", metavar="FILE", help="the key of --broker-cert")
    p.add_argument("--embedded-port", type=int, default=0, metavar="PORT",
                   help="port of the embedded broker (default 0: one the system picks, reported in the JSON line "
                        "printed on stdout once ready; give one, e.g. 1883, for consoles on other machines)")
    p.add_argument("--embedded-host", default="127.0.0.1", metavar="HOST",
                   help="address the embedded broker, the video server and the drones' MAVLink sockets bind to "
                        "(default 127.0.0.1; 0.0.0.0 to serve other machines)")
    p.add_argument("--console-host", metavar="HOST",
                   help="a console that listens for MAVLink with udpin on each dock's `port` (the site file's): "
                        "the drones send there first. Default: none; each drone binds a UDP port of its own "
                        "(listed under \"mavlink\" in the JSON line printed once ready) and answers whoever talks to "
                        "it last, as PX4 does, so a console connects with udpout://")
    p.add_argument("--video-port", type=int, default=18080, metavar="PORT",
                   help="port of the simulated video server (default 18080, 0 = any free port)")
    p.add_argument("--docks", type=int, metavar="N", help="simulate only the first N docks (more than the site "
                   "has adds synthetic ones, up to 254)")
    p.add_argument("--time-scale", type=positive_float, default=1.0, metavar="X",
                   help="physics time scale: x10 flies a 10-minute task in one minute (protocol timing stays real)")
    p.add_argument("--alerts-per-min", type=float, default=14.0, metavar="R",
                   help="mean alert rate (default 14/min, Qingdao's 620,000 cases a month); 0 = none")
    p.add_argument("--no-bursts", action="store_true", help="no alert bursts")
    p.add_argument("--malformed", type=float, default=0.0, metavar="FRACTION",
                   help="fraction of alert payloads that are deliberately broken (robustness demos)")
    p.add_argument("--opening-alert", type=float, metavar="SECONDS",
                   help="send one level-1 forest-fire smoke alert in Laoshan this long after start (the demo site's "
                        "automation dispatches a drone to it by itself)")
    p.add_argument("--real-drones", metavar="DOCKS",
                   help="docks whose drone is a real autopilot, not simulated: DOCK[=URL],... Their docks run as "
                        "usual and hear the drone on its ground-station link: URL udpout://HOST:PORT talks to it, "
                        "default udpin://127.0.0.1:14550 listens where PX4 sends. The console flies them over "
                        "their site file's mavlink URL")
    p.add_argument("--px4", metavar="DOCKS",
                   help="start a real PX4 autopilot (SITL, from PX4_SITL_DIR) at each of these docks (DOCK,... or a "
                        "number N: the first N) instead of a simulated drone, sped up like --time-scale; listed "
                        "under \"mavlink\" like the simulated ones")
    p.add_argument("--fault", action="append", default=[], metavar="SPEC", help=FAULT_HELP)
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return p


def load_requested_site(site_arg: str | None, broker_arg: str | None) -> tuple[Site, bool]:
    """Returns the site to run and whether it is the demo site; raises SiteFileError/ValueError."""
    demo = site_arg is None
    site = load_site(resource_path(*DEMO_SITE_FILE) if demo else Path(site_arg))
    if broker_arg:
        broker = parse_broker_url(broker_arg)
        if site.broker is not None:   # another address of the same broker: the site file's CA and certificate stay
            broker = replace(broker, ca_file=site.broker.ca_file, cert_file=site.broker.cert_file,
                             key_file=site.broker.key_file)
        site = site.with_broker(broker)
    if not demo and site.broker is None:
        raise SiteFileError(site.path or "<site>", "no [broker] table and no --broker given", field_name="broker.url")
    return site, demo
