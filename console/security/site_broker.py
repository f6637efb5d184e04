"""A real Mosquitto running a site security directory's configuration, on loopback ports of its own: the secured
broker of the demo and of the tests (docs/security.md, "Trying it").

It runs exactly the init-site `mosquitto.conf`, with only what cannot be shared with an installed broker changed
in a per-run copy: the two listener ports (free ones, on 127.0.0.1), the pid file, the persistence directory, the
log (to stderr, which is read) and the user. Ports are never picked and released: each is held by a bound,
never-listening socket (SO_REUSEADDR, which Mosquitto sets too) for the broker's whole life, and Mosquitto's own
log says whether it listens ("running") or why not; a port that turns out to be taken is traded for another.
"""

from __future__ import annotations

import getpass
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections import deque
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

from console.security.site_kit import CONF_FILE, RUNS_DIR, kit_settings
from drones.child_process import set_parent_death_signal

#: Ports come from above most registered services and below Linux's ephemeral range (32768-60999), so only a
#: program that binds an explicit number could collide, and that is detected and retried.
BROKER_PORTS = range(20000, 32768)
START_ATTEMPTS = 20
START_TIMEOUT_S = 10.0
STOP_ATTEMPTS = 5
STOP_WAIT_S = 1.0
RUNNING = " running"                 # "mosquitto version 2.0.11 running": every listener is open
IN_USE = "Address already in use"
NOT_INSTALLED = ("mosquitto is not installed (apt-get install mosquitto) / 未安装 mosquitto")


def bundled_mosquitto() -> Path | None:
    """The Mosquitto the offline bundle carries (build.spec puts it in `bin/`, its libraries beside the bundle's
    own), or None when this is not the bundle or it has none."""
    base = getattr(sys, "_MEIPASS", None)
    exe = Path(base) / "bin" / "mosquitto" if base else None
    return exe if exe is not None and exe.exists() else None


def mosquitto_exe() -> str:
    """The Mosquitto program (the bundle's own first); RuntimeError with one line when there is none."""
    bundled = bundled_mosquitto()
    if bundled is not None:
        return str(bundled)
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(exe).exists():
        raise RuntimeError(NOT_INSTALLED)
    return exe


def _mosquitto_env(exe: str) -> dict[str, str] | None:
    """The bundle's Mosquitto finds its libraries (libssl, libwrap, ...) where PyInstaller put them."""
    bundled = bundled_mosquitto()
    if bundled is None or str(bundled) != exe:
        return None
    return {**os.environ, "LD_LIBRARY_PATH": str(bundled.parent.parent)}


def hold_tcp_port(port: int = 0, host: str = "127.0.0.1") -> socket.socket:
    """A bound, never-listening TCP socket on `port` (SO_REUSEADDR); OSError when the port is taken.

    Linux refuses connections to it and an ordinary bind by any other program, but lets a server that also sets
    SO_REUSEADDR (Mosquitto) listen beside it: the port is ours from before the broker starts until we let it go.
    """
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
    except OSError:
        s.close()
        raise
    return s


@dataclass(slots=True)
class MosquittoRun:
    """A Mosquitto process that said it runs, and the thread reading its log until it exits."""

    proc: subprocess.Popen[str]
    reader: threading.Thread

    def stop(self) -> None:
        """Stops it (SIGTERM, repeated: Mosquitto 2.0 may lose one sent right after "running"; then SIGKILL)."""
        for _ in range(STOP_ATTEMPTS):
            self.proc.terminate()
            try:
                self.proc.wait(STOP_WAIT_S)
                break
            except subprocess.TimeoutExpired:
                continue
        else:
            self.proc.kill()
            self.proc.wait(5)
        self.reader.join(5)


def launch_mosquitto(exe: str, conf: Path, log: deque[str], *, name: str = "mosquitto",
                     timeout_s: float = START_TIMEOUT_S, die_with_parent: bool = False) -> MosquittoRun | str:
    """Runs `exe -c conf` (its configuration must log to stderr) and returns once it runs, or why it did not (it
    has exited then). Its log lines go to `log` for as long as it runs. `die_with_parent`: it is stopped when the
    *thread* that started it ends (Linux's PR_SET_PDEATHSIG follows the thread), so start it from one that lives
    as long as it should, e.g. the main thread."""
    # Not `-v`: that logs every packet, which the reader would then have to drain all along.
    proc = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            bufsize=1, preexec_fn=set_parent_death_signal if die_with_parent else None,
                            env=_mosquitto_env(exe))
    outcome: Future[str | None] = Future()

    def read() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.rstrip()
            log.append(line)
            if outcome.done():
                continue
            if "Error" in line:
                outcome.set_result(line)
            elif line.endswith(RUNNING):
                outcome.set_result(None)
        if not outcome.done():
            outcome.set_result(f"exited with code {proc.wait()}: " + " | ".join(list(log)[-3:]))

    reader = threading.Thread(target=read, name=name, daemon=True)
    reader.start()
    try:
        problem = outcome.result(timeout_s)
    except FutureTimeout:
        problem = f"no '{RUNNING.strip()}' line in {timeout_s:.0f} s"
    if problem is None:
        return MosquittoRun(proc, reader)
    if proc.poll() is None:
        proc.kill()
    proc.wait(5)
    reader.join(5)
    return problem


