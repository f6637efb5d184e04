"""The dock's service requests and replies: reading a request from `thing/product/{dock_sn}/services`
(`parse_service_request`, which never raises) and the result codes and reasons a dock answers
with on `.../services_reply` (`ServiceResult`, `ServiceOutcome`). The dock itself, which acts on
the requests, is `drones.sim.docks.DockSim`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any


class ServiceResult(IntEnum):
    """`services_reply.data.result`: 0 is success; the rest are this simulator's codes, grouped
    by kind (1xxxx the request, 2xxxx the equipment, 3xxxx the weather)."""

    OK = 0
    BAD_REQUEST = 10001
    UNKNOWN_METHOD = 10002
    BUSY = 10003
    ABORTED = 10004
    COVER_FAULT = 20001
    CHARGE_FAULT = 20002
    DRONE_NOT_IN_DOCK = 20003
    WIND_TOO_HIGH = 30001
    RAIN_TOO_HEAVY = 30002


@dataclass(frozen=True, slots=True)
class ServiceOutcome:
    """What a dock answers to one service request."""

    result: ServiceResult
    reason: str
    reason_zh: str

    @property
    def ok(self) -> bool:
        return self.result == ServiceResult.OK


@dataclass(frozen=True, slots=True)
class ServiceRequest:
    """One request read from `.../services`; `problem` says why it cannot be used (None: usable)."""

    tid: str | None
    bid: str | None
    method: str | None
    data: Mapping[str, Any]
    problem: str | None = None


_SALVAGE = {key: re.compile(rb'"%s"\s*:\s*"([^"\\]{1,128})"' % key.encode()) for key in ("tid", "bid", "method")}


def parse_service_request(payload: bytes) -> ServiceRequest:
    """Reads a request; never raises. From a payload that is not JSON it still salvages
    `tid`/`bid`/`method` when they are legible, so the sender gets an error reply, not silence."""
    try:
        body = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        found = {k: (m.group(1).decode("utf-8", "replace") if (m := rx.search(payload)) else None)
                 for k, rx in _SALVAGE.items()}
        return ServiceRequest(found["tid"], found["bid"], found["method"], {}, f"request is not UTF-8 JSON ({exc})")
    if not isinstance(body, dict):
        return ServiceRequest(None, None, None, {}, f"request is a JSON {type(body).__name__}, not an object")

    def ident(key: str) -> str | None:
        value = body.get(key)
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            return None
        return str(value).strip() or None  # an empty or blank id correlates nothing

    tid, bid, method = ident("tid"), ident("bid"), body.get("method")
    data = body.get("data", {})
    if not isinstance(method, str) or not method.strip():
        return ServiceRequest(tid, bid, None, {}, "request has no method")
    if not isinstance(data, dict):
        return ServiceRequest(tid, bid, method, {}, "request data is not an object")
    if tid is None:
        return ServiceRequest(None, bid, method, data, "request has no tid")
    return ServiceRequest(tid, bid, method, data)
