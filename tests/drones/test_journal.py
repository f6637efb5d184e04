"""The journal keeps tasks, transitions, commands and the server's requests across a restart, in a SQLite
file or a PostgreSQL database (`journal_target`: both, tests/postgres.py), and two servers share the latter."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from console.core.alert_store import AlertStore
from drones.journal import Journal
from drones.journal_db import JournalDBError
from tests.postgres import PostgresCluster
from vocab import Reason


def test_open_tasks_survive_a_reopen_and_history_is_kept(journal_target: Path | str) -> None:
    j = Journal(journal_target)
    j.create_task("T1", alert_id="A1", dock_id="SN01", sysid=1, plan={"items": []}, by="op1")
    j.transition("T1", "planned", "preflight", by="op1")
    j.transition("T1", "preflight", "launching", by="op1")
    j.create_task("T2", alert_id=None, dock_id="SN02", sysid=2, plan={"items": []}, by="auto")
    j.transition("T2", "planned", "failed", by="auto", reason=Reason.of("preflight.battery_unknown"))
    j.command("drone:1", "hold", by="op1", result="accepted")
    j.close()  # as if the console were killed here: WAL keeps what was committed

    j2 = Journal(journal_target)
    assert [t.task_id for t in j2.open_tasks()] == ["T1"]
    assert j2.task("T1").state == "launching"  # type: ignore[union-attr]
    assert j2.task("T2").reason == Reason.of("preflight.battery_unknown")  # type: ignore[union-attr]
    assert [r[2] for r in j2.transitions("T1")] == ["planned", "preflight", "launching"]
    assert j2.commands("drone:1")[0][2:5] == ("hold", "op1", "accepted")
    assert j2.counts_by_state() == {"launching": 1, "failed": 1}
    if isinstance(journal_target, Path):
        mode = j2._db.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"


def test_timestamps_keep_sub_millisecond_precision(journal_target: Path | str) -> None:
    j = Journal(journal_target)
    j.create_task("T1", alert_id=None, dock_id="SN01", sysid=1, plan={}, by="op1")
    ts = j.transition("T1", "planned", "preflight", by="op1")
    assert j.transitions("T1")[-1][0] == ts and j.task("T1").updated_ts == ts  # type: ignore[union-attr]
    j.begin_request("R1", console="c1", operator="op1", op="hold", args={}, saw={}, ts=1_760_000_000.123456)
    assert j.requests()[0].received_ts == 1_760_000_000.123456


def test_locked_drones_follow_the_last_stop_decision(journal_target: Path | str) -> None:
    j = Journal(journal_target)
    j.command("drone:1", "emergency_stop", by="op1", result="locked")
    j.command("drone:2", "emergency_stop", by="op1", result="locked")
    j.command("drone:2", "reactivate", by="lead", result="accepted")
    j.note_abort("nothing", Reason.said("no such task: nothing happens"))
    assert j.locked_drones() == {1}


def test_a_request_is_new_then_pending_then_answered(journal_target: Path | str) -> None:
    j = Journal(journal_target)
    args = {"drone": 1, "note": "积水"}
    assert j.begin_request("R1", console="c1", operator="张三", op="hold", args=args, saw={"state": "en_route"},
                           ts=10.0) is None
    # A retry before the reply: not executed again, not answered yet.
    assert j.begin_request("R1", console="c1", operator="张三", op="hold", args=args, saw={}, ts=11.0) == "pending"
    j.finish_request("R1", {"ok": True, "task": "T1"}, ts=12.0)
    again = j.begin_request("R1", console="c1", operator="张三", op="hold", args=args, saw={}, ts=13.0)
    assert again == {"ok": True, "task": "T1"}
    j.finish_request("R1", {"ok": False}, ts=14.0)      # a second reply does not replace the first
    assert j.begin_request("R1", console="c1", operator="x", op="y", args={}, saw={}, ts=15.0) == {"ok": True,
                                                                                                 "task": "T1"}
    assert j.begin_request("R2", console="c2", operator="李四", op="dispatch", args={}, saw={}, ts=16.0) is None
    with pytest.raises(KeyError):
        j.finish_request("R9", {}, ts=17.0)
    j.close()

    j2 = Journal(journal_target)
    (r1,) = j2.requests("c1")
    assert (r1.request_id, r1.console, r1.operator, r1.op, r1.args, r1.saw) == ("R1", "c1", "张三", "hold", args,
                                                                               {"state": "en_route"})
    assert (r1.received_ts, r1.replied_ts, r1.reply) == (10.0, 12.0, {"ok": True, "task": "T1"})
    assert [(r.request_id, r.replied_ts, r.reply) for r in j2.requests()] == [("R1", 12.0, {"ok": True, "task": "T1"}),
                                                                             ("R2", None, None)]
    assert j2.begin_request("R2", console="c2", operator="李四", op="dispatch", args={}, saw={}, ts=18.0) == "pending"


def test_an_old_task_journal_gains_the_request_table(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    old = sqlite3.connect(path)
    old.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                      "INSERT INTO meta VALUES ('schema_version', '1');")
    old.close()
    j = Journal(path)
    assert j.begin_request("R1", console="c", operator="o", op="hold", args={}, saw={}, ts=1.0) is None
    assert j._db.execute("SELECT value FROM meta").fetchone()[0] == "3"


def test_a_sqlite_journal_does_not_load_psycopg(tmp_path: Path) -> None:
    """The console (and its bundle, which leaves psycopg out) never needs PostgreSQL's client."""
    code = ("import sys; from drones.journal import Journal; from console.core.alert_store import AlertStore; "
            f"Journal({str(tmp_path / 'j.sqlite')!r}); AlertStore({str(tmp_path / 'a.sqlite')!r}); "
            "assert 'psycopg' not in sys.modules, 'psycopg loaded'")
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, env={**os.environ, "PYTHONPATH": str(root)})


