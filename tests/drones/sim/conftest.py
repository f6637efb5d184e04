"""Fixtures for simulator tests: the simulator on its own loop thread, MAVSDK on the test's loop.

The simulated drones bind their own UDP ports; a test's console connects out to them
(`udpout://`, `SimThread.docks`), so no port number is ever picked in advance.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from dataclasses import replace
from typing import Any, TypeVar

import pytest

from drones.sim.fleet_sim import SimFleet
from drones.site import Dock

T = TypeVar("T")

#: The PX4 parameters test sites set on their drones, as the demo site's `[autopilot.params]` does: the
#: simulator otherwise flies with PX4's defaults (no action on a lost link, 5 m/s, 10 m acceptance radius).
TEST_AUTOPILOT_PARAMS: Mapping[str, float] = {
    "NAV_DLL_ACT": 2,          # a lost link: return home (the link-loss tests rely on it)
    "COM_DL_LOSS_T": 10,
    "COM_DISARM_PRFLT": 10.0,
    "MPC_XY_CRUISE": 10.0,     # test flights' durations assume 10 m/s
    "NAV_ACC_RAD": 2.0,        # the drone reaches a scene's point, not 10 m short of it
    "RTL_RETURN_ALT": 60.0,
    "RTL_DESCEND_ALT": 30.0,
}


class SimThread:
    """A SimFleet running on an asyncio loop in a background thread, as the simulator process runs it."""

    def __init__(self, docks: list[Dock], time_scale: float, *, console_host: str | None = None,
                 params: Mapping[str, float] = TEST_AUTOPILOT_PARAMS) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="sim", daemon=True)
        self.thread.start()
        self.fleet = SimFleet(docks, time_scale=time_scale, console_host=console_host, params=params)
        self.call(self.fleet.start())

    @property
    def docks(self) -> list[Dock]:
        """The simulated docks as a console reaches them: `udpout://` to each drone's own port."""
        return linked(self.fleet.docks, self.fleet.ports)

    def call(self, coro: Any, timeout_s: float = 10.0) -> Any:
        fut: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return fut.result(timeout_s)

    def do(self, fn: Any, *args: Any) -> Any:
        """Runs a plain function on the sim's loop thread (fault injection, state reads)."""
        async def run() -> Any:
            return fn(*args)

        return self.call(run())

    def close(self) -> None:
        self.call(self.fleet.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def linked(docks: Any, ports: Mapping[int, int]) -> list[Dock]:
    """`docks` with each drone reached at `udpout://127.0.0.1:PORT`, PORT the one its simulated drone bound."""
    return [replace(d, mavlink=f"udpout://127.0.0.1:{ports[d.sysid]}") for d in docks]


def make_docks(n: int, *, base_sysid: int = 1) -> list[Dock]:
    """n test docks; their `port` is only a number in the port plan, never bound (the tests link with udpout)."""
    docks = []
    for i in range(n):
        sysid = base_sysid + i
        docks.append(Dock(id=f"T{sysid:02d}", name=f"测试机场{sysid}", district="shinan", lat=36.06 + 0.01 * (i % 8),
                          lon=120.38 + 0.01 * (i // 8), ground_alt_m=10.0, dock_sn=f"TESTSN{sysid:04d}",
                          sysid=sysid, port=14600 + sysid))
    return docks


@pytest.fixture
def sim_one() -> Iterator[SimThread]:
    sim = SimThread(make_docks(1), time_scale=10.0)
    yield sim
    sim.close()
