"""A simulated drone honours the console's message rates as PX4 does, so simulated and real drones cost the same
(drones/message_rates.py, docs/architecture.md "Message rates")."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from console.core.core_loop import CoreLoop
from drones.fleet import RATE_WINDOW_S, Fleet, dropped_callbacks
from drones.message_rates import MESSAGE_RATES, OFF
from drones.sim.endpoint import DEFAULT_RATES_HZ, M, VehicleEndpoint
from drones.sim.vehicle import ACCEPTED, FAILED, UNSUPPORTED
from tests.conftest import wait_until
from tests.drones.sim.conftest import SimThread, make_docks
from vocab import LinkState

SUBSCRIBED = ("GLOBAL_POSITION_INT", "EXTENDED_SYS_STATE", "BATTERY_STATUS", "GPS_RAW_INT", "HOME_POSITION")
#: What the store counts a second per drone: the subscribed messages at the table's rates and the 1 Hz HEARTBEAT.
EXPECTED_HZ = sum(r.hz for r in MESSAGE_RATES if r.name in SUBSCRIBED) + 1.0


def test_set_message_interval_is_answered_as_px4_answers_it() -> None:
    ep = VehicleEndpoint.__new__(VehicleEndpoint)
    ep.intervals_s = {mid: 1.0 / hz for mid, hz in DEFAULT_RATES_HZ.items()}
    ep._next_due = {}
    position, vfr = M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT, M.MAVLINK_MSG_ID_VFR_HUD
    assert ep._set_interval(position, 200_000) == ACCEPTED and ep.intervals_s[position] == pytest.approx(0.2)
    assert ep._set_interval(position, 0) == ACCEPTED and ep.intervals_s[position] == pytest.approx(0.1)  # default
    assert ep._set_interval(vfr, -1) == ACCEPTED and ep.intervals_s[vfr] == 0.0                        # off
    assert ep._set_interval(M.MAVLINK_MSG_ID_HIGHRES_IMU, -1) == ACCEPTED    # never sent: off is no trouble
    assert ep._set_interval(M.MAVLINK_MSG_ID_HIGHRES_IMU, 20_000) == UNSUPPORTED
    assert ep._set_interval(M.MAVLINK_MSG_ID_HEARTBEAT, 500_000) == FAILED   # fixed 1 Hz, as on PX4
    assert ep._set_interval(M.MAVLINK_MSG_ID_MISSION_CURRENT, -1) == FAILED


@pytest.fixture
def core() -> Iterator[CoreLoop]:
    loop = CoreLoop("rates-core")
    loop.start()
    yield loop
    loop.stop(5)


def test_the_fleet_sets_the_table_on_simulated_drones_and_again_when_one_reappears(core: CoreLoop) -> None:
    sim = SimThread(make_docks(2), time_scale=1.0)
    fleet = Fleet(sim.docks)
    dropped = dropped_callbacks()
    try:
        core.call(fleet.start(), 15)
        wait_until(lambda: all((r := fleet.rate_requests(s)) is not None and r.complete for s in (1, 2)), 15,
                   "rate requests answered")
        for s in (1, 2):
            assert set(fleet.rate_requests(s).results.values()) == {"ACCEPTED"}  # type: ignore[union-attr]
            intervals = sim.do(lambda s=s: dict(sim.fleet.endpoints[s].intervals_s))
            for rate in MESSAGE_RATES:
                if rate.msg_id in intervals:
                    assert intervals[rate.msg_id] == (0.0 if rate.hz == OFF else pytest.approx(1 / rate.hz)), rate
        samples: list[tuple[float, float]] = []

        def steady() -> float | None:   # the store's rate, once two readings a window apart agree
            now, rate = time.monotonic(), fleet.snapshot(1).message_rate_hz or 0.0
            samples.append((now, rate))
            older = [r for t, r in samples if now - t >= RATE_WINDOW_S]
            return rate if older and rate > 0 and abs(rate - older[-1]) <= 0.15 * older[-1] else None

        rate = wait_until(steady, 15, "a steady message rate")
        assert 0.8 * EXPECTED_HZ <= rate <= 1.2 * EXPECTED_HZ   # type: ignore[operator]

        # Drone 1 goes silent and comes back with its defaults (as PX4 after a reboot): it is asked again.
        rounds = fleet.rate_requests(1).rounds_done  # type: ignore[union-attr]
        ep = sim.fleet.endpoints[1]

        def reboot() -> None:
            ep.vehicle.faults.link_down_until = time.monotonic() + 3.0
            ep.intervals_s = {mid: 1.0 / hz for mid, hz in DEFAULT_RATES_HZ.items()}

        sim.do(reboot)
        wait_until(lambda: fleet.snapshot(1).link is LinkState.LOST, 5, "drone 1 lost")
        wait_until(lambda: fleet.rate_requests(1).rounds_done > rounds, 15, "rates asked again")  # type: ignore[union-attr]
        assert sim.do(lambda: ep.intervals_s[M.MAVLINK_MSG_ID_ATTITUDE]) == pytest.approx(0.5)
        assert sim.do(lambda: ep.intervals_s[M.MAVLINK_MSG_ID_VFR_HUD]) == 0.0
        assert dropped_callbacks() == dropped
    finally:
        core.call(fleet.close(), 10)
        sim.close()


def test_unanswered_requests_are_retried(core: CoreLoop) -> None:
    sim = SimThread(make_docks(1), time_scale=1.0)
    sim.do(lambda: setattr(sim.fleet.endpoints[1].vehicle.faults, "no_ack", True))   # acknowledges nothing
    fleet = Fleet(sim.docks)
    try:
        core.call(fleet.start(), 15)
        wait_until(lambda: fleet.rate_requests(1) is not None, 15, "drone attached")
        wait_until(lambda: fleet.snapshot(1).link is LinkState.OK, 15, "link up")
        assert not fleet.rate_requests(1).complete  # type: ignore[union-attr]
        sim.do(lambda: setattr(sim.fleet.endpoints[1].vehicle.faults, "no_ack", False))
        wait_until(lambda: fleet.rate_requests(1).complete, 20, "requests answered on a retry")  # type: ignore[union-attr]
        assert set(fleet.rate_requests(1).results.values()) == {"ACCEPTED"}  # type: ignore[union-attr]
    finally:
        core.call(fleet.close(), 10)
        sim.close()