def run_config(conf_text: str, *, ports: dict[int, int], run_dir: Path, user: str) -> str:
    """`conf_text` for one run: listeners moved to loopback `ports` (old -> new), pid file, persistence and user
    changed, the log to stderr (one `log_dest` only). Every other line is kept as it is."""
    out: list[str] = []
    logged = False
    for line in conf_text.splitlines():
        words = line.split()
        key = words[0] if words else ""
        if key == "listener" and len(words) >= 2 and int(words[1]) in ports:
            line = f"listener {ports[int(words[1])]} 127.0.0.1"
        elif key == "pid_file":
            line = f"pid_file {run_dir / 'mosquitto.pid'}"
        elif key == "persistence_location":
            line = f"persistence_location {run_dir}/"
        elif key == "user":
            line = f"user {user}"
        elif key == "log_dest":
            if logged:
                continue
            # stderr, not stdout: Mosquitto does not flush stdout into a pipe, and "running" would never arrive.
            line, logged = "log_dest stderr", True
        out.append(line)
    return "\n".join(out) + "\n"


class SiteBroker:
    """A real Mosquitto serving an init-site directory on two loopback ports of its own; `stop()` at the end.

    `people_url` is the people's listener (TLS, passwords), `services_url` the services' (TLS, certificates).
    Its per-run copy and pid file live under `{site_dir}/run/`, so `site_kit.reload_broker` reloads it too.
    """

    def __init__(self, site_dir: Path | str, *, run_dir: Path | None = None) -> None:
        self.exe = mosquitto_exe()
        self.site_dir = Path(site_dir).resolve()
        self.settings = kit_settings(self.site_dir)
        self.conf_text = (self.site_dir / CONF_FILE).read_text(encoding="utf-8")
        self.run_dir = run_dir or self._new_run_dir()
        self.conf = self.run_dir / CONF_FILE
        self.people_port: int | None = None
        self.services_port: int | None = None
        #: Mosquitto's last log lines (connections, refusals, errors), for failure messages.
        self.log: deque[str] = deque(maxlen=500)
        self._holds: list[socket.socket] = []
        self._run: MosquittoRun | None = None

    def _new_run_dir(self) -> Path:
        runs = self.site_dir / RUNS_DIR
        runs.mkdir(parents=True, exist_ok=True)
        # mkdtemp-like: a name no other run in this directory has, made atomically by mkdir.
        for _ in range(100):
            candidate = runs / f"{random.randrange(16**8):08x}"
            try:
                candidate.mkdir(mode=0o700)
                return candidate
            except FileExistsError:
                continue
        raise RuntimeError(f"cannot make a run directory under {runs}")

    @property
    def people_url(self) -> str:
        if self.people_port is None:
            raise RuntimeError("the broker has no port before start()")
        return f"mqtts://127.0.0.1:{self.people_port}"

    @property
    def services_url(self) -> str:
        if self.services_port is None:
            raise RuntimeError("the broker has no port before start()")
        return f"mqtts://127.0.0.1:{self.services_port}"

    @property
    def pid(self) -> int | None:
        return self._run.proc.pid if self._run is not None else None

    def start(self) -> SiteBroker:
        """Starts Mosquitto on two new ports and returns once it listens on both; RuntimeError when it cannot.
        It stops when the calling thread ends (call it from the main thread, or one that lives as long)."""
        if self._run is not None:
            return self
        failures: list[str] = []
        sample = random.sample(BROKER_PORTS, START_ATTEMPTS * 2)
        for i in range(START_ATTEMPTS):
            a, b = sample[2 * i], sample[2 * i + 1]
            holds: list[socket.socket] = []
            try:
                holds = [hold_tcp_port(a)]
                holds.append(hold_tcp_port(b))
            except OSError as exc:
                for h in holds:
                    h.close()
                failures.append(f"{a}/{b}: {exc.strerror}")
                continue
            ports = {self.settings.port_people: a, self.settings.port_services: b}
            self.conf.write_text(run_config(self.conf_text, ports=ports, run_dir=self.run_dir,
                                            user=getpass.getuser()), encoding="utf-8")
            # It dies with the console (or test) that started it: one killed outright leaves no broker holding ports.
            outcome = launch_mosquitto(self.exe, self.conf, self.log, name=f"mosquitto-{a}", die_with_parent=True)
            if isinstance(outcome, MosquittoRun):
                self._run, self._holds = outcome, holds
                self.people_port, self.services_port = a, b
                return self
            for h in holds:
                h.close()
            failures.append(f"{a}/{b}: {outcome}")
            if IN_USE not in outcome:
                break  # a broken configuration fails the same on every port: say why at once
        raise RuntimeError("mosquitto did not start: " + "; ".join(failures[-3:]))

    def reload(self) -> None:
        """Asks it to reread its password and ACL files (what `admin` commands do through the pid file)."""
        if self._run is not None:
            self._run.proc.send_signal(signal.SIGHUP)

    def log_lines(self) -> list[str]:
        return list(self.log)

    def stop(self) -> None:
        """Stops Mosquitto, lets its ports go and removes its run directory."""
        run, self._run = self._run, None
        if run is not None:
            run.stop()
        for h in self._holds:
            h.close()
        self._holds = []
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> SiteBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

