"""What the video wall shows, decided from what is happening (Qt-free).

The wall holds the truth of what is on screen; the director reads it as `Slot`s (tile key, pinned,
alert) and answers with `TileAssignment`s for the controller to apply:

- an alert selected fills a block of tiles from the first one with the cameras nearest to it, marked
  with the alert's level: only working ones when it has any (never a block of "no signal" tiles);
- a level-1/2 alert arriving (per `auto_levels`) does the same only in tiles the wall chose itself:
  never in a tile the operator placed, pinned or maximised, never while the operator works another
  alert as severe or more (selected, or on the wall and acknowledged / dispatched / on scene), never
  over the block of a more severe open alert; then it is proposed instead (the wall's banner), and
  the operator may accept it (as a selection);
- a flight task puts its drone's feed in the tile right after its alert's block and keeps it there
  until the drone is back (docked, completed, aborted, failed); then the tile gets back what it showed;
- pinned tiles, the maximised tile and tiles of drones in flight are never replaced.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

Origin = Literal["alert", "drone", "restore"]
CAMERA = "camera:"
DRONE = "drone:"
#: Tiles an alert's cameras take, by the wall's tile count; the rest is left for drones and the operator.
BLOCK_SIZES: dict[int, int] = {1: 1, 4: 3, 6: 4, 8: 6, 9: 6, 16: 8}
#: Task states after which the drone's feed leaves the wall (TaskState values).
TASK_ENDED = frozenset({"docked", "completed", "aborted", "failed"})


@dataclass(frozen=True, slots=True)
class Slot:
    """One tile as the wall has it: its source key ("camera:<id>", "drone:<sysid>", None) and marks."""

    key: str | None
    pinned: bool = False
    alert_id: str | None = None
    alert_level: int | None = None
    placed: bool = False          # the operator put it there (map, search, drop, preset)
    maximised: bool = False       # the operator is looking at it alone


@dataclass(frozen=True, slots=True)
class CameraCandidate:
    camera_id: str
    distance_m: float
    live: bool = True


@dataclass(frozen=True, slots=True)
class AlertFocus:
    """An alert and the cameras around it, nearest first (from the five automatics or the registry)."""

    alert_id: str
    level: int
    cameras: tuple[CameraCandidate, ...]


@dataclass(frozen=True, slots=True)
class TileAssignment:
    """Put `key` (None: empty) in tile `index`; alert-driven when `alert_level` is set."""

    index: int
    key: str | None
    origin: Origin
    alert_id: str | None = None
    alert_level: int | None = None


@dataclass(frozen=True, slots=True)
class Arrival:
    """What an arriving alert does to the wall: tiles it fills, or a proposal for the operator."""

    assignments: list[TileAssignment]
    proposed: bool = False


@dataclass(slots=True)
class _Flight:
    sysid: int
    alert_id: str | None
    previous: Slot | None = None      # what the tile showed before the drone took it


@dataclass(slots=True)
class VideoDirector:
    """Turns alert and task events into tile assignments; remembers only the drones on the wall."""

    auto_levels: frozenset[int] = frozenset({1, 2})
    auto_alerts: bool = True
    block_sizes: dict[int, int] = field(default_factory=lambda: dict(BLOCK_SIZES))
    _flights: dict[str, _Flight] = field(default_factory=dict)

    def block_size(self, tiles: int) -> int:
        return self.block_sizes.get(tiles, max(1, (tiles * 2) // 3))

    # ----- alerts --------------------------------------------------------------------------------

    def alert_selected(self, slots: Sequence[Slot], alert: AlertFocus,
                       replaceable: Callable[[Slot], bool] | None = None) -> list[TileAssignment]:
        """The operator selected an alert: its cameras fill the block (tiles 0..block-1, skipping kept ones)."""
        usable = replaceable or (lambda s: not self._kept(s))
        free = [i for i, s in enumerate(slots) if usable(s)][:self.block_size(len(slots))]
        # A camera already in a tile that stays is not shown twice.
        kept_keys = {s.key for s in slots if not usable(s)}
        queue = [c for c in self.cameras_to_show(alert) if CAMERA + c.camera_id not in kept_keys]
        out: list[TileAssignment] = []
        for index, cam in zip(free, queue):
            key = CAMERA + cam.camera_id
            old = next((i for i, s in enumerate(slots) if s.key == key), None)
            if old is not None and old not in free:
                out.append(TileAssignment(old, None, "alert"))        # moved into the block, not doubled
            out.append(TileAssignment(index, key, "alert", alert.alert_id, alert.level))
        return out

    @staticmethod
    def cameras_to_show(alert: AlertFocus) -> list[CameraCandidate]:
        """Working cameras nearest first; cameras without a picture only when none works."""
        live = sorted((c for c in alert.cameras if c.live), key=lambda c: c.distance_m)
        return live or sorted(alert.cameras, key=lambda c: c.distance_m)

    def alert_arrived(self, slots: Sequence[Slot], alert: AlertFocus,
                      is_open: Callable[[str], bool] = lambda _alert_id: True,
                      working_level: int | None = None) -> Arrival:
        """A new alert of an `auto_levels` level (automatic filling on): its working cameras go into the
        tiles the wall chose itself, or it is proposed when the operator's wall or work must stay.
        `working_level`: the most severe level among the alerts the operator is working now."""
        if not self.auto_alerts or alert.level not in self.auto_levels:
            return Arrival([])
        if not any(c.live for c in alert.cameras):
            return Arrival([])        # nothing to see: "no signal" tiles would only push pictures away
        # The cameras of a more severe alert still open stay: a level-2 arrival does not push a
        # level-1 block off the wall (the operator can still select the level-2 alert).
        shown = [s.alert_level for s in slots
                 if s.alert_id is not None and s.alert_level is not None and is_open(s.alert_id)]
        busy = working_level is not None and alert.level >= working_level
        if busy or (shown and min(shown) < alert.level) or any(s.maximised for s in slots):
            return Arrival([], proposed=True)
        out = self.alert_selected(slots, alert, replaceable=lambda s: not self._kept(s) and not s.placed)
        return Arrival(out, proposed=not out)

    # ----- drone tasks ---------------------------------------------------------------------------

    def task_changed(self, slots: Sequence[Slot], task_id: str, sysid: int, alert_id: str | None,
                     state: str) -> list[TileAssignment]:
        """A task moved: an open one shows its drone (once), an ended one gives its tile back."""
        key = DRONE + str(sysid)
        flight = self._flights.get(task_id)
        if state in TASK_ENDED:
            if flight is None:
                return []
            del self._flights[task_id]
            index = next((i for i, s in enumerate(slots) if s.key == key), None)
            if index is None or slots[index].pinned:
                return []
            prev = flight.previous
            return [TileAssignment(index, prev.key if prev else None, "restore",
                                   prev.alert_id if prev else None, prev.alert_level if prev else None)]
        if flight is not None or any(s.key == key for s in slots):
            self._flights.setdefault(task_id, _Flight(sysid, alert_id))
            return []
        index = self._drone_tile(slots, alert_id)
        if index is None:
            return []
        self._flights[task_id] = _Flight(sysid, alert_id, slots[index])
        return [TileAssignment(index, key, "drone", alert_id)]

    def _drone_tile(self, slots: Sequence[Slot], alert_id: str | None) -> int | None:
        """Right after the alert's block; else the first empty tile; else the first replaceable one
        after the alert block's usual place."""
        block = [i for i, s in enumerate(slots) if alert_id is not None and s.alert_id == alert_id
                 and (s.key or "").startswith(CAMERA)]
        start = (max(block) + 1) if block else self.block_size(len(slots)) if len(slots) > 1 else 0
        order = [*range(start, len(slots)), *range(start - 1, -1, -1)]
        empty = [i for i in order if slots[i].key is None and not self._kept(slots[i])]
        if block and start < len(slots) and not self._kept(slots[start]):
            return start
        if empty:
            return empty[0]
        return next((i for i in order if not self._kept(slots[i])), None)

    @property
    def drones_on_wall(self) -> dict[str, int]:
        """Open tasks whose drone the wall follows: task id -> sysid."""
        return {t: f.sysid for t, f in self._flights.items()}

    def _kept(self, slot: Slot) -> bool:
        """Pinned tiles, the maximised tile and drones of open tasks are never replaced."""
        if slot.pinned or slot.maximised:
            return True
        return slot.key is not None and slot.key.startswith(DRONE) and \
            any(DRONE + str(f.sysid) == slot.key for f in self._flights.values())
