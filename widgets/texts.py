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
