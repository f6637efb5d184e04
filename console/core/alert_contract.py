"""The alert contract (docs/architecture.md, "Alerts"): what makes an MQTT payload a usable alert.

`validate(topic, payload, received_ts)` turns one message into an `Alert`, or into a
`Quarantined` record holding the reason (a code with its parameters) and the raw bytes, for the
quarantine list the operator can open. It never raises: whatever arrives, the caller gets
one of the two. Presence is lenient (an unknown category, a missing title or timestamp is
fine: "new algorithms appear without notice"), types are strict (a level of "2级" or a
latitude given as text means the sender is broken, and guessing would put a drone in the
wrong place). Pure; any thread.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from vocab import Reason

#: Payloads above this are quarantined unread (a platform inlining a snapshot image).
MAX_PAYLOAD_BYTES = 64 * 1024
#: How much of a quarantined payload the journal keeps (all of it, up to the size limit).
MAX_RAW_KEPT_BYTES = MAX_PAYLOAD_BYTES
MAX_ID_CHARS = 128
MAX_TEXT_CHARS = 4096
#: Alert timestamps without a zone are Qingdao local time.
CST = timezone(timedelta(hours=8))

AlertStatus = Literal["active", "cleared"]
STATUSES: tuple[str, ...] = ("active", "cleared")

#: The categories the console was built with, as the city's algorithms name them. Any other
#: category is shown as "unknown" with its raw name, never dropped.
KNOWN_CATEGORIES: frozenset[str] = frozenset({
    "illegal_parking", "garbage_spill", "road_damage", "muck_truck", "crowding", "waterlogging", "fallen_tree",
    "gas_leak", "drone_intrusion", "forest_fire_smoke", "illegal_fishing", "sea_rescue",
})


def category_name(category: str) -> Reason:
    """The localized name of a category; an unknown one is shown as such, with its raw name."""
    if category in KNOWN_CATEGORIES:
        return Reason.of(f"category.{category}")
    return Reason.of("category.unknown", category=category)


@dataclass(frozen=True, slots=True)
class Alert:
    """One usable alert, as received. `ts` is the source's time (epoch s; the receipt time when
    the payload had none), `district` the topic's district segment (None when the topic has none)."""

    id: str
    ts: float
    category: str
    level: int
    lat: float
    lon: float
    status: AlertStatus = "active"
    district: str | None = None
    title: str = ""
    detail: str = ""
    source_kind: str | None = None
    source_id: str | None = None
    confidence: float | None = None
    snapshot_url: str | None = None
    topic: str = ""

    @property
    def known_category(self) -> bool:
        return self.category in KNOWN_CATEGORIES

    @property
    def category_name(self) -> Reason:
        return category_name(self.category)

    def to_json(self) -> dict[str, Any]:
        """The fields the journal keeps (and `from_json` reads back)."""
        return {"id": self.id, "ts": self.ts, "category": self.category, "level": self.level, "lat": self.lat,
                "lon": self.lon, "status": self.status, "district": self.district, "title": self.title,
                "detail": self.detail, "source_kind": self.source_kind, "source_id": self.source_id,
                "confidence": self.confidence, "snapshot_url": self.snapshot_url, "topic": self.topic}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Alert:
        return cls(**{k: data.get(k) for k in cls.__slots__ if k in data})  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A payload that could not be used: why, and what it was (the first MAX_RAW_KEPT_BYTES of it)."""

    topic: str
    reason: Reason
    raw: bytes
    size: int                  # of the whole payload, bytes
    received_ts: float
    alert_id: str | None = None  # when the payload named one


class _Unusable(Exception):
    def __init__(self, code: str, **params: object) -> None:
        self.reason = Reason.of(code, **params)
        super().__init__(self.reason.en)


def _number(body: Mapping[str, Any], key: str) -> float:
    value = body.get(key)
    if value is None:
        raise _Unusable("contract.missing_field", field=key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Unusable("contract.not_number", field=key, value=_show(value))
    if not math.isfinite(value):
        raise _Unusable("contract.not_finite", field=key)
    return float(value)


def _text(body: Mapping[str, Any], key: str, default: str | None = None, limit: int = MAX_TEXT_CHARS) -> str | None:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise _Unusable("contract.not_text", field=key, value=_show(value))
    if len(value) > limit:
        raise _Unusable("contract.too_long", field=key, length=len(value))
    return value


def _show(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, (bytes, bytearray)) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_ts(text: str) -> float:
    """Epoch seconds of an ISO-8601 time; a time without a zone is Qingdao time. ValueError otherwise."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CST)
    return moment.timestamp()


