"""The console the demo site builds (ConsoleSession: its link to the site server, controllers, window), offscreen
and never connected: the real widgets and controllers, for tests of layout and behaviour without a site."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from console.cli import load_requested_site
from console.client.i18n import LanguageSwitch
from console.client.session import ConsoleSession
from console.core.alert_contract import Alert, validate
from console.core.alert_store import AlertRecord
from console.core.server_contract import PATH
from console.core.wire import to_wire
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
    """An alert as the site server sends it to consoles: the city's payload validated by the core's own contract,
    journaled as a new record, and published on the server's alert topic, handed to the console's MQTT handler on
    its core loop (the session is never connected: this is the one message a broker would have delivered)."""
    payload = json.dumps({"id": alert_id, "ts": "2026-11-24T15:04:05.123+08:00", "category": category,
                          "level": level, "lat": lat, "lon": lon, "title": f"test {alert_id}", "status": "active",
                          "source": {"kind": "camera", "id": "C1"}}).encode()
    topic_name = f"qdcb/alerts/v1/shinan/{category}"
    alert = validate(topic_name, payload, time.time())
    assert isinstance(alert, Alert), alert
    record = AlertRecord(alert, time.time())
    message = SimpleNamespace(topic=f"qdcb/{PATH}/alerts/{alert_id}", payload=json.dumps(to_wire(record)).encode(),
                              qos=1)
    services = session.services

    async def deliver() -> bool:
        services._on_alert(message)   # noqa: SLF001 - the handler the MQTT link would call
        return services.alerts.alert(alert_id) is not None

    assert session.services.core.call(deliver(), timeout_s=10)
