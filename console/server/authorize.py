"""Who is asking, and may they (docs/architecture.md, "Security: roles"): the site server's check of every request.

The broker has already authenticated the account and, by its ACL, let it publish only on request topics of the
powers its role has and under its own name (`requests/{power}/{user}/{console}`). The server does not take that
on trust: for every request it checks again that the user the request claims is the account in its topic, that
the operation belongs to the topic's power, and that the account, as the site's account book says now, exists,
is enabled and has a role with that power. A refusal names the reason; nothing refused here is carried out.

A site without an account book (a plain `mqtt://` broker: the tests' brokers, an old site file) is an *open
site*: every request is taken as its claimed user with the supervisor role, and the server says so at start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from console.core.alert_events import WorkflowRefused
from console.core.roles import LOWEST_ROLE, Role, may, power_of, role_of
from console.core.server_contract import Request
from vocab import Reason

#: An account's (role name, enabled) from the site's account book, or None when there is no such account.
AccountLookup = Callable[[str], "tuple[str, bool] | None"]
#: The role every request has on an open site.
OPEN_SITE_ROLE = Role.SUPERVISOR


def book_lookup(accounts_dir: Path) -> AccountLookup:
    """The lookup of the account book `main.py admin` keeps in `accounts_dir` (read again when it changes)."""
    from console.security.accounts import AccountReader

    reader = AccountReader(accounts_dir)

    def lookup(user: str) -> tuple[str, bool] | None:
        found = reader.standing(user)
        return None if found is None else (found.role.value, found.enabled)

    return lookup


@dataclass(frozen=True, slots=True)
class Caller:
    """The person a request is carried out for."""

    user: str
    role: Role


class Authorizer:
    """Checks requests against the account book (`lookup`), or trusts them on an open site (`lookup` None)."""

    def __init__(self, lookup: AccountLookup | None) -> None:
        self._lookup = lookup

    @property
    def open_site(self) -> bool:
        return self._lookup is None

    def account(self, user: str) -> tuple[Role | None, bool] | None:
        """The account's role and whether it is enabled, as the book says now; None for no such account."""
        if self._lookup is None:
            return OPEN_SITE_ROLE, True
        found = self._lookup(user)
        return None if found is None else (role_of(found[0]), found[1])

    def check(self, request: Request, *, power: str, user: str) -> Caller:
        """The caller of `request` that came on the topic of `power` and `user`; WorkflowRefused with the reason
        when it may not be carried out."""
        if request.operator != user:
            raise WorkflowRefused(Reason.of("request.user_mismatch", claimed=request.operator, user=user))
        needed = power_of(request.op)
        if needed is None:
            raise WorkflowRefused(Reason.of("request.unknown_op", op=request.op))
        if needed.value != power:
            raise WorkflowRefused(Reason.of("request.wrong_class", op=request.op))
        found = self.account(user)
        if found is None:
            raise WorkflowRefused(Reason.of("request.unknown_user", user=user))
        role, enabled = found
        if not enabled:
            raise WorkflowRefused(Reason.of("request.account_disabled", user=user))
        if not may(role, needed):
            raise WorkflowRefused(Reason.of("request.role", op=request.op, user=user, needs=LOWEST_ROLE[needed].value,
                                            role=role.value if role else "-"))
        assert role is not None   # may() is False for no role
        return Caller(user, role)

