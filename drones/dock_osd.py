"""Reading a dock's `thing/product/{dock_sn}/osd` message into DockState fields (pure, never raises).

The field names are those of docs/architecture.md, "Docks" (DJI Cloud API, adapted): `mode_code`,
`cover_state` (0 closed, 1 open, 2 moving, 3 fault), `drone_in_dock`,
`drone_charge_state.state` / `.capacity_percent`, `wind_speed_m_s`, `rainfall` (0..3),
`environment_temperature_c`, `network_state.quality` (0..5).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from drones.model import CoverState
from drones.mqtt_port import json_object

_COVER = {0: CoverState.CLOSED, 1: CoverState.OPEN, 2: CoverState.MOVING, 3: CoverState.FAULT}


def _int_in(lo: int, hi: int) -> Callable[[Any], int | None]:
    def convert(v: Any) -> int | None:
        if v is None:
            return None
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
            raise ValueError(f"{v!r} is not an integer in {lo}..{hi}")
        return v
    return convert


def _number(v: Any) -> float | None:
    if v is None:
        return None
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
        raise ValueError(f"{v!r} is not a number")
    return float(v)


def _percent(v: Any) -> float | None:
    value = _number(v)
    if value is not None and not 0.0 <= value <= 100.0:
        raise ValueError(f"{v!r} is not a percentage")
    return value


def _flag(v: Any) -> bool | None:
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    raise ValueError(f"{v!r} is not a boolean")


def _cover(v: Any) -> CoverState:
    code = _int_in(0, 3)(v)
    return CoverState.UNKNOWN if code is None else _COVER[code]


#: osd `data` path -> DockState field, with the conversion that checks it.
_OSD_FIELDS: tuple[tuple[tuple[str, ...], str, Callable[[Any], Any]], ...] = (
    (("mode_code",), "mode_code", _int_in(0, 1000)),
    (("cover_state",), "cover", _cover),
    (("drone_in_dock",), "drone_in_dock", _flag),
    (("drone_charge_state", "state"), "charging", _flag),
    (("drone_charge_state", "capacity_percent"), "charge_pct", _percent),
    (("wind_speed_m_s",), "wind_speed_m_s", _number),
    (("rainfall",), "rainfall", _int_in(0, 3)),
    (("environment_temperature_c",), "temperature_c", _number),
    (("network_state", "quality"), "network_quality", _int_in(0, 5)),
)


def parse_osd(payload: bytes | None) -> tuple[dict[str, Any] | None, list[str]]:
    """The DockState fields an osd message carries, and the problems found; never raises.

    Fields the message leaves out are not in the result (docks may send partial osd); a field
    that is present but unusable is left out and named in the problems. The result is None
    when the message is unusable as a whole.
    """
    body, problem = json_object(payload)
    if body is None:
        return None, [problem or "unusable"]
    data = body.get("data")
    if not isinstance(data, dict):
        return None, ["no data object"]
    updates: dict[str, Any] = {}
    problems: list[str] = []
    for path, field, convert in _OSD_FIELDS:
        value: Any = data
        for key in path:
            if not isinstance(value, dict) or key not in value:
                break
            value = value[key]
        else:
            try:
                updates[field] = convert(value)
            except (ValueError, TypeError, OverflowError) as exc:
                problems.append(f"{'.'.join(path)}: {exc}")
            continue
        if value is None:  # a parent given as null: the dock says it does not know
            updates[field] = convert(None)
        elif not isinstance(value, dict):
            problems.append(f"{'.'.join(path)}: parent is not an object")
    return updates, problems
