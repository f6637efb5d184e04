"""The audit trail (drones/audit.py) on SQLite and on a real PostgreSQL (`journal_target`, tests/postgres.py):
the task journal's facts land in it with who, where and the result; queries filter; the CSV reads back;
the chain names the first entry someone changed or removed behind the append-only triggers' back."""

from __future__ import annotations

import csv
import io
import sqlite3
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from console.core.alert_events import WorkflowRefused
from console.core.alert_store import AlertStore
from console.core.server_contract import ok_reply, refusal_reply
from drones.audit import (GENESIS, AuditEntry, AuditFilter, AuditKind, AuditLog, AuditRecord, AuditResult, to_csv)
from drones.authority import ACTING_CONSOLE
from drones.journal import Journal
from tests.postgres import PostgresCluster
from vocab import Reason


def tamper(target: Path | str, sql: str) -> None:
    """Changes the trail as an attacker with access to the database would: around the append-only triggers
    (dropped on SQLite; bypassed on PostgreSQL with session_replication_role, which needs a superuser)."""
    if isinstance(target, Path):
        conn = sqlite3.connect(target)
        conn.executescript("DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;"
                           + sql.format(audit="audit"))
        conn.close()
        return
    import psycopg

    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(sql.format(audit="tasks_journal.audit").encode())


def every_kind(j: Journal) -> int:
    """Writes facts of every kind through the journal; returns how many audit entries they make."""
    j.create_task("T1", alert_id="A1", dock_id="SN01", sysid=1, plan={}, by="张三")
    j.transition("T1", "planned", "preflight", by="张三")
    j.transition("T1", "preflight", "failed", by="automation", reason=Reason.of("preflight.battery_unknown"))
    j.command("drone:1", "hold", by="张三", result="accepted")
    j.command("drone:2", "resume", by="李四", result="refused", detail="no open task")
    j.command("drone:1", "return_home", by="automation", result="accepted", detail="battery low")
    j.command("SN01", "take_authority", by="张三", result="forced", detail="displaced c2")
    j.command("drone:3", "emergency_stop", by="李四", result="error", detail="Timeout()")
    j.begin_request("R1", console="c1", operator="张三", op="drone.hold", args={"sysid": 1}, saw={}, ts=10.0,
                    role="dispatcher")
    j.finish_request("R1", ok_reply("R1"), ts=11.0)
    j.begin_request("R2", console="c2", operator="李四", op="alert.acknowledge", args={"alert_id": "A1"}, saw={},
                    ts=12.0, role="operator")
    j.finish_request("R2", refusal_reply("R2", WorkflowRefused(Reason.of("request.expired", seconds=20))), ts=13.0)
    j.audit.session("张三", "dispatcher", "c1", "sign_in")
    j.audit.session("王五", None, "c3", "sign_in", AuditResult.REFUSED, "session.bad_password: wrong password")
    j.audit.session("张三", "dispatcher", "c1", "sign_out")
    j.audit.session("李四", "operator", "c2", "signed_out_disabled", AuditResult.DONE)
    return 14


def test_the_chain_verifies_after_many_appends_of_every_kind(journal_target: Path | str) -> None:
    j = Journal(journal_target)
    n = every_kind(j)
    for i in range(300):
        kind = list(AuditKind)[i % len(AuditKind)]
        j.audit.append(AuditEntry(kind, f"what {i} 积水", user=f"u{i % 7}", sysid=i % 5 or None,
                                  detail={"i": i, "nested": {"b": [1, 2.5, None], "a": "青岛"}},
                                  ts=1_760_000_000 + i))   # an int time: stored and hashed as a float
    n += 300
    result = j.audit.verify()
    assert (result.ok, result.checked, result.tip_seq) == (True, n, n)
    assert result.tip_hash == j.audit.query(AuditFilter(limit=1))[0].hash
    j.close()
    again = Journal(journal_target)   # the chain is in the database, not in memory
    assert again.audit.verify().ok
    assert again.audit.query(AuditFilter(limit=None))[-1].prev_hash == GENESIS


