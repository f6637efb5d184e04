"""Commands to one drone through MAVSDK 4 (Action, MissionRaw), with refusals the operator can read.

Every failure comes out as `CommandRefused` with a Chinese and English reason: MAVSDK's result
(denied, timeout, ...) plus, when the drone said why (PX4 sends a STATUSTEXT such as
"Arming denied: low battery"), the drone's own words.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from drones.model import CommandRefused, Reason

log = logging.getLogger(__name__)

MISSION_TYPE_MISSION = 0
STATUS_TEXT_WAIT_S = 0.5     # how long after a refusal the drone's STATUSTEXT may still arrive

_RESULT_TEXT: dict[str, tuple[str, str]] = {
    "COMMAND_DENIED": ("无人机拒绝执行", "the drone refused the command"),
    "COMMAND_DENIED_NOT_LANDED": ("无人机未落地，拒绝执行", "refused: the drone has not landed"),
    "COMMAND_DENIED_LANDED_STATE_UNKNOWN": ("着陆状态未知，拒绝执行", "refused: landed state unknown"),
    "TIMEOUT": ("无人机无应答（超时）", "the drone did not answer (timeout)"),
    "NO_SYSTEM": ("无人机未连接", "the drone is not connected"),
    "CONNECTION_ERROR": ("数据链错误", "data link error"),
    "BUSY": ("无人机忙，请稍后再试", "the drone is busy, try again"),
    "UNSUPPORTED": ("无人机不支持该指令", "the drone does not support this command"),
    "PARAMETER_ERROR": ("参数错误", "parameter error"),
    "INVALID_ARGUMENT": ("指令参数无效", "invalid command argument"),
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


def refusal(exc: Exception, command: str, drone_said: str | None) -> CommandRefused:
    """Turns a MAVSDK error into a refusal the operator can read."""
    result = getattr(getattr(exc, "result", None), "name", None) or type(exc).__name__
    zh, en = _RESULT_TEXT.get(str(result), ("指令失败", f"command failed ({result})"))
    if drone_said:
        zh, en = f"{zh}：{drone_said}", f"{en}: {drone_said}"
    return CommandRefused(Reason(zh, en), command=command)


class MavsdkDroneControl:
    """DroneControl over MAVSDK's Action and MissionRaw plugins of one drone; calls run on the core loop.

    Take the plugins from the Fleet (`fleet.action(sysid)`, `fleet.mission_raw(sysid)`): MAVSDK counts
    mission progress per MissionRaw instance, so the fleet's telemetry sees the mission uploaded here.
    """

    def __init__(self, action: Any, mission: Any, *, last_status_text: Callable[[], str | None] = lambda: None
                 ) -> None:
        self._action = action
        self._mission = mission
        self._said = last_status_text

    async def _call(self, command: str, coro: Any) -> None:
        before = self._said()
        try:
            await coro
        except Exception as exc:  # noqa: BLE001 - every MAVSDK error becomes a readable refusal
            refused = refusal(exc, command, await self._new_status_text(before))
            log.info("%s refused: %s", command, refused.reason.en)
            raise refused from exc

    async def _new_status_text(self, before: str | None) -> str | None:
        """The drone's words about a refusal: PX4 may send its STATUSTEXT just after the COMMAND_ACK,
        so wait a moment for a text that was not there before the command (never attach an old one)."""
        deadline = asyncio.get_running_loop().time() + STATUS_TEXT_WAIT_S
        while True:
            said = self._said()
            if said and said != before:
                return said
            if asyncio.get_running_loop().time() >= deadline:
                return None
            await asyncio.sleep(0.02)  # polling the telemetry store for the drone's text

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
        await self._call("start_mission", self._mission.start_mission())

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
