"""The audit panel: each filter in the query it asks for, the rows it shows and sorts, the CSV it writes from
exactly those rows, and one alert's or task's own history."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDateTime, Qt

from widgets.audit_panel import AuditPanel, Column

NOW = 1_790_000_000.0


def entry(ts: float, user: str = "wang", **kw: Any) -> dict[str, Any]:
    values: dict[str, Any] = dict(ts=ts, user=user, role="dispatcher", console="hall-2", kind="command",
                                  what="drone.hold", sysid=7, dock_id="D07", alert_id=None, task_id="T-1",
                                  result="ok", reason="")
    values.update(kw)
    return values


class ExportingPanel(AuditPanel):
    export_path: str | None = None

    def ask_export_path(self) -> str | None:
        return self.export_path


@pytest.fixture
def panel(qtbot):  # type: ignore[no-untyped-def]
    p = ExportingPanel(clock=lambda: NOW)
    qtbot.addWidget(p)
    p.resize(1400, 600)
    p.show()
    return p


def asked(panel: AuditPanel, qtbot, act) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(panel.query_requested) as sent:
        act()
    return sent.args[0]


def test_the_default_query_is_the_last_24_hours(panel: ExportingPanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    f = asked(panel, qtbot, panel.search_button.click)
    assert f == {"user": None, "sysid": None, "alert_id": None, "task_id": None, "kind": None,
                 "since": NOW - 24 * 3600, "until": NOW}


def test_each_filter_goes_into_the_query(panel: ExportingPanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(panel.user_edit, "wang")
    assert asked(panel, qtbot, lambda: qtbot.keyClick(panel.user_edit, Qt.Key.Key_Return))["user"] == "wang"
    qtbot.keyClicks(panel.sysid_edit, "7x")               # a system id is a number: the letter is refused
    assert panel.sysid_edit.text() == "7"
    assert asked(panel, qtbot, panel.search)["sysid"] == 7
    panel.alert_edit.setText(" ALR-20261124-000123 ")
    panel.task_edit.setText("T-9")
    f = asked(panel, qtbot, panel.search)
    assert (f["alert_id"], f["task_id"]) == ("ALR-20261124-000123", "T-9")
    panel.kind_box.setCurrentIndex(panel.kind_box.findData("session"))
    assert asked(panel, qtbot, panel.search)["kind"] == "session"
    assert panel.kind_box.itemText(0) == "All kinds"


def test_time_presets_and_a_custom_range(panel: ExportingPanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel.set_preset("hour")
    f = asked(panel, qtbot, panel.search)
    assert (f["since"], f["until"]) == (NOW - 3600, NOW)
    panel.set_preset("today")
    midnight = datetime.fromtimestamp(NOW).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    assert asked(panel, qtbot, panel.search)["since"] == midnight
    panel.set_preset("any")
    f = asked(panel, qtbot, panel.search)
    assert f["since"] is None and f["until"] is None and not panel.from_edit.isEnabled()
    panel.set_preset("day")
    panel.from_edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(NOW - 7200)))   # by hand: a custom range
    assert panel.preset() == "custom"
    panel.to_edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(NOW - 3600)))
    f = asked(panel, qtbot, panel.search)
    assert (f["since"], f["until"]) == (NOW - 7200, NOW - 3600)
    # A range that ends before it starts is said, not sent.
    panel.to_edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(NOW - 9000)))
    with qtbot.assertNotEmitted(panel.query_requested):
        panel.search()
    assert "after its end" in panel.status_label.text()


def test_rows_are_shown_newest_first_and_sort(panel: ExportingPanel) -> None:
    panel.set_rows([entry(NOW - 300), entry(NOW - 60, user="li", kind="request", what="alert.acknowledge", sysid=None,
                                             dock_id=None, alert_id="ALR-1", task_id=None),
                    entry(NOW - 100, user="zhao", result="refused", reason="authority held by wang")])
    assert panel.table.rowCount() == 3 and panel.count_label.text() == "3 row(s)"
    assert [r["user"] for r in panel.shown_rows()] == ["li", "zhao", "wang"]
    assert panel.table.item(0, Column.TARGET).text() == "ALR-1"
    assert panel.table.item(2, Column.TARGET).text() == "drone 7 · D07 · T-1"
    assert panel.table.item(1, Column.REASON).text() == "authority held by wang"
    panel.table.sortItems(Column.USER, Qt.SortOrder.AscendingOrder)
    assert [r["user"] for r in panel.shown_rows()] == ["li", "wang", "zhao"]
    # A later answer keeps the supervisor's order.
    panel.set_rows([entry(NOW, user="b"), entry(NOW, user="a")])
    assert [r["user"] for r in panel.shown_rows()] == ["a", "b"]


def test_export_writes_the_rows_shown_as_utf8_csv(panel: ExportingPanel, tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    assert not panel.export_button.isEnabled()           # nothing to export yet
    panel.set_rows([entry(NOW - 60, user="王伟", reason="指挥权被占用, \"console 2\""), entry(NOW - 30, user="li")])
    panel.export_path = str(tmp_path / "audit.csv")
    with qtbot.waitSignal(panel.exported) as done:
        panel.export_button.click()
    assert done.args == [panel.export_path]
    raw = Path(panel.export_path).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")               # Excel reads it as UTF-8
    with open(panel.export_path, encoding="utf-8-sig", newline="") as f:
        lines = list(csv.reader(f))
    assert lines[0][:3] == ["Time", "User", "Role"] and len(lines) == 3
    assert [line[1] for line in lines[1:]] == ["li", "王伟"]   # the order shown
    assert lines[2][-1] == "指挥权被占用, \"console 2\""
    assert lines[2][6:10] == ["7", "D07", "", "T-1"]
    assert "2 row(s) exported" in panel.status_label.text()
    panel.export_path = None                             # cancelled: nothing written, nothing said
    assert panel.export_csv() is None
    assert panel.export_csv(str(tmp_path / "missing-dir" / "x.csv")) is None
    assert "Export failed" in panel.status_label.text()


def test_show_history_asks_for_one_alerts_or_tasks_own_history(panel: ExportingPanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel.user_edit.setText("wang")
    panel.sysid_edit.setText("7")
    panel.kind_box.setCurrentIndex(2)
    f = asked(panel, qtbot, lambda: panel.show_history(alert_id="ALR-1"))
    assert f == {"user": None, "sysid": None, "alert_id": "ALR-1", "task_id": None, "kind": None,
                 "since": None, "until": None}
    assert panel.alert_edit.text() == "ALR-1"
    f = asked(panel, qtbot, lambda: panel.show_history(task_id="T-1"))
    assert (f["alert_id"], f["task_id"]) == (None, "T-1")


def test_busy_and_errors(panel: ExportingPanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel.set_rows([entry(NOW)])
    panel.set_busy(True)
    assert not panel.search_button.isEnabled() and panel.status_label.text() == "Searching…"
    with qtbot.assertNotEmitted(panel.query_requested):
        panel.search()
    panel.show_error("Not allowed: needs the supervisor role")
    assert panel.search_button.isEnabled() and panel.status_label.text() == "Not allowed: needs the supervisor role"
    assert panel.table.rowCount() == 1                   # what was shown stays
