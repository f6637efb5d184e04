"""Real MQTT brokers for tests and benchmarks: Mosquitto, and the demo site's embedded amqtt broker.

Neither takes a port number on trust. The embedded broker binds port 0 and reports the port it
got. Mosquitto cannot, so it gets a random port below Linux's ephemeral range (no outgoing
connection is ever given one there), held by the test for the broker's whole life (tests/ports.py)
so a restart finds it again; Mosquitto's own log says whether it listens or why not, and a
port that turns out to be taken is traded for another.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import socket
import subprocess
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from console.security.site_broker import IN_USE, MosquittoRun, launch_mosquitto
from tests.ports import hold_tcp_port

#: Where test brokers' ports come from: above most registered services, below the ephemeral range
#: (32768-60999 on Linux), so only a program that binds an explicit number could collide.
BROKER_PORTS = range(20000, 32768)
START_ATTEMPTS = 20
RESTART_ATTEMPTS = 3
#: How long Mosquitto may take to say it runs, and a taken port to come free before a restart gives up.
START_TIMEOUT_S = 10.0
RESTART_WAIT_S = 5.0


class MosquittoBroker:
    """A real Mosquitto on a loopback port of its own, restartable on the same port; `close()` at the end."""

    def __init__(self, tmp: Path, options: str = "persistence false\n") -> None:
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(exe).exists():
            raise RuntimeError("mosquitto is not installed; `make test` installs it (apt-get install mosquitto)")
        self.exe = exe
        self.options = options
        self.conf = tmp / "mosquitto.conf"
        self.port: int | None = None
        self._run: MosquittoRun | None = None
        #: Mosquitto's last log lines (connections, errors), for failure messages.
        self.log: deque[str] = deque(maxlen=200)
        self._hold: socket.socket | None = None

    def config(self, port: int) -> str:
        """The configuration file's text for `port` (subclasses add persistence and the like)."""
        return f"listener {port} 127.0.0.1\nallow_anonymous true\n{self.options}"

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the broker has no port before its first start()")
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Starts Mosquitto and returns once it listens: on a new port the first time, then on the same one."""
        if self.port is None:
            self._start_on_a_new_port()
        else:
            self._restart_on_its_port(self.port)

    def _start_on_a_new_port(self) -> None:
        failures: list[str] = []
        for port in random.sample(BROKER_PORTS, START_ATTEMPTS):
            try:
                hold = hold_tcp_port(port)
            except OSError as exc:
                failures.append(f"{port}: {exc.strerror}")
                continue
            problem = self._launch(port)
            if problem is None:
                self.port, self._hold = port, hold
                return
            hold.close()
            failures.append(f"{port}: {problem}")
        raise RuntimeError(f"mosquitto could not listen on any of {START_ATTEMPTS} ports: " + "; ".join(failures[-3:]))

    def _restart_on_its_port(self, port: int) -> None:
        problem = ""
        for _ in range(RESTART_ATTEMPTS):
            problem = self._launch(port) or ""
            if not problem:
                return
            if IN_USE not in problem:
                break
            # Another program listens on the port (it set SO_REUSEADDR, or it did before our hold):
            # give it a moment to go away before the next attempt.
            _wait_listenable(port, RESTART_WAIT_S)
        raise RuntimeError(f"mosquitto could not restart on port {port}: {problem}. Its clients are configured for "
                           "that port, so the test cannot go on with another one.")

    def _launch(self, port: int) -> str | None:
        """Runs Mosquitto on `port`; None once it runs, else why it did not (it has exited then)."""
        self.conf.write_text(self.config(port), encoding="utf-8")
        outcome = launch_mosquitto(self.exe, self.conf, self.log, name=f"mosquitto-{port}", timeout_s=START_TIMEOUT_S)
        if isinstance(outcome, str):
            return outcome
        self._run = outcome
        return None

    @property
    def proc(self) -> subprocess.Popen[str] | None:
        """The running Mosquitto process (None while stopped)."""
        return self._run.proc if self._run is not None else None

    def stop(self) -> None:
        """Stops Mosquitto (clients are refused until `start()`); the port stays held for the restart."""
        run, self._run = self._run, None
        if run is not None:
            run.stop()

    def close(self) -> None:
        """Stops Mosquitto and lets the port go."""
        self.stop()
        if self._hold is not None:
            self._hold.close()
            self._hold = None


def _wait_listenable(port: int, timeout_s: float) -> bool:
    """Waits until a server could listen on `port` again (SO_REUSEADDR, beside our hold)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
                probe.listen()
                return True
            except OSError:
                pass
        time.sleep(0.05)  # polling interval of a condition wait
    return False


class EmbeddedBroker:
    """The demo site's amqtt broker on a port of its own (bound as 0), run on a loop in a thread of its own."""

    def __init__(self) -> None:
        self.port: int | None = None
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.broker: Any = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the broker has no port before start()")
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        from drones.sim.broker import broker_port, start_embedded_broker

        self.thread.start()
        self.broker = asyncio.run_coroutine_threadsafe(start_embedded_broker("127.0.0.1", 0), self.loop).result(10)
        self.port = broker_port(self.broker)

    def stop(self) -> None:
        from drones.sim.broker import stop_embedded_broker

        if self.broker is not None:
            asyncio.run_coroutine_threadsafe(stop_embedded_broker(self.broker), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