def topic_parts(topic: str) -> tuple[str | None, str | None]:
    """(district, category) from `{root}/alerts/v1/{district}/{category}`; None for missing parts."""
    parts = topic.split("/")
    try:
        i = parts.index("alerts")
    except ValueError:
        return None, None
    rest = parts[i + 2:] if i + 1 < len(parts) and parts[i + 1] == "v1" else []
    district = rest[0] if len(rest) >= 1 and rest[0] else None
    category = rest[1] if len(rest) >= 2 and rest[1] else None
    return district, category


def _alert(topic: str, body: Mapping[str, Any], received_ts: float) -> Alert:
    alert_id = body.get("id")
    if alert_id is None or alert_id == "":
        raise _Unusable("contract.no_id")
    if not isinstance(alert_id, str):
        raise _Unusable("contract.id_not_text", value=_show(alert_id))
    if len(alert_id) > MAX_ID_CHARS or not alert_id.isprintable():
        raise _Unusable("contract.id_bad")
    level = body.get("level")
    if isinstance(level, bool) or not isinstance(level, int):
        raise _Unusable("contract.level_type", value=_show(level))
    if not 1 <= level <= 4:
        raise _Unusable("contract.level_range", level=level)
    lat, lon = _number(body, "lat"), _number(body, "lon")
    if not -90.0 <= lat <= 90.0:
        raise _Unusable("contract.lat_range", lat=lat)
    if not -180.0 <= lon <= 180.0:
        raise _Unusable("contract.lon_range", lon=lon)
    district, topic_category = topic_parts(topic)
    category = _text(body, "category", topic_category, limit=MAX_ID_CHARS) or "unknown"
    status = body.get("status", "active")
    if status not in STATUSES:
        raise _Unusable("contract.status", value=_show(status))
    ts_text = _text(body, "ts")
    ts = received_ts
    if ts_text is not None:
        try:
            ts = parse_ts(ts_text)
        except (ValueError, OverflowError, OSError):
            raise _Unusable("contract.ts", value=_show(ts_text)) from None
    source = body.get("source")
    if source is not None and not isinstance(source, dict):
        raise _Unusable("contract.source", value=_show(source))
    confidence = body.get("confidence")
    if confidence is not None:
        confidence = _number(body, "confidence")
        if not 0.0 <= confidence <= 1.0:
            raise _Unusable("contract.confidence", value=confidence)
    return Alert(
        id=alert_id, ts=ts, category=category, level=level, lat=lat, lon=lon, status=status, district=district,
        title=_text(body, "title", "") or "", detail=_text(body, "detail", "") or "",
        source_kind=_text(source, "kind", limit=MAX_ID_CHARS) if source else None,
        source_id=_text(source, "id", limit=MAX_ID_CHARS) if source else None,
        confidence=confidence, snapshot_url=_text(body, "snapshot_url"), topic=topic)


def validate(topic: str, payload: bytes | None, received_ts: float) -> Alert | Quarantined:
    """The alert in one message, or the reason it cannot be used. Never raises."""
    raw = payload if payload is not None else b""
    size = len(raw)

    def quarantine(reason: Reason, alert_id: str | None = None) -> Quarantined:
        return Quarantined(topic, reason, bytes(raw[:MAX_RAW_KEPT_BYTES]), size, received_ts, alert_id)

    if payload is None:
        return quarantine(Reason.of("contract.not_bytes"))
    if size > MAX_PAYLOAD_BYTES:
        return quarantine(Reason.of("contract.oversized", size=size, limit=MAX_PAYLOAD_BYTES))
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        return quarantine(Reason.of("contract.not_utf8", at=exc.start))
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        return quarantine(Reason.of("contract.not_json", line=exc.lineno, column=exc.colno, problem=exc.msg))
    except RecursionError:
        return quarantine(Reason.of("contract.too_deep"))
    if not isinstance(body, dict):
        kind = type(body).__name__
        return quarantine(Reason.of("contract.not_object", kind=kind))
    alert_id = body.get("id") if isinstance(body.get("id"), str) else None
    try:
        return _alert(topic, body, received_ts)
    except _Unusable as exc:
        return quarantine(exc.reason, alert_id)
    except Exception as exc:  # noqa: BLE001 - the contract promises "never raises"; a bug here must not stop ingest
        return quarantine(Reason.of("contract.unreadable", error=f"{type(exc).__name__}: {exc}"), alert_id)
