"""Who may do what on a site (docs/architecture.md, "Security: roles"): the one table the broker's ACL, the
server's check of every request and the console's buttons are all derived from.

A person signs in with an account of one role. Roles are ranked: each can do everything the one below it can.
What a request needs is a *power*; each power has a lowest role and a topic class of its own, so the broker's
ACL can allow a role to publish only the requests it may make (a viewer's hand-made dispatch request never
reaches the server), and the server checks the same table again for every request.

Service accounts (the site server, the city platforms that publish alerts and dock telemetry) are not people
and have no rank: their topics are listed for the ACL in `SERVICE_ROLES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """A person's role, lowest first."""

    VIEWER = "viewer"            # sees everything, commands nothing
    OPERATOR = "operator"        # the alert workflow: acknowledge, assign, note, resolve, dismiss
    DISPATCHER = "dispatcher"    # operator + dispatch and take over drones
    SUPERVISOR = "supervisor"    # dispatcher + force authority, re-activate after an emergency stop, automation
    ADMIN = "admin"              # supervisor + accounts

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


class Power(StrEnum):
    """What a request needs; the value is also the request's topic class (`requests/{power}/{user}/{console}`)."""

    ASK = "ask"                  # questions (five automatics, server health) and signing in and out
    ALERTS = "alerts"            # the alert workflow
    DRONES = "drones"            # dispatch, drone commands, taking and releasing authority
    SUPERVISE = "supervise"      # forcing authority, re-activating a stopped drone, automation on/off
    AUDIT = "audit"              # reading the audit trail
    ACCOUNTS = "accounts"        # managing accounts (offline, `main.py admin`)


#: The lowest role that has each power.
LOWEST_ROLE: Mapping[Power, Role] = {
    Power.ASK: Role.VIEWER,
    Power.ALERTS: Role.OPERATOR,
    Power.DRONES: Role.DISPATCHER,
    Power.SUPERVISE: Role.SUPERVISOR,
    Power.AUDIT: Role.SUPERVISOR,
    Power.ACCOUNTS: Role.ADMIN,
}

#: The power each server operation needs (every op of the server contract is here; a test checks).
OP_POWER: Mapping[str, Power] = {
    "server.health": Power.ASK,
    "alert.automatics": Power.ASK,
    "session.sign_in": Power.ASK,
    "session.sign_out": Power.ASK,
    **{f"alert.{op}": Power.ALERTS for op in ("acknowledge", "assign", "note", "dismiss", "resolve", "reopen",
                                              "split")},
    "alert.dispatch": Power.DRONES,
    **{f"drone.{op}": Power.DRONES for op in ("hold", "resume", "goto", "altitude", "return", "land", "abort",
                                              "emergency_stop")},
    "authority.take": Power.DRONES,
    "authority.release": Power.DRONES,
    "authority.force": Power.SUPERVISE,
    "drone.reactivate": Power.SUPERVISE,
    "automation.set": Power.SUPERVISE,
    "audit.query": Power.AUDIT,
}

#: Service accounts: the topic filters each may publish (`{root}` is the site's topic root). The site server
#: publishes everything it owns and commands the docks; a platform publishes alerts, the docks' own telemetry
#: and replies (DJI-style topics, outside the root) and integrators' dispatch requests.
SERVICE_ROLES: Mapping[str, tuple[str, ...]] = {
    "server": ("#",),
    "platform": ("{root}/alerts/#", "{root}/console/v1/requests/dispatch", "thing/#", "sys/#"),
}


def power_of(op: str) -> Power | None:
    """The power `op` needs; None for an operation no role may ask for (unknown)."""
    return OP_POWER.get(op)


def may(role: Role | None, power: Power) -> bool:
    """Whether a person of `role` has `power` (nobody signed in has none)."""
    return role is not None and role.at_least(LOWEST_ROLE[power])


def powers(role: Role | None) -> frozenset[Power]:
    """Every power `role` has."""
    return frozenset(p for p in Power if may(role, p))


def role_of(value: Any) -> Role | None:
    """`value` as a role, or None when it is not one."""
    try:
        return Role(str(value))
    except ValueError:
        return None
