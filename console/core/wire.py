"""The core's value objects as JSON and back, for the site server's contracts (docs/architecture.md, "Site server").

The server sends consoles the same frozen dataclasses the core computes (an alert record, the five
automatics of an alert, an open task, a dock's state); a console rebuilds them and its views draw
them exactly as they did in one process. One generic codec, driven by the dataclasses' own type
hints, instead of a hand-written serialiser per class that would drift from the class.

`to_wire(value)` gives plain JSON values: a dataclass becomes an object of its fields, an enum its
value, a tuple or frozenset a list, bytes base64, a Path its text, a reason its `to_json()`, NaN None.
`from_wire(type, data)` reads that back into `type`; ValueError when the data does not fit.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import math
import types
import typing
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, TypeVar, Union

from vocab import Reason

T = TypeVar("T")


def to_wire(value: Any) -> Any:
    """A JSON-ready copy of `value` (see the module's docstring for the mapping)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, Reason):
        return value.to_json()
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_wire(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [to_wire(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(to_wire(v) for v in value)
    if isinstance(value, Mapping):
        return {str(k): to_wire(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):   # a numpy scalar
        return to_wire(value.item())
    raise TypeError(f"cannot put {type(value).__name__} on the wire")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_wire(tp: Any, data: Any) -> Any:
    """`data` (from `to_wire`) as a value of type `tp`; ValueError when it does not fit."""
    try:
        return _read(tp, data)
    except (TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"not a {getattr(tp, '__name__', tp)}: {exc}") from exc


def _read(tp: Any, data: Any) -> Any:
    if tp is Any:
        return data
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        problems = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _read(arg, data)
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                problems.append(str(exc))
        raise ValueError(f"{data!r} fits none of {tp}: {'; '.join(problems)}")
    if origin is typing.Literal:
        if data not in typing.get_args(tp):
            raise ValueError(f"{data!r} is not one of {typing.get_args(tp)}")
        return data
    if tp is Reason:
        return Reason.from_json(data)
    if origin in (tuple, list, frozenset, set):
        args = typing.get_args(tp)
        if not isinstance(data, list):
            raise ValueError(f"expected a list, got {type(data).__name__}")
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            return tuple(_read(a, v) for a, v in zip(args, data, strict=True))
        item = args[0] if args else Any
        values = [_read(item, v) for v in data]
        return origin(values)
    if origin is not None and issubclass(origin, Mapping):
        key_t, value_t = typing.get_args(tp) or (Any, Any)
        if not isinstance(data, dict):
            raise ValueError(f"expected an object, got {type(data).__name__}")
        return {_read(key_t, k) if key_t is not str else k: _read(value_t, v) for k, v in data.items()}
    if isinstance(tp, type):
        if dataclasses.is_dataclass(tp):
            if not isinstance(data, dict):
                raise ValueError(f"expected an object for {tp.__name__}, got {type(data).__name__}")
            hints = _hints(tp)
            kwargs = {f.name: _read(hints[f.name], data[f.name]) for f in dataclasses.fields(tp)
                      if f.init and f.name in data}
            return tp(**kwargs)
        if issubclass(tp, enum.Enum):
            return tp(data)
        if tp is float:
            if data is None:
                return math.nan
            if isinstance(data, bool) or not isinstance(data, (int, float)):
                raise ValueError(f"expected a number, got {data!r}")
            return float(data)
        if tp is int:
            if isinstance(data, bool) or not isinstance(data, int):
                raise ValueError(f"expected an integer, got {data!r}")
            return data
        if tp is bytes:
            return base64.b64decode(data)
        if tp is Path:
            return Path(data)
        if tp in (str, bool):
            if not isinstance(data, tp):
                raise ValueError(f"expected {tp.__name__}, got {data!r}")
            return data
    raise TypeError(f"cannot read {tp} from the wire")
