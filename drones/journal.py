"""The console's journal: every task transition and every command, in SQLite (WAL), before it counts.

A command hall must be able to say who did what, when, and with what result, and a console
killed at any moment must find its open tasks again on restart. Writes are synchronous
(committed before the caller goes on); SQLite in WAL mode makes that a few hundred
microseconds. One connection, used from the core loop's thread only.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vocab import Reason

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT PRIMARY KEY,
    alert_id TEXT,
    dock_id TEXT NOT NULL,
    sysid INTEGER NOT NULL,
    state TEXT NOT NULL,
    plan_json TEXT NOT NULL,
    created_ts REAL NOT NULL,
    updated_ts REAL NOT NULL,
    reason TEXT,     -- the last transition's reason: {"code", "params"} (vocab.Reason)
    abort_json TEXT  -- the reason the task is to end as aborted (operator or automation decided)
);
CREATE INDEX IF NOT EXISTS tasks_open ON tasks (state);
CREATE TABLE IF NOT EXISTS transitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL,
    ts REAL NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    by TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX IF NOT EXISTS transitions_task ON transitions (task_id);
CREATE TABLE IF NOT EXISTS commands (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    target TEXT NOT NULL,
    command TEXT NOT NULL,
    by TEXT NOT NULL,
    result TEXT NOT NULL,
    detail TEXT
);
"""
FINAL_STATES = ("completed", "aborted", "failed")


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """A task as the journal last saw it."""

    task_id: str
    alert_id: str | None
    dock_id: str
    sysid: int
    state: str
    plan: dict[str, Any]
    created_ts: float
    updated_ts: float
    reason: Reason | None
    abort: Reason | None = None     # why the task is to end as aborted, when it is


def open_wal(path: Path | str, schema: str, schema_version: int) -> sqlite3.Connection:
    """An autocommit SQLite connection in WAL mode with `schema` applied (its `meta` table gets the version)."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across a process kill
    db.executescript(schema)
    db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(schema_version),))
    return db


class Journal:
    """Append-only record of tasks, their transitions and operator commands."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._db = open_wal(path, _SCHEMA, SCHEMA_VERSION)

    def close(self) -> None:
        self._db.close()

    def create_task(self, task_id: str, *, alert_id: str | None, dock_id: str, sysid: int, plan: dict[str, Any],
                    by: str, state: str = "planned") -> None:
        now = time.time()
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
                             (task_id, alert_id, dock_id, sysid, state, json.dumps(plan, ensure_ascii=False), now,
                              now))
            self._db.execute("INSERT INTO transitions (task_id, ts, from_state, to_state, by, reason) "
                             "VALUES (?, ?, NULL, ?, ?, NULL)", (task_id, now, state, by))

    def transition(self, task_id: str, from_state: str, to_state: str, *, by: str,
                   reason: Reason | None = None) -> float:
        """Records a state change; returns its timestamp (epoch seconds)."""
        now = time.time()
        reason_json = _reason_json(reason)
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("UPDATE tasks SET state = ?, updated_ts = ?, reason = ? WHERE task_id = ?",
                             (to_state, now, reason_json, task_id))
            self._db.execute("INSERT INTO transitions (task_id, ts, from_state, to_state, by, reason) "
                             "VALUES (?, ?, ?, ?, ?, ?)", (task_id, now, from_state, to_state, by, reason_json))
        return now

    def note_abort(self, task_id: str, reason: Reason) -> None:
        """Records that the task is to end as aborted, so a restarted console ends it that way too."""
        self._db.execute("UPDATE tasks SET abort_json = ? WHERE task_id = ?", (_reason_json(reason), task_id))

    def command(self, target: str, command: str, *, by: str, result: str, detail: str | None = None) -> None:
        """Records an operator or automation command and its outcome (docs/architecture.md, "Safety rules")."""
        self._db.execute("INSERT INTO commands (ts, target, command, by, result, detail) VALUES (?, ?, ?, ?, ?, ?)",
                         (time.time(), target, command, by, result, detail))

    def open_tasks(self) -> list[TaskRecord]:
        """Tasks not yet completed, aborted or failed: what a restarted console must carry on with."""
        rows = self._db.execute(f"SELECT * FROM tasks WHERE state NOT IN ({','.join('?' * len(FINAL_STATES))}) "
                                "ORDER BY created_ts", FINAL_STATES).fetchall()
        return [self._record(r) for r in rows]

    def task(self, task_id: str) -> TaskRecord | None:
        row = self._db.execute("SELECT * FROM tasks WHERE task_id = ?", (task_id,)).fetchone()
        return self._record(row) if row else None

    def transitions(self, task_id: str) -> list[tuple[float, str | None, str, str, Reason | None]]:
        """(ts, from, to, by, reason) of one task, oldest first."""
        rows = self._db.execute("SELECT ts, from_state, to_state, by, reason FROM transitions WHERE task_id = ? "
                                "ORDER BY id", (task_id,)).fetchall()
        return [(ts, a, b, by, _reason(r)) for ts, a, b, by, r in rows]

    def commands(self, target: str | None = None) -> list[tuple[float, str, str, str, str, str | None]]:
        if target is None:
            return self._db.execute("SELECT ts, target, command, by, result, detail FROM commands ORDER BY id").fetchall()
        return self._db.execute("SELECT ts, target, command, by, result, detail FROM commands WHERE target = ? "
                                "ORDER BY id", (target,)).fetchall()

    def locked_drones(self) -> set[int]:
        """Drones whose last emergency-stop decision is a lock not yet lifted (`drone:N` targets)."""
        rows = self._db.execute(
            "SELECT target, command FROM commands WHERE id IN (SELECT MAX(id) FROM commands "
            "WHERE command IN ('emergency_stop', 'reactivate') AND result IN ('locked', 'accepted') GROUP BY target)")
        return {int(target.split(":", 1)[1]) for target, command in rows
                if command == "emergency_stop" and target.startswith("drone:")}

    def counts_by_state(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT state, COUNT(*) FROM tasks GROUP BY state").fetchall())

    @staticmethod
    def _record(row: tuple[Any, ...]) -> TaskRecord:
        task_id, alert_id, dock_id, sysid, state, plan_json, created, updated, reason, abort_json = row
        return TaskRecord(task_id, alert_id, dock_id, sysid, state, json.loads(plan_json), created, updated,
                          _reason(reason), _reason(abort_json))


def _reason_json(reason: Reason | None) -> str | None:
    return json.dumps(reason.to_json(), ensure_ascii=False) if reason is not None else None


def _reason(text: str | None) -> Reason | None:
    """A reason column read back; journals written before reasons had codes held English text or
    {"zh", "en"}, which come back as the words they were."""
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return Reason.said(text)
    if isinstance(data, dict) and "code" in data:
        return Reason.from_json(data)
    if isinstance(data, dict) and isinstance(data.get("en"), str):
        return Reason.said(data["en"])
    return Reason.said(text)
