"""The command-hall look: Qt Fusion with a dark palette for long night shifts.

Low-luminance blue-grey surfaces, off-white text (not pure white, which glares on a dark
wall), and saturated colours kept for state: green ok, amber warning, red alarm.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

#: State colours shared by every view, so "red" means the same thing everywhere.
STATE_OK = "#3fb950"
STATE_WARN = "#d29922"
STATE_ALARM = "#f85149"
STATE_IDLE = "#8b949e"

#: The console's font, best first: Noto Sans CJK (installed with fonts-noto-cjk by
#: scripts/install_system_deps.sh, the one font every text and symbol on screen must render in);
#: Qt falls back to what exists. tests/widgets/test_glyphs.py checks the first against the texts.
UI_FONT_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", "Sans Serif")

_PALETTE = {
    QPalette.ColorRole.Window: "#161b22",
    QPalette.ColorRole.WindowText: "#d7dde5",
    QPalette.ColorRole.Base: "#0d1117",
    QPalette.ColorRole.AlternateBase: "#1c2330",
    QPalette.ColorRole.ToolTipBase: "#24303f",
    QPalette.ColorRole.ToolTipText: "#e6edf3",
    QPalette.ColorRole.PlaceholderText: "#6e7681",
    QPalette.ColorRole.Text: "#d7dde5",
    QPalette.ColorRole.Button: "#21262d",
    QPalette.ColorRole.ButtonText: "#d7dde5",
    QPalette.ColorRole.BrightText: "#ff7b72",
    QPalette.ColorRole.Highlight: "#1f6feb",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#58a6ff",
}

STYLE_SHEET = """
QMainWindow::separator { background: #30363d; width: 3px; height: 3px; }
QDockWidget { color: #d7dde5; font-weight: bold; }
QDockWidget::title { background: #1c2330; padding: 4px 8px; border-bottom: 1px solid #30363d; }
QStatusBar { background: #0d1117; border-top: 1px solid #30363d; }
QStatusBar QLabel { padding: 0 8px; }
QMenuBar { background: #0d1117; }
QMenuBar::item:selected, QMenu::item:selected { background: #1f6feb; }
QToolTip { border: 1px solid #30363d; }
"""


def apply_theme(app: QApplication) -> None:
    """Fusion style, the dark palette and a CJK-capable default font."""
    app.setStyle("Fusion")
    pal = QPalette()
    for role, colour in _PALETTE.items():
        pal.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#5c6570"))
    app.setPalette(pal)
    font = QFont()
    font.setFamilies(list(UI_FONT_FAMILIES))
    font.setPointSize(10)
    app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)
