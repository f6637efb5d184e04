"""Chinese first: every string in the code is translated, and nothing English shows in zh_CN."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QMenu

from console.client.i18n import LanguageSwitch, qm_path
from console.client.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[3]
# Words that stay as they are in a Chinese UI: protocol names, and the English menu entry itself.
ALLOWED_LATIN = {"MQTT", "MAVLink", "English", "AI", "IoT", "F", "V", "H", "Q", "R", "L", "K", "A"}


def test_every_source_string_has_a_finished_zh_cn_translation(tmp_path: Path) -> None:
    # Runs lupdate over the code exactly as `make translations` does, then checks the result.
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "translations.py"), "--check"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert qm_path("zh_CN").stat().st_size > 0


def visible_texts(window: MainWindow) -> list[str]:
    texts = [window.windowTitle()]
    for w in window.findChildren(QLabel) + window.findChildren(QAbstractButton):
        if w.isVisibleTo(window):
            texts += [w.text(), w.toolTip()]
    for menu in window.findChildren(QMenu):
        texts.append(menu.title())
        texts += [a.text() for a in menu.actions()]
    texts += [d.windowTitle() for d in window.docks.values()]
    return [t for t in texts if t]


def test_no_untranslated_english_is_visible_in_zh_cn(qtbot, tmp_path: Path, qapp: QApplication) -> None:  # type: ignore[no-untyped-def]
    switch = LanguageSwitch(qapp)
    assert switch.set_language("zh_CN")
    w = MainWindow(site_name="测试站点", settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                   language="zh_CN")
    qtbot.addWidget(w)
    w.show()
    offending = []
    for text in visible_texts(w):
        plain = re.sub(r"<[^>]+>", "", text)  # rich-text tags are markup, not words
        words = set(re.findall(r"[A-Za-z]+", plain))
        if words - ALLOWED_LATIN:
            offending.append(text)
    assert offending == []
