"""The GUI thread's event-loop lag on the demo site with 5 flights in the air and 1,000 open alerts.

The whole console as `python main.py` builds it (ConsoleSession: map, wall, desk, board, panel, with
RemoteServices inside) on the demo site: the simulator child with its 56 drones, docks and camera streams, and
the site server child (`start_demo_server`) that owns them and sends the five demo flights out. 1,000 open
alerts arrive over MQTT (the server journals them and publishes their records to the console), and an alert is
selected, so its five automatics (56 docks ranked and planned, nearest cameras, nearby alerts) are asked of the
server every second. A 20 ms timer on the GUI thread records how late it fires (console/client/lag_meter.py):
what an operator feels as a frozen screen. The five automatics run on the server; the console's request for
them (the server's work plus the round trip) is timed too.
Goal: p99 <= 50 ms and max <= 250 ms over the measured minute.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

N_ALERTS = 1000
N_FLIGHTS = 5
MEASURE_S = 60.0
GOAL_P99_MS = 50.0
GOAL_MAX_MS = 250.0


async def _publish_alerts(url: str, n: int) -> None:
    import aiomqtt

    from drones.site import parse_broker_url

    cfg = parse_broker_url(url)
    async with aiomqtt.Client(cfg.host, cfg.port, protocol=aiomqtt.ProtocolVersion.V311,
                              max_inflight_messages=100) as client:
        for i in range(n):
            # Levels 3-4 in the city: open alerts the desk and the map carry, none the automation dispatches.
            body = {"id": f"LAG-{i:05d}", "category": ("waterlogging", "illegal_parking", "garbage_spill")[i % 3],
                    "level": 3 + i % 2, "lat": 36.06 + (i % 40) * 0.002, "lon": 120.36 + (i // 40) * 0.002,
                    "title": f"bench alert {i}"}
            await client.publish(f"qdcb/alerts/v1/shinan/{body['category']}", json.dumps(body), qos=1)


def run() -> dict[str, Any]:
    import os

    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from console.cli import load_requested_site
    from console.client.i18n import LanguageSwitch
    from console.client.session import ConsoleSession, start_demo_server, start_demo_site
    from console.client.theme import apply_theme
    from console.core.workstation import Workstation
    from widgets.situation import Selection, SelectionKind
    from vocab import TaskState

    app = QApplication.instance() or QApplication([sys.argv[0]])
    apply_theme(app)  # type: ignore[arg-type]
    tmp = Path(tempfile.mkdtemp(prefix="bench-gui-lag-"))
    os.environ.setdefault("XDG_CONFIG_HOME", str(tmp / "config"))
    languages = LanguageSwitch(app)  # type: ignore[arg-type]
    languages.set_language("zh_CN")
    site, _ = load_requested_site(None, None)
    site, demo = start_demo_site(site, broker_url=None, time_scale=1.0, verbose=False)
    station = Workstation("bench-gui-lag", tmp / "data")
    try:
        server = start_demo_server(site, demo, station, demo_flights=N_FLIGHTS)   # the server sends the flights
    except BaseException:
        demo.stop()
        raise
    try:
        session = ConsoleSession(site, QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat), languages,
                                 station=station, demo_site=demo, server=server)
    except BaseException:
        server.stop()
        demo.stop()
        raise
    services = session.services
    session.window.resize(1920, 1080)
    session.window.show()

    def pump_until(predicate: Any, timeout_s: float) -> bool:
        """Runs the GUI's own event loop (as app.exec() would) until `predicate` holds or the time is up."""
        loop, done = QEventLoop(), {"ok": False}

        def check() -> None:
            if predicate():
                done["ok"] = True
                loop.quit()

        poll = QTimer(interval=100, timeout=check)
        poll.start()
        QTimer.singleShot(int(timeout_s * 1000), loop.quit)
        loop.exec()
        poll.stop()
        return done["ok"] or bool(predicate())

    try:
        session.start()
        flying = lambda: sum(1 for t in services.tasks.open_tasks  # noqa: E731
                             if t.state in (TaskState.EN_ROUTE, TaskState.ON_SCENE))
        flights_ok = pump_until(lambda: flying() >= N_FLIGHTS, 240)
        asyncio.run(_publish_alerts(str(site.broker.url), N_ALERTS))  # type: ignore[union-attr]
        alerts_ok = pump_until(lambda: sum(1 for r in services.alerts.alerts() if r.id.startswith("LAG-"))
                               >= N_ALERTS and session.alerts.desk.model.known() >= N_ALERTS, 120)
        session.situation.selection.select(Selection(SelectionKind.ALERT, "LAG-00007"))
        pump_until(lambda: session.alerts.panel.view is not None, 30)

        record = services.alerts.alert("LAG-00007")
        assert record is not None
        five_ms = []
        for _ in range(10):
            t0 = time.perf_counter()
            services.core.call(services.automatics_for(record.id))
            five_ms.append((time.perf_counter() - t0) * 1000)

        session.lag.reset()
        pump_until(lambda: False, MEASURE_S)
        lag = session.lag.figures()
        in_air = flying()
    finally:
        session.window.close_without_asking()   # nobody answers a quit question in a bench
        session.stop()
    p99, worst = lag["gui_lag_p99_ms"], lag["gui_lag_max_ms"]
    return {
        "what": "GUI event-loop lag, demo site, 5 flights in the air, 1,000 open alerts, an alert selected",
        "flights_in_air_during_measure": in_air, "flights_ok": flights_ok, "alerts_ok": alerts_ok,
        "measured_s": MEASURE_S, **lag,
        "five_automatics_request_ms": {"p50": round(float(np.median(five_ms)), 1),
                                       "max": round(float(max(five_ms)), 1)},
        "goal": f"p99 <= {GOAL_P99_MS:g} ms and max <= {GOAL_MAX_MS:g} ms",
        "goal_met": bool(flights_ok and alerts_ok and p99 is not None and p99 <= GOAL_P99_MS
                         and worst is not None and worst <= GOAL_MAX_MS),
    }
