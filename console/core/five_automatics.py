"""The "five automatics" of emergency command, for one alert (DESIGN.md section 1, issue 6):

1. response level, with the rules that set it (alert level, category, place);
2. affected area (a radius per category);
3. reachable docks ranked by time on scene, each excluded one with its reason (`drones.safety`);
4. nearby resources: the nearest cameras for the video wall, the other alerts nearby;
5. a dispatch proposal: the best dock, its route, ETA, verification pattern and the checks passed.

The tables behind 1, 2 and the desk's correlation are data (`resources/alert_rules.toml`).
Qt-free and pure: `Automatics.for_alert(...)` takes the states of the moment and returns
frozen values; any thread (the console calls it on the core loop).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.core.alert_contract import Alert
from console.core.alert_incidents import CorrelationPolicy
from console.core.alert_store import AlertRecord
from console.resources import resource_path
from drones.basemap import Basemap
from drones.cameras import CameraRegistry
from drones.geo import LocalProjection, distance_m
from drones.model import DockState, DroneState, Reason
from drones.nofly import NoFlyZone
from drones.patterns import PatternBook
from drones.safety import DockOption, Limits, rank_docks, readiness_refusal
from drones.site import Dock, Site

NEAREST_CAMERAS = 8
NEARBY_ALERTS_M = 1000.0
MAX_NEARBY_ALERTS = 20
DEFAULT_RADIUS_M = 100.0


class AlertRulesError(ValueError):
    """An alert rules file that cannot be used; `str()` names the file and the key."""


@dataclass(frozen=True, slots=True)
class ResponseRule:
    """One rule of the response level: when it matches, and what it does (raise N or at_most L)."""

    id: str
    reason: Reason
    categories: frozenset[str] = frozenset()
    districts: frozenset[str] = frozenset()
    near_nofly_m: float | None = None
    raise_by: int = 0
    at_most: int | None = None


@dataclass(frozen=True, slots=True)
class AlertRules:
    """What `resources/alert_rules.toml` holds: radii, response rules, correlation."""

    default_radius_m: float = DEFAULT_RADIUS_M
    radius_m: Mapping[str, float] = field(default_factory=dict)
    response: tuple[ResponseRule, ...] = ()
    correlation: CorrelationPolicy = CorrelationPolicy()

    def radius_for(self, category: str) -> float:
        return self.radius_m.get(category, self.default_radius_m)


def load_alert_rules(path: Path | str | None = None) -> AlertRules:
    """Reads an alert rules file (default `resources/alert_rules.toml`); AlertRulesError naming the key."""
    path = Path(path) if path is not None else resource_path("alert_rules.toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AlertRulesError(f"{path}: cannot read the alert rules ({exc})") from None
    return alert_rules_from_dict(data, path=path)


def alert_rules_from_dict(data: Mapping[str, Any], *, path: Path | str = "<alert rules>") -> AlertRules:
    def fail(key: str, problem: str) -> AlertRulesError:
        return AlertRulesError(f"{path}: {key}: {problem}")

    def positive(value: Any, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 100_000:
            raise fail(key, f"must be a positive number of metres, got {value!r}")
        return float(value)

    default = positive(data.get("default", {}).get("radius_m", DEFAULT_RADIUS_M), "default.radius_m")
    radii = {name: positive(table.get("radius_m", default), f"categories.{name}.radius_m")
             for name, table in data.get("categories", {}).items()}
    corr = data.get("correlation", {})
    related = corr.get("related", [])
    if not isinstance(related, list) or not all(isinstance(g, list) and all(isinstance(c, str) for c in g)
                                                for g in related):
        raise fail("correlation.related", "must be a list of lists of category names")
    window = corr.get("window_s", 900)
    if isinstance(window, bool) or not isinstance(window, (int, float)) or not 0 < window <= 86_400:
        raise fail("correlation.window_s", f"must be 0..86400 seconds, got {window!r}")
    policy = CorrelationPolicy(positive(corr.get("distance_m", 300), "correlation.distance_m"), float(window),
                               tuple(frozenset(g) for g in related))
    rules: list[ResponseRule] = []
    for i, raw in enumerate(data.get("response", {}).get("rules", [])):
        key = f"response.rules[{i}]"
        if not isinstance(raw.get("zh"), str) or not isinstance(raw.get("en"), str):
            raise fail(key, "needs zh and en texts")
        raise_by, at_most = raw.get("raise", 0), raw.get("at_most")
        if not isinstance(raise_by, int) or not 0 <= raise_by <= 3:
            raise fail(f"{key}.raise", f"must be 0..3, got {raise_by!r}")
        if at_most is not None and (not isinstance(at_most, int) or not 1 <= at_most <= 4):
            raise fail(f"{key}.at_most", f"must be a level 1..4, got {at_most!r}")
        near = raw.get("near_nofly_m")
        rules.append(ResponseRule(str(raw.get("id", key)), Reason(raw["zh"], raw["en"]),
                                  frozenset(raw.get("categories", ())), frozenset(raw.get("districts", ())),
                                  positive(near, f"{key}.near_nofly_m") if near is not None else None,
                                  raise_by, at_most))
    return AlertRules(default, radii, tuple(rules), policy)


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class ResponseLevel:
    """1 (most severe) .. 4, the alert's own level, and the rules that moved it (empty: as reported)."""

    level: int
    alert_level: int
    rules: tuple[Reason, ...]

    @property
    def rule(self) -> Reason:
        if not self.rules:
            return Reason(f"按告警等级 {self.alert_level} 级", f"the alert's own level {self.alert_level}")
        return Reason("；".join(r.zh for r in self.rules), "; ".join(r.en for r in self.rules))


