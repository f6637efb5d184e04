"""The shared vocabulary in the operator's language: the one place reasons and state names are translated.

Every reason (`vocab.Reason`) and every state's name is a catalogue entry whose English template
Qt Linguist translates in the context "Reason" (`resources/i18n/console_zh_CN.ts`). The core
keeps reasons as codes; the screen turns them into words here, in whatever language the
application has installed now, so switching language re-renders everything from the same codes.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLocale

from vocab import Reason, render

CONTEXT = "Reason"


def _translate(template: str) -> str:
    return QCoreApplication.translate(CONTEXT, template)


def reason_text(reason: Reason | None) -> str:
    """A reason in the current language ("" for None)."""
    if reason is None:
        return ""
    return render(reason, _translate, language=QLocale().name())


def term_text(member: object) -> str:
    """The name of a vocabulary state (TaskState, AlertState, DockStatus, ...) in the current language."""
    term = getattr(member, "term", None)
    return reason_text(term) if isinstance(term, Reason) else str(member)


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 - the name lupdate looks for
    return text


#: The autopilot's flight modes (MAVSDK's FlightMode names) as the operator reads them.
FLIGHT_MODES: dict[str, str] = {
    "UNKNOWN": QT_TRANSLATE_NOOP("FlightMode", "unknown"),
    "READY": QT_TRANSLATE_NOOP("FlightMode", "Ready"),
    "TAKEOFF": QT_TRANSLATE_NOOP("FlightMode", "Takeoff"),
    "HOLD": QT_TRANSLATE_NOOP("FlightMode", "Hold"),
    "MISSION": QT_TRANSLATE_NOOP("FlightMode", "Mission"),
    "RETURN_TO_LAUNCH": QT_TRANSLATE_NOOP("FlightMode", "Return"),
    "LAND": QT_TRANSLATE_NOOP("FlightMode", "Land"),
    "OFFBOARD": QT_TRANSLATE_NOOP("FlightMode", "Offboard"),
    "FOLLOW_ME": QT_TRANSLATE_NOOP("FlightMode", "Follow me"),
    "MANUAL": QT_TRANSLATE_NOOP("FlightMode", "Manual"),
    "ALTCTL": QT_TRANSLATE_NOOP("FlightMode", "Altitude"),
    "POSCTL": QT_TRANSLATE_NOOP("FlightMode", "Position"),
    "ACRO": QT_TRANSLATE_NOOP("FlightMode", "Acro"),
    "STABILIZED": QT_TRANSLATE_NOOP("FlightMode", "Stabilized"),
    "RATTITUDE": QT_TRANSLATE_NOOP("FlightMode", "Rattitude"),
}


def flight_mode_text(mode: str | None) -> str:
    """A flight mode in the current language; "--" when not reported, a mode this list lacks as sent."""
    if not mode:
        return "--"
    template = FLIGHT_MODES.get(mode)
    return QCoreApplication.translate("FlightMode", template) if template else mode
