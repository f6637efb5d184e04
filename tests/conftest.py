"""Shared test fixtures: isolated settings and logs, real brokers (Mosquitto, embedded amqtt), Xvfb."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"

# Every test run gets its own settings and log directories (QSettings reads XDG_CONFIG_HOME).
_ISOLATED = Path(os.environ.get("PYTEST_TMPDIR", "/tmp")) / f"qd-console-tests-{os.getpid()}"
os.environ["XDG_CONFIG_HOME"] = str(_ISOLATED / "config")
os.environ["XDG_DATA_HOME"] = str(_ISOLATED / "data")
os.environ["QD_CONSOLE_LOG_DIR"] = str(_ISOLATED / "logs")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def wait_until(predicate: Callable[[], object], timeout_s: float = 10.0, what: str = "condition") -> object:
    """Polls `predicate` until it returns something truthy; fails the test after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.02)  # polling interval of a condition wait


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class MosquittoBroker:
    """A real Mosquitto on a free loopback port, restartable on the same port."""

    def __init__(self, tmp: Path) -> None:
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(exe).exists():
            raise RuntimeError("mosquitto is not installed; `make test` installs it (apt-get install mosquitto)")
        self.exe = exe
        self.port = free_port()
        self.conf = tmp / "mosquitto.conf"
        self.conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen([self.exe, "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_until(lambda: port_open(self.port), 10, "mosquitto to listen")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(5)
            self.proc = None


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[MosquittoBroker]:
    broker = MosquittoBroker(tmp_path)
    broker.start()
    yield broker
    broker.stop()


class EmbeddedBroker:
    """The demo site's amqtt broker, run on a loop in a thread of its own."""

    def __init__(self) -> None:
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.broker = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        from drones.sim.broker import start_embedded_broker

        self.thread.start()
        self.broker = asyncio.run_coroutine_threadsafe(start_embedded_broker("127.0.0.1", self.port), self.loop).result(10)

    def stop(self) -> None:
        from drones.sim.broker import stop_embedded_broker

        if self.broker is not None:
            asyncio.run_coroutine_threadsafe(stop_embedded_broker(self.broker), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def embedded_broker() -> Iterator[EmbeddedBroker]:
    broker = EmbeddedBroker()
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def run_main(*args: str, timeout_s: float = 60, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Runs `python main.py ARGS` as a user would, offscreen unless env says otherwise."""
    full_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          timeout=timeout_s, env=full_env, cwd=ROOT)
