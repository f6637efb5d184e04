"""The alert journal: every alert, workflow change, note and quarantined payload, in SQLite (WAL) or PostgreSQL.

Same approach as the task journal (`drones/journal.py`), in a file of its own next to it (or, for a
site server pair, in the same PostgreSQL database, schema `alert_journal`; `drones/journal_db.py`): a
write is committed before the caller goes on, so an alert counts as received (and a state
change as made) only once it is on disk, and a console killed at any moment finds them all
again on restart. WAL with synchronous=NORMAL survives a process kill (not a power cut)
at a few tens of microseconds a commit. One connection, used from the core loop's thread only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from console.core.alert_contract import Alert, Quarantined
from drones.audit import AUTOMATION, AuditEntry, AuditKind, AuditLog, AuditResult, reason_text
from drones.journal_db import JournalDB, ddl, is_postgres_url, open_journal_db, redacted
from vocab import CLOSED_ALERT_STATES, AlertState, Reason

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2   # 2: reasons are vocab.Reason JSON (quarantine.reason_json replaces reason_zh)
#: Its PostgreSQL schema, apart from the task journal's (docs/architecture.md, "Journals").
PG_SCHEMA = "alert_journal"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (
    alert_id TEXT PRIMARY KEY,
    alert_json TEXT NOT NULL,
    received_ts {REAL} NOT NULL,
    state TEXT NOT NULL DEFAULT 'new',
    state_ts {REAL} NOT NULL,
    state_by TEXT,
    state_console TEXT,
    task_id TEXT,
    assigned_to TEXT,
    incident_id TEXT,
    incident_locked INTEGER NOT NULL DEFAULT 0,  -- the operator split it out: never regrouped
    cleared_ts {REAL},                             -- the source reported it gone
    acknowledged_ts {REAL},
    dispatched_ts {REAL},
    on_scene_ts {REAL},
    closed_ts {REAL},
    reason_json TEXT,                            -- vocab.Reason as JSON: why dismissed
    published INTEGER NOT NULL DEFAULT 1         -- 0: the state still has to go out retained
);
CREATE INDEX IF NOT EXISTS alerts_received ON alerts (received_ts);
CREATE TABLE IF NOT EXISTS transitions (
    id {ID},
    alert_id TEXT NOT NULL,
    ts {REAL} NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    by TEXT NOT NULL,
    console TEXT,
    origin TEXT NOT NULL,                        -- local | remote (another console's retained state)
    reason_json TEXT,
    task_id TEXT
);
CREATE INDEX IF NOT EXISTS transitions_alert ON transitions (alert_id);
CREATE TABLE IF NOT EXISTS notes (
    id {ID},
    alert_id TEXT NOT NULL,
    ts {REAL} NOT NULL,
    by TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notes_alert ON notes (alert_id);
CREATE TABLE IF NOT EXISTS actions (             -- dispatch requests, automation decisions, assignments
    id {ID},
    ts {REAL} NOT NULL,
    alert_id TEXT,
    action TEXT NOT NULL,
    by TEXT NOT NULL,
    result TEXT NOT NULL,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS remote_states (       -- other consoles' states of alerts not seen here yet
    alert_id TEXT PRIMARY KEY,
    payload_json TEXT NOT NULL
);
"""
_QUARANTINE = """
CREATE TABLE IF NOT EXISTS quarantine (
    id {ID},
    received_ts {REAL} NOT NULL,
    topic TEXT NOT NULL,
    size INTEGER NOT NULL,
    raw {BLOB} NOT NULL,
    reason_json TEXT NOT NULL,                   -- vocab.Reason as JSON
    reason_en TEXT NOT NULL,                     -- its English text, for someone reading the file
    alert_id TEXT
);
"""


def alerts_path(journal_file: Path) -> Path:
    """The alert journal next to the task journal (`Workstation.journal_file`)."""
    return journal_file.with_name("alerts.sqlite")


@dataclass(frozen=True, slots=True)
class Note:
    ts: float
    by: str
    text: str


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """An alert and where its handling stands, as the journal last saw it. Replaced whole on change."""

    alert: Alert
    received_ts: float
    state: AlertState = AlertState.NEW
    state_ts: float = 0.0
    state_by: str | None = None
    state_console: str | None = None
    task_id: str | None = None
    assigned_to: str | None = None
    incident_id: str | None = None
    incident_locked: bool = False
    cleared_ts: float | None = None
    acknowledged_ts: float | None = None
    dispatched_ts: float | None = None
    on_scene_ts: float | None = None
    closed_ts: float | None = None
    reason: Reason | None = None
    published: bool = True
    notes: tuple[Note, ...] = field(default=())

    @property
    def id(self) -> str:
        return self.alert.id

    @property
    def source_cleared(self) -> bool:
        """The source side is closed: the camera or sensor reported the condition gone."""
        return self.cleared_ts is not None

    @property
    def closed(self) -> bool:
        return self.state in CLOSED_ALERT_STATES


