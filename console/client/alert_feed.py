"""Turns the alert core's records, quarantine, SLA figures and five automatics into the localized
values the alert desk, the dispatch panel and the map draw (`widgets/alert_views.py`).

Pure conversions, called on the GUI thread from the alert controller; Chinese texts when the
language is Chinese, English otherwise (the core's names carry both).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from console.core.alert_contract import category_name
from console.core.alert_store import AlertRecord, QuarantineRecord
from console.core.five_automatics import FiveAutomatics
from console.client.situation_feed import district_name
from drones.basemap import Basemap
from drones.geo import distance_m
from widgets.alert_views import (AlertRow, AutomaticsView, DockChoice, NearbyAlertRow, NearbyCameraRow, ProposalView,
                                 QuarantineRow)
from widgets.situation import AlertMark
from widgets.texts import reason_text, term_text

translate = QCoreApplication.translate


def level_name(level: int) -> str:
    """An alert level's short name in the current language ("L2" / "2级")."""
    return translate("AlertFeed", "L%1").replace("%1", str(level))




class AlertFeed:
    """Localized desk values for one console; district names come from the basemap when there is one."""

    def __init__(self, basemap: Basemap | None, language: str) -> None:
        self.basemap = basemap
        self.language = language
        self._districts: dict[str, str] = {}

    def district(self, key: str) -> str:
        if key not in self._districts:
            self._districts[key] = district_name(self.basemap, key, self.language) if key else ""
        return self._districts[key]

    def set_language(self, language: str) -> None:
        self.language = language
        self._districts.clear()

    def row(self, record: AlertRecord) -> AlertRow:
        a = record.alert
        district = a.district or ""
        return AlertRow(
            alert_id=a.id, level=a.level, level_name=level_name(a.level), category=a.category,
            category_name=reason_text(a.category_name), title=a.title, district=district,
            district_name=self.district(district), ts=a.ts, received_ts=record.received_ts, state=record.state,
            state_name=term_text(record.state), assigned_to=record.assigned_to, task_id=record.task_id,
            incident_id=record.incident_id, source_cleared=record.source_cleared,
            reason=reason_text(record.reason) if record.state == "dismissed" else "", detail=a.detail)

    def quarantine_row(self, q: QuarantineRecord) -> QuarantineRow:
        item = q.item
        return QuarantineRow(q.id, item.topic, reason_text(item.reason), item.raw, item.size,
                             item.received_ts, item.alert_id)

    def automatics(self, five: FiveAutomatics, record: AlertRecord) -> AutomaticsView:
        docks = tuple(DockChoice(o.dock.id, o.dock.name, self.district(o.dock.district), o.distance_m, o.eta_s,
                                 reason_text(o.excluded), term_text(o.kind) if o.kind else "") for o in five.docks)
        cameras = tuple(NearbyCameraRow(c.camera_id, c.name, c.distance_m, c.stream_url is not None)
                        for c in five.resources.cameras)
        nearby = tuple(NearbyAlertRow(n.alert_id, n.level, reason_text(category_name(n.category)),
                                      term_text(n.state), n.distance_m) for n in five.resources.alerts)
        p = five.proposal
        route = p.route
        length = sum(distance_m(*a, *b) for a, b in zip(route, route[1:])) if len(route) > 1 else None
        proposal = ProposalView(p.plan.plan_id if p.plan else None, p.dock.id if p.dock else None, p.dock.name if p.dock else "", length, p.eta_s,
                                reason_text(p.pattern), tuple(reason_text(c) for c in p.checks_passed),
                                reason_text(p.refused), tuple(reason_text(w) for w in p.warnings))
        return AutomaticsView(
            alert_id=record.id, title=record.alert.title or reason_text(record.alert.category_name),
            state=record.state, alert_level=five.response.alert_level, response_level=five.response.level,
            response_rule=reason_text(five.response.rule), radius_m=five.area.radius_m,
            area_rule=reason_text(five.area.rule), docks=docks, cameras=cameras, nearby_alerts=nearby,
            proposal=proposal)

    def mark(self, record: AlertRecord, radius_m: float | None) -> AlertMark:
        a = record.alert
        tip = f"{level_name(a.level)} · {reason_text(a.category_name)}\n" \
              f"{a.title}\n{a.id} · {term_text(record.state)}"
        return AlertMark(a.id, a.lat, a.lon, a.level, a.title, record.state != "new", radius_m, tip)
