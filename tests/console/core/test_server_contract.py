"""What crosses between the site server and its consoles: the core's values through the wire codec, fleet frames,
and refusals that come back as the exceptions the core raised (docs/architecture.md, "Site server")."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from console.core.alert_events import WorkflowRefused
from console.core.alert_store import AlertRecord, Note
from console.core.five_automatics import FiveAutomatics
from console.core.server_contract import (FRAME_DTYPE, Request, decode_frame, encode_frame, ok_reply, refusal_error,
                                          refusal_reply, swap_ages)
from console.core.task_service import TaskView
from console.core.wire import from_wire, to_wire
from drones.authority import AuthorityHeld
from drones.dock_events import AuthorityHolder
from drones.model import CommandRefused, CoverState, DispatchRefused, DockState
from tests.console.core.test_five_automatics import alert, ready_states
from tests.console.core.test_five_automatics import automatics as automatics  # noqa: F401 - the fixture
from vocab import AlertState, Reason, TaskState


def through_json(value: object) -> object:
    """What the other side reads: the wire value as JSON text and back."""
    return json.loads(json.dumps(to_wire(value), ensure_ascii=False))


def test_the_five_automatics_of_an_alert_cross_unchanged(automatics) -> None:  # type: ignore[no-untyped-def]
    drones, docks = ready_states()
    five = automatics.for_alert(alert(), drone_states=drones, dock_states=docks)
    assert five.proposal.plan is not None and five.docks and five.resources.cameras   # a full result, not a stub
    back = from_wire(FiveAutomatics, through_json(five))
    assert back == five
    assert back.proposal.plan.flight.items == five.proposal.plan.flight.items   # the mission, item by item


def test_an_alert_record_with_its_notes_and_reason_crosses_unchanged() -> None:
    record = AlertRecord(alert(), 1_796_000_000.25, AlertState.DISMISSED, 1_796_000_100.5, "op1", "site-server.qdcb",
                         reason=Reason.said("duplicate of A0"), notes=(Note(1_796_000_050.0, "op2", "smoke seen"),))
    assert from_wire(AlertRecord, through_json(record)) == record


def test_values_that_do_not_fit_are_refused_with_the_field() -> None:
    data = through_json(DockState("D1", "SN1", online=True, cover=CoverState.OPEN))
    data["cover"] = "half-open"  # type: ignore[index]
    with pytest.raises(ValueError, match="half-open"):
        from_wire(DockState, data)
    with pytest.raises(ValueError):
        from_wire(DockState, ["not", "an", "object"])


def test_clock_readings_cross_as_ages() -> None:
    view = TaskView("T1", 3, "D1", None, TaskState.EN_ROUTE, ((36.0, 120.0),), 90.0, None, since=1000.0)
    sent = swap_ages(through_json(view), now=1012.5)          # the server's monotonic clock reads 1012.5
    assert sent["since"] == 12.5                                # type: ignore[index]
    received = from_wire(TaskView, swap_ages(sent, now=50.0))  # the console's reads 50.0
    assert received.since == 37.5 and received.state is TaskState.EN_ROUTE


def test_a_frame_carries_every_drone_and_refuses_a_broken_one() -> None:
    numbers = np.zeros(3, dtype=FRAME_DTYPE)
    numbers["lat"] = [36.1234567, 36.2, 36.3]
    numbers["lon"] = [120.7654321, 120.2, 120.3]
    numbers["battery_pct"] = [99.5, np.nan, 20.0]
    data = encode_frame({"seq": 7, "sysids": [1, 2, 3]}, numbers)
    header, back = decode_frame(data)
    assert header == {"seq": 7, "sysids": [1, 2, 3]}
    assert back["lat"][0] == 36.1234567 and back["lon"][0] == 120.7654321   # no float32 rounding of positions
    assert np.isnan(back["battery_pct"][1]) and back["battery_pct"][2] == 20.0
    for broken in (b"", b"QDF1", data[:-3], b"XXXX" + data[4:], data.replace(b'"sysids":[1,2,3]', b'"sysids":[1,2]')):
        with pytest.raises(ValueError):
            decode_frame(broken)


@pytest.mark.parametrize("exc", [
    AuthorityHeld(Reason.of("authority.held", dock="D1", operator="op2", console="ws-2"), command="take_authority",
                  holder=AuthorityHolder("D1", "ws-2", "op2", 1_796_000_000.0), holder_offline=True),
    CommandRefused(Reason.of("command.locked"), command="hold"),
    DispatchRefused(Reason.of("preflight.wind_over", wind_m_s=13.2, limit_m_s=12), check="wind"),
    WorkflowRefused(Reason.of("alert.not_closed", alert_id="A1")),
])
def test_a_refusal_comes_back_as_the_exception_the_core_raised(exc: Exception) -> None:
    back = refusal_error(json.loads(json.dumps(refusal_reply("r1", exc))))
    assert type(back) is type(exc)
    assert back.reason == exc.reason  # type: ignore[attr-defined]
    if isinstance(exc, AuthorityHeld):
        assert back.holder == exc.holder and back.holder_offline is True  # type: ignore[attr-defined]
    if isinstance(exc, DispatchRefused):
        assert back.check == "wind"  # type: ignore[attr-defined]


def test_an_unexpected_failure_is_refused_with_its_words_and_a_reply_is_ok_with_its_result() -> None:
    reply = refusal_reply("r2", RuntimeError("journal disk full"))
    assert reply["refusal"] == "error" and "journal disk full" in Reason.from_json(reply["reason"]).en
    assert isinstance(refusal_error(reply), WorkflowRefused)
    assert ok_reply("r3", {"task_id": "T1"})["result"] == {"task_id": "T1"}


def test_a_request_names_what_is_missing() -> None:
    body = Request("r1", "ws-1", "op1", "drone.hold", {"sysid": 3}, {}, time.time()).to_json()
    assert Request.from_json(body).args == {"sysid": 3}
    del body["operator"]
    with pytest.raises(ValueError, match="operator"):
        Request.from_json(body)