def test_journal_facts_appear_with_who_where_and_the_result(journal_target: Path | str) -> None:
    j = Journal(journal_target)
    j.create_task("T1", alert_id="A1", dock_id="SN01", sysid=1, plan={}, by="张三")
    j.begin_request("R1", console="c1", operator="张三", op="drone.hold", args={"sysid": 1, "note": "x"}, saw={},
                    ts=100.0, role="dispatcher")
    token = ACTING_CONSOLE.set("c1")   # as the server's request handler sets it while it carries a request out
    try:
        j.command("drone:1", "hold", by="张三", result="accepted")
        j.transition("T1", "planned", "preflight", by="张三", reason=Reason.said("operator asked"))
    finally:
        ACTING_CONSOLE.reset(token)
    j.finish_request("R1", ok_reply("R1"), ts=101.0)
    j.command("SN02", "take_authority", by="李四", result="refused", detail="held by c2")
    j.command("drone:1", "return_home", by="automation", result="accepted", detail="battery low")
    j.begin_request("R2", console="c2", operator="李四", op="alert.dispatch", args={"alert_id": "A9",
                    "dock_id": "SN02"}, saw={}, ts=102.0, role="operator")
    j.finish_request("R2", refusal_reply("R2", WorkflowRefused(Reason.of("request.expired", seconds=20))), ts=103.0)
    j.begin_request("R3", console="c3", operator="王五", op="drone.land", args={"sysid": "4"}, saw={}, ts=104.0)
    j.finish_request("R3", refusal_reply("R3", RuntimeError("boom")), ts=105.0, role="supervisor")

    created, command, transition, request, dock, auto, refused, failed = \
        [_fields(r) for r in reversed(j.audit.query())]
    assert created == {"kind": "state", "what": "task ->planned", "user": "张三", "role": None, "console": None,
                       "sysid": 1, "dock_id": "SN01", "alert_id": "A1", "task_id": "T1", "result": "done",
                       "reason": None}
    assert command == {"kind": "command", "what": "drone.hold", "user": "张三", "role": "dispatcher",
                       "console": "c1", "sysid": 1, "dock_id": None, "alert_id": None, "task_id": None,
                       "result": "accepted", "reason": None}
    assert transition == {**created, "what": "task planned->preflight", "role": "dispatcher", "console": "c1",
                          "reason": "said: operator asked"}
    assert request == {"kind": "request", "what": "drone.hold", "user": "张三", "role": "dispatcher",
                       "console": "c1", "sysid": 1, "dock_id": None, "alert_id": None, "task_id": None,
                       "result": "accepted", "reason": None}
    assert dock | {"role": None} == {**command, "what": "dock.take_authority", "user": "李四", "role": None,
                                     "console": None, "sysid": None, "dock_id": "SN02", "result": "refused",
                                     "reason": "held by c2"}
    assert (auto["kind"], auto["what"], auto["user"], auto["result"]) == ("automation", "drone.return_home",
                                                                          "automation", "accepted")
    assert refused == {"kind": "request", "what": "alert.dispatch", "user": "李四", "role": "operator",
                       "console": "c2", "sysid": None, "dock_id": "SN02", "alert_id": "A9", "task_id": None,
                       "result": "refused",
                       "reason": "request.expired: " + Reason.of("request.expired", seconds=20).en}
    assert (failed["result"], failed["role"], failed["sysid"]) == ("failed", "supervisor", 4)
    assert "boom" in failed["reason"]
    newest = j.audit.query()[0]
    assert (newest.ts, newest.detail_json()) == (105.0, {"request_id": "R3", "refusal": "error"})
    assert j.requests("c3")[0].reply is not None


def test_a_second_reply_is_not_audited_and_an_unknown_request_is_refused(journal_target: Path | str) -> None:
    j = Journal(journal_target)
    j.begin_request("R1", console="c1", operator="o", op="drone.hold", args={}, saw={}, ts=1.0, role="dispatcher")
    j.finish_request("R1", ok_reply("R1"), ts=2.0)
    j.finish_request("R1", ok_reply("R1"), ts=3.0)
    with pytest.raises(KeyError):
        j.finish_request("R9", ok_reply("R9"), ts=4.0)
    assert [(r.what, r.ts) for r in j.audit.query()] == [("drone.hold", 2.0)]