def test_two_servers_share_one_postgres_journal(postgres_cluster: PostgresCluster) -> None:
    url = postgres_cluster.create_database()
    active, standby = Journal(url), Journal(url)
    active.create_task("T1", alert_id="A1", dock_id="SN01", sysid=1, plan={"items": [1]}, by="op1")
    active.transition("T1", "planned", "en_route", by="op1")
    assert active.begin_request("R1", console="c1", operator="op1", op="hold", args={"drone": 1}, saw={},
                                ts=1.0) is None
    assert standby.begin_request("R1", console="c1", operator="op1", op="hold", args={"drone": 1}, saw={},
                                 ts=2.0) == "pending"
    active.finish_request("R1", {"ok": True}, ts=3.0)
    active.close()   # the active dies; the standby takes over
    assert [(t.task_id, t.state, t.plan) for t in standby.open_tasks()] == [("T1", "en_route", {"items": [1]})]
    assert standby.begin_request("R1", console="c1", operator="op1", op="hold", args={}, saw={}, ts=4.0) == {"ok": True}
    standby.transition("T1", "en_route", "completed", by="standby")
    assert Journal(url).open_tasks() == []


def test_two_servers_opening_a_new_database_at_once(postgres_cluster: PostgresCluster) -> None:
    """Schema creation is serialised: many processes' worth of opens of one empty database all succeed."""
    import threading

    url = postgres_cluster.create_database()
    errors: list[BaseException] = []
    opened: list[object] = []

    def open_both() -> None:
        try:
            opened.extend((Journal(url), AlertStore(url)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_both) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(opened) == 12


def test_both_journals_share_one_postgres_database_without_clashing(postgres_cluster: PostgresCluster) -> None:
    url = postgres_cluster.create_database()
    tasks, alerts = Journal(url), AlertStore(url)
    tasks.create_task("T1", alert_id="A1", dock_id="SN01", sysid=1, plan={}, by="op1")
    alerts.action("A1", "dispatch", by="op1", result="ok", ts=1.0)
    alerts.transition("A1", "new", "acknowledged", by="op1", console="c1", ts=2.0, origin="local")
    assert [r[2] for r in tasks.transitions("T1")] == ["planned"]          # each has its own `transitions`
    assert alerts.transitions("A1")[0][2] == "acknowledged"
    schemas = tasks._db.execute("SELECT table_schema, table_name FROM information_schema.tables "
                                "WHERE table_name IN ('meta', 'transitions') ORDER BY 1, 2").fetchall()
    assert schemas == [("alert_journal", "meta"), ("alert_journal", "transitions"), ("tasks_journal", "meta"),
                       ("tasks_journal", "transitions")]
    versions = tasks._db.execute("SELECT (SELECT value FROM tasks_journal.meta), "
                                 "(SELECT value FROM alert_journal.meta)").fetchone()
    assert versions == ("3", "2")


def test_a_bad_url_says_what_is_wrong(postgres_cluster: PostgresCluster, tmp_path: Path) -> None:
    with pytest.raises(JournalDBError, match=r"cannot open the journal database postgresql:///nosuchdb.*nosuchdb"):
        Journal(postgres_cluster.url("nosuchdb"))
    with pytest.raises(JournalDBError, match=r"cannot open the journal database postgresql://u:\*\*\*@"):
        AlertStore(f"postgresql://u:secret@/qd?host={tmp_path}")   # no server there; the password is not shown
    with pytest.raises(JournalDBError, match="not a journal database"):
        Journal("mysql://host/qd")
    with pytest.raises(JournalDBError) as info:
        Journal(f"postgresql:///qd?host={tmp_path}&password=secret&user=u")
    assert "secret" not in str(info.value) and "password=***" in str(info.value)
