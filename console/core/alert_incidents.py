"""Incidents and shift SLA figures of the alert desk: pure bookkeeping over alert records.

Correlation: "three cameras seeing one fire are one case". An alert joins the nearest incident
whose first alert is of the same or a related category within `distance_m`, while the incident
is live (alert time within `window_s` of its alerts); otherwise it opens an incident of its own.
Measuring from the first alert, not from any member, keeps a storm's waterlogging along a whole
road from chaining into one city-wide case. The operator can split an alert out; a split alert
stays alone and never attracts others. Incidents' first alerts sit in a grid of cells about
`distance_m` wide, so a lookup reads a few cells and a 10,000-alert burst stays linear; the desk
calls `forget` for alerts it no longer keeps, which bounds the index.

SLA: per shift (since the shift started), the median and 90th percentile of the time from
an alert reaching this console to acknowledged, dispatched and drone on scene.
Not thread-safe: used from the core loop.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from console.core.alert_contract import CST
from console.core.alert_store import AlertRecord
from drones.geo import distance_m
from vocab.sla import SlaFigure, SlaSummary

METRES_PER_DEG_LAT = 111_320.0
#: Shift changes in a Qingdao command hall (local hours).
DEFAULT_SHIFT_HOURS: tuple[int, ...] = (8, 20)


@dataclass(frozen=True, slots=True)
class CorrelationPolicy:
    """What makes two alerts one incident; `related` holds groups of categories that go together."""

    distance_m: float = 300.0
    window_s: float = 900.0
    related: tuple[frozenset[str], ...] = ()

    def related_to(self, a: str, b: str) -> bool:
        return a == b or any(a in group and b in group for group in self.related)


@dataclass(frozen=True, slots=True)
class Incident:
    """One case on the desk: its alerts (first first), the most severe level, where and when."""

    id: str
    alert_ids: tuple[str, ...]
    categories: tuple[str, ...]
    level: int
    lat: float
    lon: float
    first_ts: float
    last_ts: float
    open: bool


@dataclass(slots=True)
class _Entry:
    alert_id: str
    ts: float
    lat: float
    lon: float
    category: str
    incident_id: str
    locked: bool


@dataclass(slots=True)
class _Members:
    """An incident's alerts in arrival order, with its summary kept up to date as they come
    (a 10,000-alert burst in one street is one incident; re-reading it per alert would be quadratic)."""

    records: dict[str, AlertRecord] = field(default_factory=dict)
    first: AlertRecord | None = None
    last_ts: float = -math.inf
    level: int = 5
    categories: dict[str, None] = field(default_factory=dict)
    open_ids: set[str] = field(default_factory=set)

    def put(self, record: AlertRecord) -> None:
        self.records[record.id] = record
        alert = record.alert
        if self.first is None or (alert.ts, record.id) < (self.first.alert.ts, self.first.id):
            self.first = record
        self.last_ts = max(self.last_ts, alert.ts)
        self.level = min(self.level, alert.level)
        self.categories.setdefault(alert.category)
        if record.closed:
            self.open_ids.discard(record.id)
        else:
            self.open_ids.add(record.id)

    def remove(self, alert_id: str) -> None:
        self.records.pop(alert_id, None)
        rest = list(self.records.values())
        self.records, self.first, self.last_ts, self.level = {}, None, -math.inf, 5
        self.categories, self.open_ids = {}, set()
        for r in rest:
            self.put(r)


class Correlator:
    """Groups alerts into incidents (see the module docstring)."""

    def __init__(self, policy: CorrelationPolicy = CorrelationPolicy()) -> None:
        self.policy = policy
        self._anchors: dict[tuple[int, int], list[_Entry]] = {}   # grid cell -> incidents' first alerts
        self._entries: dict[str, _Entry] = {}
        self._incidents: dict[str, _Members] = {}

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        d_lat = self.policy.distance_m / METRES_PER_DEG_LAT
        d_lon = d_lat / max(math.cos(math.radians(lat)), 0.01)
        return int(math.floor(lat / d_lat)), int(math.floor(lon / d_lon))

    def _match(self, record: AlertRecord) -> _Entry | None:
        alert = record.alert
        cy, cx = self._cell(alert.lat, alert.lon)
        best: tuple[float, _Entry] | None = None
        for key in ((cy + dy, cx + dx) for dy in (-1, 0, 1) for dx in (-2, -1, 0, 1, 2)):
            for e in self._anchors.get(key, ()):
                members = self._incidents.get(e.incident_id)
                if e.locked or members is None or members.first is None:
                    continue
                # Still the same case: not before the incident began, nor long after its latest alert.
                if not members.first.alert.ts - self.policy.window_s <= alert.ts <= members.last_ts + self.policy.window_s:
                    continue
                if not self.policy.related_to(e.category, alert.category):
                    continue
                d = distance_m(alert.lat, alert.lon, e.lat, e.lon)
                if d <= self.policy.distance_m and (best is None or d < best[0]):
                    best = (d, e)
        return best[1] if best else None

    def incident_for(self, record: AlertRecord) -> str:
        """The incident a new alert would belong to (an existing one, or its own); `restore` adds it."""
        match = self._match(record)
        return match.incident_id if match else f"INC-{record.id}"

    def _set_anchor(self, incident_id: str) -> None:
        """Indexes the incident's first alert, the point new alerts are measured from."""
        members = self._incidents.get(incident_id)
        if members is None or members.first is None:
            return
        entry = self._entries[members.first.id]
        cell = self._anchors.setdefault(self._cell(entry.lat, entry.lon), [])
        if entry not in cell:
            cell.append(entry)

    def _drop_anchor(self, entry: _Entry) -> None:
        key = self._cell(entry.lat, entry.lon)
        cell = [e for e in self._anchors.get(key, ()) if e.alert_id != entry.alert_id]
        if cell:
            self._anchors[key] = cell
        else:
            self._anchors.pop(key, None)

    def forget(self, alert_id: str) -> None:
        """Drops an alert from the index and its incident (the desk no longer keeps it)."""
        old = self._entries.pop(alert_id, None)
        if old is None:
            return
        self._drop_anchor(old)
        members = self._incidents.get(old.incident_id)
        if members is not None:
            members.remove(alert_id)
            if not members.records:
                del self._incidents[old.incident_id]
            else:
                self._set_anchor(old.incident_id)   # the next alert stands for the incident now

    def restore(self, record: AlertRecord, incident_id: str, *, locked: bool = False) -> None:
        """Puts an alert whose incident is already known (journal, split) back into the index."""
        alert = record.alert
        self.forget(record.id)
        entry = _Entry(record.id, alert.ts, alert.lat, alert.lon, alert.category, incident_id, locked)
        self._entries[record.id] = entry
        members = self._incidents.setdefault(incident_id, _Members())
        old_first = members.first
        members.put(record)
        if members.first is not old_first:
            if old_first is not None and old_first.id in self._entries:
                self._drop_anchor(self._entries[old_first.id])
            self._set_anchor(incident_id)

    def update(self, record: AlertRecord) -> str | None:
        """Refreshes a member's record (state, clearing); returns its incident id."""
        entry = self._entries.get(record.id)
        if entry is None:
            return None
        self._incidents[entry.incident_id].put(record)
        return entry.incident_id

    def split(self, record: AlertRecord) -> tuple[str, str] | None:
        """Takes an alert out of its incident into one of its own: (old incident id, new incident id)."""
        entry = self._entries.get(record.id)
        if entry is None:
            return None
        new_id = f"INC-{record.id}-split"
        old_id = entry.incident_id
        self.restore(record, new_id, locked=True)
        return old_id, new_id

    def incident_of(self, alert_id: str) -> str | None:
        entry = self._entries.get(alert_id)
        return entry.incident_id if entry else None

    def incident(self, incident_id: str) -> Incident | None:
        members = self._incidents.get(incident_id)
        if not members or members.first is None:
            return None
        first = members.first.alert
        return Incident(incident_id, tuple(members.records), tuple(members.categories), members.level, first.lat,
                        first.lon, first.ts, members.last_ts, bool(members.open_ids))

    def incidents(self) -> list[Incident]:
        return [i for i in (self.incident(k) for k in self._incidents) if i is not None]


