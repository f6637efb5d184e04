"""Events about docks, announced on the core loop and only when something really changes.

`drones.dock_client.DockClient` emits DockOnline, DockOffline and DockStateChanged;
`drones.authority.CommandAuthority` emits AuthorityChanged. All are frozen value objects,
safe to hand to another thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from drones.model import DockState
from vocab import Reason


class OfflineReason(Enum):
    """Why the console counts a dock as offline."""

    STATUS = "status"    # sys/product/{sn}/status says offline (the dock, or the broker by its last will)
    SILENT = "silent"    # no osd for DOCK_SILENT_S

    @property
    def text(self) -> Reason:
        if self is OfflineReason.STATUS:
            return Reason.of("dock.reported_offline")
        return Reason.of("dock.stopped_reporting")


@dataclass(frozen=True, slots=True)
class DockOnline:
    """The dock reports again (status online and fresh osd); it may be planned with."""

    dock_id: str
    state: DockState


@dataclass(frozen=True, slots=True)
class DockOffline:
    """The dock went offline; it is excluded from planning until DockOnline."""

    dock_id: str
    reason: OfflineReason
    state: DockState


@dataclass(frozen=True, slots=True)
class DockStateChanged:
    """A discrete part of the dock's state changed (cover, drone in dock, charging, mode, rain).

    `changed` names the DockState fields that differ from `previous`. Continuous values (wind,
    temperature, charge percent, network quality) update the snapshot without an event; views
    read them from `DockClient.state()` on their own timer.
    """

    dock_id: str
    state: DockState
    previous: DockState
    changed: frozenset[str]


DockEvent = DockOnline | DockOffline | DockStateChanged


@dataclass(frozen=True, slots=True)
class AuthorityHolder:
    """Who holds command authority on one dock, as published retained by the holding console."""

    dock_id: str
    console: str
    operator: str
    ts: float | None = None     # epoch seconds of the take, None if the message had no usable time


@dataclass(frozen=True, slots=True)
class AuthorityChanged:
    """Command authority on a dock changed hands (`holder` None: released).

    `mine` says whether this console holds it now.
    """

    dock_id: str
    holder: AuthorityHolder | None
    previous: AuthorityHolder | None
    mine: bool
