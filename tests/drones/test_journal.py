"""The journal keeps tasks, transitions and commands across a restart."""

from __future__ import annotations

from pathlib import Path

from vocab import Reason
from drones.journal import Journal


def test_open_tasks_survive_a_reopen_and_history_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    j = Journal(path)
    j.create_task("T1", alert_id="A1", dock_id="SN01", sysid=1, plan={"items": []}, by="op1")
    j.transition("T1", "planned", "preflight", by="op1")
    j.transition("T1", "preflight", "launching", by="op1")
    j.create_task("T2", alert_id=None, dock_id="SN02", sysid=2, plan={"items": []}, by="auto")
    j.transition("T2", "planned", "failed", by="auto", reason=Reason.of("preflight.battery_unknown"))
    j.command("drone:1", "hold", by="op1", result="accepted")
    j.close()  # as if the console were killed here: WAL keeps what was committed

    j2 = Journal(path)
    assert [t.task_id for t in j2.open_tasks()] == ["T1"]
    assert j2.task("T1").state == "launching"  # type: ignore[union-attr]
    assert j2.task("T2").reason == Reason.of("preflight.battery_unknown")  # type: ignore[union-attr]
    assert [r[2] for r in j2.transitions("T1")] == ["planned", "preflight", "launching"]
    assert j2.commands("drone:1")[0][2:5] == ("hold", "op1", "accepted")
    assert j2.counts_by_state() == {"launching": 1, "failed": 1}
    mode = j2._db.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
