"""Sample verification flights for the demo site (`--demo-flights N`), so the map has drones in the air.

Qt-free, runs on the core loop. Each flight is an ordinary dispatch: it passes the same safety
checks, is journaled and can be taken over like any other task.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from console.core.fleet_status import dock_readiness
from console.core.task_service import TaskService
from drones.geo import destination
from drones.model import CommandRefused, DispatchRefused
from drones.site import Dock
from vocab import DockStatus

log = logging.getLogger(__name__)

#: How far from its dock each sample flight goes, and how long to wait for ready docks.
DEMO_DISTANCE_M = 1200.0
READY_WAIT_S = 60.0
POLL_S = 0.5  # readiness polling period while the fleet comes up


def spread(docks: list[Dock]) -> list[Dock]:
    """Docks in round-robin order over the districts, so sample flights are spread over the city."""
    by_district: dict[str, list[Dock]] = {}
    for d in docks:
        by_district.setdefault(d.district, []).append(d)
    order: list[Dock] = []
    while any(by_district.values()):
        for queue in by_district.values():
            if queue:
                order.append(queue.pop(0))
    return order


async def launch_demo_flights(tasks: TaskService, count: int, *, by: str,
                             only: Sequence[str] = ()) -> list[str]:
    """Dispatches up to `count` sample flights from ready docks (`only`: from these docks, e.g. the ones whose
    drones are real autopilots); returns the task ids started."""
    started: list[str] = []
    tried: set[str] = set()               # docks a flight was started from
    refused: dict[str, str] = {}          # dock -> why its last dispatch was refused (tried again: it may pass later)
    deadline = time.monotonic() + READY_WAIT_S
    candidates = spread([d for d in tasks.site.docks if not only or d.id in only])
    while len(started) < count and time.monotonic() < deadline:
        for i, dock in enumerate(candidates):
            if len(started) >= count:
                break
            if dock.id in tried:
                continue
            ready = dock_readiness(tasks.docks.state(dock.id), tasks.fleet.snapshot(dock.sysid), task_open=False,
                                   limits=tasks.limits)
            if ready.status != DockStatus.READY:
                continue
            bearing = (i * 137.5) % 360.0  # golden-angle spread: neighbouring docks fly different ways
            lat, lon = destination(dock.lat, dock.lon, bearing, DEMO_DISTANCE_M)
            try:
                task = await tasks.dispatch(dock, tasks.plan_to(dock, lat, lon, "default"), by=by)
            except DispatchRefused as exc:   # journaled as a failed task: not tried again
                tried.add(dock.id)
                log.info("demo flight from %s not started: %s", dock.id, exc.reason.en)
                continue
            except CommandRefused as exc:
                # Command authority not to be had yet (e.g. the MQTT link still coming up at start): tried again at
                # the next poll; said once per reason.
                if refused.get(dock.id) != exc.reason.en:
                    refused[dock.id] = exc.reason.en
                    log.info("demo flight from %s not started: %s", dock.id, exc.reason.en)
                continue
            tried.add(dock.id)
            started.append(task.task_id)
            log.info("demo flight %s from dock %s (bearing %.0f°)", task.task_id, dock.id, bearing)
        if len(started) < count:
            await asyncio.sleep(POLL_S)
    if len(started) < count:
        log.warning("demo flights: %d of %d started (not enough ready docks within %.0f s)", len(started), count,
                    READY_WAIT_S)
    return started


__all__ = ["launch_demo_flights", "spread"]
