"""Commands to one drone through MAVSDK 4 (Action, MissionRaw), with refusals the operator can read.

Every failure comes out as `CommandRefused` with a Chinese and English reason: MAVSDK's result
(denied, timeout, ...) plus, when the drone said why (PX4 sends a STATUSTEXT such as
"Arming denied: low battery"), the drone's own words.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NoReturn, Protocol

from drones.model import CommandRefused
from vocab import Reason

log = logging.getLogger(__name__)

MISSION_TYPE_MISSION = 0
DRONE_WORDS_WAIT_S = 2.5    # how long after a refusal PX4's STATUSTEXT may still arrive (about 2 s)
#: PX4 refuses mission mode for about a second after a mission upload ("Switching to Mission is currently not
#: available"): a denied mission start is tried again this often, for this long, before it is a refusal.
MISSION_START_RETRY_S = 4.0
MISSION_START_RETRY_PERIOD_S = 0.25
#: MAVSDK's result names for "the drone said no" (Action, MissionRaw): the ones a retry may overcome.
_DENIED = frozenset({"COMMAND_DENIED", "DENIED"})

#: MAVSDK's result names (Action and MissionRaw share them) and the reason code each is shown as.
_RESULT_CODES: dict[str, str] = {
    "COMMAND_DENIED": "mav.denied",
    "DENIED": "mav.denied",
    "COMMAND_DENIED_NOT_LANDED": "mav.denied_not_landed",
    "COMMAND_DENIED_LANDED_STATE_UNKNOWN": "mav.denied_landed_unknown",
    "TIMEOUT": "mav.timeout",
    "NO_SYSTEM": "task.not_connected",
    "CONNECTION_ERROR": "mav.connection_error",
    "BUSY": "mav.busy",
    "UNSUPPORTED": "mav.unsupported",
    "PARAMETER_ERROR": "mav.parameter_error",
    "INVALID_ARGUMENT": "mav.invalid_argument",
}


class MissionItemLike(Protocol):
    """A planned mission item (drones.planning.PlannedItem has these fields)."""

    command: int
    frame: int
    param1: float
    param2: float
    param3: float
    param4: float
    lat: float
    lon: float
    alt_rel_m: float


class DroneControl(Protocol):
    """What a flight task needs to command a drone; MavsdkDroneControl is the real one."""

    async def upload_mission(self, items: Sequence[MissionItemLike]) -> None: ...
    async def arm(self) -> None: ...
    async def disarm(self) -> None: ...
    async def start_mission(self) -> None: ...
    async def set_current_item(self, index: int) -> None: ...
    async def hold(self) -> None: ...
    async def return_home(self) -> None: ...
    async def land(self) -> None: ...
    async def goto(self, lat: float, lon: float, alt_amsl_m: float) -> None: ...


def result_name(exc: Exception) -> str:
    """MAVSDK's result name of a failed call (e.g. COMMAND_DENIED), else the exception's type name."""
    return str(getattr(getattr(exc, "result", None), "name", None) or type(exc).__name__)


def refusal(exc: Exception, command: str, drone_said: str | None) -> CommandRefused:
    """Turns a MAVSDK error into a refusal the operator can read."""
    result = result_name(exc)
    code = _RESULT_CODES.get(result)
    what = Reason.of(code) if code else Reason.of("mav.failed", result=result)
    if drone_said:
        what = Reason.of("mav.with_words", result=what, said=Reason.said(drone_said))
    return CommandRefused(what, command=command)


class MavsdkDroneControl:
    """DroneControl over MAVSDK's Action and MissionRaw plugins of one drone; calls run on the core loop.

    Take the plugins from the Fleet (`fleet.action(sysid)`, `fleet.mission_raw(sysid)`): MAVSDK counts
    mission progress per MissionRaw instance, so the fleet's telemetry sees the mission uploaded here.
    """

    def __init__(self, action: Any, mission: Any, *,
                 words_since: Callable[[float, float], Awaitable[str | None]] | None = None) -> None:
        self._action = action
        self._mission = mission
        self._words_since = words_since   # Fleet.words_since bound to this drone

    async def _call(self, command: str, coro: Any) -> None:
        sent_at = time.time()
        try:
            await coro
        except Exception as exc:  # noqa: BLE001 - every MAVSDK error becomes a readable refusal
            await self._refuse(command, exc, sent_at)

    async def _refuse(self, command: str, exc: Exception, sent_at: float) -> NoReturn:
        """Raises the refusal of `command`, with what the drone said since `sent_at` (wall clock).

        PX4 sends its reason as STATUSTEXT up to about 2 s after the COMMAND_ACK: wait for words said
        since the command went out (never an older text). Only this coroutine waits; the loop and every
        other drone go on meanwhile.
        """
        said = await self._words_since(sent_at, DRONE_WORDS_WAIT_S) if self._words_since else None
        refused = refusal(exc, command, said)
        log.info("%s refused: %s", command, refused.reason.en)
        raise refused from exc

    async def upload_mission(self, items: Sequence[MissionItemLike]) -> None:
        from mavsdk.plugins.mission_raw import MissionItem

        raw = [MissionItem(i, it.frame, it.command, 1 if i == 0 else 0, 1, it.param1, it.param2, it.param3,
                           it.param4 if math.isfinite(it.param4) else float("nan"),
                           int(round(it.lat * 1e7)), int(round(it.lon * 1e7)), it.alt_rel_m, MISSION_TYPE_MISSION)
               for i, it in enumerate(items)]
        await self._call("upload_mission", self._mission.upload_mission(raw))

    async def arm(self) -> None:
        await self._call("arm", self._action.arm())

    async def disarm(self) -> None:
        await self._call("disarm", self._action.disarm())

    async def start_mission(self) -> None:
        """Starts the uploaded mission; a denial is retried for MISSION_START_RETRY_S (PX4 refuses mission mode
        for about a second after an upload), then it is a refusal with the drone's words."""
        deadline = time.monotonic() + MISSION_START_RETRY_S
        attempt = 1
        while True:
            try:
                await self._mission.start_mission()
                if attempt > 1:
                    log.info("start_mission accepted at attempt %d", attempt)
                return
            except Exception as exc:  # noqa: BLE001 - MAVSDK's MissionRawError; anything else is refused below
                if result_name(exc) not in _DENIED or time.monotonic() + MISSION_START_RETRY_PERIOD_S > deadline:
                    await self._refuse("start_mission", exc, time.time() - MISSION_START_RETRY_PERIOD_S)
                log.info("start_mission denied at attempt %d; trying again", attempt)
            attempt += 1
            await asyncio.sleep(MISSION_START_RETRY_PERIOD_S)  # retry period while PX4 settles after an upload

    async def set_current_item(self, index: int) -> None:
        await self._call("set_current_item", self._mission.set_current_mission_item(index))

    async def hold(self) -> None:
        await self._call("hold", self._action.hold())

    async def return_home(self) -> None:
        await self._call("return_to_launch", self._action.return_to_launch())

    async def land(self) -> None:
        await self._call("land", self._action.land())

    async def goto(self, lat: float, lon: float, alt_amsl_m: float) -> None:
        await self._call("goto", self._action.goto_location(lat, lon, alt_amsl_m, float("nan")))
