"""The console the demo site builds (ConsoleSession: core services, controllers, window), offscreen and
never connected: the real widgets and controllers, for tests of layout and behaviour without a site."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from console.cli import load_requested_site
from console.client.i18n import LanguageSwitch
from console.client.session import ConsoleSession
from console.core.workstation import Workstation


def demo_session(qapp: QApplication, tmp: Path) -> Iterator[ConsoleSession]:
    """A module fixture's body: the session, its window shown in the default layout, stopped after."""
    # The demo site as main.py loads it; the broker is never connected (the session is not started).
    site, _demo = load_requested_site(None, "mqtt://127.0.0.1:1")
    languages = LanguageSwitch(qapp)
    languages.set_language("en")
    settings = QSettings(str(tmp / "console.ini"), QSettings.Format.IniFormat)
    s = ConsoleSession(site, settings, languages, station=Workstation("console-L", tmp / "station"))
    s.window.restore_layout()      # nothing saved: the default layout
    s.window.show()
    yield s
    s.stop()
    s.window.close_without_asking()


def ingest_alert(session: ConsoleSession, alert_id: str, level: int, lat: float, lon: float,
                 category: str = "waterlogging") -> None:
    """An alert as the MQTT link hands it over: validated, journaled and announced by the core's alert service."""
    payload = json.dumps({"id": alert_id, "ts": "2026-11-24T15:04:05.123+08:00", "category": category,
                          "level": level, "lat": lat, "lon": lon, "title": f"test {alert_id}", "status": "active",
                          "source": {"kind": "camera", "id": "C1"}}).encode()
    alerts = session.services.alerts

    async def deliver() -> str:
        await asyncio.sleep(0)
        with alerts.batch():
            return alerts.ingest(f"qdcb/alerts/v1/shinan/{category}", payload)

    assert session.services.core.call(deliver(), timeout_s=10) == "new"
