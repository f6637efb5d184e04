"""Simulated city alerts: what the city brain's AI video analysis, IoT sensors and the 12345
hotline publish to `{root}/alerts/v1/{district}/{category}` (QoS 1, docs/architecture.md, "Alerts").

`AlertGenerator` is pure (no I/O, no wall-clock waits): `advance(dt_s)` moves its simulated
clock and returns the messages due, so tests drive it directly. It is deterministic for a
seed and a clock. It produces:
- new alerts at a Poisson rate, positioned near supplied camera points, with a realistic mix
  of categories and levels (most level 3-4, few level 1), now and then a category nobody
  has heard of yet (`NEW_CATEGORIES`: "new ones appear without notice");
- bursts (a rainstorm's waterlogging, a crowd) at `BurstPolicy.multiplier` times the rate;
- later `cleared` updates of some alerts, and now and then the very same message again
  (redelivery: the console must be idempotent on `id`);
- with `malformed_fraction`, payloads a console must quarantine (`MALFORMED_KINDS`).

`AlertFeedSim` publishes a generator's output over MQTT on the simulator's asyncio loop.
"""

from __future__ import annotations

import asyncio
import base64
import heapq
import json
import logging
import math
import os
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, get_args

import aiomqtt
import numpy as np

from drones.mqtt_tls import tls_context_for
from drones.site import BrokerConfig, parse_broker_url

log = logging.getLogger(__name__)

DEFAULT_RATE_PER_MIN = 14.0  # 620,000 cases a month
#: Longest simulated step `advance()` takes at once; longer advances are split.
MAX_STEP_S = 1.0
#: Real seconds between the feed's publishing rounds.
FEED_TICK_S = 0.25
#: Share of a burst's alerts that belong to its theme (category and district).
BURST_THEME_SHARE = 0.7
#: Simulated delay before a source reports an alert gone, and before a duplicate is redelivered.
CLEAR_DELAY_S = (120.0, 1800.0)
REDELIVERY_DELAY_S = (0.5, 10.0)
MAX_PENDING = 10_000
OVERSIZED_BYTES = 2 * 1024 * 1024
BACKOFF_MIN_S = 1.0
BACKOFF_MAX_S = 30.0
CONNECT_TIMEOUT_S = 5.0
#: Qingdao local time; alert timestamps carry it explicitly.
CST = timezone(timedelta(hours=8))

SourceKind = Literal["camera", "iot", "citizen"]
AlertStatus = Literal["active", "cleared"]
MessageKind = Literal["alert", "cleared", "redelivery", "malformed"]
MalformedKind = Literal["not_json", "wrong_types", "lat_out_of_range", "missing_id", "oversized", "non_utf8"]
MALFORMED_KINDS: tuple[str, ...] = get_args(MalformedKind)
Place = Literal["road", "forest", "coast"]

DISTRICT_NAMES_ZH = {"shinan": "市南区", "shibei": "市北区", "licang": "李沧区", "laoshan": "崂山区"}
DISTRICT_CODES = {"shinan": "370202", "shibei": "370203", "laoshan": "370212", "licang": "370213"}
PLACES_ZH: Mapping[Place, Mapping[str, tuple[str, ...]]] = {
    "road": {
        "shinan": ("香港中路", "东海西路", "中山路", "南京路", "延安三路", "山东路"),
        "shibei": ("辽宁路", "台东一路", "威海路", "重庆南路", "敦化路", "延吉路"),
        "licang": ("黑龙江中路", "九水东路", "京口路", "金水路", "振华路", "四流中路"),
        "laoshan": ("香港东路", "松岭路", "深圳路", "海尔路", "株洲路", "滨海大道"),
    },
    "forest": {"laoshan": ("北九水", "巨峰", "太清宫", "华严寺", "仰口", "流清河")},
    "coast": {
        "shinan": ("第一海水浴场", "栈桥", "八大关海域", "五四广场海域"),
        "laoshan": ("石老人海水浴场", "流清河海域", "沙子口渔港", "仰口湾"),
    },
}
SOURCE_NAMES_ZH = {"camera": "视频AI分析，摄像机", "iot": "物联感知设备", "citizen": "市民热线工单"}
#: Offset of the event from the point that saw it: (min, max) metres.
OFFSET_M: Mapping[str, tuple[float, float]] = {"camera": (15.0, 80.0), "iot": (0.0, 30.0), "citizen": (0.0, 150.0)}
COAST = frozenset({"shinan", "laoshan"})


