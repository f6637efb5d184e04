"""MAVLink links to the site's drones through one MAVSDK instance (DESIGN.md section 3).

One `udpin` connection per dock (STACK.md: a shared port would send every command to every
drone). This first version reports how many of the site's drones have a live link; the
full fleet model (telemetry store, events, commands) builds on it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from drones.site import Dock

log = logging.getLogger(__name__)
mavsdk_log = logging.getLogger("mavsdk")

#: How often link counts are refreshed. MAVSDK drops a system after 3 s without heartbeat.
LINK_POLL_S = 0.5


class FleetLink:
    """Owns the Mavsdk instance; `on_links(connected, total)` is called on the core loop on change."""

    def __init__(self, docks: Sequence[Dock], on_links: Callable[[int, int], None]) -> None:
        self.docks = tuple(docks)
        self._on_links = on_links
        self._mavsdk = None
        self._sysids = {d.sysid for d in self.docks}
        self._last: tuple[int, int] | None = None

    async def run(self) -> None:
        """Opens one connection per dock, then keeps the link count current until cancelled."""
        total = len(self.docks)
        self._report(0, total)
        if not self.docks:
            return
        # Imported here so that a console without drones never loads the native library.
        from mavsdk.asyncio import ComponentType, Configuration, Mavsdk

        route_mavsdk_logs()
        self._mavsdk = Mavsdk(Configuration.create_with_component_type(ComponentType.GROUND_STATION))
        for dock in self.docks:
            try:
                await self._mavsdk.add_any_connection(dock.mavlink_url)
            except Exception as exc:  # noqa: BLE001 - one bad port must not stop the others
                log.error("dock %s: cannot listen on %s: %s", dock.id, dock.mavlink_url, exc)
        while True:
            connected = 0
            for system in await self._mavsdk.get_systems():
                if await system.is_connected() and await system.get_system_id() in self._sysids:
                    connected += 1
            self._report(connected, total)
            await asyncio.sleep(LINK_POLL_S)  # polling interval, not synchronisation

    def _report(self, connected: int, total: int) -> None:
        if self._last != (connected, total):
            self._last = (connected, total)
            self._on_links(connected, total)

    async def close(self) -> None:
        """Releases MAVSDK (its threads and sockets)."""
        if self._mavsdk is not None:
            mavsdk, self._mavsdk = self._mavsdk, None
            await asyncio.get_running_loop().run_in_executor(None, mavsdk.destroy)


def route_mavsdk_logs() -> None:
    """Sends MAVSDK's own log lines (normally printed to stderr) to the "mavsdk" Python logger.

    The callback runs on MAVSDK's threads; logging is thread-safe.
    """
    from mavsdk.logging import LogLevel, log_subscribe

    levels = {LogLevel.DEBUG: logging.DEBUG, LogLevel.INFO: logging.INFO, LogLevel.WARN: logging.WARNING,
              LogLevel.ERROR: logging.ERROR}

    def forward(level: LogLevel, message: str, file: str | None, line: int) -> bool:
        mavsdk_log.log(levels.get(level, logging.INFO), "%s", message)
        return True  # handled: MAVSDK prints nothing itself

    log_subscribe(forward)
