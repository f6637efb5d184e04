"""What quitting this console leaves behind, said before the operator quits (GUI thread).

The words follow what the product really does when the console stops (docs/architecture.md,
"Flight tasks", "Command authority", "No alert is lost"): the core stops watching its tasks but
the drones fly their uploaded missions and come home on their own; this console keeps the docks'
authority (its presence goes offline, so another console may take over after confirming); the
task journal keeps the open tasks, which a restarted console follows on, ending as aborted those
that had not taken off; alerts published meanwhile wait in the broker for this console.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from PySide6.QtCore import QCoreApplication

from console.core.task_service import TaskView
from vocab import TaskState
from widgets.texts import term_text

# A drone in one of these task states is off the ground (or leaving it).
IN_THE_AIR = frozenset({TaskState.LAUNCHING, TaskState.EN_ROUTE, TaskState.ON_SCENE, TaskState.RETURNING,
                        TaskState.LANDING})
# A task in one of these states has not taken off: a restarted console ends it as aborted.
NOT_TAKEN_OFF = frozenset({TaskState.PLANNED, TaskState.PREFLIGHT})
NAMED_AT_MOST = 8   # drones listed by name; the rest are counted


def quit_warning(open_tasks: Iterable[TaskView], dock_names: Mapping[str, str]) -> str | None:
    """The question to ask before quitting, or None when nothing flies and no task is open."""
    tasks = [t for t in open_tasks if t.state.open]
    if not tasks:
        return None
    flying = [t for t in tasks if t.state in IN_THE_AIR]
    waiting = [t for t in tasks if t.state in NOT_TAKEN_OFF]
    # Literal translate() calls, so lupdate finds every sentence.
    translate = QCoreApplication.translate
    lines = [translate("QuitGuard", "This console has %n drone(s) in the air", None, len(flying)) + " · "
             + translate("QuitGuard", "%n open task(s)", None, len(tasks)) + ":"]
    drone = translate("QuitGuard", "Drone %1")
    for t in tasks[:NAMED_AT_MOST]:
        lines.append(f"  • {drone.replace('%1', str(t.sysid))} · {dock_names.get(t.dock_id, t.dock_id)}"
                     f" · {term_text(t.state)}")
    if len(tasks) > NAMED_AT_MOST:
        lines.append("  • " + translate("QuitGuard", "and %n more", None, len(tasks) - NAMED_AT_MOST))
    lines += ["", translate("QuitGuard", "If you quit:")]
    if flying:
        lines.append("• " + translate(
            "QuitGuard", "The drones in the air keep flying their missions and return to their docks on their "
            "own; they need no console to get home."))
        lines.append("• " + translate(
            "QuitGuard", "Nobody can command them from this console until it runs again. It keeps their command "
            "authority; other consoles see it offline and can take over after confirming."))
    if waiting:
        lines.append("• " + translate(
            "QuitGuard", "%n task(s) that have not taken off will not fly: started again, this console ends "
            "them as aborted.", None, len(waiting)))
    lines.append("• " + translate(
        "QuitGuard", "The open tasks stay in this console's journal; started again, it follows them on. Alerts "
        "that arrive meanwhile wait in the broker for it."))
    lines += ["", translate("QuitGuard", "Quit anyway?")]
    return "\n".join(lines)
