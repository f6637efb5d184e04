"""The whole console as `python main.py` builds it (ConsoleSession: window, map, wall, desk, board, panel) on a
live simulated site (two docks and their PX4-like drones on a real Mosquitto, physics at ×20) run by a real site
server (tests/site_server.py), for the tests that look at every panel at once. `live` is parametrized indirectly
with the language it starts in.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import aiomqtt
import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSettings
from PySide6.QtWidgets import QApplication

from console.client.i18n import LanguageSwitch
from console.client.session import ConsoleSession
from console.core.workstation import Workstation
from console.resources import resource_path
from drones.site import Site, parse_broker_url
from tests.conftest import MosquittoBroker
from tests.drones.sim.conftest import make_docks
from tests.drones.task_harness import SiteThread
from tests.site_server import InProcessServer

WAIT_MS = 30_000


@dataclass
class Live:
    session: ConsoleSession
    sim: SiteThread
    broker_port: int
    server: InProcessServer

    def publish_alert(self, alert_id: str, lat: float, lon: float, *, level: int = 2,
                      category: str = "waterlogging") -> None:
        payload = {"id": alert_id, "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                   "category": category, "level": level, "lat": lat, "lon": lon, "title": f"Alert {alert_id}",
                   "source": {"kind": "camera", "id": "37020200001310000001"}, "status": "active"}

        async def run() -> None:
            async with aiomqtt.Client("127.0.0.1", self.broker_port) as client:
                await client.publish(f"qdcb/alerts/v1/shinan/{category}", json.dumps(payload).encode(), qos=1)
                await client.publish("qdcb/alerts/v1/shinan/waterlogging", b"{not json", qos=1)

        asyncio.run(run())

    def data_names(self) -> set[str]:
        """Proper nouns from the site's data, in the one language the data gives, never UI words: the names
        the site administrator writes in the site file (docks, the site itself), the names of the city's
        camera registry shown, and the Chinese language's own name in the language menu (each language
        is named in its own language, so anyone can find theirs)."""
        site, view = self.session.site, self.session.alerts.panel.view
        cameras = {c.name for c in view.cameras} if view is not None else set()
        registry = self.session.services.cameras
        if registry is not None:    # the cameras on the wall, named as the registry names them
            found = (registry.find(t.source.key.split(":", 1)[1]) for t in self.session.video.wall.tiles
                     if t.source is not None and t.source.kind == "camera")
            cameras |= {registry.name(i) for i in found if i is not None}
        return {site.name, *(d.name for d in site.docks), *cameras, "中文"}

    def data_words(self) -> set[str]:
        """What a Chinese screen shows as given, not UI words: ids (alerts, incidents, docks, the site server), the sender's
        alert titles, MQTT topics and the broker's URL, a quarantined payload's bytes and the JSON parser's
        own message about it (Python's words, like an autopilot's, shown as said)."""
        s = self.session
        rows = s.alerts.desk.quarantine_rows
        alerts = [r.alert for r in s.services.alerts.alerts()]
        return {*(a.id for a in alerts), *(a.title for a in alerts), *(f"INC-{a.id}" for a in alerts),
                *(d.id for d in s.site.docks), *(r.topic for r in rows), *(r.raw_text() for r in rows),
                *(r.reason.split("：", 1)[-1].rstrip("）") for r in rows), s.site.broker.url if s.site.broker else "",
                s.services.server_id or ""}


@pytest.fixture
def live(request: pytest.FixtureRequest, mosquitto: MosquittoBroker, tmp_path: Path, qtbot,  # type: ignore[no-untyped-def]
         qapp: QApplication) -> Iterator[Live]:
    start_language = request.param
    sim = SiteThread(Site("测试站点", None, parse_broker_url(mosquitto.url), tuple(make_docks(2)),
                          cameras_path=resource_path("sites", "demo_cameras.npz"),
                          basemap_path=resource_path("map", "qingdao.geojson")), mosquitto.url)
    languages = LanguageSwitch(qapp)
    languages.set_language(start_language)
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    server = InProcessServer(sim.console_site, tmp_path / "server")
    session = ConsoleSession(sim.console_site, settings, languages, station=Workstation("console-E", tmp_path / "d"))
    try:
        session.start()
        qtbot.addWidget(session.window)
        session.window.resize(1920, 1080)
        session.window.show()
        qtbot.waitUntil(lambda: session.services.present, timeout=WAIT_MS)
        yield Live(session, sim, mosquitto.port, server)
    finally:
        session.stop()
        server.close()
        sim.close()
        languages.set_language("en")
        # The window goes now, not at interpreter exit, where pyqtgraph's axes would resize half-deleted.
        session.window.close()
        session.window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
