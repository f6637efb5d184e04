"""The console's journal: every task transition and every command, in SQLite (WAL) or PostgreSQL, before it counts.

A command hall must be able to say who did what, when, and with what result, and a console
killed at any moment must find its open tasks again on restart. Writes are synchronous
(committed before the caller goes on); SQLite in WAL mode makes that a few hundred
microseconds. One connection, used from the core loop's thread only.

A site server pair shares one PostgreSQL database (`drones/journal_db.py`): the standby that takes
over finds the open tasks there, and the request journal (`begin_request`) answers a request retried
after the takeover instead of executing it twice.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from drones.audit import AUTOMATION, TABLE_SCHEMA, AuditEntry, AuditKind, AuditLog, AuditResult, reason_text
from drones.authority import ACTING_CONSOLE
from drones.journal_db import JournalDB, is_postgres_url, open_journal_db, redacted
from vocab import Reason

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3   # 2: the request journal (`requests`); 3: the audit trail (`audit`) and `requests.role`
#: Its PostgreSQL schema: both journals may share one database (docs/architecture.md, "Journals").
PG_SCHEMA = "tasks_journal"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT PRIMARY KEY,
    alert_id TEXT,
    dock_id TEXT NOT NULL,
    sysid INTEGER NOT NULL,
    state TEXT NOT NULL,
    plan_json TEXT NOT NULL,
    created_ts {REAL} NOT NULL,
    updated_ts {REAL} NOT NULL,
    reason TEXT,     -- the last transition's reason: {"code", "params"} (vocab.Reason)
    abort_json TEXT  -- the reason the task is to end as aborted (operator or automation decided)
);
CREATE INDEX IF NOT EXISTS tasks_open ON tasks (state);
CREATE TABLE IF NOT EXISTS transitions (
    id {ID},
    task_id TEXT NOT NULL,
    ts {REAL} NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    by TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX IF NOT EXISTS transitions_task ON transitions (task_id);
CREATE TABLE IF NOT EXISTS commands (
    id {ID},
    ts {REAL} NOT NULL,
    target TEXT NOT NULL,
    command TEXT NOT NULL,
    by TEXT NOT NULL,
    result TEXT NOT NULL,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS requests (   -- the server's request/reply protocol: each request id executed once
    request_id TEXT PRIMARY KEY,
    console TEXT NOT NULL,
    operator TEXT NOT NULL,
    op TEXT NOT NULL,
    args_json TEXT NOT NULL,
    saw_json TEXT NOT NULL,               -- what the client showed when the operator asked
    received_ts {REAL} NOT NULL,
    replied_ts {REAL},                    -- NULL: not answered yet
    reply_json TEXT,
    role TEXT                             -- the operator's role when asked (schema 3)
);
CREATE INDEX IF NOT EXISTS requests_console ON requests (console);
""" + TABLE_SCHEMA
FINAL_STATES = ("completed", "aborted", "failed")
#: Command results (`Journal.command`) that mean the command was carried out.
_CARRIED_OUT = ("accepted", "forced", "locked")


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


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """A request to the site server and its reply, as journaled (`Journal.begin_request`)."""

    request_id: str
    console: str
    operator: str
    op: str
    args: dict[str, Any]
    saw: dict[str, Any]
    received_ts: float
    replied_ts: float | None     # None: not answered yet
    reply: dict[str, Any] | None


