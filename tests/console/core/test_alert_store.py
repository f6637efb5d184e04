"""The alert journal: alerts, workflow, notes and quarantine survive a restart and a process kill, in a SQLite file
or a PostgreSQL database (`journal_target`: both, tests/postgres.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from console.core.alert_contract import Alert, Quarantined
from console.core.alert_store import AlertStore, alerts_path
from drones.journal_db import storage_errors
from vocab import Reason
from tests.conftest import ROOT


def alert(n: int, **changes: object) -> Alert:
    fields: dict[str, object] = dict(id=f"ALR-{n:06d}", ts=1000.0 + n, category="waterlogging", level=2, lat=36.06,
                                     lon=120.38, district="shinan", title=f"积水 {n}")
    fields.update(changes)
    return Alert(**fields)  # type: ignore[arg-type]


def test_alerts_path_sits_next_to_the_task_journal(tmp_path: Path) -> None:
    assert alerts_path(tmp_path / "journal.sqlite") == tmp_path / "alerts.sqlite"


def test_a_duplicate_id_is_written_once(journal_target: Path | str) -> None:
    store = AlertStore(journal_target)
    assert store.add_alert(alert(1), 5.0, incident_id="INC-1")
    assert not store.add_alert(alert(1, title="other"), 6.0)
    record = store.record("ALR-000001")
    assert record is not None and record.alert.title == "积水 1" and record.received_ts == 5.0
    assert record.incident_id == "INC-1" and record.state == "new" and store.count() == 1


def test_workflow_sets_sla_times_once_and_reopen_clears_the_close(journal_target: Path | str) -> None:
    store = AlertStore(journal_target)
    store.add_alert(alert(1), 10.0)
    store.transition("ALR-000001", "new", "acknowledged", by="op1", console="c1", ts=12.0, origin="local")
    store.transition("ALR-000001", "acknowledged", "dispatched", by="op1", console="c1", ts=20.0, origin="local",
                     task_id="T1")
    store.transition("ALR-000001", "dispatched", "on_scene", by="op1", console="c1", ts=90.0, origin="local")
    store.transition("ALR-000001", "on_scene", "dismissed", by="op2", console="c2", ts=95.0, origin="remote",
                     reason=Reason.said("false alarm"))
    r = store.record("ALR-000001")
    assert r is not None
    assert (r.acknowledged_ts, r.dispatched_ts, r.on_scene_ts, r.closed_ts) == (12.0, 20.0, 90.0, 95.0)
    assert r.state == "dismissed" and r.task_id == "T1" and r.reason == Reason.said("false alarm")
    assert r.state_by == "op2" and r.state_console == "c2" and r.closed
    store.transition("ALR-000001", "dismissed", "acknowledged", by="op1", console="c1", ts=99.0, origin="local")
    r = store.record("ALR-000001")
    assert r is not None and r.closed_ts is None and r.acknowledged_ts == 12.0 and r.reason is None
    assert [t[2] for t in store.transitions("ALR-000001")] == ["acknowledged", "dispatched", "on_scene", "dismissed",
                                                               "acknowledged"]


def test_everything_survives_a_reopen_of_the_file(journal_target: Path | str) -> None:
    path = journal_target
    store = AlertStore(path)
    store.add_alert(alert(1), 10.0)
    store.add_alert(alert(2, status="cleared"), 11.0)
    store.assign("ALR-000001", "张三", by="lead", ts=12.0)
    store.add_note("ALR-000001", "已通知排水公司", by="张三", ts=13.0)
    store.transition("ALR-000001", "new", "acknowledged", by="张三", console="c1", ts=14.0, origin="local",
                     published=False)
    store.add_quarantine(Quarantined("qdcb/alerts/v1/x/y", Reason.of("contract.not_bytes"), b"\xff", 1, 15.0))
    store.put_remote_state("ALR-000009", {"alert_id": "ALR-000009", "state": "acknowledged"})
    store.close()
    again = AlertStore(path)
    records = {r.id: r for r in again.load(since_ts=0.0)}
    assert set(records) == {"ALR-000001", "ALR-000002"}
    one = records["ALR-000001"]
    assert one.assigned_to == "张三" and [n.text for n in one.notes] == ["已通知排水公司"] and not one.published
    assert records["ALR-000002"].source_cleared
    assert again.unpublished() == ["ALR-000001"]
    assert [q.item.raw for q in again.quarantine()] == [b"\xff"]
    assert again.remote_state_ids() == {"ALR-000009"}
    assert again.take_remote_state("ALR-000009") == {"alert_id": "ALR-000009", "state": "acknowledged"}
    assert again.take_remote_state("ALR-000009") is None


def test_load_keeps_open_alerts_of_any_age_and_recent_closed_ones(journal_target: Path | str) -> None:
    store = AlertStore(journal_target)
    store.add_alert(alert(1), 10.0)      # old, open
    store.add_alert(alert(2), 11.0)      # old, closed
    store.transition("ALR-000002", "new", "resolved", by="op", console="c", ts=12.0, origin="local")
    store.add_alert(alert(3), 500.0)     # recent
    assert [r.id for r in store.load(since_ts=100.0)] == ["ALR-000001", "ALR-000003"]



def test_a_batch_lands_whole_or_not_at_all_and_a_failed_change_in_it_alone(journal_target: Path | str) -> None:
    store = AlertStore(journal_target)
    with pytest.raises(RuntimeError), store.batch():
        store.add_alert(alert(1), 10.0)
        store.add_note("ALR-000001", "note", by="op", ts=11.0)
        raise RuntimeError("the batch fails before its commit")
    assert store.count() == 0 and store.record("ALR-000001") is None
    with store.batch():
        store.add_alert(alert(2), 12.0)
        with pytest.raises(storage_errors()):   # `by` is NOT NULL: the change fails, its savepoint is undone
            store.transition("ALR-000002", "new", "acknowledged", console="c", ts=13.0, origin="local",
                             by=None)  # type: ignore[arg-type]
        store.add_alert(alert(3), 14.0)
        assert store.add_quarantine(Quarantined("t", Reason.of("contract.not_bytes"), b"\x00", 1, 15.0)) >= 1
    store.close()
    again = AlertStore(journal_target)
    assert [r.id for r in again.load(0.0)] == ["ALR-000002", "ALR-000003"]
    two = again.record("ALR-000002")
    assert two is not None and two.state == "new" and again.transitions("ALR-000002") == []
    assert again.quarantine_count() == 1


WRITER = """
import sys, time
from console.core.alert_contract import Alert
from console.core.alert_store import AlertStore
store = AlertStore(sys.argv[1])
for n in range(1_000_000):
    store.add_alert(Alert(id=f"K{n}", ts=float(n), category="c", level=3, lat=36.0, lon=120.0), time.time())
    print(n, flush=True)   # reported only after the commit returned
"""


def test_a_killed_writer_loses_no_committed_alert(journal_target: Path | str) -> None:
    path = journal_target
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None
    reported = -1
    for line in proc.stdout:       # let it write a good while, then kill it mid-stream
        reported = int(line)
        if reported >= 3000:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    store = AlertStore(path)
    ids = {r.id for r in store.load(since_ts=0.0)}
    assert all(f"K{n}" in ids for n in range(reported + 1)), "an alert reported as journaled is missing"
    assert json.dumps(sorted(ids)[:1])  # the file opens and reads after the kill
