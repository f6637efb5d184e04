"""Fixtures for the drone-control tests: the simulated site on its own loop thread, on a real Mosquitto.

The harness itself (SiteThread, Console, console(), service_console()) is in tests/drones/task_harness.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drones.site import Site, parse_broker_url
from tests.conftest import MosquittoBroker
from tests.drones.sim.conftest import make_docks
from tests.drones.task_harness import SiteThread


@pytest.fixture
def site_and_sim(mosquitto: MosquittoBroker) -> Iterator[tuple[Site, SiteThread, str]]:
    sim = SiteThread(Site("测试站点", None, parse_broker_url(mosquitto.url), make_docks(3)), mosquitto.url)
    yield sim.console_site, sim, mosquitto.url
    sim.close()
