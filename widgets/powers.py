"""Role gating for the widgets: which role a power needs, and the words that say why a button is off.

The console's role table lives in `console/core/roles.py`, which widgets may not import
(docs/architecture.md, "Layers"). The console hands each panel the signed-in person's powers as plain
strings ("ask", "alerts", "drones", "supervise", "audit", "accounts") and the role's name in the
operator's language (`set_powers`); a panel disables what the role cannot do and says which role it
needs. `LOWEST_ROLE` repeats the lowest role of each power for that sentence only;
tests/widgets/test_powers.py checks it against the role table, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QCoreApplication

from widgets.texts import QT_TRANSLATE_NOOP

ASK = "ask"
ALERTS = "alerts"
DRONES = "drones"
SUPERVISE = "supervise"
AUDIT = "audit"
ACCOUNTS = "accounts"
#: Every power; a panel whose `set_powers` was never called behaves as if it had all of them.
ALL_POWERS: frozenset[str] = frozenset({ASK, ALERTS, DRONES, SUPERVISE, AUDIT, ACCOUNTS})

#: The lowest role that has each power (as in console/core/roles.py, checked by a test).
LOWEST_ROLE: dict[str, str] = {ASK: "viewer", ALERTS: "operator", DRONES: "dispatcher", SUPERVISE: "supervisor",
                               AUDIT: "supervisor", ACCOUNTS: "admin"}

#: Role names as the operator reads them (context "Role"); the console may use `role_name` for its own texts.
ROLE_NAMES: dict[str, str] = {
    "viewer": QT_TRANSLATE_NOOP("Role", "viewer"),
    "operator": QT_TRANSLATE_NOOP("Role", "operator"),
    "dispatcher": QT_TRANSLATE_NOOP("Role", "dispatcher"),
    "supervisor": QT_TRANSLATE_NOOP("Role", "supervisor"),
    "admin": QT_TRANSLATE_NOOP("Role", "admin"),
}


def role_name(role: str) -> str:
    """A role's name in the current language; a role this list lacks as given."""
    template = ROLE_NAMES.get(role)
    return QCoreApplication.translate("Role", template) if template else role


def needs_text(power: str, role_text: str) -> str:
    """Why a button is off for lack of `power`: "Needs the dispatcher role (you are: viewer)"."""
    return (QCoreApplication.translate("Powers", "Needs the %1 role (you are: %2)")
            .replace("%1", role_name(LOWEST_ROLE.get(power, power))).replace("%2", role_text or "?"))


class PowerGate:
    """The powers a panel was given, and the reason a power is missing ("" when it is not).

    A panel keeps one and asks it next to its other reasons (no server, no authority, the alert's state):
    the role is one more reason a button is off, and no other state update can turn it back on.
    """

    def __init__(self) -> None:
        self.powers: frozenset[str] | None = None   # None: never set, everything allowed (as before roles)
        self.role_text = ""

    def set(self, powers: Iterable[str], role_text: str) -> None:
        self.powers = frozenset(str(p) for p in powers)
        self.role_text = role_text

    def has(self, power: str) -> bool:
        return self.powers is None or power in self.powers

    def missing(self, power: str) -> str:
        """The role reason for `power` in the current language, "" when the power is there."""
        return "" if self.has(power) else needs_text(power, self.role_text)
