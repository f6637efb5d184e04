"""English is complete: the whole console, as `python main.py` builds it, on a live simulated site, shows
no Chinese in English, whether it started in English or was switched from Chinese while running.

Every text is read back from the real widgets (tests/console/client/ui_texts.py): labels, buttons,
actions, menus, tabs, dock titles, table and list items and headers, combo items, tooltips, window
titles. So a text set from code (a controller, a `.tr()` evaluated once at construction) is caught,
not only the strings lupdate sees.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import aiomqtt
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from console.client.i18n import LanguageSwitch
from console.client.session import ConsoleSession
from console.core.workstation import Workstation
from console.resources import resource_path
from drones.site import Site, parse_broker_url
from tests.conftest import MosquittoBroker
from tests.console.client.ui_texts import all_texts, top_level_windows, with_cjk, with_english_words
from tests.drones.sim.conftest import make_docks
from tests.drones.task_harness import SiteThread
from widgets.situation import Selection, SelectionKind

WAIT_MS = 30_000
#: Latin words a Chinese screen keeps: protocol, format and unit names, key names, the English menu entry.
ALLOWED_LATIN = {"MQTT", "MAVLink", "JSON", "Hz", "km", "Alt", "Ctrl", "Shift", "English"}


@dataclass
class Live:
    session: ConsoleSession
    sim: SiteThread
    broker_port: int

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
        return {site.name, *(d.name for d in site.docks), *cameras, "中文"}

    def data_words(self) -> set[str]:
        """What a Chinese screen shows as given, not UI words: ids (alerts, incidents, docks), the sender's
        alert titles, MQTT topics and the broker's URL, a quarantined payload's bytes and the JSON parser's
        own message about it (Python's words, like an autopilot's, shown as said)."""
        s = self.session
        rows = s.alerts.desk.quarantine_rows
        alerts = [r.alert for r in s.services.alerts.alerts()]
        return {*(a.id for a in alerts), *(a.title for a in alerts), *(f"INC-{a.id}" for a in alerts),
                *(d.id for d in s.site.docks), *(r.topic for r in rows), *(r.raw_text() for r in rows),
                *(r.reason.split("：", 1)[-1].rstrip("）") for r in rows), s.site.broker.url if s.site.broker else ""}


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
    session = ConsoleSession(sim.console_site, settings, languages, station=Workstation("console-E", tmp_path / "d"))
    try:
        session.start()
        qtbot.addWidget(session.window)
        session.window.resize(1920, 1080)
        session.window.show()
        yield Live(session, sim, mosquitto.port)
    finally:
        session.stop()
        sim.close()
        languages.set_language("en")


def fill_every_panel(live: Live, qtbot) -> None:  # type: ignore[no-untyped-def]
    """An alert with its five automatics, a quarantined payload (dialog open), a drone in the panel."""
    s = live.session
    qtbot.waitUntil(lambda: s.services.health.snapshot()["broker_connected"], timeout=WAIT_MS)
    dock = s.site.docks[0]
    live.publish_alert("EN-1", dock.lat + 0.003, dock.lon + 0.003)
    qtbot.waitUntil(lambda: s.alerts.desk.model.get("EN-1") is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: len(s.alerts.desk.quarantine_rows) == 1, timeout=WAIT_MS)
    # The selected alert's five automatics, then a drone in the panel: every panel has content.
    s.situation.selection.select(Selection(SelectionKind.ALERT, "EN-1"))
    qtbot.waitUntil(lambda: s.alerts.panel.view is not None and s.alerts.panel.view.alert_id == "EN-1",
                    timeout=WAIT_MS)
    s.situation.selection.select(Selection(SelectionKind.DRONE, str(dock.sysid)))
    qtbot.waitUntil(lambda: s.situation.board.model.rowCount() == len(s.site.docks), timeout=WAIT_MS)
    s.alerts.desk.open_quarantine()


def offending_after_switch(live: Live, qtbot, language: str,  # type: ignore[no-untyped-def]
                           offending: Callable[[list[tuple[str, str]]], list[tuple[str, str]]]) -> list[str]:
    """Switches to `language` (nothing happens if it is the current one) and returns the offending texts.
    Started in the other language, everything is on screen in it first: switching must re-read every text."""
    s = live.session
    s.change_language(language)
    assert s.languages.language == language

    def found() -> list[tuple[str, str]]:
        return offending(all_texts([s.window, *top_level_windows()]))

    try:  # the panels that refresh on timers (the five automatics at 1 Hz) get their turn
        qtbot.waitUntil(lambda: not found(), timeout=3000)
    except qtbot.TimeoutError:
        pass
    return [f"{where}: {text!r}" for where, text in found()]


@pytest.mark.parametrize("live", ["en", "zh_CN"], indirect=True, ids=["started-en", "switched-from-zh"])
def test_no_chinese_is_visible_in_english(live: Live, qtbot) -> None:  # type: ignore[no-untyped-def]
    fill_every_panel(live, qtbot)
    found = offending_after_switch(live, qtbot, "en", lambda texts: with_cjk(texts, allowed=live.data_names()))
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("live", ["zh_CN", "en"], indirect=True, ids=["started-zh", "switched-from-en"])
def test_no_english_ui_words_are_visible_in_chinese(live: Live, qtbot) -> None:  # type: ignore[no-untyped-def]
    fill_every_panel(live, qtbot)
    found = offending_after_switch(live, qtbot, "zh_CN", lambda texts: with_english_words(texts, ALLOWED_LATIN, given=live.data_words()))
    assert found == [], "\n".join(found)
