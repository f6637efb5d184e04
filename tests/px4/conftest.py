"""Fixtures for the real-autopilot suite: PX4 SITL (SIH) instances started for a test, found through PX4_SITL_DIR.

Without a PX4 build every test here is skipped with the reason (shown in pytest's summary by `-ra`);
`make test` sets PX4_SITL_DIR from the Makefile (docs/architecture.md, "Real autopilots"). Instances pick their own
numbers and never assume a port is free (drones/sim/px4_sitl.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from drones.sim.px4_sitl import Px4Sitl, Px4Unavailable, find_px4

#: PX4's physics and timers run this much faster than real time (8 stays reliable beside the console on 2 cores once the console sets message rates).
SPEED_FACTOR = float(os.environ.get("PX4_SIM_SPEED_FACTOR", "8"))


@pytest.fixture(scope="session")
def px4_build() -> Path:
    try:
        return find_px4()
    except Px4Unavailable as exc:
        pytest.skip(f"no PX4 SITL build: {exc}")


@pytest.fixture
def px4(px4_build: Path, tmp_path: Path) -> Iterator[Px4Sitl]:
    """A PX4 launcher for one test; every instance it started is stopped afterwards."""
    sitl = Px4Sitl(px4_build, tmp_path / "px4", speed_factor=SPEED_FACTOR)
    yield sitl
    sitl.close()