class Journal:
    """Append-only record of tasks, their transitions and operator commands.

    Each of them, and each request's reply, is also an entry of the audit trail (`audit`, drones/audit.py),
    appended in the same transaction: who (the journal's `by`, the request's operator), with what role (the
    role the person last made a request or signed in with), from which console (the request's; for a task
    transition or a command, the console whose request is being carried out: ACTING_CONSOLE)."""

    def __init__(self, path_or_url: Path | str) -> None:
        """`path_or_url`: a SQLite file, or a `postgresql://` URL (its tables in schema `tasks_journal`).
        drones.journal_db.JournalDBError when the database cannot be opened."""
        #: The SQLite file; None for a PostgreSQL journal (see `target`).
        self.path: Path | None = None if is_postgres_url(path_or_url) else Path(path_or_url)
        self.target = redacted(str(path_or_url))
        self._db: JournalDB = open_journal_db(path_or_url, _SCHEMA, SCHEMA_VERSION, pg_schema=PG_SCHEMA)
        # Schema 1 lacked `requests`, schema 2 `audit` and `requests.role`: the schema above has just added the
        # tables, the column is added here, and the append-only triggers by AuditLog.install.
        if "role" not in self._db.columns("requests"):
            self._db.execute("ALTER TABLE requests ADD COLUMN role TEXT")
        AuditLog.install(self._db)
        self._db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version' AND value IN ('1', '2')",
                         (str(SCHEMA_VERSION),))
        #: The audit trail in this journal's database (sign-ins and -outs are appended through it).
        self.audit = AuditLog(self._db)

    def close(self) -> None:
        self._db.close()

    def create_task(self, task_id: str, *, alert_id: str | None, dock_id: str, sysid: int, plan: dict[str, Any],
                    by: str, state: str = "planned") -> None:
        now = time.time()
        with self._db.transaction():
            self._db.execute("INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
                             (task_id, alert_id, dock_id, sysid, state, json.dumps(plan, ensure_ascii=False), now,
                              now))
            self._db.execute("INSERT INTO transitions (task_id, ts, from_state, to_state, by, reason) "
                             "VALUES (?, ?, NULL, ?, ?, NULL)", (task_id, now, state, by))
            self.audit.append(AuditEntry(AuditKind.STATE, f"task ->{state}", **self._actor(by), sysid=sysid,
                                         dock_id=dock_id, alert_id=alert_id, task_id=task_id, ts=now))

    def transition(self, task_id: str, from_state: str, to_state: str, *, by: str,
                   reason: Reason | None = None) -> float:
        """Records a state change; returns its timestamp (epoch seconds)."""
        now = time.time()
        reason_json = _reason_json(reason)
        with self._db.transaction():
            row = self._db.execute("UPDATE tasks SET state = ?, updated_ts = ?, reason = ? WHERE task_id = ? "
                                   "RETURNING sysid, dock_id, alert_id", (to_state, now, reason_json, task_id)).fetchone()
            self._db.execute("INSERT INTO transitions (task_id, ts, from_state, to_state, by, reason) "
                             "VALUES (?, ?, ?, ?, ?, ?)", (task_id, now, from_state, to_state, by, reason_json))
            sysid, dock_id, alert_id = row if row is not None else (None, None, None)
            self.audit.append(AuditEntry(AuditKind.STATE, f"task {from_state}->{to_state}", **self._actor(by),
                                         reason=reason_text(reason), sysid=sysid, dock_id=dock_id, alert_id=alert_id,
                                         task_id=task_id, ts=now))
        return now

    def note_abort(self, task_id: str, reason: Reason) -> None:
        """Records that the task is to end as aborted, so a restarted console ends it that way too."""
        self._db.execute("UPDATE tasks SET abort_json = ? WHERE task_id = ?", (_reason_json(reason), task_id))

    def command(self, target: str, command: str, *, by: str, result: str, detail: str | None = None) -> None:
        """Records an operator or automation command and its outcome (docs/architecture.md, "Safety rules")."""
        now = time.time()
        sysid = int(target.split(":", 1)[1]) if target.startswith("drone:") else None
        if result in _CARRIED_OUT:
            outcome, why = AuditResult.ACCEPTED, None
        elif result == "refused":
            outcome, why = AuditResult.REFUSED, detail
        else:
            outcome, why = AuditResult.FAILED, detail
        with self._db.transaction():
            self._db.execute("INSERT INTO commands (ts, target, command, by, result, detail) "
                             "VALUES (?, ?, ?, ?, ?, ?)", (now, target, command, by, result, detail))
            self.audit.append(AuditEntry(
                AuditKind.AUTOMATION if by == AUTOMATION else AuditKind.COMMAND,
                f"{'drone' if sysid is not None else 'dock'}.{command}", **self._actor(by), result=outcome,
                reason=why, sysid=sysid, dock_id=None if sysid is not None else target,
                detail={"result": result, "detail": detail} if why is None and (detail or result != "accepted")
                else None, ts=now))

    def _actor(self, by: str) -> dict[str, str | None]:
        """Who an audit entry of this journal names: `by`, the role they last had, the console acting now."""
        return {"user": by, "role": self.audit.role_of(by), "console": ACTING_CONSOLE.get()}

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

    # ---------------------------------------------------------------- the server's requests

    def begin_request(self, request_id: str, *, console: str, operator: str, op: str, args: dict[str, Any],
                      saw: dict[str, Any], ts: float,
                      role: str | None = None) -> dict[str, Any] | None | Literal["pending"]:
        """Journals a request before it is executed. None: the id is new, execute it (then `finish_request`).
        A dict: the id was answered before, with this reply: send it again, do not execute. "pending": the
        id is known and not answered yet (being executed, here or by the server that died doing it).

        Atomic across server processes sharing the database: of two begins of one id, exactly one gets None.
        `role`: the operator's role (kept with the request for its audit entry, `finish_request`)."""
        if role is not None:
            self.audit.note_role(operator, role)
        cur = self._db.execute(
            "INSERT INTO requests (request_id, console, operator, op, args_json, saw_json, received_ts, role) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (request_id, console, operator, op, json.dumps(args, ensure_ascii=False),
             json.dumps(saw, ensure_ascii=False), ts, role))
        if cur.rowcount == 1:
            return None
        row = self._db.execute("SELECT replied_ts, reply_json FROM requests WHERE request_id = ?",
                               (request_id,)).fetchone()
        if row is None or row[0] is None:   # None: deleted in between, which nothing does; treat as pending
            return "pending"
        return json.loads(row[1])  # type: ignore[no-any-return]

    def finish_request(self, request_id: str, reply: dict[str, Any], ts: float, role: str | None = None) -> None:
        """Journals the reply of a begun request, before it is sent, and its audit entry with it: the operator,
        `role` (default: the one given to `begin_request`), the console, the op, the ids among its arguments,
        accepted or refused and why. The first reply stays: a second one for the same id (two servers both
        believing they are active) is logged and dropped. KeyError: never begun."""
        with self._db.transaction():
            row = self._db.execute(
                "UPDATE requests SET replied_ts = ?, reply_json = ?, role = COALESCE(?, role) "
                "WHERE request_id = ? AND replied_ts IS NULL RETURNING console, operator, op, args_json, role",
                (ts, json.dumps(reply, ensure_ascii=False), role, request_id)).fetchone()
            if row is not None:
                self.audit.append(_request_entry(request_id, *row, reply=reply, ts=ts))
        if row is not None:
            return
        if self._db.execute("SELECT 1 FROM requests WHERE request_id = ?", (request_id,)).fetchone() is None:
            raise KeyError(f"request {request_id!r} was never begun")
        log.warning("request %s already answered; the later reply is dropped: %s", request_id, reply)

    def requests(self, console: str | None = None) -> list[RequestRecord]:
        """Every journaled request (of one console), in the order received."""
        sql = ("SELECT request_id, console, operator, op, args_json, saw_json, received_ts, replied_ts, reply_json "
               "FROM requests")
        rows = (self._db.execute(sql + " ORDER BY received_ts, request_id").fetchall() if console is None else
                self._db.execute(sql + " WHERE console = ? ORDER BY received_ts, request_id", (console,)).fetchall())
        return [RequestRecord(rid, con, operator, op, json.loads(args), json.loads(saw), received, replied,
                              json.loads(reply) if reply is not None else None)
                for rid, con, operator, op, args, saw, received, replied, reply in rows]

    @staticmethod
    def _record(row: tuple[Any, ...]) -> TaskRecord:
        task_id, alert_id, dock_id, sysid, state, plan_json, created, updated, reason, abort_json = row
        return TaskRecord(task_id, alert_id, dock_id, sysid, state, json.loads(plan_json), created, updated,
                          _reason(reason), _reason(abort_json))


