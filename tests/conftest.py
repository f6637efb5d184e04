"""Shared test fixtures: isolated settings and logs, real brokers (Mosquitto, embedded amqtt; tests/brokers.py),
a port nobody serves, a throwaway PostgreSQL for the journals (tests/postgres.py), and running main.py."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from console.client.gc_guard import collect_due, collect_on_gui_thread
from tests.brokers import EmbeddedBroker, MosquittoBroker
from tests.ports import refusing_tcp_port
from tests.postgres import journal_target, postgres_cluster  # noqa: F401 - fixtures (tests/postgres.py)
from tests.security_fixtures import secured_broker, secured_scene  # noqa: F401 - fixtures (tests/security_fixtures.py)

__all__ = ["ROOT", "EmbeddedBroker", "MosquittoBroker", "run_main", "wait_until"]

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


@pytest.fixture(autouse=True, scope="session")
def _garbage_collected_on_the_gui_thread(qapp: object) -> None:
    """As in the console: Python's cyclic collector runs on the GUI thread only, so a test's Qt objects are never
    destroyed on a core or MAVSDK thread of a later test (console/client/gc_guard.py)."""
    collect_on_gui_thread()


def pytest_runtest_teardown(item: pytest.Item) -> None:
    collect_due()   # between tests no event loop may run for a while: collect here, on the GUI thread


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[MosquittoBroker]:
    broker = MosquittoBroker(tmp_path)
    broker.start()
    yield broker
    broker.close()


@pytest.fixture
def embedded_broker() -> Iterator[EmbeddedBroker]:
    broker = EmbeddedBroker()
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A loopback TCP port held by the test and never listening: a server that is not there."""
    with refusing_tcp_port() as port:
        yield port


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def run_main(*args: str, timeout_s: float = 60, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Runs `python main.py ARGS` as a user would, offscreen unless env says otherwise."""
    full_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          timeout=timeout_s, env=full_env, cwd=ROOT)