@dataclass(frozen=True, slots=True)
class AffectedArea:
    lat: float
    lon: float
    radius_m: float
    rule: Reason


@dataclass(frozen=True, slots=True)
class NearbyCamera:
    index: int                 # into the CameraRegistry
    camera_id: str
    name: str
    distance_m: float
    stream_url: str | None     # absolute when the site has a video base


@dataclass(frozen=True, slots=True)
class NearbyAlert:
    alert_id: str
    category: str
    level: int
    state: str
    distance_m: float


@dataclass(frozen=True, slots=True)
class NearbyResources:
    cameras: tuple[NearbyCamera, ...]
    alerts: tuple[NearbyAlert, ...]


@dataclass(frozen=True, slots=True)
class DispatchProposal:
    """The best dock and what a confirmation shows; `refused` when no dock can go, and
    `automatic_refused` when an operator must decide even where a site policy would dispatch."""

    option: DockOption | None
    pattern: Reason | None
    checks_passed: tuple[Reason, ...]
    refused: Reason | None = None
    automatic_refused: Reason | None = None

    @property
    def dock(self) -> Dock | None:
        return self.option.dock if self.option else None

    @property
    def eta_s(self) -> float | None:
        return self.option.eta_s if self.option else None

    @property
    def route(self) -> tuple[tuple[float, float], ...]:
        return self.option.plan.route if self.option and self.option.plan else ()


@dataclass(frozen=True, slots=True)
class FiveAutomatics:
    alert_id: str
    response: ResponseLevel
    area: AffectedArea
    docks: tuple[DockOption, ...]
    resources: NearbyResources
    proposal: DispatchProposal


# ---------------------------------------------------------------------------- computing


def distance_to_zone_m(lat: float, lon: float, zone: NoFlyZone) -> float:
    """Metres from a point to a zone's outline (0 inside)."""
    if zone.contains(lat, lon):
        return 0.0
    proj = LocalProjection(lat, lon)
    best = math.inf
    for ring in zone.polygon:
        pts = [proj.to_enu_m(p[0], p[1]) for p in ring]
        for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1]):
            dx, dy = x2 - x1, y2 - y1
            length_sq = dx * dx + dy * dy
            t = 0.0 if length_sq == 0 else max(0.0, min(1.0, -(x1 * dx + y1 * dy) / length_sq))
            best = min(best, math.hypot(x1 + t * dx, y1 + t * dy))
    return best


