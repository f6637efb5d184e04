"""The "five automatics" of emergency command, for one alert (docs/architecture.md, "What it is"):

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
import time
import tomllib
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.core.alert_contract import Alert
from console.core.alert_incidents import CorrelationPolicy
from console.core.alert_store import AlertRecord
from console.core.fleet_status import dock_readiness
from console.resources import resource_path
from drones.basemap import Basemap
from drones.cameras import CameraRegistry
from drones.geo import LocalProjection, distance_m
from drones.model import LINK_LOSS_NONE, DockState, DroneState, link_loss_action
from vocab import AlertState, DockStatus, Reason
from drones.nofly import NoFlyZone
from drones.patterns import PatternBook
from drones.planning import FlightPlan
from drones.safety import DockOption, Limits, rank_docks
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
        rules.append(ResponseRule(str(raw.get("id", key)), Reason.data(zh=raw["zh"], en=raw["en"]),
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
            return Reason.of("response.own_level", level=self.alert_level)
        joined = self.rules[0]
        for r in self.rules[1:]:
            joined = Reason.of("list.pair", first=joined, second=r)
        return joined


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
    state: AlertState
    distance_m: float


@dataclass(frozen=True, slots=True)
class NearbyResources:
    cameras: tuple[NearbyCamera, ...]
    alerts: tuple[NearbyAlert, ...]


@dataclass(frozen=True, slots=True)
class DispatchPlan:
    """One dispatch as the operator confirms it and the drone flies it, made once on the core loop.

    The confirmation shows this dock, route, ETA and pattern; the dispatch request carries the
    object back, and the launch re-checks this dock's preflight on fresh states and flies this
    flight plan, or refuses with the reason. Nothing re-plans in between or picks another dock.
    """

    plan_id: str
    alert_id: str
    dock: Dock
    flight: FlightPlan
    eta_s: float               # launch preparation plus flight to the scene
    made_at: float             # epoch seconds

    @property
    def route(self) -> tuple[tuple[float, float], ...]:
        return self.flight.route


@dataclass(frozen=True, slots=True)
class DispatchProposal:
    """The best dock's plan and what a confirmation shows; `refused` when no dock can go, and
    `automatic_refused` when an operator must decide even where a site policy would dispatch."""

    plan: DispatchPlan | None
    pattern: Reason | None
    checks_passed: tuple[Reason, ...]
    refused: Reason | None = None
    automatic_refused: Reason | None = None
    warnings: tuple[Reason, ...] = ()     # what the operator should know before confirming

    @property
    def dock(self) -> Dock | None:
        return self.plan.dock if self.plan else None

    @property
    def eta_s(self) -> float | None:
        return self.plan.eta_s if self.plan else None

    @property
    def route(self) -> tuple[tuple[float, float], ...]:
        return self.plan.route if self.plan else ()


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
        rule = (Reason.of("area.category", category=alert.category_name, radius_m=radius) if configured
                else Reason.of("area.default", radius_m=radius))
        return AffectedArea(alert.lat, alert.lon, radius, rule)

    def reachable_docks(self, alert: Alert, drone_states: Mapping[int, DroneState],
                        dock_states: Mapping[str, DockState], busy_sysids: Collection[int] = ()) -> list[DockOption]:
        """3. Every dock by time on scene; excluded ones last, with their reasons."""
        return rank_docks((alert.lat, alert.lon), self.patterns.for_category(alert.category), self.site.docks,
                          drone_states, dock_states, self.zones, self.site, frozenset(busy_sysids), limits=self.limits)

    def option_for(self, alert: Alert, dock: Dock, drone_states: Mapping[int, DroneState],
                   dock_states: Mapping[str, DockState], busy_sysids: Collection[int] = ()) -> DockOption:
        """One named dock for the alert: its plan, or why it cannot go (an integrator's or a confirmed choice)."""
        return rank_docks((alert.lat, alert.lon), self.patterns.for_category(alert.category), (dock,), drone_states,
                          dock_states, self.zones, self.site, frozenset(busy_sysids), limits=self.limits)[0]

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

    def proposal(self, alert_id: str, options: list[DockOption], drone_states: Mapping[int, DroneState],
                 dock_states: Mapping[str, DockState], busy_sysids: Collection[int] = ()) -> DispatchProposal:
        """5. The best available dock and the checks it passed; why not, when none can go."""
        available = [o for o in options if o.available]
        if not available:
            why = options[0].excluded if options else Reason.of("proposal.no_docks")
            return DispatchProposal(None, None, (), Reason.of("proposal.none", why=why))
        best = available[0]
        drone = drone_states.get(best.dock.sysid)
        warnings = (Reason.of("preflight.link_loss_none"),) if drone is not None and \
            drone.link_loss_action == LINK_LOSS_NONE else ()
        return DispatchProposal(self.dispatch_plan(alert_id, best), best.plan.pattern.describe() if best.plan else None,
                                self.checks_passed(best, drone_states, dock_states), None,
                                self.automatic_refusal(best.dock, drone_states, dock_states, busy_sysids), warnings)

    def dispatch_plan(self, alert_id: str, option: DockOption) -> DispatchPlan:
        """The plan object of an available dock: what the confirmation shows and the launch flies."""
        assert option.plan is not None and option.eta_s is not None
        return DispatchPlan(uuid.uuid4().hex[:12], alert_id, option.dock, option.plan, option.eta_s, time.time())

    def checks_passed(self, option: DockOption, drone_states: Mapping[int, DroneState],
                      dock_states: Mapping[str, DockState]) -> tuple[Reason, ...]:
        """What the confirmation lists as checked for this dock (the values of this moment)."""
        assert option.plan is not None
        plan, dock = option.plan, option.dock
        drone, state = drone_states.get(dock.sysid), dock_states.get(dock.id)
        checks = [Reason.of("check.dock_ok"), Reason.of("check.drone_ok")]
        if state is not None and state.wind_speed_m_s is not None:
            checks.append(Reason.of("check.wind", wind_m_s=state.wind_speed_m_s, limit_m_s=self.limits.max_wind_m_s))
        if state is not None and state.rainfall is not None:
            checks.append(Reason.of("check.rain", rain=state.rainfall, limit=self.limits.max_rain_level))
        if drone is not None and drone.battery_pct is not None:
            checks.append(Reason.of("check.battery", pct=drone.battery_pct, energy_pct=plan.energy_pct,
                                    reserve_pct=plan.reserve_pct))
        checks.append(Reason.of("check.ceiling", top_m=plan.max_alt_rel_m, ceiling_m=plan.ceiling_m))
        checks.append(Reason.of("check.route_around", zones=", ".join(plan.avoided_zones)) if plan.avoided_zones
                      else Reason.of("check.route_clear"))
        checks.append(Reason.of("check.link_loss",
                                action=link_loss_action(drone.link_loss_action if drone is not None else None)))
        return tuple(checks)

    def automatic_refusal(self, dock: Dock, drone_states: Mapping[int, DroneState],
                          dock_states: Mapping[str, DockState], busy_sysids: Collection[int] = ()) -> Reason | None:
        """Why automation (not an operator) must not send this dock: it would leave its district short."""
        # Ready as the fleet board counts it for the district (not: able to reach this alert, so range and route
        # do not count): the supervisor's "N ready" chip and this rule never disagree.
        ready_here = sum(1 for d in self.site.docks if d.district == dock.district and dock_readiness(
            dock_states.get(d.id), drone_states.get(d.sysid), task_open=d.sysid in busy_sysids,
            limits=self.limits).status is DockStatus.READY)
        if ready_here - 1 >= self.site.min_ready_per_district:
            return None
        return Reason.of("proposal.min_ready", district=Reason.of(f"district.{dock.district}"), ready=ready_here,
                         min_ready=self.site.min_ready_per_district)

    def for_alert(self, alert: Alert, *, drone_states: Mapping[int, DroneState], dock_states: Mapping[str, DockState],
                  busy_sysids: Collection[int] = (), others: Iterable[AlertRecord] = ()) -> FiveAutomatics:
        """All five for one alert, from the states of the moment."""
        options = self.reachable_docks(alert, drone_states, dock_states, busy_sysids)
        return FiveAutomatics(alert.id, self.response_level(alert), self.affected_area(alert), tuple(options),
                              self.nearby(alert, others),
                              self.proposal(alert.id, options, drone_states, dock_states, busy_sysids))
