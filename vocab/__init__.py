"""The words the site core and the client share: states, transitions, reason codes, SLA figures.

Plain Python (standard library only), so that `drones/`, the Qt-free core in `console/` and the
Qt widgets can all import it: one copy of each fact, no mirrors (docs/architecture.md, "Layers").
Texts are English source templates; the client translates them in one place (Qt Linguist,
context "Reason"), so the domain never carries hard-coded bilingual pairs.
"""

from vocab.reason import Reason, render
from vocab.states import (ALERT_TRANSITIONS, CLOSED_ALERT_STATES, AlertState, DockStatus, ExclusionKind, LinkState,
                          TaskState)

__all__ = ["ALERT_TRANSITIONS", "CLOSED_ALERT_STATES", "AlertState", "DockStatus", "ExclusionKind", "LinkState",
           "Reason", "TaskState", "render"]
