"""No alert is ever lost, even when the journal cannot write: a real Mosquitto, the console's own
MqttLink and AlertService, and a journal that fails three ways in the middle of 1,000 alerts.

The failures are SQLite's own, on the service's own connection:
- a write that fails (the connection's authorizer refuses inserts into `alerts`: the transaction
  stays open, as after an I/O error on one statement);
- a commit that fails (the authorizer refuses COMMIT: every write and announcement of the batch
  happened, then the batch is lost at the very end);
- a full disk (`PRAGMA max_page_count` caps the file at its size: "database or disk is full",
  after which SQLite itself rolls the transaction back).
Each is then lifted, as an operator freeing the disk would.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import Counter
from pathlib import Path

import aiomqtt

from console.core.alert_events import AlertReceived
from console.core.alert_service import AlertService
from console.core.alert_store import AlertRecord
from drones.site import AutomationRule, Site, parse_broker_url
from tests.conftest import wait_until
from tests.console.core.test_alert_service_mqtt import (Console, PersistentMosquitto,  # noqa: F401
                                                     persistent_mosquitto)

ALERTS = 1000
#: Every tenth alert is a level-1 forest-fire smoke in Laoshan, which the site's automation dispatches.
SITE = Site(name="t", path=None, broker=None,
            automation=(AutomationRule(("forest_fire_smoke",), 1, ("laoshan",)),))
UNCAPPED_PAGES = 1_073_741_823


def alert(i: int) -> tuple[str, bytes]:
    fire = i % 10 == 0
    category, district = ("forest_fire_smoke", "laoshan") if fire else ("waterlogging", "shinan")
    body = {"id": f"FULL-{i:05d}", "ts": "2026-12-03T16:00:00+08:00", "category": category, "level": 1 if fire else 3,
            "lat": 36.06 + (i % 50) * 0.001, "lon": 120.38 + (i % 37) * 0.001, "title": f"alert {i}"}
    return f"qdcb/alerts/v1/{district}/{category}", json.dumps(body).encode()


class Desk(Console):
    """The console's AlertService and MqttLink (as CoreServices runs them), with a dispatch that counts."""

    def __init__(self, url: str, journal: Path) -> None:
        self.dispatched: list[str] = []

        async def dispatch(record: AlertRecord, by: str, choice: object) -> str:
            self.dispatched.append(record.id)
            return f"T-{record.id}"

        super().__init__(url, journal, "full-disk", site=SITE, dispatch=dispatch)

    def journaled(self) -> int:
        return self.core.call(self._count())

    async def _count(self) -> int:
        return self.service.store.count()

    def break_journal(self, how: str | None) -> None:
        """Makes the journal fail: "write", "commit", "full", or None to make it work again (on its loop)."""
        async def apply() -> None:
            db = self.service.store._db.connection  # noqa: SLF001 - the test plays the disk, not the code under test

            def authorize(action: int, arg1: str | None, *_: object) -> int:
                refused = (how == "write" and action == sqlite3.SQLITE_INSERT and arg1 == "alerts") or \
                          (how == "commit" and action == sqlite3.SQLITE_TRANSACTION and arg1 == "COMMIT")
                return sqlite3.SQLITE_DENY if refused else sqlite3.SQLITE_OK

            db.set_authorizer(authorize)   # also expires the statements prepared before
            pages = db.execute("PRAGMA page_count").fetchone()[0] if how == "full" else UNCAPPED_PAGES
            db.execute(f"PRAGMA max_page_count = {pages}")

        self.core.call(apply())

    def failed_batches(self) -> int:
        return sum(1 for s in self.states if s.state == "disconnected" and "not kept" in (s.reason or ""))


async def publish(url: str, messages: list[tuple[str, bytes]]) -> None:
    cfg = parse_broker_url(url)
    async with aiomqtt.Client(cfg.host, cfg.port, protocol=aiomqtt.ProtocolVersion.V311) as client:
        for topic, payload in messages:
            await client.publish(topic, payload, qos=1)


def test_a_full_journal_loses_no_alert_and_nothing_is_announced_twice(
        persistent_mosquitto: PersistentMosquitto, tmp_path: Path) -> None:  # noqa: F811
    url = persistent_mosquitto.url
    desk = Desk(url, tmp_path / "alerts.sqlite")
    messages = [alert(i) for i in range(ALERTS)]
    try:
        asyncio.run(publish(url, messages[:250]))
        wait_until(lambda: desk.journaled() >= 250, 30, "the first 250 alerts journaled")
        done = 250
        for how, count in (("write", 250), ("commit", 250), ("full", 250)):
            failed = desk.failed_batches()
            desk.break_journal(how)
            asyncio.run(publish(url, messages[done:done + count]))
            # Batches fail, are not acknowledged, and come again after the link reconnects.
            wait_until(lambda failed=failed: desk.failed_batches() >= failed + 2, 60, f"batches refused ({how})")
            assert desk.journaled() == done, how   # nothing of a failed batch is kept
            desk.break_journal(None)
            done += count
            wait_until(lambda done=done: desk.journaled() == done, 120, f"every alert journaled after {how}")

        def received() -> Counter[str]:
            return Counter(e.record.id for e in desk.events if isinstance(e, AlertReceived))

        wait_until(lambda: len(received()) == ALERTS, 30, "every alert announced")
        expected = {f"FULL-{i:05d}" for i in range(ALERTS)}
        journal_ids = {r.id for r in desk.core.call(_records(desk.service))}
        assert journal_ids == expected
        assert set(received()) == expected and max(received().values()) == 1     # the GUI saw none twice
        fires = {f"FULL-{i:05d}" for i in range(0, ALERTS, 10)}
        wait_until(lambda: set(desk.dispatched) == fires, 30, "automation dispatched every fire")
        assert Counter(desk.dispatched).most_common(1)[0][1] == 1                 # and none twice
    finally:
        desk.core.stop()


async def _records(service: AlertService) -> list[AlertRecord]:
    return service.store.load(0.0)