# ---------------------------------------------------------------------------- SLA


def shift_start(now: float, shift_hours: tuple[int, ...] = DEFAULT_SHIFT_HOURS) -> float:
    """When the shift running at `now` began (Qingdao time)."""
    local = datetime.fromtimestamp(now, CST)
    starts = [local.replace(hour=h, minute=0, second=0, microsecond=0) for h in sorted(shift_hours)]
    candidates = [s for s in starts if s <= local] or [starts[-1] - timedelta(days=1)]
    return max(candidates).timestamp()


def _figure(values: list[float]) -> SlaFigure:
    if not values:
        return SlaFigure(0, None, None)
    arr = np.asarray(values, dtype=float)
    return SlaFigure(len(values), float(np.median(arr)), float(np.percentile(arr, 90)))


def sla_summary(records: Iterable[AlertRecord], since: float) -> SlaSummary:
    """SLA figures over the alerts received since `since`. Times run from this console's receipt,
    the first moment an operator here could act."""
    ack: list[float] = []
    dispatch: list[float] = []
    scene: list[float] = []
    count = 0
    for r in records:
        if r.received_ts < since:
            continue
        count += 1
        if r.acknowledged_ts is not None:
            ack.append(max(0.0, r.acknowledged_ts - r.received_ts))
        if r.dispatched_ts is not None:
            dispatch.append(max(0.0, r.dispatched_ts - r.received_ts))
        if r.on_scene_ts is not None:
            scene.append(max(0.0, r.on_scene_ts - r.received_ts))
    return SlaSummary(since, count, _figure(ack), _figure(dispatch), _figure(scene))
