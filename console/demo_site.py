"""The one-machine demo site: the simulator (with its embedded broker) as a child process.

`python main.py` with no site file uses this (docs/architecture.md, "Demo site and port plan"). The child is started with the same executable
(source or frozen bundle) and is always stopped with the console: terminate, then kill; Linux
also kills it if the console dies (PR_SET_PDEATHSIG in the child).

The demo picks no port number itself: the child binds its embedded broker, video server and
each drone's MAVLink socket on port 0 and reports what it got on stdout (broker URL, video URL,
`{sysid: UDP port}`); the console then connects to those (MAVLink with `udpout://`), so two
demos, a test run and a PX4 SITL can share one machine.
"""

from __future__ import annotations

import json
import logging
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from drones.sim.px4_sitl import START_TIMEOUT_S as PX4_BOOT_S

log = logging.getLogger(__name__)

#: The demo's opening scenario: a level-1 forest-fire smoke alert in Laoshan this long after start,
#: when the docks have reported ready, which the demo site's automation dispatches by itself.
OPENING_ALERT_S = 20.0

#: How long the child may take to report ready (Python start + broker bind).
READY_TIMEOUT_S = 20.0   # real PX4 autopilots (--px4) add the time their launcher gives them to boot
STOP_TIMEOUT_S = 1.5
#: How long the demo's site server may take to say which role it has (Python start plus the lease's settling).
SERVER_READY_S = 30.0
#: The site server stops its core in order (journals, MAVLink links) before it exits.
SERVER_STOP_TIMEOUT_S = 6.0
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class DemoSiteError(RuntimeError):
    """The demo site could not be started; the message is for the operator."""


def self_command() -> list[str]:
    """How to start this program again: the frozen bundle's executable, or python main.py."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, str(PROJECT_ROOT / "main.py")]


def json_lines(fd: int, timeout_s: float) -> Iterator[dict[str, Any]]:
    """JSON objects read line by line from a child's stdout until EOF or `timeout_s`; other lines are skipped."""
    deadline, buf = time.monotonic() + timeout_s, b""
    while time.monotonic() < deadline:
        readable, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not readable:
            return
        chunk = os.read(fd, 4096)
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if isinstance(msg, dict):
                yield msg


class DemoSite:
    """Starts and stops the simulator child process; `broker_url`, `video_url` and `mavlink_ports` (the UDP
    port of each simulated drone, by system id) are valid after `start()`."""

    def __init__(self, *, site_path: Path | None = None, broker_url: str | None = None, time_scale: float = 1.0,
                 verbose: bool = False, px4: str | None = None, broker_args: list[str] | None = None) -> None:
        """`broker_args`: the simulator's own `--broker URL --broker-ca ...` on a secured broker (the demo's)."""
        self.site_path = site_path
        self._broker_args = broker_args or []
        self.px4 = px4   # docks flown by real PX4 autopilots (`main.py sim --px4`)
        self._external_broker = broker_url
        self.time_scale = time_scale
        self.verbose = verbose
        self.broker_url: str | None = broker_url
        self.video_url: str | None = None
        self.drones = 0
        self.mavlink_ports: dict[int, int] = {}
        #: Docks whose drones are real PX4 autopilots, as the child reports them.
        self.px4_docks: tuple[str, ...] = ()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        """Starts the child and waits until it is ready; returns the broker URL to use."""
        args = self_command() + ["sim", "--child", "--time-scale", str(self.time_scale), "--video-port", "0",
                                 "--opening-alert", str(OPENING_ALERT_S)]
        if self.site_path is not None:
            args += ["--site", str(self.site_path)]
        if self._broker_args:
            args += self._broker_args
        elif self._external_broker:
            args += ["--broker", self._external_broker]
        else:
            args += ["--embedded-port", "0"]   # the child binds a free port and reports it
        if self.verbose:
            args.append("--verbose")
        if self.px4:
            args += ["--px4", self.px4]
        log.info("starting demo site: %s", " ".join(args))
        # A session of its own: Ctrl+C in the terminal reaches the console, which then stops the
        # child after closing its own MQTT session, instead of both dying at once.
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=os.environ.copy(),
                                     start_new_session=True)
        ready = self._read_ready()
        self.broker_url = ready["broker"]
        self.video_url = ready.get("video")
        self.drones = int(ready.get("drones") or 0)
        self.px4_docks = tuple(str(d) for d in ready.get("px4") or ())
        try:
            self.mavlink_ports = {int(sysid): int(port) for sysid, port in ready["mavlink"].items()}
        except (KeyError, AttributeError, TypeError, ValueError):
            self.stop()
            raise DemoSiteError("demo site simulator did not report its drones' MAVLink ports") from None
        return self.broker_url

    def _read_ready(self) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        timeout_s = READY_TIMEOUT_S + (PX4_BOOT_S if self.px4 else 0.0)
        for msg in json_lines(self.proc.stdout.fileno(), timeout_s):
            if msg.get("event") == "ready":
                return msg
            if msg.get("event") == "error":
                self.stop()
                raise DemoSiteError(f"demo site simulator failed: {msg.get('reason')}")
        code = self.proc.poll()
        self.stop()
        if code is not None:
            raise DemoSiteError(f"demo site simulator exited with code {code} before it was ready (see the log)")
        raise DemoSiteError(f"demo site simulator not ready after {timeout_s:.0f} s")

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def exit_code(self) -> int | None:
        """The child's exit code once it has died on its own (None while it runs, or after `stop()`)."""
        return self.proc.poll() if self.proc is not None else None

    def stop(self) -> None:
        """Stops the child: close its stdin, SIGTERM, then SIGKILL if it lingers."""
        stop_child(self.proc, "demo site simulator")
        self.proc = None


