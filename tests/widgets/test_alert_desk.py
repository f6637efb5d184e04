"""The alert desk built from plain values: order, filters, search, actions per state, batches
without resets, quarantine, SLA strip, the level-1 flash and the per-level mute."""

from __future__ import annotations

from typing import Any

import pytest

from widgets.alert_desk import AlertDesk
from widgets.alert_table import ALERT_ID_ROLE, Column
from vocab.sla import SlaFigure, SlaSummary
from widgets.alert_views import AlertAction, AlertRow, QuarantineRow
from widgets.icons import category_icon
from widgets.situation import Selection, SelectionKind, SelectionModel

NOW = 1_790_000_000.0


def row(alert_id: str, level: int = 3, ts: float = NOW - 60, state: str = "new", **kw: Any) -> AlertRow:
    values: dict[str, Any] = dict(
        alert_id=alert_id, level=level, level_name=f"L{level}", category="waterlogging", category_name="Waterlogging",
        title=f"title {alert_id}", district="shinan", district_name="Shinan", ts=ts, received_ts=ts, state=state,
        state_name=state)
    values.update(kw)
    return AlertRow(**values)


class AnsweringDesk(AlertDesk):
    """A desk whose questions are answered by the test."""

    answers: dict[str, str | None] = {}

    def ask_dismiss_reason(self, row: AlertRow) -> str | None:
        return self.answers.get("dismiss")

    def ask_note(self, row: AlertRow) -> str | None:
        return self.answers.get("note")

    def ask_assignee(self, row: AlertRow) -> str | None:
        return self.answers.get("assign")


@pytest.fixture
def desk(qtbot, tmp_path) -> AnsweringDesk:  # type: ignore[no-untyped-def]
    d = AnsweringDesk(SelectionModel(), clock=lambda: NOW)
    d.sound.directory = tmp_path
    qtbot.addWidget(d)
    d.resize(1000, 500)
    d.show()
    return d


def shown(desk: AlertDesk) -> list[str]:
    """The queue's order, checked against what the table really holds."""
    ids = desk.model.shown_ids()
    qt = desk.table.model()
    assert [qt.index(i, 0).data(ALERT_ID_ROLE) for i in range(qt.rowCount())] == ids
    return ids


def test_queue_is_sorted_by_level_then_newest_first_and_updates_in_place(desk: AnsweringDesk) -> None:
    desk.update_rows([row("a", 3, NOW - 100), row("b", 1, NOW - 500), row("c", 3, NOW - 10), row("d", 2, NOW - 5)],
                     announce=False)
    assert shown(desk) == ["b", "d", "c", "a"]
    desk.update_rows([row("e", 1, NOW - 1), row("f", 4, NOW - 2), row("g", 3, NOW - 50)], announce=False)
    assert shown(desk) == ["e", "b", "d", "c", "g", "a", "f"]
    # A state change is an in-place update; never a reset of the model.
    desk.update_rows([row("c", 3, NOW - 10, state="acknowledged", state_name="Acknowledged")], announce=False)
    assert shown(desk) == ["e", "b", "d", "c", "g", "a", "f"]
    assert desk.model.rebuilds == 0
    r = desk.model.row_of("c")
    assert r is not None and desk.model.cell(r, Column.STATE) == "Acknowledged"
    assert desk.model.cell(r, Column.AGE) == "0:10"
    assert desk.model.cell(r, Column.LEVEL) == "L3" and desk.model.cell(r, Column.CATEGORY) == "Waterlogging"
    # The category's pictogram is drawn next to its name (widgets/icons.py), not a symbol a font may lack.
    icon = desk.model.qt.item(r, Column.CATEGORY).icon()
    assert not icon.isNull() and icon.cacheKey() == category_icon("waterlogging").cacheKey()


def test_big_batches_land_sorted(desk: AnsweringDesk) -> None:
    import random

    rnd = random.Random(4)
    rows = [row(f"A{i:05d}", rnd.randint(1, 4), NOW - rnd.random() * 3600) for i in range(3000)]
    for chunk in range(0, len(rows), 700):
        desk.update_rows(rows[chunk:chunk + 700], announce=False)
    expected = [r.alert_id for r in sorted(rows, key=lambda r: (r.level, -r.ts, r.alert_id))]
    assert shown(desk) == expected and desk.model.rebuilds == 0