def test_a_fact_and_its_entry_land_together_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    j = Journal(path)
    j.create_task("T1", alert_id=None, dock_id="SN01", sysid=1, plan={}, by="op")
    with pytest.raises(RuntimeError), j._db.transaction():
        j.command("drone:1", "hold", by="op", result="accepted")
        raise RuntimeError("the caller's transaction fails after the command")
    assert j.commands() == [] and j.audit.count() == 1
    # The trail refusing the entry (here a trigger standing in for a full disk) refuses the fact with it.
    j._db.execute("CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        j.transition("T1", "planned", "preflight", by="op")
    assert j.task("T1").state == "planned" and len(j.transitions("T1")) == 1  # type: ignore[union-attr]


def test_query_filters_each_work(journal_target: Path | str) -> None:
    log = Journal(journal_target).audit
    rows = [  # (kind, user, sysid, alert_id, task_id, ts)
        (AuditKind.COMMAND, "张三", 1, None, None, 1000.0),
        (AuditKind.STATE, "张三", 1, "A1", "T1", 1001.0),
        (AuditKind.REQUEST, "李四", 2, "A2", None, 1002.0),
        (AuditKind.SESSION, "李四", None, None, None, 1003.0),
        (AuditKind.STATE, "automation", 2, "A2", "T2", 1004.0),
        (AuditKind.AUTOMATION, "automation", 3, "A1", "T3", 1005.0),
    ]
    for kind, user, sysid, alert, task, ts in rows:
        log.append(AuditEntry(kind, "x", user=user, role="dispatcher" if user == "张三" else None, console="c1",
                              sysid=sysid, alert_id=alert, task_id=task, ts=ts))

    def seqs(**kw: Any) -> list[int]:
        return [r.seq for r in log.query(AuditFilter(**kw))]

    assert seqs() == [6, 5, 4, 3, 2, 1]                               # newest first
    assert seqs(user="张三") == [2, 1]
    assert seqs(role="dispatcher") == [2, 1]
    assert seqs(sysid=2) == [5, 3]
    assert seqs(alert_id="A1") == [6, 2]
    assert seqs(task_id="T2") == [5]
    assert seqs(kind=AuditKind.STATE) == [5, 2]
    assert seqs(kind="session") == [4]
    assert seqs(since=1002.0, until=1005.0) == [5, 4, 3]             # since inclusive, until exclusive
    assert seqs(user="李四", since=1003.0) == [4]
    assert seqs(limit=2) == [6, 5]
    assert seqs(user="nobody") == []
    assert AuditFilter.from_json({"sysid": "2", "kind": "state", "since": 1000, "user": "", "x": 1}) == \
        AuditFilter(sysid=2, kind=AuditKind.STATE, since=1000.0)
    with pytest.raises(ValueError):
        AuditFilter.from_json({"kind": "gossip"})


def test_csv_export_reads_back(journal_target: Path | str, tmp_path: Path) -> None:
    j = Journal(journal_target)
    every_kind(j)
    records = list(reversed(j.audit.query()))
    out = tmp_path / "audit.csv"
    with open(out, "w", encoding="utf-8-sig", newline="") as file:
        assert to_csv(records, file) == len(records)
    assert out.read_bytes().startswith(b"\xef\xbb\xbfseq,time,ts,user,")   # BOM: Excel reads it as UTF-8
    with open(out, encoding="utf-8-sig", newline="") as file:
        back = list(csv.DictReader(file))
    assert len(back) == len(records)
    for row, record in zip(back, records, strict=True):
        assert int(row["seq"]) == record.seq and float(row["ts"]) == record.ts
        moment = datetime.fromisoformat(row["time"])
        assert moment.tzinfo is not None and abs(moment.timestamp() - record.ts) < 0.001
        for name in ("user", "role", "console", "kind", "what", "dock_id", "alert_id", "task_id", "result",
                     "reason", "detail", "prev_hash", "hash"):
            assert row[name] == (getattr(record, name) or ""), name
        assert row["sysid"] == ("" if record.sysid is None else str(record.sysid))
    assert any(row["user"] == "张三" for row in back)


def test_an_altered_entry_is_named_as_the_first_broken_one(journal_target: Path | str) -> None:
    j = Journal(journal_target)
    n = every_kind(j)
    assert n > 8
    tamper(journal_target, "UPDATE {audit} SET what = 'drone.resume' WHERE seq = 7")
    result = j.audit.verify()
    assert (result.ok, result.broken_seq, result.why, result.tip_seq, result.checked) == (False, 7, "hash mismatch",
                                                                                        6, 7)
    assert result.broken is not None and result.broken.what == "drone.resume"


def test_an_entry_rewritten_with_a_fresh_hash_breaks_the_next_link(journal_target: Path | str) -> None:
    j = Journal(journal_target)
    every_kind(j)
    original = next(r for r in j.audit.query() if r.seq == 4)
    forged = AuditRecord(**{**{f: getattr(original, f) for f in AuditRecord.__slots__}, "user": "nobody"})
    tamper(journal_target, f"UPDATE {{audit}} SET \"user\" = 'nobody', hash = '{forged.expected_hash()}' "
                           f"WHERE seq = 4")
    result = j.audit.verify()
    assert (result.broken_seq, result.why) == (5, "prev_hash mismatch")


def test_a_deleted_entry_shows_as_a_gap_where_it_was(journal_target: Path | str) -> None:
    j = Journal(journal_target)
    every_kind(j)
    tamper(journal_target, "DELETE FROM {audit} WHERE seq = 5")
    result = j.audit.verify()
    assert (result.ok, result.broken_seq, result.tip_seq) == (False, 5, 4)
    assert result.why == "gap in seq: 5 missing (next is 6)"
    assert result.broken is not None and result.broken.seq == 6


def test_update_and_delete_are_refused_by_the_trigger(journal_target: Path | str) -> None:
    j = Journal(journal_target)
    every_kind(j)
    before = j.audit.query(AuditFilter(limit=None))
    for sql in ("UPDATE audit SET what = 'nothing' WHERE seq = 3", "DELETE FROM audit WHERE seq = 3",
                "DELETE FROM audit"):
        with pytest.raises(Exception, match="append-only"):
            j._db.execute(sql)
    if not isinstance(journal_target, Path):
        with pytest.raises(Exception, match=r"append-only \(TRUNCATE refused\)"):
            j._db.execute("TRUNCATE audit")
        with pytest.raises(Exception, match=r"append-only \(UPDATE refused\)"):
            j._db.execute("UPDATE audit SET what = 'nothing'")
    assert j.audit.query(AuditFilter(limit=None)) == before
    assert j.audit.verify().ok


def test_an_old_journal_gains_the_trail_and_its_triggers(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    old = sqlite3.connect(path)
    old.executescript(  # schema 2: requests without role, no audit
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('schema_version', '2');"
        "CREATE TABLE requests (request_id TEXT PRIMARY KEY, console TEXT NOT NULL, operator TEXT NOT NULL, "
        "op TEXT NOT NULL, args_json TEXT NOT NULL, saw_json TEXT NOT NULL, received_ts REAL NOT NULL, "
        "replied_ts REAL, reply_json TEXT);"
        "INSERT INTO requests VALUES ('R0', 'c', 'o', 'drone.hold', '{\"sysid\": 2}', '{}', 1.0, NULL, NULL);")
    old.close()
    j = Journal(path)
    assert j._db.execute("SELECT value FROM meta").fetchone()[0] == "3"
    j.finish_request("R0", ok_reply("R0"), ts=2.0, role="dispatcher")   # begun before the upgrade
    (entry,) = j.audit.query()
    assert (entry.what, entry.role, entry.sysid, entry.result) == ("drone.hold", "dispatcher", 2, "accepted")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        j._db.execute("DELETE FROM audit")
    j.close()
    assert Journal(path).audit.verify().ok   # reopening installs nothing twice


def test_alert_state_changes_are_audited_once_committed(tmp_path: Path) -> None:
    j = Journal(tmp_path / "journal.sqlite")
    store = AlertStore(tmp_path / "alerts.sqlite", j.audit)
    j.audit.session("张三", "operator", "c1")
    store.transition("A1", "new", "acknowledged", by="张三", console="c1", ts=5.0, origin="local")
    with pytest.raises(RuntimeError), store.batch():
        store.transition("A2", "new", "acknowledged", by="张三", console="c1", ts=6.0, origin="local")
        store.action("A2", "dispatch", by="张三", result="refused", ts=6.5, detail="no dock")
        assert [r.alert_id for r in j.audit.query(AuditFilter(kind="state"))] == ["A1"]   # not committed yet
        raise RuntimeError("the batch fails: its facts are rolled back, and never audited")
    with store.batch():
        store.assign("A3", "李四", by="张三", ts=7.0)
        store.action("A3", "automation", by="automation", result="matched", ts=8.0)
        store.action("A3", "dispatch", by="automation", result="refused", ts=9.0, detail="no dock ready")
    entries = [(r.kind, r.what, r.user, r.role, r.alert_id, r.result, r.reason) for r in reversed(j.audit.query())]
    assert entries == [
        ("session", "sign_in", "张三", "operator", None, "accepted", None),
        ("state", "alert acknowledged", "张三", "operator", "A1", "done", None),
        ("state", "alert assigned", "张三", "operator", "A3", "done", None),
        ("automation", "alert.automation", "automation", None, "A3", "accepted", None),
        ("automation", "alert.dispatch", "automation", None, "A3", "refused", "no dock ready"),
    ]
    assert j.audit.query(AuditFilter(alert_id="A1"))[0].detail_json() == {"from": "new", "origin": "local"}
    assert j.audit.verify().ok


def test_two_servers_appending_at_once_never_fork_the_chain(postgres_cluster: PostgresCluster) -> None:
    url = postgres_cluster.create_database()
    journals = [Journal(url), Journal(url)]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def write(j: Journal, name: str) -> None:
        try:
            start.wait()
            for i in range(150):
                if i % 3 == 0:
                    j.command(f"drone:{i % 5 + 1}", "hold", by=name, result="accepted")
                else:
                    j.audit.append(AuditEntry(AuditKind.STATE, f"{name} {i}", user=name))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(j, f"server{k}")) for k, j in enumerate(journals)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    result = journals[0].audit.verify()
    assert (result.ok, result.checked) == (True, 300)
    users = [r.user for r in journals[1].audit.query(AuditFilter(limit=None))]
    assert users.count("server0") == users.count("server1") == 150


def _fields(r: AuditRecord) -> dict[str, Any]:
    return {k: getattr(r, k) for k in ("kind", "what", "user", "role", "console", "sysid", "dock_id", "alert_id",
                                       "task_id", "result", "reason")}


def test_to_csv_writes_a_header_for_no_records() -> None:
    buffer = io.StringIO()
    assert to_csv([], buffer) == 0
    assert buffer.getvalue().strip() == ("seq,time,ts,user,role,console,kind,what,sysid,dock_id,alert_id,task_id,"
                                         "result,reason,detail,prev_hash,hash")


def test_a_noted_tip_catches_a_rewritten_chain_and_a_cut_off_tail(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    j = Journal(path)
    every_kind(j)
    noted = j.audit.verify()
    assert noted.ok and noted.tip_seq == 14
    # The attacker rewrites entry 10 and every hash after it: the chain alone is whole again.
    rows = list(j.audit.records())
    forged: list[AuditRecord] = []
    prev = rows[8].hash
    for r in rows[9:]:
        fields = {f: getattr(r, f) for f in AuditRecord.__slots__} | {"prev_hash": prev}
        if r.seq == 10:
            fields["user"] = "nobody"
        fields["hash"] = AuditRecord(**fields).expected_hash()
        forged.append(AuditRecord(**fields))
        prev = fields["hash"]
    tamper(path, "".join(f"UPDATE {{audit}} SET \"user\" = '{f.user}', prev_hash = '{f.prev_hash}', "
                         f"hash = '{f.hash}' WHERE seq = {f.seq};" for f in forged))
    assert j.audit.verify().ok
    result = j.audit.verify({noted.tip_seq: noted.tip_hash})
    assert (result.ok, result.broken_seq) == (False, 14) and "noted" in (result.why or "")
    # Cutting off the tail instead.
    tamper(path, "DELETE FROM {audit} WHERE seq >= 13")
    result = j.audit.verify({noted.tip_seq: noted.tip_hash})
    assert (result.ok, result.broken_seq, result.tip_seq) == (False, 13, 12)
    assert result.why == "entries cut off: seq 14 was noted, the trail ends at 12"
