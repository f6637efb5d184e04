"""The audit trail: who did what, from where, when, and with what result, append-only and tamper-evident.

Every command, state change and sign-in/out of a site is one row of the `audit` table in the server's task
journal (`drones/journal.py`, SQLite or PostgreSQL through `drones/journal_db.py`). Each row carries
`hash` = SHA-256 over a canonical serialisation of all its other columns, `prev_hash` included, and
`prev_hash` is the previous row's `hash` (64 zeros for the first): changing, inserting or deleting a row
anywhere but at the very end breaks the chain at that row, and `AuditLog.verify` says where.

Append-only twice over: this API has no update or delete, and a trigger refuses UPDATE and DELETE (and, on
PostgreSQL, TRUNCATE) on the table. The trigger keeps honest code and a careless hand at a SQL prompt
out; it does not stop the owner of the database (a PostgreSQL superuser or the table's owner can drop
it, anyone who can write the SQLite file can), which is why the chain exists. What the chain cannot tell
is the loss of the *last* rows: `verify` reports the tip (seq and hash) so it can be written down
elsewhere and compared later.

The journal appends in the same transaction as the fact it records (a task transition, a command, a
request's reply), so a crash never leaves one without the other. Appends are serialised: on PostgreSQL
by a transaction-scoped advisory lock taken before the chain's tip is read (two servers can never fork
the chain), on SQLite by the write transaction itself; `seq` is the primary key besides, so a fork
could only ever fail, never land.
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import IO, Any

from drones.journal_db import JournalDB
from vocab import Reason

GENESIS = "0" * 64
#: Serialises appends between server processes sharing one PostgreSQL database.
_CHAIN_LOCK = "qd-audit-chain"
#: Rows read per round trip while verifying or exporting (bounded memory for any journal size).
_CHUNK = 5000
#: Who an automatic act is journaled as (`by` in the journals).
AUTOMATION = "automation"

#: The table, in the task journal's schema (`drones/journal.py`); `user` is quoted: PostgreSQL reserves it.
TABLE_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (          -- append-only, hash-chained (drones/audit.py)
    seq BIGINT PRIMARY KEY,                 -- 1, 2, 3 ...: the chain's order
    ts {REAL} NOT NULL,
    "user" TEXT,
    role TEXT,
    console TEXT,
    kind TEXT NOT NULL,
    what TEXT NOT NULL,
    sysid BIGINT,
    dock_id TEXT,
    alert_id TEXT,
    task_id TEXT,
    result TEXT NOT NULL,
    reason TEXT,
    detail TEXT,                            -- JSON
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_ts ON audit (ts);
CREATE INDEX IF NOT EXISTS audit_user ON audit ("user");
CREATE INDEX IF NOT EXISTS audit_sysid ON audit (sysid);
CREATE INDEX IF NOT EXISTS audit_alert ON audit (alert_id);
CREATE INDEX IF NOT EXISTS audit_task ON audit (task_id);
"""
_SQLITE_TRIGGERS = """
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"""
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$
"""
_PG_TRIGGERS = (
    "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit "
    "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
    "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
)
#: The columns in table order; every one but `hash` goes into the hash.
COLUMNS = ("seq", "ts", "user", "role", "console", "kind", "what", "sysid", "dock_id", "alert_id", "task_id",
           "result", "reason", "detail", "prev_hash", "hash")
_SELECT = "SELECT " + ", ".join(f'"{c}"' if c == "user" else c for c in COLUMNS) + " FROM audit"


class AuditKind(StrEnum):
    """What sort of fact an entry records."""

    REQUEST = "request"          # a console's request to the server and the server's answer
    COMMAND = "command"          # a command to a drone or a dock, by a person
    AUTOMATION = "automation"    # a command or decision the server took by itself
    STATE = "state"              # a task's or an alert's state change
    SESSION = "session"          # sign-in, sign-out, a session ended because its account was disabled


class AuditResult(StrEnum):
    ACCEPTED = "accepted"        # a request or command carried out
    REFUSED = "refused"          # refused, `reason` says why
    FAILED = "failed"            # tried and failed (an error, not a refusal)
    DONE = "done"                # a fact, not an answer (a state change)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One fact to append: `AuditLog.append` gives it its seq, time (unless given) and hashes."""

    kind: AuditKind
    what: str                                   # "drone.hold", "task en_route->on_scene", "sign_in"
    user: str | None = None
    role: str | None = None
    console: str | None = None
    result: AuditResult | str = AuditResult.DONE
    reason: str | None = None                   # a refusal's "code: English text"
    sysid: int | None = None
    dock_id: str | None = None
    alert_id: str | None = None
    task_id: str | None = None
    detail: Mapping[str, Any] | None = None
    ts: float | None = None                     # epoch seconds; None: now


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One row of the trail as stored (`detail` is its JSON text)."""

    seq: int
    ts: float
    user: str | None
    role: str | None
    console: str | None
    kind: str
    what: str
    sysid: int | None
    dock_id: str | None
    alert_id: str | None
    task_id: str | None
    result: str
    reason: str | None
    detail: str | None
    prev_hash: str
    hash: str

    def expected_hash(self) -> str:
        """The hash this row's content calls for (equal to `hash` unless someone changed the row)."""
        return entry_hash({c: getattr(self, c) for c in COLUMNS if c != "hash"})

    def detail_json(self) -> dict[str, Any] | None:
        return json.loads(self.detail) if self.detail else None


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which entries `AuditLog.query` returns: every given field must match; newest first, at most `limit`."""

    user: str | None = None
    role: str | None = None
    console: str | None = None
    kind: AuditKind | str | None = None
    sysid: int | None = None
    dock_id: str | None = None
    alert_id: str | None = None
    task_id: str | None = None
    since: float | None = None                  # epoch seconds, inclusive
    until: float | None = None                  # epoch seconds, exclusive
    limit: int | None = 1000                    # None: all

    @classmethod
    def from_json(cls, args: Mapping[str, Any]) -> AuditFilter:
        """A filter from a request's arguments (unknown keys ignored, numbers coerced); ValueError when bad."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {k: v for k, v in args.items() if k in known and v is not None and v != ""}
        for name in ("sysid", "limit"):
            if name in values:
                values[name] = int(values[name])
        for name in ("since", "until"):
            if name in values:
                values[name] = float(values[name])
        if "kind" in values:
            values["kind"] = AuditKind(str(values["kind"]))
        return cls(**values)


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """What `AuditLog.verify` found: every entry good (`ok`), or the first broken one and why."""

    checked: int                                 # entries read, the broken one included
    tip_seq: int                                 # the last good entry's seq (0: none)
    tip_hash: str                                # and its hash: write it down to detect a cut-off tail later
    broken: AuditRecord | None = None
    broken_seq: int | None = None                # the seq where the chain breaks (for a gap: the missing one)
    why: str | None = None                       # "hash mismatch" | "prev_hash mismatch" | "gap in seq ..."

    @property
    def ok(self) -> bool:
        return self.why is None