@dataclass(frozen=True, slots=True)
class CategorySpec:
    """One alert category as the city's systems produce it."""

    name: str
    title_zh: str
    weight: float                                  # share of ordinary traffic
    levels: tuple[float, float, float, float]      # probability of level 1..4
    sources: tuple[SourceKind, ...]
    place: Place = "road"
    districts: frozenset[str] | None = None        # None: anywhere
    clears: bool = True                            # its source reports it gone later
    sensor: str = "SNS"                            # IoT device type in sensor ids


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec("illegal_parking", "违章停车", 20, (0.0, 0.02, 0.18, 0.80), ("camera",)),
    CategorySpec("garbage_spill", "暴露垃圾", 18, (0.0, 0.03, 0.27, 0.70), ("camera", "camera", "citizen")),
    CategorySpec("road_damage", "道路破损", 8, (0.01, 0.09, 0.40, 0.50), ("camera", "citizen"), clears=False),
    CategorySpec("muck_truck", "渣土车未密闭", 8, (0.01, 0.09, 0.50, 0.40), ("camera",)),
    CategorySpec("crowding", "人员聚集", 7, (0.03, 0.17, 0.45, 0.35), ("camera",)),
    CategorySpec("waterlogging", "道路积水", 6, (0.05, 0.25, 0.45, 0.25), ("iot", "camera"), sensor="WLV"),
    CategorySpec("fallen_tree", "树木倒伏", 4, (0.05, 0.25, 0.45, 0.25), ("camera", "citizen")),
    CategorySpec("gas_leak", "燃气泄漏报警", 3, (0.30, 0.40, 0.25, 0.05), ("iot",), sensor="GAS"),
    CategorySpec("drone_intrusion", "无人机闯入", 2, (0.15, 0.35, 0.35, 0.15), ("iot", "camera"), sensor="RDR"),
    CategorySpec("forest_fire_smoke", "林区烟火", 2, (0.25, 0.40, 0.25, 0.10), ("camera",), "forest",
                 frozenset({"laoshan"})),
    CategorySpec("illegal_fishing", "非法捕捞", 2, (0.0, 0.10, 0.40, 0.50), ("camera",), "coast", COAST),
    CategorySpec("sea_rescue", "海上遇险求救", 1, (0.40, 0.40, 0.15, 0.05), ("citizen", "camera"), "coast", COAST,
                 clears=False),
)
KNOWN_CATEGORIES: tuple[str, ...] = tuple(c.name for c in CATEGORIES)
#: Categories of algorithms deployed after the console was built.
NEW_CATEGORY_SPECS: tuple[CategorySpec, ...] = (
    CategorySpec("street_vendor", "占道经营", 1, (0.0, 0.05, 0.35, 0.60), ("camera",)),
    CategorySpec("manhole_cover_missing", "井盖缺失", 1, (0.05, 0.25, 0.50, 0.20), ("iot", "camera"), sensor="MHC"),
    CategorySpec("outdoor_burning", "露天焚烧", 1, (0.10, 0.30, 0.40, 0.20), ("camera",)),
    CategorySpec("night_construction_noise", "夜间施工噪声", 1, (0.0, 0.05, 0.45, 0.50), ("iot",), sensor="NOI"),
)
NEW_CATEGORIES: tuple[str, ...] = tuple(c.name for c in NEW_CATEGORY_SPECS)
#: What a burst is about: a storm floods roads or fells trees, an event draws crowds.
BURST_THEMES: tuple[str, ...] = ("waterlogging", "waterlogging", "fallen_tree", "crowding", "garbage_spill")
_SPECS = {c.name: c for c in CATEGORIES + NEW_CATEGORY_SPECS}


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert as the contract defines it (docs/architecture.md, "Alerts"), plus the district of its topic."""

    id: str
    ts: str
    category: str
    level: int
    lat: float
    lon: float
    source_kind: SourceKind
    source_id: str
    title: str
    detail: str
    confidence: float
    snapshot_url: str
    district: str
    status: AlertStatus = "active"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "ts": self.ts, "category": self.category, "level": self.level,
                "lat": self.lat, "lon": self.lon, "source": {"kind": self.source_kind, "id": self.source_id},
                "title": self.title, "detail": self.detail, "confidence": self.confidence,
                "snapshot_url": self.snapshot_url, "status": self.status}

    def topic(self, root: str) -> str:
        return f"{root}/alerts/v1/{self.district}/{self.category}"


@dataclass(frozen=True, slots=True)
class AlertMessage:
    """One MQTT message the feed publishes; `alert` is what it carries (or was made from, if malformed)."""

    topic: str
    payload: bytes
    kind: MessageKind
    alert: Alert | None
    malformed: MalformedKind | None = None
    qos: int = 1


@dataclass(frozen=True, slots=True)
class BurstPolicy:
    """Now and then the rate jumps by `multiplier` for `duration_s` (simulated seconds)."""

    multiplier: float = 20.0
    duration_s: float = 30.0
    interval_s: tuple[float, float] = (180.0, 420.0)  # quiet time between bursts


PointTuple = tuple[float, float, str, str]  # lat, lon, camera id, district


class CandidatePoints:
    """Where alerts can happen: camera positions with their ids and districts, as numpy arrays."""

    def __init__(self, lat: Any, lon: Any, camera_id: Any, district: Any) -> None:
        self.lat = np.asarray(lat, dtype=np.float64)
        self.lon = np.asarray(lon, dtype=np.float64)
        self.camera_id = np.asarray(camera_id).astype(str)
        self.district = np.asarray(district).astype(str)
        n = len(self.lat)
        if not (len(self.lon) == len(self.camera_id) == len(self.district) == n):
            raise ValueError("lat, lon, camera_id and district must have the same length")
        if n == 0:
            raise ValueError("no candidate points")
        self._all = np.arange(n)
        self._by_district = {str(d): np.flatnonzero(self.district == d) for d in np.unique(self.district)}

    @classmethod
    def from_any(cls, points: Any) -> CandidatePoints:
        """Accepts CandidatePoints, a list of (lat, lon, camera_id, district) tuples, a mapping of
        arrays (`lat`, `lon`, `camera_id` or `id`, `district`; e.g. an `np.load`ed .npz) or a
        numpy structured array with those fields."""
        if isinstance(points, CandidatePoints):
            return points
        if isinstance(points, np.ndarray) and points.dtype.names:
            names = points.dtype.names
            return cls(points["lat"], points["lon"], points["camera_id" if "camera_id" in names else "id"],
                       points["district"])
        if hasattr(points, "keys") and "lat" in points.keys():
            return cls(points["lat"], points["lon"], points["camera_id" if "camera_id" in points.keys() else "id"],
                       points["district"])
        rows = list(points)
        if not rows:
            raise ValueError("no candidate points")
        lat, lon, ids, districts = zip(*rows, strict=True)
        return cls(lat, lon, ids, districts)

    def pick(self, rng: np.random.Generator, districts: frozenset[str] | None) -> PointTuple | None:
        """A random point, in one of `districts` if given; None if there is none there."""
        if districts is None:
            pool = self._all
        else:
            parts = [self._by_district[d] for d in sorted(districts) if d in self._by_district]
            if not parts:
                return None
            pool = np.concatenate(parts) if len(parts) > 1 else parts[0]
        i = int(pool[rng.integers(len(pool))])
        return float(self.lat[i]), float(self.lon[i]), str(self.camera_id[i]), str(self.district[i])

    def nearest(self, lat: float, lon: float) -> PointTuple:
        k = math.cos(math.radians(lat))
        i = int(np.argmin((self.lat - lat) ** 2 + ((self.lon - lon) * k) ** 2))
        return float(self.lat[i]), float(self.lon[i]), str(self.camera_id[i]), str(self.district[i])


class _CallablePoints:
    """Adapts a `pick(rng) -> (lat, lon, camera_id, district)` callable to CandidatePoints' role."""

    TRIES = 50

    def __init__(self, fn: Callable[[np.random.Generator], PointTuple]) -> None:
        self._fn = fn

    def pick(self, rng: np.random.Generator, districts: frozenset[str] | None) -> PointTuple | None:
        for _ in range(self.TRIES):
            lat, lon, cam, district = self._fn(rng)
            if districts is None or district in districts:
                return float(lat), float(lon), str(cam), str(district)
        return None

    def nearest(self, lat: float, lon: float) -> PointTuple:
        raise ValueError("emit() needs district= when the points are a callable")


