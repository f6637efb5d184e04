"""The five automatics on the demo site: response level with its rule, affected area, ranked docks
with exclusion reasons, nearest cameras and alerts, and a dispatch proposal with the checks passed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from console.core.alert_contract import Alert
from console.core.alert_store import AlertRecord
from console.core.five_automatics import (AlertRulesError, Automatics, alert_rules_from_dict, distance_to_zone_m,
                                     load_alert_rules)
from console.resources import resource_path
from drones.basemap import load_basemap
from drones.cameras import CameraRegistry
from drones.model import CoverState, DockState, DroneState, LandedState
from vocab import ExclusionKind, LinkState
from drones.nofly import load_nofly
from drones.patterns import load_patterns
from drones.site import load_site

SITE = load_site(resource_path("sites", "demo.toml"))
ZONES = load_nofly(SITE.nofly_path) if SITE.nofly_path else ()
RULES = load_alert_rules()
FOREST = (36.1250, 120.5700)   # Laoshan hills between 沙子口 (LS09) and 流清河 (LS12)


@pytest.fixture(scope="module")
def automatics() -> Automatics:
    assert SITE.cameras_path and SITE.basemap_path
    return Automatics(SITE, rules=RULES, patterns=load_patterns(), zones=ZONES,
                      cameras=CameraRegistry.load(SITE.cameras_path), basemap=load_basemap(SITE.basemap_path))


def alert(category: str = "forest_fire_smoke", level: int = 2, at: tuple[float, float] = FOREST,
          district: str | None = "laoshan", alert_id: str = "A1") -> Alert:
    return Alert(id=alert_id, ts=0.0, category=category, level=level, lat=at[0], lon=at[1], district=district)


def ready_states() -> tuple[dict[int, DroneState], dict[str, DockState]]:
    drones = {d.sysid: DroneState(d.sysid, link=LinkState.OK, heartbeat_age_s=0.2, armed=False,
                                  landed=LandedState.ON_GROUND, battery_pct=100.0, healthy=True, gps_fix=3)
              for d in SITE.docks}
    docks = {d.id: DockState(d.id, d.dock_sn, online=True, cover=CoverState.CLOSED, drone_in_dock=True,
                             wind_speed_m_s=3.0, rainfall=0) for d in SITE.docks}
    return drones, docks


def test_response_level_names_the_rule_that_set_it(automatics: Automatics) -> None:
    fire = automatics.response_level(alert())
    assert fire.level == 1 and fire.alert_level == 2 and "Laoshan forest" in fire.rule.en and fire.rule.get("zh")
    plain = automatics.response_level(alert("waterlogging", 3, (36.0700, 120.3900), "shinan"))
    assert plain.level == 3 and plain.rules == () and "own level 3" in plain.rule.en
    rescue = automatics.response_level(alert("sea_rescue", 4, (36.05, 120.40), "shinan"))
    assert rescue.level == 2 and "threat to life" in rescue.rule.en
    # Next to the municipal government's no-fly zone (NF02): a gas leak is one level more urgent.
    gas = automatics.response_level(alert("gas_leak", 3, (36.0665, 120.3850), "shinan"))
    assert gas.level == 1 and len(gas.rules) == 2
    assert automatics.response_level(alert(level=1)).level == 1   # never beyond 1


def test_affected_area_per_category_with_a_default(automatics: Automatics) -> None:
    assert automatics.affected_area(alert()).radius_m == 500
    unknown = automatics.affected_area(alert("street_vendor"))
    assert unknown.radius_m == RULES.default_radius_m and "default" in unknown.rule.en


def test_docks_are_ranked_by_time_on_scene_with_reasons_for_the_excluded(automatics: Automatics) -> None:
    drones, docks = ready_states()
    nearest = min(SITE.docks, key=lambda d: (d.lat - FOREST[0]) ** 2 + (d.lon - FOREST[1]) ** 2)
    docks[nearest.id] = dataclasses.replace(docks[nearest.id], wind_speed_m_s=20.0)
    options = automatics.reachable_docks(alert(), drones, docks, busy_sysids=())
    available = [o for o in options if o.available]
    assert available and all(a.eta_s <= b.eta_s for a, b in zip(available, available[1:]))  # type: ignore[operator]
    windy = next(o for o in options if o.dock.id == nearest.id)
    assert windy.kind is ExclusionKind.WEATHER and "wind" in windy.excluded.en  # type: ignore[union-attr]
    assert any(o.kind is ExclusionKind.RANGE for o in options)   # Shinan docks are too far for the forest


def test_nearby_cameras_and_alerts(automatics: Automatics) -> None:
    others = [AlertRecord(alert(alert_id="A2", at=(FOREST[0] + 0.002, FOREST[1])), 0.0),
              AlertRecord(alert(alert_id="A3", at=(36.06, 120.38)), 0.0)]
    near = automatics.nearby(alert(), others)
    assert len(near.cameras) == 8
    assert all(a.distance_m <= b.distance_m for a, b in zip(near.cameras, near.cameras[1:]))
    assert all(c.camera_id and c.name and c.stream_url and c.stream_url.startswith("http") for c in near.cameras)
    assert [a.alert_id for a in near.alerts] == ["A2"]


def test_the_proposal_shows_dock_route_eta_pattern_and_checks(automatics: Automatics) -> None:
    drones, docks = ready_states()
    result = automatics.for_alert(alert(level=1), drone_states=drones, dock_states=docks)
    proposal = result.proposal
    assert proposal.refused is None and proposal.dock is not None
    assert proposal.dock.id == result.docks[0].dock.id and proposal.eta_s == result.docks[0].eta_s
    assert len(proposal.route) >= 2 and proposal.pattern is not None and "orbit" in proposal.pattern.en.lower()
    checks = " / ".join(c.en for c in proposal.checks_passed)
    for word in ("dock online", "wind", "battery", "ceiling", "no-fly"):
        assert word in checks
    assert proposal.automatic_refused is None          # plenty of ready docks in Laoshan
    assert "on a lost link the drone will do what it is configured to (not read yet)" in checks
    assert proposal.warnings == ()
    assert proposal.plan is not None and proposal.plan.dock == proposal.dock and proposal.plan.alert_id == "A1"


def test_the_confirmation_says_what_a_drone_does_on_a_lost_link(automatics: Automatics) -> None:
    drones, docks = ready_states()
    best = automatics.for_alert(alert(level=1), drone_states=drones, dock_states=docks).proposal.dock
    assert best is not None
    drones[best.sysid] = dataclasses.replace(drones[best.sysid], link_loss_action=2)
    proposal = automatics.for_alert(alert(level=1), drone_states=drones, dock_states=docks).proposal
    assert "on a lost link the drone will return to its dock" in [c.en for c in proposal.checks_passed]
    drones[best.sysid] = dataclasses.replace(drones[best.sysid], link_loss_action=0)
    proposal = automatics.for_alert(alert(level=1), drone_states=drones, dock_states=docks).proposal
    assert [w.code for w in proposal.warnings] == ["preflight.link_loss_none"]


def test_no_dock_means_a_refusal_and_automation_keeps_a_districts_reserve(automatics: Automatics) -> None:
    drones, docks = ready_states()
    offline = {k: dataclasses.replace(v, online=False) for k, v in docks.items()}
    refused = automatics.for_alert(alert(), drone_states=drones, dock_states=offline).proposal
    assert refused.dock is None and refused.refused is not None and "offline" in refused.refused.en
    # Only one Laoshan dock ready: an operator must confirm an automatic dispatch.
    laoshan = [d.id for d in SITE.docks if d.district == "laoshan"]
    thin = {k: (v if k == laoshan[0] else dataclasses.replace(v, online=False)) for k, v in docks.items()}
    result = automatics.for_alert(alert(at=(36.10, 120.47)), drone_states=drones, dock_states=thin)
    assert result.proposal.dock is not None and result.proposal.dock.id == laoshan[0]
    assert result.proposal.automatic_refused is not None and "operator" in result.proposal.automatic_refused.en


def test_automations_reserve_counts_ready_docks_as_the_fleet_board_does(automatics: Automatics) -> None:
    """Docks charging below the ready threshold pass the launch checks, but the board does not call them ready:
    automation must not count them as the district's reserve either."""
    drones, docks = ready_states()
    laoshan = [d for d in SITE.docks if d.district == "laoshan"]
    assert len(laoshan) > SITE.min_ready_per_district + 1
    low = {d.sysid: dataclasses.replace(drones[d.sysid], battery_pct=40.0) for d in laoshan[1:]}
    charging = {d.id: dataclasses.replace(docks[d.id], charging=True) for d in laoshan[1:]}
    result = automatics.for_alert(alert(at=(36.10, 120.47)), drone_states=drones | low, dock_states=docks | charging)
    assert result.proposal.dock is not None and result.proposal.dock.id == laoshan[0].id
    refused = result.proposal.automatic_refused
    assert refused is not None and refused.code == "proposal.min_ready" and dict(refused.params)["ready"] == 1


def test_distance_to_zone(automatics: Automatics) -> None:
    government = next(z for z in ZONES if z.id == "NF02")
    assert distance_to_zone_m(36.0665, 120.3800, government) == 0.0
    assert 240 < distance_to_zone_m(36.0665 + 500 / 111_320, 120.3800, government) < 260


def test_alert_rules_file_problems_name_the_key(tmp_path: Path) -> None:
    with pytest.raises(AlertRulesError, match="categories.x.radius_m"):
        alert_rules_from_dict({"categories": {"x": {"radius_m": -1}}})
    with pytest.raises(AlertRulesError, match=r"response.rules\[0\]"):
        alert_rules_from_dict({"response": {"rules": [{"raise": 1}]}})
    bad = tmp_path / "r.toml"
    bad.write_text("[default\n")
    with pytest.raises(AlertRulesError, match="r.toml"):
        load_alert_rules(bad)
    assert RULES.correlation.related_to("forest_fire_smoke", "outdoor_burning")