class Automatics:
    """The five automatics for a site: the fixed data (site, rules, zones, cameras, map), then per alert."""

    def __init__(self, site: Site, *, rules: AlertRules, patterns: PatternBook, zones: Iterable[NoFlyZone] = (),
                 cameras: CameraRegistry | None = None, basemap: Basemap | None = None,
                 limits: Limits = Limits()) -> None:
        self.site = site
        self.rules = rules
        self.patterns = patterns
        self.zones = tuple(zones)
        self.cameras = cameras
        self.basemap = basemap
        self.limits = limits

    def district_of(self, alert: Alert) -> str | None:
        if self.basemap is not None:
            found = self.basemap.district_of(alert.lat, alert.lon)
            if found is not None:
                return found
        return alert.district

    def response_level(self, alert: Alert) -> ResponseLevel:
        """1. The response level: the alert's level moved by every matching rule, in file order."""
        level = alert.level
        applied: list[Reason] = []
        district = self.district_of(alert)
        for rule in self.rules.response:
            if rule.categories and alert.category not in rule.categories:
                continue
            if rule.districts and district not in rule.districts:
                continue
            if rule.near_nofly_m is not None:
                near = [z for z in self.zones if distance_to_zone_m(alert.lat, alert.lon, z) <= rule.near_nofly_m]
                if not near:
                    continue
            new = level - rule.raise_by
            if rule.at_most is not None:
                new = min(new, rule.at_most)
            new = max(1, min(4, new))
            if new != level:
                applied.append(rule.reason)
                level = new
        return ResponseLevel(level, alert.level, tuple(applied))

    def affected_area(self, alert: Alert) -> AffectedArea:
        """2. The affected area: a circle of the category's radius."""
        radius = self.rules.radius_for(alert.category)
        configured = alert.category in self.rules.radius_m
        rule = (Reason(f"{alert.category_name.zh}：半径 {radius:g} m", f"{alert.category_name.en}: radius {radius:g} m")
                if configured else Reason(f"默认半径 {radius:g} m", f"default radius {radius:g} m"))
        return AffectedArea(alert.lat, alert.lon, radius, rule)

    def reachable_docks(self, alert: Alert, drone_states: Mapping[int, DroneState],
                        dock_states: Mapping[str, DockState], busy_sysids: Collection[int] = ()) -> list[DockOption]:
        """3. Every dock by time on scene; excluded ones last, with their reasons."""
        return rank_docks((alert.lat, alert.lon), self.patterns.for_category(alert.category), self.site.docks,
                          drone_states, dock_states, self.zones, self.site, frozenset(busy_sysids), limits=self.limits)

    def nearby(self, alert: Alert, others: Iterable[AlertRecord] = ()) -> NearbyResources:
        """4. The nearest cameras (for the video wall) and the other alerts within NEARBY_ALERTS_M."""
        cameras: list[NearbyCamera] = []
        if self.cameras is not None and len(self.cameras):
            indices, distances = self.cameras.nearest(alert.lat, alert.lon, NEAREST_CAMERAS)
            for i, d in zip(indices.tolist(), distances.tolist()):
                cameras.append(NearbyCamera(int(i), self.cameras.id(i), self.cameras.name(i), float(d),
                                            self.site.stream_url(self.cameras.stream_url(i))))
        near: list[NearbyAlert] = []
        for r in others:
            if r.id == alert.id:
                continue
            d = distance_m(alert.lat, alert.lon, r.alert.lat, r.alert.lon)
            if d <= NEARBY_ALERTS_M:
                near.append(NearbyAlert(r.id, r.alert.category, r.alert.level, r.state, d))
        near.sort(key=lambda a: a.distance_m)
        return NearbyResources(tuple(cameras), tuple(near[:MAX_NEARBY_ALERTS]))

    def proposal(self, options: list[DockOption], drone_states: Mapping[int, DroneState],
                 dock_states: Mapping[str, DockState], busy_sysids: Collection[int] = ()) -> DispatchProposal:
        """5. The best available dock and the checks it passed; why not, when none can go."""
        available = [o for o in options if o.available]
        if not available:
            why = options[0].excluded if options else Reason("站点没有机场", "the site has no docks")
            return DispatchProposal(None, None, (), Reason(f"没有可派出的机场（最近的：{why.zh}）",
                                                           f"no dock can go (nearest: {why.en})"))
        best = available[0]
        assert best.plan is not None
        plan, dock = best.plan, best.dock
        drone, state = drone_states.get(dock.sysid), dock_states.get(dock.id)
        checks = [Reason("机场在线，舱盖正常", "dock online, cover working"),
                  Reason("无人机链路正常，自检通过", "drone link up, health checks pass")]
        if state is not None and state.wind_speed_m_s is not None:
            checks.append(Reason(f"风速 {state.wind_speed_m_s:.1f} m/s ≤ {self.limits.max_wind_m_s:g} m/s",
                                 f"wind {state.wind_speed_m_s:.1f} m/s ≤ {self.limits.max_wind_m_s:g} m/s"))
        if state is not None and state.rainfall is not None:
            checks.append(Reason(f"降雨等级 {state.rainfall} ≤ {self.limits.max_rain_level}",
                                 f"rainfall {state.rainfall} ≤ {self.limits.max_rain_level}"))
        if drone is not None and drone.battery_pct is not None:
            checks.append(Reason(f"电量 {drone.battery_pct:.0f}% ≥ 往返 {plan.energy_pct:.0f}% + 保留 {plan.reserve_pct:g}%",
                                 f"battery {drone.battery_pct:.0f}% ≥ round trip {plan.energy_pct:.0f}% + "
                                 f"{plan.reserve_pct:g}% reserve"))
        checks.append(Reason(f"最高高度 {plan.max_alt_rel_m:g} m ≤ 限高 {plan.ceiling_m:g} m",
                             f"highest point {plan.max_alt_rel_m:g} m ≤ ceiling {plan.ceiling_m:g} m"))
        avoided = f"，绕开 {', '.join(plan.avoided_zones)}" if plan.avoided_zones else ""
        avoided_en = f", around {', '.join(plan.avoided_zones)}" if plan.avoided_zones else ""
        checks.append(Reason(f"航线不进入禁飞区{avoided}", f"route clear of no-fly zones{avoided_en}"))
        # Ready means able to launch at all (not: able to reach this alert), so range and route do not count.
        ready_here = sum(1 for d in self.site.docks if d.district == dock.district and readiness_refusal(
            drone_states.get(d.sysid), dock_states.get(d.id), self.limits, busy=d.sysid in busy_sysids) is None)
        automatic_refused = None
        if ready_here - 1 < self.site.min_ready_per_district:
            automatic_refused = Reason(
                f"{dock.district} 区仅剩 {ready_here} 个就绪机场，自动派出后少于 {self.site.min_ready_per_district} 个，需人工确认",
                f"{dock.district} has {ready_here} ready docks; dispatching automatically would leave fewer than "
                f"{self.site.min_ready_per_district}: an operator must confirm")
        return DispatchProposal(best, plan.pattern.describe(), tuple(checks), None, automatic_refused)

    def for_alert(self, alert: Alert, *, drone_states: Mapping[int, DroneState], dock_states: Mapping[str, DockState],
                  busy_sysids: Collection[int] = (), others: Iterable[AlertRecord] = ()) -> FiveAutomatics:
        """All five for one alert, from the states of the moment."""
        options = self.reachable_docks(alert, drone_states, dock_states, busy_sysids)
        return FiveAutomatics(alert.id, self.response_level(alert), self.affected_area(alert), tuple(options),
                              self.nearby(alert, others), self.proposal(options, drone_states, dock_states, busy_sysids))