def iso_ts(epoch_s: float) -> str:
    """ISO-8601 in Qingdao time with milliseconds: 2026-11-24T15:04:05.123+08:00."""
    return datetime.fromtimestamp(epoch_s, CST).isoformat(timespec="milliseconds")


class AlertGenerator:
    """Makes the city's alert traffic (see the module docstring). Not thread-safe; no I/O.

    `points`: CandidatePoints, a list of (lat, lon, camera_id, district) tuples, a mapping of
    arrays, a structured array, or a callable `pick(rng) -> tuple`. `clock` gives the epoch
    seconds stamped on alerts (`ts`, the date in `id`); `advance()` alone moves the schedule.
    `id_start`: first sequence number of the day; by default derived from the time of day so
    a restarted simulator does not reuse the ids of an earlier run that day.
    """

    def __init__(self, points: Any, *, seed: int | None = None, rate_per_min: float = DEFAULT_RATE_PER_MIN,
                 bursts: BurstPolicy | None = BurstPolicy(), clear_fraction: float = 0.3,
                 redelivery_fraction: float = 0.02, unknown_fraction: float = 0.02, malformed_fraction: float = 0.0,
                 topic_root: str = "qdcb", snapshot_base_url: str = "http://127.0.0.1:18080/snapshots",
                 clock: Callable[[], float] = time.time, id_start: int | None = None) -> None:
        self.points = _CallablePoints(points) if callable(points) else CandidatePoints.from_any(points)
        self.rng = np.random.default_rng(seed)
        self.rate_per_min = rate_per_min
        self.bursts = bursts
        self.clear_fraction = clear_fraction
        self.redelivery_fraction = redelivery_fraction
        self.unknown_fraction = unknown_fraction
        self.malformed_fraction = malformed_fraction
        self.topic_root = topic_root.strip("/")
        self.snapshot_base_url = snapshot_base_url.rstrip("/")
        self.clock = clock
        self._t = 0.0
        self._id_date: str | None = None
        self._id_start = id_start
        self._seq = 0
        self._serial = 0  # citizen tickets and sensor numbers
        self._pending: list[tuple[float, int, AlertMessage]] = []
        self._pending_seq = 0
        self._weights = np.cumsum([c.weight for c in CATEGORIES])
        self._burst_until = -1.0
        self._burst_theme: tuple[CategorySpec, str] | None = None
        self._next_burst = self._burst_gap() if bursts else math.inf

    @property
    def sim_time_s(self) -> float:
        return self._t

    @property
    def in_burst(self) -> bool:
        return self._t < self._burst_until

    def advance(self, dt_s: float) -> list[AlertMessage]:
        """Moves the simulated clock by `dt_s` seconds; returns the messages due, in order."""
        out: list[AlertMessage] = []
        remaining = max(0.0, dt_s)
        while remaining > 1e-12:
            step = min(MAX_STEP_S, remaining)
            remaining -= step
            self._update_burst()
            rate_per_s = self.rate_per_min / 60.0 * (self.bursts.multiplier if self.in_burst and self.bursts else 1.0)
            for _ in range(int(self.rng.poisson(rate_per_s * step))):
                out.append(self._new_message())
            self._t += step
            while self._pending and self._pending[0][0] <= self._t:
                message = heapq.heappop(self._pending)[2]
                if message.kind == "cleared" and message.alert is not None:  # stamped when observed
                    message = self._message(replace(message.alert, ts=iso_ts(self.clock())), "cleared")
                out.append(message)
        return out

    def emit(self, category: str, level: int, lat: float, lon: float, *, district: str | None = None,
             source_kind: SourceKind = "camera", source_id: str | None = None, title: str | None = None,
             detail: str | None = None, confidence: float = 0.9, status: AlertStatus = "active") -> AlertMessage:
        """One alert on demand (tests, demos); district and camera default to the nearest point's."""
        if district is None or (source_id is None and source_kind == "camera"):
            try:
                _, _, near_camera, near_district = self.points.nearest(lat, lon)
            except ValueError:
                if district is None:
                    raise
            else:
                district = district or near_district
                source_id = source_id or (near_camera if source_kind == "camera" else None)
        assert district is not None
        spec = _SPECS.get(category)
        place = self._place(spec.place if spec else "road", district)
        alert = Alert(
            id=self._next_id(), ts=iso_ts(self.clock()), category=category, level=int(level), lat=float(lat),
            lon=float(lon), source_kind=source_kind,
            source_id=source_id or self._source_id(source_kind, spec, district),
            title=title or f"{spec.title_zh if spec else category} {place}", detail="", confidence=float(confidence),
            snapshot_url="", district=district, status=status)
        alert = replace(alert, snapshot_url=f"{self.snapshot_base_url}/{alert.id}.jpg",
                        detail=detail or self._detail(alert, spec, place))
        return self._message(alert, "alert")

    def malformed(self, kind: MalformedKind | None = None) -> AlertMessage:
        """A payload a console must quarantine: `kind`, or one chosen at random."""
        kind = kind or MALFORMED_KINDS[int(self.rng.integers(len(MALFORMED_KINDS)))]  # type: ignore[assignment]
        alert = self._random_alert()
        body = alert.to_dict()
        if kind == "not_json":
            text = json.dumps(body, ensure_ascii=False).encode("utf-8")
            payload = text[: int(self.rng.integers(len(text) // 3, len(text) - 1))]  # cut off mid-message
        elif kind == "wrong_types":
            mutations = {"level": f"{alert.level}级", "lat": str(alert.lat), "lon": str(alert.lon),
                         "confidence": "high", "source": alert.source_id, "ts": int(self.clock() * 1000)}
            keys = list(mutations)
            for i in self.rng.choice(len(keys), size=int(self.rng.integers(1, 4)), replace=False):
                body[keys[i]] = mutations[keys[i]]
            payload = _json(body)
        elif kind == "lat_out_of_range":
            body["lat"], body["lon"] = alert.lon, alert.lat  # the classic swapped coordinates
            payload = _json(body)
        elif kind == "missing_id":
            del body["id"]
            payload = _json(body)
        elif kind == "oversized":  # a platform that inlines the snapshot image
            raw = self.rng.bytes(OVERSIZED_BYTES * 3 // 4 + 1024)
            body["snapshot_base64"] = base64.b64encode(raw).decode("ascii")
            payload = _json(body)
        elif kind == "non_utf8":  # a legacy system sending GBK
            payload = json.dumps(body, ensure_ascii=False).encode("gbk", errors="replace")
            try:
                payload.decode("utf-8")
                payload += b"\xff"
            except UnicodeDecodeError:
                pass
        else:
            raise ValueError(f"unknown malformed kind {kind!r} (one of {', '.join(MALFORMED_KINDS)})")
        return AlertMessage(alert.topic(self.topic_root), payload, "malformed", alert, kind)  # type: ignore[arg-type]

    # -- internals ----------------------------------------------------------------------------
    def _burst_gap(self) -> float:
        assert self.bursts is not None
        return self._t + float(self.rng.uniform(*self.bursts.interval_s))

    def _update_burst(self) -> None:
        if self.bursts is None or self.in_burst or self._t < self._next_burst:
            return
        self._burst_until = self._t + self.bursts.duration_s
        self._next_burst = self._burst_until + float(self.rng.uniform(*self.bursts.interval_s))
        spec = _SPECS[BURST_THEMES[int(self.rng.integers(len(BURST_THEMES)))]]
        point = self.points.pick(self.rng, None)
        self._burst_theme = (spec, point[3]) if point else None
        log.info("alert burst: %s in %s for %.0f s", spec.name, point[3] if point else "?", self.bursts.duration_s)

    def _new_message(self) -> AlertMessage:
        if self.rng.random() < self.malformed_fraction:
            return self.malformed()
        alert = self._random_alert()
        message = self._message(alert, "alert")
        spec = _SPECS.get(alert.category)
        if self.rng.random() < self.redelivery_fraction:
            self._schedule(float(self.rng.uniform(*REDELIVERY_DELAY_S)), replace(message, kind="redelivery"))
        if spec is not None and spec.clears and self.rng.random() < self.clear_fraction:
            cleared = replace(alert, status="cleared")
            self._schedule(float(self.rng.uniform(*CLEAR_DELAY_S)), self._message(cleared, "cleared"))
        return message

    def _schedule(self, delay_s: float, message: AlertMessage) -> None:
        if len(self._pending) >= MAX_PENDING:
            return
        self._pending_seq += 1
        heapq.heappush(self._pending, (self._t + delay_s, self._pending_seq, message))

    def _pick_spec(self) -> tuple[CategorySpec, frozenset[str] | None]:
        if self._burst_theme is not None and self.in_burst and self.rng.random() < BURST_THEME_SHARE:
            spec, district = self._burst_theme
            return spec, frozenset({district})
        if self.rng.random() < self.unknown_fraction:
            spec = NEW_CATEGORY_SPECS[int(self.rng.integers(len(NEW_CATEGORY_SPECS)))]
        else:
            spec = CATEGORIES[int(np.searchsorted(self._weights, self.rng.random() * self._weights[-1], side="right"))]
        return spec, spec.districts

    def _random_alert(self) -> Alert:
        spec, districts = self._pick_spec()
        point = self.points.pick(self.rng, districts)
        while point is None:  # no camera where this category happens: take an ordinary one
            spec = CATEGORIES[int(self.rng.integers(len(CATEGORIES)))]
            point = self.points.pick(self.rng, spec.districts)
        lat0, lon0, camera_id, district = point
        level = min(4, int(np.searchsorted(np.cumsum(spec.levels), self.rng.random(), side="right")) + 1)
        kind: SourceKind = spec.sources[int(self.rng.integers(len(spec.sources)))]
        distance = float(self.rng.uniform(*OFFSET_M[kind]))
        bearing = float(self.rng.uniform(0.0, 2 * math.pi))
        lat = lat0 + distance * math.cos(bearing) / 111_320.0
        lon = lon0 + distance * math.sin(bearing) / (111_320.0 * math.cos(math.radians(lat0)))
        confidence = {"camera": float(self.rng.uniform(0.6, 0.99)), "iot": float(self.rng.uniform(0.95, 1.0)),
                      "citizen": 1.0}[kind]
        place = self._place(spec.place, district)
        alert = Alert(
            id=self._next_id(), ts=iso_ts(self.clock()), category=spec.name, level=level,
            lat=round(lat, 6), lon=round(lon, 6), source_kind=kind,
            source_id=camera_id if kind == "camera" else self._source_id(kind, spec, district),
            title=f"{spec.title_zh} {place}", detail="", confidence=round(confidence, 2),
            snapshot_url="", district=district)
        return replace(alert, detail=self._detail(alert, spec, place),
                       snapshot_url=f"{self.snapshot_base_url}/{alert.id}.jpg" if kind != "iot" else "")

    def _place(self, place: Place, district: str) -> str:
        names = PLACES_ZH[place].get(district) or PLACES_ZH["road"].get(district) or ("辖区",)
        return names[int(self.rng.integers(len(names)))]

    def _source_id(self, kind: SourceKind, spec: CategorySpec | None, district: str) -> str:
        self._serial += 1
        if kind == "iot":
            code = DISTRICT_CODES.get(district, "370200")
            return f"IOT-{code}-{spec.sensor if spec else 'SNS'}-{int(self.rng.integers(1, 100_000)):05d}"
        if kind == "citizen":
            day = datetime.fromtimestamp(self.clock(), CST).strftime("%Y%m%d")
            return f"12345-{day}-{self._serial:06d}"
        return f"3702{int(self.rng.integers(0, 10**16)):016d}"  # a camera id outside the registry

    def _detail(self, alert: Alert, spec: CategorySpec | None, place: str) -> str:
        at = alert.ts[11:19] if len(alert.ts) >= 19 else ""
        what = spec.title_zh if spec else alert.category
        return (f"{SOURCE_NAMES_ZH[alert.source_kind]} {alert.source_id} 于 {at} 报告{what}，"
                f"置信度 {alert.confidence:.2f}，位置：{DISTRICT_NAMES_ZH.get(alert.district, alert.district)}{place}附近。")

    def _next_id(self) -> str:
        now = self.clock()
        day = datetime.fromtimestamp(now, CST)
        date = day.strftime("%Y%m%d")
        if date != self._id_date:
            if self._id_date is None and self._id_start is None:
                midnight = day.replace(hour=0, minute=0, second=0, microsecond=0)
                self._seq = int((day - midnight).total_seconds() * 10)  # 10 ids a second before overlap
            elif self._id_date is None:
                self._seq = self._id_start - 1  # type: ignore[operator]
            else:
                self._seq = 0
            self._id_date = date
        self._seq += 1
        return f"ALR-{date}-{self._seq:06d}"

    def _message(self, alert: Alert, kind: MessageKind) -> AlertMessage:
        return AlertMessage(alert.topic(self.topic_root), _json(alert.to_dict()), kind, alert)


def _json(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class AlertFeedSim:
    """Publishes an AlertGenerator's traffic to the broker, as the city platform would.

    Runs on the simulator's asyncio loop: `await feed.run()` in a task, `await feed.close()`
    to stop. `time_scale` speeds up the generator's clock (keep 1.0 for a demo: the rate is
    alerts per real minute then). While the broker is unreachable the generator pauses.
    """

    def __init__(self, broker: str | BrokerConfig, generator: AlertGenerator, *, time_scale: float = 1.0,
                 client_id: str | None = None) -> None:
        self.broker = parse_broker_url(broker) if isinstance(broker, str) else broker
        self.generator = generator
        self.time_scale = time_scale
        self.client_id = client_id or f"sim-alerts-{os.getpid()}"
        self.published: Counter[str] = Counter()  # by message kind
        self._client: aiomqtt.Client | None = None
        self._connected = asyncio.Event()
        self._closing = asyncio.Event()
        self._stopped = asyncio.Event()
        self._stopped.set()

    async def wait_connected(self, timeout_s: float) -> bool:
        try:
            await asyncio.wait_for(self._connected.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def publish(self, message: AlertMessage) -> None:
        """Publishes one message now; raises aiomqtt.MqttError when not connected."""
        client = self._client
        if client is None:
            raise aiomqtt.MqttError(f"alert feed not connected to {self.broker.url}")
        await client.publish(message.topic, message.payload, qos=message.qos)
        self.published[message.kind] += 1

    async def emit(self, category: str, level: int, lat: float, lon: float, **fields: Any) -> Alert:
        """Publishes one alert on demand (see AlertGenerator.emit) and returns it."""
        message = self.generator.emit(category, level, lat, lon, **fields)
        await self.publish(message)
        assert message.alert is not None
        return message.alert

    async def run(self) -> None:
        """Publishes until `close()`; reconnects with backoff."""
        self._stopped.clear()
        loop = asyncio.get_running_loop()
        backoff = BACKOFF_MIN_S
        try:
            while not self._closing.is_set():
                try:
                    async with self._make_client() as client:
                        self._client = client
                        self._connected.set()
                        backoff = BACKOFF_MIN_S
                        log.info("alert feed connected to %s", self.broker.url)
                        last = loop.time()
                        while not self._closing.is_set():
                            await _wait(self._closing, FEED_TICK_S)  # the feed's publishing round
                            now = loop.time()
                            for message in self.generator.advance((now - last) * self.time_scale):
                                await self.publish(message)
                            last = now
                except aiomqtt.MqttError as exc:
                    if self._closing.is_set():
                        break
                    log.warning("alert feed: MQTT %s; retrying in %.0f s", exc, backoff)
                finally:
                    self._client = None
                    self._connected.clear()
                if not self._closing.is_set():
                    await _wait(self._closing, backoff)
                    backoff = min(backoff * 2, BACKOFF_MAX_S)
        finally:
            self._stopped.set()

    async def close(self) -> None:
        """Stops publishing and disconnects cleanly."""
        self._closing.set()
        await _wait(self._stopped, CONNECT_TIMEOUT_S)

    def _make_client(self) -> aiomqtt.Client:
        return aiomqtt.Client(
            self.broker.host, self.broker.port, username=self.broker.username, password=self.broker.password,
            identifier=self.client_id, protocol=aiomqtt.ProtocolVersion.V311, timeout=CONNECT_TIMEOUT_S,
            tls_context=tls_context_for(self.broker))


async def _wait(event: asyncio.Event, timeout_s: float) -> bool:
    try:
        await asyncio.wait_for(event.wait(), timeout_s)
    except TimeoutError:
        return False
    return True
