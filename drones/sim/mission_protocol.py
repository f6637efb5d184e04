"""The MAVLink mission protocol on the vehicle side: upload, download, clear, set current.

Upload: GCS sends MISSION_COUNT; the vehicle requests each item with MISSION_REQUEST_INT,
re-requesting after ITEM_TIMEOUT_S up to MAX_RETRIES times, and ends with MISSION_ACK
(ACCEPTED, or the error of the first unusable item). Download: MISSION_REQUEST_LIST →
MISSION_COUNT → items on request. Only the MISSION type is stored; fence and rally plans
are refused unless empty.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pymavlink.dialects.v20 import common as mavlink2

from drones.sim.mission import MAX_ITEMS, MissionItem
from drones.sim.px4 import FlightMode

if TYPE_CHECKING:
    from drones.sim.endpoint import VehicleEndpoint

log = logging.getLogger(__name__)

M = mavlink2
ITEM_TIMEOUT_S = 1.0
MAX_RETRIES = 5
TYPE_MISSION = M.MAV_MISSION_TYPE_MISSION
TYPE_ALL = M.MAV_MISSION_TYPE_ALL


@dataclass(slots=True)
class _Upload:
    partner: tuple[int, int]
    count: int
    items: list[MissionItem] = field(default_factory=list)
    requested_at: float = 0.0
    retries: int = 0
    error: int | None = None


class MissionTransfer:
    """Mission protocol state of one vehicle; `handle()` for MISSION_* messages, `service()` for timeouts."""

    def __init__(self, endpoint: VehicleEndpoint) -> None:
        self.ep = endpoint
        self.upload: _Upload | None = None

    @property
    def _runner(self):  # type: ignore[no-untyped-def]
        return self.ep.vehicle.mission

    def send_current(self) -> None:
        runner, v = self._runner, self.ep.vehicle
        total = len(runner.items)
        if total == 0:
            state = M.MISSION_STATE_NO_MISSION
        elif runner.complete:
            state = M.MISSION_STATE_COMPLETE
        elif v.mode == FlightMode.MISSION:
            state = M.MISSION_STATE_ACTIVE
        elif runner.current > 0:
            state = M.MISSION_STATE_PAUSED
        else:
            state = M.MISSION_STATE_NOT_STARTED
        self.ep.mav.mission_current_send(runner.current, total, state)

    def handle(self, msg: M.MAVLink_message, now: float) -> None:
        kind = msg.get_type()
        partner = (msg.get_srcSystem(), msg.get_srcComponent())
        mtype = getattr(msg, "mission_type", TYPE_MISSION)
        if kind == "MISSION_COUNT":
            self._start_upload(partner, msg.count, mtype, now)
        elif kind in ("MISSION_ITEM_INT", "MISSION_ITEM"):
            self._receive_item(msg, partner, now)
        elif kind == "MISSION_REQUEST_LIST":
            count = len(self._runner.items) if mtype == TYPE_MISSION else 0
            self.ep.mav.mission_count_send(partner[0], partner[1], count, mtype)
        elif kind in ("MISSION_REQUEST_INT", "MISSION_REQUEST"):
            self._send_item(partner, msg.seq, mtype, as_int=kind == "MISSION_REQUEST_INT")
        elif kind == "MISSION_CLEAR_ALL":
            if mtype in (TYPE_MISSION, TYPE_ALL):
                self._runner.replace([])
            self.ep.mav.mission_ack_send(partner[0], partner[1], M.MAV_MISSION_ACCEPTED, mtype)
        elif kind == "MISSION_SET_CURRENT":
            if self._runner.set_current(msg.seq):
                self.send_current()
        # MISSION_ACK from the GCS ends a download: nothing to do.

    def _start_upload(self, partner: tuple[int, int], count: int, mtype: int, now: float) -> None:
        if mtype != TYPE_MISSION:
            result = M.MAV_MISSION_ACCEPTED if count == 0 else M.MAV_MISSION_UNSUPPORTED
            self.ep.mav.mission_ack_send(partner[0], partner[1], result, mtype)
            return
        if count > MAX_ITEMS:
            self.ep.mav.mission_ack_send(partner[0], partner[1], M.MAV_MISSION_NO_SPACE, mtype)
            return
        if count == 0:
            self._runner.replace([])
            self.ep.mav.mission_ack_send(partner[0], partner[1], M.MAV_MISSION_ACCEPTED, mtype)
            return
        self.upload = _Upload(partner, count)
        self._request_next(now)

    def _request_next(self, now: float) -> None:
        up = self.upload
        assert up is not None
        up.requested_at = now
        self.ep.mav.mission_request_int_send(up.partner[0], up.partner[1], len(up.items), TYPE_MISSION)

    def _receive_item(self, msg: M.MAVLink_message, partner: tuple[int, int], now: float) -> None:
        up = self.upload
        if up is None or partner != up.partner or getattr(msg, "mission_type", 0) != TYPE_MISSION:
            return
        if msg.seq != len(up.items):
            # Out of order (a retransmission crossed our request): ask again for the one we need.
            self._request_next(now)
            return
        if msg.get_type() == "MISSION_ITEM":
            x, y = int(round(msg.x * 1e7)), int(round(msg.y * 1e7))
        else:
            x, y = msg.x, msg.y
        item = MissionItem(msg.seq, msg.frame, msg.command, msg.current, msg.autocontinue, msg.param1, msg.param2,
                           msg.param3, msg.param4, x, y, msg.z)
        if up.error is None:
            up.error = item.problem()
        up.items.append(item)
        up.retries = 0
        if len(up.items) < up.count:
            self._request_next(now)
            return
        self.upload = None
        if up.error is not None:
            log.info("drone %d: mission refused (%d)", self.ep.vehicle.sysid, up.error)
            self.ep.mav.mission_ack_send(up.partner[0], up.partner[1], up.error, TYPE_MISSION)
            return
        self._runner.replace(up.items)
        self.ep.vehicle.mission_uploaded()
        self.ep.mav.mission_ack_send(up.partner[0], up.partner[1], M.MAV_MISSION_ACCEPTED, TYPE_MISSION)
        self.send_current()

    def _send_item(self, partner: tuple[int, int], seq: int, mtype: int, *, as_int: bool) -> None:
        items = self._runner.items if mtype == TYPE_MISSION else []
        if not 0 <= seq < len(items):
            self.ep.mav.mission_ack_send(partner[0], partner[1], M.MAV_MISSION_INVALID_SEQUENCE, mtype)
            return
        it = items[seq]
        current = 1 if seq == self._runner.current else 0
        if as_int:
            self.ep.mav.mission_item_int_send(partner[0], partner[1], seq, it.frame, it.command, current,
                                              it.autocontinue, it.param1, it.param2, it.param3, it.param4,
                                              it.x, it.y, it.z, mtype)
        else:
            self.ep.mav.mission_item_send(partner[0], partner[1], seq, it.frame, it.command, current,
                                          it.autocontinue, it.param1, it.param2, it.param3, it.param4,
                                          it.x / 1e7, it.y / 1e7, it.z, mtype)

    def service(self, now: float) -> None:
        up = self.upload
        if up is None or now - up.requested_at < ITEM_TIMEOUT_S:
            return
        if up.retries >= MAX_RETRIES:
            log.info("drone %d: mission upload timed out at item %d", self.ep.vehicle.sysid, len(up.items))
            self.ep.mav.mission_ack_send(up.partner[0], up.partner[1], M.MAV_MISSION_OPERATION_CANCELLED,
                                         TYPE_MISSION)
            self.upload = None
            return
        up.retries += 1
        self._request_next(now)
