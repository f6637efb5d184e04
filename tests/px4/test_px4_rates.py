"""Real PX4 through the real Fleet: the console's message rates are set at attach and hold, and what the console
shows still updates (docs/architecture.md, "Message rates").

PX4 counts intervals in its own clock, which runs SPEED_FACTOR times faster than the wall clock here: a 10 Hz
stream arrives 10 x SPEED_FACTOR times a wall-clock second, and the expectations below are scaled by it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import pytest

from console.core.core_loop import CoreLoop
from drones.fleet import RATE_WINDOW_S, Fleet, dropped_callbacks
from drones.fleet_events import FlightModeChanged
from drones.message_rates import MESSAGE_RATES
from drones.model import LandedState
from drones.sim.px4_sitl import Px4Instance, Px4Sitl
from drones.site import Dock
from tests.conftest import wait_until
from tests.px4.conftest import SPEED_FACTOR
from vocab import LinkState

#: What the store counts a second per drone, in PX4's clock: the messages the fleet subscribes to at the
#: table's rates, plus HEARTBEAT at PX4's fixed 1 Hz (status texts come rarely and are left out).
SUBSCRIBED = ("GLOBAL_POSITION_INT", "EXTENDED_SYS_STATE", "BATTERY_STATUS", "GPS_RAW_INT", "HOME_POSITION")
EXPECTED_HZ = sum(r.hz for r in MESSAGE_RATES if r.name in SUBSCRIBED) + 1.0


def dock_of(inst: Px4Instance) -> Dock:
    return Dock(id=f"P{inst.sysid}", name=f"px4 {inst.sysid}", district="shinan", lat=inst.lat, lon=inst.lon,
                ground_alt_m=inst.ground_alt_m, dock_sn=f"PX4SN{inst.sysid}", sysid=inst.sysid,
                port=14600 + inst.sysid, mavlink=inst.mavlink_url)


@pytest.fixture
def core() -> Iterator[CoreLoop]:
    loop = CoreLoop("px4-rates-core")
    loop.start()
    yield loop
    loop.stop(5)


def rates(fleet: Fleet, sysids: list[int]) -> list[float]:
    """The store's per-drone message rates (wall clock, averaged over the fleet's RATE_WINDOW_S)."""
    return [fleet.snapshot(s).message_rate_hz or 0.0 for s in sysids]


def steady_rates(fleet: Fleet, sysids: list[int], timeout_s: float) -> list[float]:
    """The per-drone rates once every link is up and readings a rate window apart agree within 15 %."""
    wait_until(lambda: all(fleet.snapshot(s).link is LinkState.OK for s in sysids), timeout_s, "links up")
    samples: list[tuple[float, list[float]]] = []

    def settled() -> list[float] | None:
        now, current = time.monotonic(), rates(fleet, sysids)
        samples.append((now, current))
        older = [r for t, r in samples if now - t >= RATE_WINDOW_S]
        if older and all(p > 0 and abs(c - p) <= 0.15 * p for c, p in zip(current, older[-1])):
            return current
        return None

    return wait_until(settled, timeout_s, "message rates to settle")  # type: ignore[return-value]


def run_fleet(core: CoreLoop, docks: list[Dock], **kwargs: Any) -> Fleet:
    fleet = Fleet(docks, **kwargs)
    core.call(fleet.start(), 15)
    return fleet


def test_the_console_rates_cut_px4_traffic_and_telemetry_still_updates(px4: Px4Sitl, core: CoreLoop) -> None:
    # Two identical PX4s, one fleet each, one after the other (PX4 answers only the first ground station that
    # talked to it, so one PX4 cannot serve a "before" fleet and then an "after" one): the first left at PX4's
    # defaults, the second with the console's rates.
    plain, asked = px4.start_many([(31, 36.0700, 120.3800, 10.0), (32, 36.0710, 120.3810, 10.0)])
    baseline = run_fleet(core, [dock_of(plain)], message_rates=None)
    try:
        (default,) = steady_rates(baseline, [plain.sysid], 30)
    finally:
        core.call(baseline.close(), 10)
    dropped_before = dropped_callbacks()   # process-wide: PX4's defaults may have made MAVSDK drop some
    fleet = run_fleet(core, [dock_of(asked)])
    sysid = asked.sysid
    try:
        wait_until(lambda: (r := fleet.rate_requests(sysid)) is not None and r.complete, 30,
                   "every rate request answered")
        refused = {k: v for k, v in fleet.rate_requests(sysid).results.items() if v != "ACCEPTED"}  # type: ignore[union-attr]
        assert not refused, f"PX4 refused {refused}"
        (console,) = steady_rates(fleet, [sysid], 30)
        expected = EXPECTED_HZ * SPEED_FACTOR
        assert default >= 100 and default >= 3 * console, f"default {default:.0f}/s vs console {console:.0f}/s"
        # PX4 never runs faster than its speed factor, and a loaded machine may slow it down (not below half).
        assert 0.5 * expected <= console <= 1.2 * expected, f"console {console:.0f}/s, table asks {expected:.0f}/s"

        # What the operator sees still moves: take off and watch mode, landed state, altitude and battery.
        before = fleet.snapshot(sysid)
        assert before.battery_pct is not None and before.lat is not None and before.landed is LandedState.ON_GROUND
        action = fleet.action(sysid)
        assert action is not None
        modes: list[str] = []
        fleet.add_listener(lambda e: modes.append(e.mode) if isinstance(e, FlightModeChanged) else None)

        def take_off() -> bool:
            async def go() -> bool:
                try:
                    await action.set_takeoff_altitude(15.0)
                    await action.arm()
                    await action.takeoff()
                except Exception:  # noqa: BLE001 - PX4 refuses until its estimator is ready: try again
                    return False
                return True
            return core.call(go(), 20)

        wait_until(take_off, 60, "PX4 to accept arm and takeoff")
        wait_until(lambda: fleet.snapshot(sysid).landed is LandedState.IN_AIR, 30, "landed state in air")
        wait_until(lambda: (fleet.snapshot(sysid).alt_rel_m or 0) > 5, 60, "altitude above 5 m")
        wait_until(lambda: "TAKEOFF" in modes, 30, "the take-off mode reported")
        wait_until(lambda: (fleet.snapshot(sysid).battery_pct or 100) < before.battery_pct, 120, "battery draining")
        assert fleet.snapshot(sysid).armed is True
        assert fleet.attitude(sysid) is not None and all(map(math.isfinite, fleet.attitude(sysid) or ()))
        assert dropped_callbacks() == dropped_before
    finally:
        core.call(fleet.close(), 10)
