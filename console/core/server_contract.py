"""The site server's contract with consoles over MQTT (docs/architecture.md, "Site server").

One module that both sides import, so a topic name, a frame layout or a refusal's shape exists once.

Topics under `{root}/server/v1/`:

- `presence/{server_id}` retained: who runs, its role (active / standby), the site it serves; offline
  by last will.
- `lease` retained: the active server's lease (`server_id`, `until` epoch s); renewed every
  LEASE_RENEW_S. A standby takes over when it expires, is released, or its holder's presence goes offline.
- `telemetry` (QoS 0, not retained): a frame per tick (TICK_HZ) for the whole fleet.
- `state` (QoS 1, retained): a full frame every FULL_EVERY ticks, for a console that just joined.
- `alerts/{alert_id}` (QoS 1, retained): an alert record as the server's journal has it.
- `alert_desk` (QoS 1, retained): the recent quarantine (consoles work the SLA figures out from the records).
- `requests/{console_id}` → `replies/{console_id}` (QoS 1): commands and computations.

A frame is `MAGIC`, a 4-byte big-endian header length, a JSON header, then one numeric record per
drone (`FRAME_DTYPE`, little endian) in the header's `sysids` order. Clock readings of the server
(`time.monotonic()` values) never cross: they travel as ages at the frame's time and become the
console's own monotonic readings again (`AGE_FIELDS`).
"""

from __future__ import annotations

import json
import struct
import time
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np

from console.core.alert_events import WorkflowRefused
from drones.authority import AuthorityHeld
from drones.dock_events import AuthorityHolder
from drones.model import CommandRefused, DispatchRefused
from drones.telemetry_store import Col
from vocab import Reason

PATH = "server/v1"
#: Telemetry frames per second; every FULL_EVERY-th one is a full frame, also kept retained.
TICK_HZ = 10.0
FULL_EVERY = 10
#: The active server renews its lease this often, for LEASE_S each time.
LEASE_RENEW_S = 2.0
LEASE_S = 6.0
#: A console says "server lost" when no frame came for this long (or at once when the server's presence goes).
SERVER_SILENT_S = 2.0
#: How long a console waits for a reply before it says the server did not answer; a request older than
#: this when it reaches the server is answered "expired" and not carried out (nobody waits for it any more).
REPLY_TIMEOUT_S = 15.0
MAGIC = b"QDF1"

#: One drone's numbers in a frame. Positions are float64 (float32 would round a longitude to 0.7 m);
#: the rest float32, which is finer than anything the drone reports.
FRAME_FIELDS: tuple[tuple[str, str], ...] = (
    ("lat", "<f8"), ("lon", "<f8"), ("alt_amsl", "<f4"), ("alt_rel", "<f4"),
    ("v_north", "<f4"), ("v_east", "<f4"), ("v_down", "<f4"), ("heading", "<f4"),
    ("battery_pct", "<f4"), ("battery_v", "<f4"), ("battery_remaining_s", "<f4"),
    ("gps_fix", "<f4"), ("satellites", "<f4"),
    ("home_lat", "<f8"), ("home_lon", "<f8"), ("home_alt", "<f4"),
    ("updated_age", "<f4"), ("heartbeat_age", "<f4"), ("messages", "<f4"), ("rate_hz", "<f4"),
    ("roll", "<f4"), ("pitch", "<f4"),
)
FRAME_DTYPE = np.dtype(list(FRAME_FIELDS))
#: Frame fields that are columns of the telemetry store as they are (the rest are ages, rate and attitude).
FRAME_COLUMNS: tuple[tuple[str, int], ...] = (
    ("lat", Col.LAT), ("lon", Col.LON), ("alt_amsl", Col.ALT_AMSL), ("alt_rel", Col.ALT_REL),
    ("v_north", Col.V_NORTH), ("v_east", Col.V_EAST), ("v_down", Col.V_DOWN), ("heading", Col.HEADING),
    ("battery_pct", Col.BATTERY_PCT), ("battery_v", Col.BATTERY_V), ("battery_remaining_s", Col.BATTERY_REMAINING_S),
    ("gps_fix", Col.GPS_FIX), ("satellites", Col.SATELLITES), ("home_lat", Col.HOME_LAT), ("home_lon", Col.HOME_LON),
    ("home_alt", Col.HOME_ALT), ("messages", Col.MESSAGES))
#: Fields of the dataclasses a frame carries that hold the server's time.monotonic(): sent as ages.
AGE_FIELDS = ("since", "charging_since", "updated_at")


def topic(root: str, *parts: str) -> str:
    return "/".join((root, PATH, *parts))


def request_topic(root: str, power: str, user: str, console: str) -> str:
    """Where a console publishes a request: `requests/{power}/{user}/{console}`. The power (roles.Power) and the
    signed-in user are in the topic so the broker's ACL lets each account publish only the requests its role may
    make, and only under its own name; the server checks both again."""
    return topic(root, "requests", power, user, console)


def request_topic_parts(root: str, name: str) -> tuple[str, str, str] | None:
    """(power, user, console) of a request topic; None for any other topic."""
    prefix = topic(root, "requests") + "/"
    if not name.startswith(prefix):
        return None
    parts = name[len(prefix):].split("/")
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 and all(parts) else None


def signout_topic(root: str, user: str) -> str:
    """Where the server tells every console signed in as `user` to sign out (the account was disabled)."""
    return topic(root, "signout", user)


def new_request_id() -> str:
    return uuid.uuid4().hex


# ----------------------------------------------------------------------------- frames


def encode_frame(header: dict[str, Any], numbers: np.ndarray) -> bytes:
    """A frame from its JSON header and its numeric records (FRAME_DTYPE, one per drone)."""
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode()
    return MAGIC + struct.pack(">I", len(head)) + head + numbers.astype(FRAME_DTYPE, copy=False).tobytes()


