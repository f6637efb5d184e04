"""The roles table and the server's check of who asks (console/core/roles.py, console/server/authorize.py)."""

from __future__ import annotations

import time

import pytest

from console.core.alert_events import WorkflowRefused
from console.core.roles import LOWEST_ROLE, OP_POWER, Power, Role, may, power_of, powers
from console.core.server_contract import (COMMAND_OPS, QUERY_OPS, Request, request_topic, request_topic_parts,
                                          topic)
from console.server.authorize import Authorizer

BOOK = {"vera": ("viewer", True), "otto": ("operator", True), "dina": ("dispatcher", True),
        "sue": ("supervisor", True), "gone": ("dispatcher", False), "odd": ("pilot", True)}


def request(op: str, user: str) -> Request:
    return Request("r1", "c1", user, op, {}, {}, time.time())


def test_every_server_operation_needs_a_power_and_nothing_else_has_one() -> None:
    assert set(OP_POWER) == COMMAND_OPS | QUERY_OPS
    assert power_of("drone.fly_to_the_moon") is None


def test_each_role_has_the_powers_of_the_one_below_and_one_more_step() -> None:
    ladder = [powers(r) for r in Role]
    assert all(lower < higher for lower, higher in zip(ladder, ladder[1:]))
    assert powers(Role.VIEWER) == {Power.ASK}
    assert Power.DRONES not in powers(Role.OPERATOR) and Power.ALERTS in powers(Role.OPERATOR)
    assert Power.SUPERVISE not in powers(Role.DISPATCHER) and Power.DRONES in powers(Role.DISPATCHER)
    assert Power.ACCOUNTS in powers(Role.ADMIN) and Power.ACCOUNTS not in powers(Role.SUPERVISOR)
    assert not may(None, Power.ASK)
    assert all(may(LOWEST_ROLE[p], p) for p in Power)


def test_request_topics_carry_power_user_and_console() -> None:
    name = request_topic("qdcb", "drones", "dina", "c1")
    assert name == "qdcb/server/v1/requests/drones/dina/c1"
    assert request_topic_parts("qdcb", name) == ("drones", "dina", "c1")
    assert request_topic_parts("qdcb", topic("qdcb", "requests", "c1")) is None   # the old layout
    assert request_topic_parts("qdcb", "qdcb/server/v1/replies/c1") is None


@pytest.mark.parametrize(("op", "user", "refusal"), [
    ("alert.dispatch", "dina", None),
    ("alert.dispatch", "vera", "request.role"),
    ("alert.acknowledge", "vera", "request.role"),
    ("alert.acknowledge", "otto", None),
    ("authority.take", "otto", "request.role"),
    ("authority.force", "dina", "request.role"),
    ("authority.force", "sue", None),
    ("drone.reactivate", "dina", "request.role"),
    ("audit.query", "dina", "request.role"),
    ("audit.query", "sue", None),
    ("server.health", "vera", None),
    ("alert.dispatch", "gone", "request.account_disabled"),
    ("alert.dispatch", "nobody", "request.unknown_user"),
    ("server.health", "odd", "request.role"),        # a role the site does not know has no power at all
])
def test_the_server_checks_the_role_of_the_account_that_sent_it(op: str, user: str, refusal: str | None) -> None:
    auth = Authorizer(BOOK.get)
    power = OP_POWER[op].value
    if refusal is None:
        assert auth.check(request(op, user), power=power, user=user).user == user
    else:
        with pytest.raises(WorkflowRefused) as err:
            auth.check(request(op, user), power=power, user=user)
        assert err.value.reason.code == refusal


def test_a_request_claiming_another_user_or_on_another_kind_of_topic_is_refused() -> None:
    auth = Authorizer(BOOK.get)
    with pytest.raises(WorkflowRefused) as err:
        auth.check(request("alert.dispatch", "dina"), power="drones", user="vera")
    assert err.value.reason.code == "request.user_mismatch"
    with pytest.raises(WorkflowRefused) as err:     # a dispatch smuggled in on the questions' topic
        auth.check(request("alert.dispatch", "vera"), power="ask", user="vera")
    assert err.value.reason.code == "request.wrong_class"


def test_an_open_site_trusts_the_claimed_user_as_a_supervisor() -> None:
    auth = Authorizer(None)
    assert auth.open_site
    assert auth.check(request("authority.force", "anyone"), power="supervise", user="anyone").role is Role.SUPERVISOR
    with pytest.raises(WorkflowRefused) as err:     # still one name per request
        auth.check(request("alert.dispatch", "x"), power="drones", user="y")
    assert err.value.reason.code == "request.user_mismatch"
