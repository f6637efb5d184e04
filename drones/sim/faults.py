"""Fault injection for the simulator: from the command line (`--fault`) or over MQTT.

A running simulator also takes faults on `{root}/sim/v1/faults` as JSON
`{"kind": "link", "sysid": 3, "seconds": 20}` (`"on": false` clears gps/battery/noack/cover/offline),
so a demo or an integration test can break a drone while a console watches.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal, Protocol

FaultKind = Literal["link", "gps", "battery", "noack", "cover", "offline"]
KINDS: tuple[str, ...] = ("link", "gps", "battery", "noack", "cover", "offline")
DEFAULT_LINK_DROP_S = 30.0
_SPEC = re.compile(r"^(?P<kind>[a-z]+):(?P<sysid>\d+)(?::(?P<seconds>\d+(?:\.\d+)?))?(?:@(?P<after>\d+(?:\.\d+)?))?$")


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """One fault: what, on which drone (its dock for cover/offline), for how long, starting when."""

    kind: FaultKind
    sysid: int
    seconds: float | None = None     # link: silence length; others: None = until cleared
    after_s: float = 0.0
    on: bool = True


def parse_fault(text: str) -> FaultSpec:
    """Parses `KIND:SYSID[:SECONDS][@AFTER_S]`; ValueError with the reason when it is not one."""
    m = _SPEC.match(text.strip())
    if not m or m.group("kind") not in KINDS:
        raise ValueError(f"bad fault {text!r}: expected KIND:SYSID[:SECONDS][@AFTER_S], KIND one of {', '.join(KINDS)}")
    seconds = float(m.group("seconds")) if m.group("seconds") else None
    if m.group("kind") == "link" and seconds is None:
        seconds = DEFAULT_LINK_DROP_S
    return FaultSpec(m.group("kind"), int(m.group("sysid")), seconds,  # type: ignore[arg-type]
                     float(m.group("after") or 0.0))


def parse_fault_message(payload: bytes) -> FaultSpec:
    """Parses an MQTT fault request; ValueError naming what is wrong."""
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"fault request is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("fault request must be a JSON object")
    kind, sysid = data.get("kind"), data.get("sysid")
    if kind not in KINDS:
        raise ValueError(f"fault kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if isinstance(sysid, bool) or not isinstance(sysid, int):
        raise ValueError(f"fault sysid must be an integer, got {sysid!r}")
    seconds = data.get("seconds")
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0):
        raise ValueError(f"fault seconds must be a positive number, got {seconds!r}")
    if kind == "link" and seconds is None:
        seconds = DEFAULT_LINK_DROP_S
    return FaultSpec(kind, sysid, float(seconds) if seconds is not None else None, 0.0, bool(data.get("on", True)))


class FaultTarget(Protocol):
    """What a fault is applied to: the simulator runner implements it."""

    def apply_fault(self, fault: FaultSpec) -> None: ...