def decode_frame(data: bytes) -> tuple[dict[str, Any], np.ndarray]:
    """(header, numeric records); ValueError for anything that is not a whole frame."""
    if len(data) < 8 or data[:4] != MAGIC:
        raise ValueError("not a server frame")
    (n,) = struct.unpack(">I", data[4:8])
    if 8 + n > len(data):
        raise ValueError("frame header cut short")
    header = json.loads(data[8:8 + n])
    if not isinstance(header, dict):
        raise ValueError("frame header is not an object")
    body = data[8 + n:]
    if len(body) % FRAME_DTYPE.itemsize:
        raise ValueError("frame body is not a whole number of drones")
    numbers = np.frombuffer(body, dtype=FRAME_DTYPE)
    if len(numbers) != len(header.get("sysids", ())):
        raise ValueError(f"frame has {len(numbers)} drones for {len(header.get('sysids', ()))} system ids")
    return header, numbers


def swap_ages(data: Any, now: float) -> Any:
    """A wire value with every AGE_FIELDS number x replaced by `now - x`.

    On the server, with its time.monotonic() as `now`, a reading becomes an age; on the console, with its
    own, the age becomes a reading of the console's clock. The same subtraction both ways.
    """
    if isinstance(data, dict):
        return {k: (now - v if k in AGE_FIELDS and isinstance(v, (int, float)) and not isinstance(v, bool)
                    else swap_ages(v, now)) for k, v in data.items()}
    if isinstance(data, list):
        return [swap_ages(v, now) for v in data]
    return data


# ----------------------------------------------------------------------------- requests and replies


@dataclass(frozen=True, slots=True)
class Request:
    """A console's request: who asks (console and operator), what, and what the operator saw."""

    request_id: str
    console: str
    operator: str
    op: str
    args: dict[str, Any]
    saw: dict[str, Any]
    ts: float                       # epoch s when the console sent it

    def to_json(self) -> dict[str, Any]:
        return {"request_id": self.request_id, "console": self.console, "operator": self.operator, "op": self.op,
                "args": self.args, "saw": self.saw, "ts": self.ts}

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Request:
        """ValueError naming the first field that is missing or of the wrong kind."""
        for name, kind in (("request_id", str), ("console", str), ("operator", str), ("op", str),
                           ("args", dict), ("saw", dict), ("ts", (int, float))):
            if not isinstance(body.get(name), kind):
                raise ValueError(f"request field {name!r} missing or not a {getattr(kind, '__name__', 'number')}")
        return cls(body["request_id"], body["console"], body["operator"], body["op"], body["args"], body["saw"],
                   float(body["ts"]))


#: Operations that change something: journaled with their reply, and answered again (never redone) when the
#: same request id comes back. The others are questions (the five automatics of an alert), answered fresh.
COMMAND_OPS = frozenset({
    "alert.acknowledge", "alert.assign", "alert.note", "alert.dismiss", "alert.resolve", "alert.reopen",
    "alert.split", "alert.dispatch",
    "drone.hold", "drone.resume", "drone.goto", "drone.altitude", "drone.return", "drone.land", "drone.abort",
    "drone.emergency_stop", "drone.reactivate",
    "authority.take", "authority.release", "authority.force", "automation.set",
    "session.sign_in", "session.sign_out",
})
QUERY_OPS = frozenset({"alert.automatics", "server.health", "audit.query"})


def ok_reply(request_id: str, result: Any = None) -> dict[str, Any]:
    return {"request_id": request_id, "ok": True, "result": result, "ts": time.time()}


def refusal_reply(request_id: str, exc: BaseException) -> dict[str, Any]:
    """The reply for a refused request: the kind of refusal and its reason, so the console raises the same
    exception the core raised (an authority refusal keeps its holder and whether that console is offline)."""
    reply: dict[str, Any] = {"request_id": request_id, "ok": False, "ts": time.time()}
    if isinstance(exc, AuthorityHeld):
        h = exc.holder
        reply.update(refusal="authority_held", command=exc.command, holder_offline=exc.holder_offline,
                     holder={"dock_id": h.dock_id, "console": h.console, "operator": h.operator, "ts": h.ts})
    elif isinstance(exc, CommandRefused):
        reply.update(refusal="command", command=exc.command)
    elif isinstance(exc, DispatchRefused):
        reply.update(refusal="dispatch", check=exc.check, task_id=exc.task_id)
    elif isinstance(exc, WorkflowRefused):
        reply.update(refusal="workflow")
    else:
        reply.update(refusal="error")
    reason = getattr(exc, "reason", None)
    if not isinstance(reason, Reason):
        reason = Reason.said(f"{type(exc).__name__}: {exc}")
    reply["reason"] = reason.to_json()
    return reply


def refusal_error(reply: dict[str, Any]) -> Exception:
    """The exception a refused reply stands for (the console raises it where the core would have)."""
    try:
        reason = Reason.from_json(reply.get("reason") or {})
    except ValueError:
        reason = Reason.said(str(reply.get("reason")))
    kind = reply.get("refusal")
    if kind == "authority_held":
        h = reply.get("holder") or {}
        holder = AuthorityHolder(str(h.get("dock_id")), str(h.get("console")), str(h.get("operator")), h.get("ts"))
        return AuthorityHeld(reason, command=str(reply.get("command")), holder=holder,
                             holder_offline=bool(reply.get("holder_offline")))
    if kind == "command":
        return CommandRefused(reason, command=str(reply.get("command")))
    if kind == "dispatch":
        exc = DispatchRefused(reason, check=str(reply.get("check")))
        exc.task_id = reply.get("task_id")
        return exc
    return WorkflowRefused(reason)