def _request_entry(request_id: str, console: str, operator: str, op: str, args_json: str, role: str | None, *,
                   reply: dict[str, Any], ts: float) -> AuditEntry:
    """The audit entry of a request's reply (`Journal.finish_request`)."""
    args = json.loads(args_json)
    ids = {k: args[k] for k in ("sysid", "dock_id", "alert_id", "task_id") if isinstance(args.get(k), (str, int))}
    result = reply.get("result")
    if "task_id" not in ids and isinstance(result, dict) and isinstance(result.get("task_id"), str):
        ids["task_id"] = result["task_id"]   # a dispatch: the task it started
    if "sysid" in ids:
        try:
            ids["sysid"] = int(ids["sysid"])
        except ValueError:
            del ids["sysid"]
    for name in ("dock_id", "alert_id", "task_id"):
        if name in ids:
            ids[name] = str(ids[name])
    detail: dict[str, Any] = {"request_id": request_id}
    if reply.get("ok"):
        outcome, why = AuditResult.ACCEPTED, None
    else:
        outcome = AuditResult.FAILED if reply.get("refusal") == "error" else AuditResult.REFUSED
        why = reason_text(reply.get("reason"))
        detail["refusal"] = reply.get("refusal")
    return AuditEntry(AuditKind.REQUEST, op, user=operator, role=role, console=console, result=outcome, reason=why,
                      detail=detail, ts=ts, **ids)


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