def stop_child(proc: subprocess.Popen[bytes] | None, what: str, timeout_s: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM, then SIGKILL if the child lingers; closes its pipes."""
    if proc is None:
        return
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in %.1f s; killing it", what, timeout_s)
            proc.kill()
            proc.wait(timeout_s)
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()
    log.info("%s stopped (exit code %s)", what, proc.returncode)


class ServerChild:
    """The demo's site server (`main.py server`) as a child process: attached to the demo simulator's broker and
    drones, stopped with the console (docs/architecture.md, "Site server")."""

    def __init__(self, *, broker_url: str, mavlink: dict[int, str], video_url: str | None, data_dir: Path,
                 site_path: Path | None = None, demo_flights: int = 0, demo_only: tuple[str, ...] = (),
                 verbose: bool = False, broker_args: list[str] | None = None, accounts_dir: Path | None = None) -> None:
        """`broker_args` (`--broker URL --broker-ca ...`) replace `broker_url` on a secured broker, where the server
        checks requests against the account book in `accounts_dir`."""
        self.args = self_command() + ["server", "--child", *(broker_args or ["--broker", broker_url]),
                                      "--data-dir", str(data_dir),
                                      "--mavlink-map", json.dumps({str(k): v for k, v in mavlink.items()})]
        if accounts_dir is not None:
            self.args += ["--accounts-dir", str(accounts_dir)]
        if site_path is not None:
            self.args += ["--site", str(site_path)]
        if video_url:
            self.args += ["--video-base", video_url]
        if demo_flights:
            self.args += ["--demo-flights", str(demo_flights), "--demo-only", ",".join(demo_only)]
        if verbose:
            self.args.append("--verbose")
        self.proc: subprocess.Popen[bytes] | None = None
        self.server_id: str | None = None

    def start(self) -> str:
        """Starts the server and waits for its ready line; returns its id. DemoSiteError when it cannot start."""
        log.info("starting demo site server: %s", " ".join(self.args[:4]))
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     env=os.environ.copy(), start_new_session=True)
        assert self.proc.stdout is not None
        for msg in json_lines(self.proc.stdout.fileno(), SERVER_READY_S):
            if msg.get("event") == "ready":
                self.server_id = str(msg.get("server_id"))
                return self.server_id
        code = self.proc.poll()
        self.stop()
        raise DemoSiteError(f"demo site server {'exited with code ' + str(code) if code is not None else 'not ready'}"
                            " (see server.log)")

    @property
    def exit_code(self) -> int | None:
        return self.proc.poll() if self.proc is not None else None

    def stop(self) -> None:
        stop_child(self.proc, "demo site server", SERVER_STOP_TIMEOUT_S)
        self.proc = None
