"""UI language: Chinese first, English available, switchable while running.

Source strings in the code are English; `resources/i18n/console_zh_CN.qm` translates them.
English needs no translator. Switching installs or removes the translator, and Qt sends
every widget a LanguageChange event so it re-reads its texts.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from console.resources import resource_path

log = logging.getLogger(__name__)

LANGUAGES: tuple[str, ...] = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"


def qm_path(lang: str) -> Path:
    return resource_path("i18n", f"console_{lang}.qm")


class LanguageSwitch:
    """Holds the installed translators; `set_language()` changes the whole UI at once."""

    def __init__(self, app: QCoreApplication) -> None:
        self._app = app
        # Installed translators are application-wide state: keep them on the app, so that any
        # switch (there is normally one) removes what another installed.
        if not hasattr(app, "_qd_translators"):
            app._qd_translators = []  # type: ignore[attr-defined]
        self._translators: list[QTranslator] = app._qd_translators  # type: ignore[attr-defined]
        self.language = "en"

    def set_language(self, lang: str) -> bool:
        """Switches to `lang`; returns False (and stays English) when its translation is missing."""
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}")
        for t in self._translators:
            self._app.removeTranslator(t)
        self._translators.clear()
        self.language = "en"
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
        if lang == "en":
            return True
        ok = True
        qt_dir = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
        # Qt's own strings (dialog buttons, context menus) come from Qt's bundled qtbase file.
        for path in (qm_path(lang), qt_dir / f"qtbase_{lang}.qm"):
            if not path.exists():
                if path.name.startswith("console_"):
                    log.error("translation file missing: %s; UI stays in English", path)
                    ok = False
                continue
            tr = QTranslator()
            if tr.load(str(path)):
                self._app.installTranslator(tr)
                self._translators.append(tr)
            else:
                log.error("cannot load translation %s", path)
                ok = not path.name.startswith("console_") and ok
        if ok:
            self.language = lang
            QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
        return ok
