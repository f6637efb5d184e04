"""The first link counter, kept as a thin view of `drones.fleet.Fleet` for code that still uses it.

New code uses `Fleet` directly (events, telemetry store, command access); this only turns
its link states into `on_links(connected, total)` calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from drones.fleet import Fleet, route_mavsdk_logs
from drones.site import Dock

__all__ = ["FleetLink", "route_mavsdk_logs"]


class FleetLink:
    """Owns a Fleet; `on_links(connected, total)` is called on the core loop, at start and on change."""

    def __init__(self, docks: Sequence[Dock], on_links: Callable[[int, int], None]) -> None:
        self.docks = tuple(docks)
        self.fleet = Fleet(self.docks)
        self._on_links = on_links
        self._last: tuple[int, int] | None = None
        self.fleet.add_listener(lambda _event: self._report())

    async def run(self) -> None:
        """Runs the fleet until cancelled."""
        self._report()
        await self.fleet.run()

    def _report(self) -> None:
        counts = self.fleet.link_counts()
        if counts != self._last:
            self._last = counts
            self._on_links(*counts)

    async def close(self) -> None:
        await self.fleet.close()