def test_filters_and_search(desk: AnsweringDesk, qtbot) -> None:  # type: ignore[no-untyped-def]
    desk.update_rows([
        row("a", 1, title="积水 香港中路"), row("b", 2, category="gas_leak", category_name="Gas leak"),
        row("c", 3, district="laoshan", district_name="Laoshan", ts=NOW - 7200, received_ts=NOW - 7200),
        row("d", 4, state="resolved", state_name="Resolved", assigned_to="wang")], announce=False)
    assert shown(desk) == ["a", "b", "c"]           # default: open alerts only
    desk.state_box.setCurrentIndex(desk.state_box.findData("all"))
    assert shown(desk) == ["a", "b", "c", "d"]
    desk.level_box.setCurrentIndex(2)               # levels 1-2
    assert shown(desk) == ["a", "b"]
    desk.level_box.setCurrentIndex(0)
    desk.category_box.setCurrentIndex(desk.category_box.findData("gas_leak"))
    assert shown(desk) == ["b"]
    desk.category_box.setCurrentIndex(0)
    desk.district_box.setCurrentIndex(desk.district_box.findData("laoshan"))
    assert shown(desk) == ["c"]
    desk.district_box.setCurrentIndex(0)
    desk.time_box.setCurrentIndex(1)                # last hour
    assert shown(desk) == ["a", "b", "d"]
    desk.time_box.setCurrentIndex(0)
    desk.state_box.setCurrentIndex(desk.state_box.findData("resolved"))
    assert shown(desk) == ["d"]
    desk.state_box.setCurrentIndex(desk.state_box.findData("all"))
    desk.search.setText("香港")
    qtbot.waitUntil(lambda: shown(desk) == ["a"])
    desk.search.setText("WANG")                     # operator, case-insensitive
    qtbot.waitUntil(lambda: shown(desk) == ["d"])
    # A row arriving under an active filter is filtered too.
    desk.update_rows([row("e", 1, assigned_to="Wang Wei")], announce=False)
    assert shown(desk) == ["e", "d"]


def test_actions_follow_the_state_and_the_selection(desk: AnsweringDesk, qtbot) -> None:  # type: ignore[no-untyped-def]
    desk.update_rows([row("a"), row("b", incident_id="INC-1"), row("c", incident_id="INC-1")], announce=False)
    assert not any(b.isEnabled() for b in desk.buttons.values())   # nothing selected
    desk.table.selectRow(desk.model.row_of("a"))
    assert desk.selection.current == Selection(SelectionKind.ALERT, "a")
    enabled = {a for a, b in desk.buttons.items() if b.isEnabled()}
    assert enabled == {AlertAction.ACKNOWLEDGE, AlertAction.DISPATCH, AlertAction.ASSIGN, AlertAction.NOTE,
                       AlertAction.DISMISS, AlertAction.RESOLVE}
    with qtbot.waitSignal(desk.action_requested) as ack:
        qtbot.keyClick(desk.table, "A")                           # the panel-local shortcut
    assert ack.args == [AlertAction.ACKNOWLEDGE, "a", {}]

    desk.update_rows([row("a", state="dispatched", task_id="T-1")], announce=False)
    enabled = {a for a, b in desk.buttons.items() if b.isEnabled()}
    assert AlertAction.ACKNOWLEDGE not in enabled and AlertAction.DISPATCH not in enabled
    assert AlertAction.RESOLVE in enabled
    desk.update_rows([row("a", state="dismissed", reason="False alarm")], announce=False)
    enabled = {a for a, b in desk.buttons.items() if b.isEnabled()}
    assert enabled == {AlertAction.REOPEN, AlertAction.ASSIGN, AlertAction.NOTE}
    # Split only for an alert that shares its incident.
    desk.selection.select(Selection(SelectionKind.ALERT, "b"))
    assert desk.table.currentIndex().row() == desk.model.row_of("b")
    assert desk.buttons[AlertAction.SPLIT].isEnabled()

    # Dismiss asks why; cancelled, nothing is requested.
    desk.answers = {"dismiss": None}
    with qtbot.assertNotEmitted(desk.action_requested):
        desk.buttons[AlertAction.DISMISS].click()
    desk.answers = {"dismiss": "Duplicate", "note": "checked by phone", "assign": ""}
    with qtbot.waitSignal(desk.action_requested) as dismissed:
        desk.buttons[AlertAction.DISMISS].click()
    assert dismissed.args == [AlertAction.DISMISS, "b", {"reason": "Duplicate"}]
    with qtbot.waitSignal(desk.action_requested) as note:
        desk.buttons[AlertAction.NOTE].click()
    assert note.args[2] == {"text": "checked by phone"}
    with qtbot.waitSignal(desk.action_requested) as assign:
        desk.buttons[AlertAction.ASSIGN].click()
    assert assign.args[2] == {"operator": None}   # empty: unassigned

    desk.show_result(False, "alert b is dismissed; it cannot become acknowledged")
    assert "cannot" in desk.result_text()