@dataclass(frozen=True, slots=True)
class QuarantineRecord:
    id: int
    item: Quarantined


def _reason_json(reason: Reason | None) -> str | None:
    return json.dumps(reason.to_json(), ensure_ascii=False) if reason else None


def _reason(text: str | None) -> Reason | None:
    """A reason column read back ({"zh", "en"} from schema 1 comes back as the English words)."""
    if not text:
        return None
    data = json.loads(text)
    if "code" in data:
        return Reason.from_json(data)
    return Reason.said(str(data.get("en") or data.get("zh") or ""))


def _migrate(db: JournalDB) -> None:
    """Schema 1 kept quarantine reasons as reason_zh/reason_en text: they become said-reasons in reason_json."""
    if "reason_zh" not in db.columns("quarantine"):
        return
    with db.transaction():
        db.execute("ALTER TABLE quarantine RENAME TO quarantine_v1")
        db.execute(ddl(_QUARANTINE, db.dialect))
        for row in db.execute("SELECT id, received_ts, topic, size, raw, reason_en, alert_id FROM quarantine_v1"):
            reason = Reason.said(row[5])
            db.execute("INSERT INTO quarantine (id, received_ts, topic, size, raw, reason_json, reason_en, alert_id) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (*row[:5], _reason_json(reason), row[5], row[6]))
        db.execute("DROP TABLE quarantine_v1")
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
    log.info("alert journal migrated to schema %d", SCHEMA_VERSION)


class AlertStore:
    """The alert journal of one console. Every method commits before it returns, except inside `batch()`,
    which commits everything written in it when it exits (before the broker is acknowledged).

    State changes, assignments and actions also go to the audit trail (`audit`, the task journal's: another
    file, or another schema over another connection), once the transaction that journaled them has
    committed; what a rollback undid is never audited. Not in one transaction with the fact, as the task
    journal's entries are: a crash between the two commits leaves an alert fact without its entry."""

    def __init__(self, path_or_url: Path | str, audit: AuditLog | None = None) -> None:
        """`path_or_url`: a SQLite file, or a `postgresql://` URL (its tables in schema `alert_journal`).
        `audit`: the site's audit trail (`Journal.audit`); None: not audited (a console's own tests).
        drones.journal_db.JournalDBError when the database cannot be opened."""
        #: The SQLite file; None for a PostgreSQL journal (see `target`).
        self.path: Path | None = None if is_postgres_url(path_or_url) else Path(path_or_url)
        self.target = redacted(str(path_or_url))
        self._db: JournalDB = open_journal_db(path_or_url, _SCHEMA + _QUARANTINE, SCHEMA_VERSION,
                                              pg_schema=PG_SCHEMA)
        _migrate(self._db)
        self._in_batch = False
        self.audit = audit
        self._audit_queue: list[AuditEntry] = []   # entries of the open transaction, appended once it commits

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One transaction for a batch of incoming messages: a commit per batch instead of per alert.

        Everything written inside commits together or not at all: the caller announces the batch only
        after the commit (`AlertService.batch`), so nothing in it may commit early.
        """
        if self._in_batch:
            yield
            return
        # On an error, rolled back (unless SQLite already did, after a full disk): JournalDB.transaction.
        with self._transaction():
            self._in_batch = True
            try:
                yield
            finally:
                self._in_batch = False

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """Several statements that must land together: committed before returning, or inside a batch, with it
        (a savepoint, rolled back alone on an error). Their audit entries follow the outermost commit."""
        mark, outermost = len(self._audit_queue), not self._db.in_transaction
        try:
            with self._db.transaction():
                yield
        except BaseException:
            del self._audit_queue[mark:]   # rolled back: these facts never happened
            raise
        if outermost:
            self._flush_audit()

    def _audit(self, entry: AuditEntry) -> None:
        """Audits a fact just written: now if it is committed, else when its transaction commits."""
        if self.audit is None:
            return
        self._audit_queue.append(entry)
        if not self._db.in_transaction:
            self._flush_audit()

    def _flush_audit(self) -> None:
        entries, self._audit_queue = self._audit_queue, []
        if self.audit is not None:
            for entry in entries:
                self.audit.append(entry)

    def close(self) -> None:
        self._db.close()

    # ---------------------------------------------------------------- alerts

    def add_alert(self, alert: Alert, received_ts: float, *, incident_id: str | None = None) -> bool:
        """Journals a new alert; False (and nothing written) when its id is already known."""
        cleared = received_ts if alert.status == "cleared" else None
        cur = self._db.execute(
            "INSERT INTO alerts (alert_id, alert_json, received_ts, state_ts, incident_id, cleared_ts) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (alert.id, json.dumps(alert.to_json(), ensure_ascii=False), received_ts, received_ts, incident_id,
             cleared))
        return cur.rowcount == 1

    def mark_cleared(self, alert_id: str, ts: float) -> bool:
        """Closes the alert's source side; False when it was already closed (or is unknown)."""
        cur = self._db.execute("UPDATE alerts SET cleared_ts = ? WHERE alert_id = ? AND cleared_ts IS NULL",
                               (ts, alert_id))
        return cur.rowcount == 1

    def transition(self, alert_id: str, from_state: str | None, to_state: str, *, by: str, console: str | None,
                   ts: float, origin: Literal["local", "remote"], reason: Reason | None = None,
                   task_id: str | None = None, published: bool = True) -> None:
        """Records a workflow change and the first-time SLA timestamps it sets, in one transaction."""
        reason_json = _reason_json(reason)
        with self._transaction():
            self._db.execute(
                "UPDATE alerts SET state = ?, state_ts = ?, state_by = ?, state_console = ?, "
                "task_id = COALESCE(?, task_id), reason_json = ?, published = ?, "
                "acknowledged_ts = CASE WHEN ? != 'new' THEN COALESCE(acknowledged_ts, ?) ELSE acknowledged_ts END, "
                "dispatched_ts = CASE WHEN ? IN ('dispatched', 'on_scene') THEN COALESCE(dispatched_ts, ?) "
                "                     ELSE dispatched_ts END, "
                "on_scene_ts = CASE WHEN ? = 'on_scene' THEN COALESCE(on_scene_ts, ?) ELSE on_scene_ts END, "
                "closed_ts = CASE WHEN ? IN ('resolved', 'dismissed') THEN ? END "
                "WHERE alert_id = ?",
                (to_state, ts, by, console, task_id, reason_json, int(published), to_state, ts, to_state, ts,
                 to_state, ts, to_state, ts, alert_id))
            self._db.execute(
                "INSERT INTO transitions (alert_id, ts, from_state, to_state, by, console, origin, reason_json, "
                "task_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (alert_id, ts, from_state, to_state, by, console, origin, reason_json, task_id))
            self._audit(AuditEntry(AuditKind.STATE, f"alert {to_state}", user=by, role=self._role(by),
                                   console=console, reason=reason_text(reason), alert_id=alert_id, task_id=task_id,
                                   detail={"from": from_state, "origin": origin}, ts=ts))

    def set_published(self, alert_id: str, state_ts: float) -> None:
        """The retained state went out (only if it is still the state that was published)."""
        self._db.execute("UPDATE alerts SET published = 1 WHERE alert_id = ? AND state_ts = ?", (alert_id, state_ts))

    def unpublished(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT alert_id FROM alerts WHERE published = 0 ORDER BY state_ts")]

    def assign(self, alert_id: str, operator: str | None, *, by: str, ts: float) -> None:
        with self._transaction():
            self._db.execute("UPDATE alerts SET assigned_to = ? WHERE alert_id = ?", (operator, alert_id))
            self._db.execute("INSERT INTO actions (ts, alert_id, action, by, result, detail) VALUES (?, ?, ?, ?, ?, ?)",
                             (ts, alert_id, "assign", by, "ok", operator))
            self._audit(AuditEntry(AuditKind.STATE, "alert assigned", user=by, role=self._role(by),
                                   alert_id=alert_id, detail={"to": operator}, ts=ts))

    def add_note(self, alert_id: str, text: str, *, by: str, ts: float) -> Note:
        self._db.execute("INSERT INTO notes (alert_id, ts, by, text) VALUES (?, ?, ?, ?)", (alert_id, ts, by, text))
        return Note(ts, by, text)

    def set_incident(self, alert_id: str, incident_id: str, *, locked: bool = False) -> None:
        self._db.execute("UPDATE alerts SET incident_id = ?, incident_locked = ? WHERE alert_id = ?",
                         (incident_id, int(locked), alert_id))

    def action(self, alert_id: str | None, action: str, *, by: str, result: str, ts: float,
               detail: str | None = None) -> None:
        """Records a dispatch request, an automation decision or its outcome (docs/architecture.md, "Safety rules")."""
        self._db.execute("INSERT INTO actions (ts, alert_id, action, by, result, detail) VALUES (?, ?, ?, ?, ?, ?)",
                         (ts, alert_id, action, by, result, detail))
        refused, failed = result == "refused", result in ("failed", "error")
        outcome = AuditResult.REFUSED if refused else AuditResult.FAILED if failed else AuditResult.ACCEPTED
        self._audit(AuditEntry(AuditKind.AUTOMATION if by == AUTOMATION else AuditKind.COMMAND, f"alert.{action}",
                               user=by, role=self._role(by), result=outcome,
                               reason=detail if refused or failed else None, alert_id=alert_id,
                               detail=None if refused or failed else {"result": result, "detail": detail}, ts=ts))

    def _role(self, user: str) -> str | None:
        return self.audit.role_of(user) if self.audit is not None else None

    def actions(self, alert_id: str | None = None) -> list[tuple[float, str | None, str, str, str, str | None]]:
        sql = "SELECT ts, alert_id, action, by, result, detail FROM actions"
        if alert_id is None:
            return self._db.execute(sql + " ORDER BY id").fetchall()
        return self._db.execute(sql + " WHERE alert_id = ? ORDER BY id", (alert_id,)).fetchall()

    # ---------------------------------------------------------------- other consoles' states

    def put_remote_state(self, alert_id: str, payload: dict[str, Any]) -> None:
        self._db.execute("INSERT INTO remote_states VALUES (?, ?) "
                         "ON CONFLICT (alert_id) DO UPDATE SET payload_json = excluded.payload_json",
                         (alert_id, json.dumps(payload, ensure_ascii=False)))

    def take_remote_state(self, alert_id: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT payload_json FROM remote_states WHERE alert_id = ?", (alert_id,)).fetchone()
        if row is None:
            return None
        self._db.execute("DELETE FROM remote_states WHERE alert_id = ?", (alert_id,))
        return json.loads(row[0])  # type: ignore[no-any-return]

    def remote_state_ids(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT alert_id FROM remote_states")}

    # ---------------------------------------------------------------- quarantine

    def add_quarantine(self, item: Quarantined) -> int:
        cur = self._db.execute(
            "INSERT INTO quarantine (received_ts, topic, size, raw, reason_json, reason_en, alert_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (item.received_ts, item.topic, item.size, item.raw, _reason_json(item.reason), item.reason.en,
             item.alert_id))
        return int(cur.fetchone()[0])

    def quarantine(self, limit: int = 1000) -> list[QuarantineRecord]:
        """The newest `limit` quarantined payloads, oldest first."""
        rows = self._db.execute("SELECT * FROM (SELECT id, received_ts, topic, size, raw, reason_json, alert_id "
                                "FROM quarantine ORDER BY id DESC LIMIT ?) AS newest ORDER BY id", (limit,)).fetchall()
        return [QuarantineRecord(r[0], Quarantined(r[2], _reason(r[5]) or Reason.said(""), bytes(r[4]), r[3], r[1],
                                                   r[6])) for r in rows]

    # ---------------------------------------------------------------- reading back

    def load(self, since_ts: float) -> list[AlertRecord]:
        """Open alerts of any age plus every alert received since `since_ts`, oldest first, with notes."""
        rows = self._db.execute("SELECT * FROM alerts WHERE received_ts >= ? OR state NOT IN ('resolved', 'dismissed') "
                                "ORDER BY received_ts", (since_ts,)).fetchall()
        notes: dict[str, list[Note]] = {}
        if rows:
            oldest = rows[0][2]
            for alert_id, ts, by, text in self._db.execute(
                    "SELECT n.alert_id, n.ts, n.by, n.text FROM notes n JOIN alerts a USING (alert_id) "
                    "WHERE a.received_ts >= ? ORDER BY n.id", (oldest,)):
                notes.setdefault(alert_id, []).append(Note(ts, by, text))
        return [self._record(r, tuple(notes.get(r[0], ()))) for r in rows]

    def record(self, alert_id: str) -> AlertRecord | None:
        row = self._db.execute("SELECT * FROM alerts WHERE alert_id = ?", (alert_id,)).fetchone()
        if row is None:
            return None
        notes = tuple(Note(*n) for n in self._db.execute("SELECT ts, by, text FROM notes WHERE alert_id = ? "
                                                           "ORDER BY id", (alert_id,)))
        return self._record(row, notes)

    def transitions(self, alert_id: str) -> list[tuple[float, str | None, str, str, str | None, str]]:
        """(ts, from, to, by, console, origin) of one alert, oldest first."""
        return self._db.execute("SELECT ts, from_state, to_state, by, console, origin FROM transitions "
                                "WHERE alert_id = ? ORDER BY id", (alert_id,)).fetchall()

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0])

    def quarantine_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM quarantine").fetchone()[0])

    @staticmethod
    def _record(row: tuple[Any, ...], notes: tuple[Note, ...]) -> AlertRecord:
        (alert_id, alert_json, received, state, state_ts, state_by, state_console, task_id, assigned, incident,
         locked, cleared, acked, dispatched, on_scene, closed, reason_json, published) = row
        return AlertRecord(Alert.from_json(json.loads(alert_json)), received, AlertState(state), state_ts, state_by,
                           state_console,
                           task_id, assigned, incident, bool(locked), cleared, acked, dispatched, on_scene, closed,
                           _reason(reason_json), bool(published), notes)