def entry_hash(content: Mapping[str, Any]) -> str:
    """SHA-256 hex of an entry's columns (all but `hash`) as canonical JSON: sorted keys, no spaces, UTF-8."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def reason_text(reason: Reason | Mapping[str, Any] | None) -> str | None:
    """A refusal's reason as the trail keeps it: "code: English text" (readable in a CSV, filterable by code)."""
    if reason is None:
        return None
    if not isinstance(reason, Reason):
        try:
            reason = Reason.from_json(reason)
        except (KeyError, TypeError, ValueError):
            return json.dumps(dict(reason), ensure_ascii=False, sort_keys=True)
    return f"{reason.code}: {reason.en}"


class AuditLog:
    """The audit trail in one journal database. Append and read only: there is no update and no delete."""

    def __init__(self, db: JournalDB) -> None:
        """`db`: the task journal's connection, whose schema already has the table (`Journal` creates it)."""
        self._db = db
        # The role each person last signed in or made a request with: facts journaled without one (a task's
        # transition, a command) name it. An account has one role, so this is theirs unless an admin changed it.
        self._roles: dict[str, str] = {}
        #: The site's docks and their drones (`pair_docks`): an entry that names one names the other too, so a
        #: drone's history finds what was done to its dock (authority) and a dock's what was done to its drone.
        self._sysid_of: dict[str, int] = {}
        self._dock_of: dict[int, str] = {}

    def pair_docks(self, pairs: Mapping[str, int]) -> None:
        """Tells which drone lives in which dock (`{dock_id: sysid}`)."""
        self._sysid_of = dict(pairs)
        self._dock_of = {sysid: dock for dock, sysid in pairs.items()}

    def note_role(self, user: str, role: str) -> None:
        """Remembers `user`'s role for the entries that follow (`Journal.begin_request`, `session`)."""
        self._roles[user] = str(role)

    def role_of(self, user: str | None) -> str | None:
        """The role `user` last made a request or signed in with (None: not seen, or automation)."""
        return self._roles.get(user) if user is not None else None

    @staticmethod
    def install(db: JournalDB) -> None:
        """Adds the append-only triggers to a journal that has the table (idempotent; `Journal` calls it)."""
        if db.dialect == "sqlite":
            db.connection.executescript(_SQLITE_TRIGGERS)  # type: ignore[attr-defined]
            return
        with db.transaction():
            # Under the journals' schema lock: two servers opening the database at once create them once.
            db.execute("SELECT pg_advisory_xact_lock(hashtext('qd-journal-schema'))")
            db.execute(_PG_FUNCTION)
            have = {r[0] for r in db.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit'::regclass")}
            for sql, name in zip(_PG_TRIGGERS, ("audit_no_change", "audit_no_truncate"), strict=True):
                if name not in have:
                    db.execute(sql)

    # ---------------------------------------------------------------- appending

    def append(self, entry: AuditEntry) -> int:
        """Appends one entry; returns its seq. Inside the caller's open transaction (a savepoint of it) when
        there is one, so it commits or rolls back with the fact it records; else in a transaction of its own."""
        ts = float(entry.ts if entry.ts is not None else time.time())
        sysid = entry.sysid if entry.sysid is not None else self._sysid_of.get(entry.dock_id or "")
        dock_id = entry.dock_id if entry.dock_id is not None else self._dock_of.get(int(sysid)) \
            if sysid is not None else None
        detail = (json.dumps(entry.detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                  if entry.detail is not None else None)
        with self._chain():
            row = self._db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            prev_seq, prev_hash = (int(row[0]), str(row[1])) if row else (0, GENESIS)
            content: dict[str, Any] = {
                "seq": prev_seq + 1, "ts": ts, "user": entry.user, "role": entry.role, "console": entry.console,
                "kind": str(entry.kind), "what": entry.what,
                "sysid": int(sysid) if sysid is not None else None, "dock_id": dock_id,
                "alert_id": entry.alert_id, "task_id": entry.task_id, "result": str(entry.result),
                "reason": entry.reason, "detail": detail, "prev_hash": prev_hash}
            digest = entry_hash(content)
            self._db.execute(f'INSERT INTO audit ({", ".join(chr(34) + c + chr(34) for c in COLUMNS)}) '
                             f"VALUES ({', '.join('?' * len(COLUMNS))})",
                             (*(content[c] for c in COLUMNS[:-1]), digest))
        return prev_seq + 1

    def session(self, user: str, role: str | None, console: str | None, what: str = "sign_in",
                result: AuditResult | str = AuditResult.ACCEPTED, reason: Reason | str | None = None,
                *, ts: float | None = None, detail: Mapping[str, Any] | None = None) -> int:
        """A sign-in, sign-out or a session ended by a disabled account ("sign_in", "sign_out",
        "signed_out_disabled"), accepted or refused (a wrong password: `reason` says so, never the password)."""
        text = reason_text(reason) if isinstance(reason, Reason) else reason
        if what == "sign_in" and str(result) == AuditResult.ACCEPTED and role is not None:
            self.note_role(user, role)
        return self.append(AuditEntry(AuditKind.SESSION, what, user=user, role=role, console=console, result=result,
                                      reason=text, detail=detail, ts=ts))

    @contextmanager
    def _chain(self) -> Iterator[None]:
        """The transaction an append runs in, holding the chain for this writer until it commits."""
        db = self._db
        if db.dialect == "sqlite" and not db.in_transaction:
            # IMMEDIATE: the write lock before the tip is read, so no other connection appends in between.
            db.execute("BEGIN IMMEDIATE")
            try:
                yield
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            return
        with db.transaction():
            if db.dialect == "postgresql":
                # Held until the outermost transaction ends: a second server's append waits for our commit.
                db.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (_CHAIN_LOCK,))
            yield

    # ---------------------------------------------------------------- reading

    def query(self, f: AuditFilter = AuditFilter()) -> list[AuditRecord]:
        """The entries matching `f`, newest first."""
        where, params = self._where(f)
        sql = _SELECT + where + " ORDER BY seq DESC"
        if f.limit is not None:
            sql += " LIMIT ?"
            params.append(int(f.limit))
        return [AuditRecord(*row) for row in self._db.execute(sql, params).fetchall()]

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM audit").fetchone()[0])

    def records(self, after_seq: int = 0) -> Iterator[AuditRecord]:
        """Every entry after `after_seq`, oldest first, read in chunks (any size of trail in bounded memory)."""
        while True:
            rows = self._db.execute(_SELECT + " WHERE seq > ? ORDER BY seq LIMIT ?", (after_seq, _CHUNK)).fetchall()
            for row in rows:
                yield AuditRecord(*row)
            if len(rows) < _CHUNK:
                return
            after_seq = int(rows[-1][0])

    def verify(self, expect: Mapping[int, str] | None = None) -> VerifyResult:
        """Walks the chain from the first entry: seq 1, 2, 3 ... without gaps, each prev_hash the hash before
        it, each hash the hash of its content. Stops at the first broken entry.

        `expect`: hashes noted down earlier (a tip `verify` reported, seq -> hash). Without them the chain
        shows a change to any row but not a rewrite of every row from there on with fresh hashes, nor a cut-off
        tail; with them, an entry whose hash differs from the note, or a noted seq no longer there, is broken."""
        expect = dict(expect or {})
        checked, seq, prev = 0, 0, GENESIS
        for record in self.records():
            checked += 1
            if record.seq != seq + 1:
                return VerifyResult(checked, seq, prev, record, seq + 1,
                                    f"gap in seq: {seq + 1} missing (next is {record.seq})")
            if record.prev_hash != prev:
                return VerifyResult(checked, seq, prev, record, record.seq, "prev_hash mismatch")
            if record.expected_hash() != record.hash:
                return VerifyResult(checked, seq, prev, record, record.seq, "hash mismatch")
            if expect.get(record.seq, record.hash) != record.hash:
                return VerifyResult(checked, seq, prev, record, record.seq, "hash differs from the noted one "
                                    "(rewritten from here on)")
            seq, prev = record.seq, record.hash
        beyond = [n for n in expect if n > seq]
        if beyond:
            return VerifyResult(checked, seq, prev, None, seq + 1,
                                f"entries cut off: seq {max(beyond)} was noted, the trail ends at {seq}")
        return VerifyResult(checked, seq, prev)

    @staticmethod
    def _where(f: AuditFilter) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for name in ("user", "role", "console", "kind", "sysid", "dock_id", "alert_id", "task_id"):
            value = getattr(f, name)
            if value is not None:
                clauses.append(f'"{name}" = ?')
                params.append(str(value) if name == "kind" else value)
        if f.since is not None:
            clauses.append("ts >= ?")
            params.append(float(f.since))
        if f.until is not None:
            clauses.append("ts < ?")
            params.append(float(f.until))
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


# ---------------------------------------------------------------- export

#: The CSV's columns: the table's, with the time as local ISO 8601 next to the epoch seconds.
CSV_HEADER = ("seq", "time", *COLUMNS[1:])


def local_iso(ts: float) -> str:
    """Epoch seconds as local time with its offset, to the millisecond (2025-01-31T14:05:09.123+08:00)."""
    return datetime.fromtimestamp(ts).astimezone().isoformat(timespec="milliseconds")


def to_csv(records: Iterator[AuditRecord] | list[AuditRecord], file: IO[str]) -> int:
    """Writes `records` as CSV with a header row; returns how many. Open `file` with encoding="utf-8-sig"
    (a BOM, so Excel on a Chinese Windows reads UTF-8) and newline="" (the csv module ends the lines)."""
    writer = csv.writer(file)
    writer.writerow(CSV_HEADER)
    n = 0
    for r in records:
        writer.writerow([r.seq, local_iso(r.ts), *("" if v is None else v for v in
                                                   (getattr(r, c) for c in COLUMNS[1:]))])
        n += 1
    return n