def test_quarantine_dialog_shows_reason_and_raw_payload(desk: AnsweringDesk) -> None:
    q = [QuarantineRow(1, "qdcb/alerts/v1/shinan/x", "not valid JSON (line 1 column 2)", b"{oops", 5, NOW - 9),
         QuarantineRow(2, "qdcb/alerts/v1/shinan/x", "latitude 120.3 is outside -90..90", b'{"lat": 120.3}', 14,
                       NOW - 3, "ALR-9")]
    desk.set_quarantine(q)
    assert "(2)" in desk.quarantine_button.text()
    desk.quarantine_button.click()
    dialog = desk.quarantine_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.table.rowCount() == 2
    assert dialog.table.item(0, 2).text() == "latitude 120.3 is outside -90..90"   # newest first
    assert '{"lat": 120.3}' in dialog.raw_text() and "outside -90..90" in dialog.raw_text()
    dialog.table.setCurrentCell(1, 0)
    assert "{oops" in dialog.raw_text() and "not valid JSON" in dialog.raw_text()
    # An open dialog follows the quarantine as it grows.
    desk.set_quarantine([*q, QuarantineRow(3, "t", "oversized", b"x" * 10, 70_000, NOW)])
    assert dialog.table.rowCount() == 3 and "(3)" in desk.quarantine_button.text()
    assert "{oops" in dialog.raw_text()              # the operator's row stays selected
    dialog.table.setCurrentCell(0, 0)
    assert "first 10 of 70000 bytes" in dialog.raw_text()


def test_level_one_arrival_flashes_and_sounds_unless_muted(desk: AnsweringDesk) -> None:
    desk.update_rows([row("old1", 1)], announce=False)           # the journal's alerts at start-up: silent
    assert desk.flash.flashes == 0 and desk.sound.played == []
    desk.update_rows([row("x", 3)])
    assert desk.flash.flashes == 0                               # level 3: no alarm
    desk.update_rows([row("a", 2), row("b", 1), row("c", 1)])    # one batch: one alarm, at its worst level
    assert desk.flash.flashes == 1 and desk.flash.running and desk.flash.level == 1
    assert desk.sound.played == [1]
    desk.update_rows([row("b", 1, state="acknowledged")])        # an update is no arrival
    assert desk.sound.played == [1]
    desk.mute_buttons[1].click()
    assert desk.sound.muted[1] and "×" in desk.mute_buttons[1].text()
    desk.update_rows([row("d", 1)])
    assert desk.sound.played == [1]                              # muted: no sound ...
    desk.update_rows([row("e", 2)])
    assert desk.sound.played == [1, 2]                           # ... for level 1 only
    assert desk.flash.isVisible()                                # the flash shows whatever the sound does


def test_sla_strip(desk: AnsweringDesk) -> None:
    desk.set_sla(SlaSummary(NOW - 3600, 12, SlaFigure(10, 45.0, 130.0), SlaFigure(3, 200.0, 400.0),
                         SlaFigure(0, None, None)))
    text = desk.sla_label.text()
    assert "12" in text and "0:45" in text and "2:10" in text and "--" in text


def test_selection_from_elsewhere_highlights_the_row(desk: AnsweringDesk) -> None:
    desk.update_rows([row("a"), row("b", 1)], announce=False)
    desk.selection.select(Selection(SelectionKind.ALERT, "a"))
    assert desk.table.currentIndex().row() == desk.model.row_of("a") == 1
    desk.update_rows([row("z", 1, NOW)], announce=False)        # inserted above: the highlight follows
    assert desk.table.currentIndex().row() == desk.model.row_of("a") == 2
    desk.selection.select(Selection(SelectionKind.DRONE, "3"))
    assert not desk.table.currentIndex().isValid()
    assert not desk.buttons[AlertAction.ACKNOWLEDGE].isEnabled()
