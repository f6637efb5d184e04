"""The layer rules of DESIGN.md section 2, checked on every import statement of the code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QT = ("PySide6", "shiboken6", "pyqtgraph")
# The Qt-free core of console/: these modules must run in a headless gateway.
QT_FREE_CONSOLE = ("events", "health", "core_loop", "mqtt_link", "services", "demo_site", "logging_setup",
                   "cli", "sim_main", "resources", "task_service", "fleet_status", "demo_flights", "alert_contract", "alert_store", "alert_events",
                   "alert_incidents", "alert_service", "five_automatics", "video_director")


def imports_of(path: Path) -> list[str]:
    """Every module name imported by a file, at any depth (lazy imports included)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def violations(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return [f"{f.relative_to(ROOT)} imports {name}" for f in files for name in imports_of(f)
            if name.split(".")[0] in forbidden]


def test_drones_import_no_qt_and_nothing_from_console_or_widgets() -> None:
    files = sorted((ROOT / "drones").rglob("*.py"))
    assert files
    assert violations(files, (*QT, "console", "widgets")) == []


def test_qt_free_core_of_console_imports_no_qt() -> None:
    files = [ROOT / "console" / f"{m}.py" for m in QT_FREE_CONSOLE]
    assert all(f.exists() for f in files), [str(f) for f in files if not f.exists()]
    assert violations(files, (*QT, "widgets")) == []


def test_widgets_know_nothing_of_mavsdk_mqtt_or_console() -> None:
    files = sorted((ROOT / "widgets").rglob("*.py"))
    assert files
    assert violations(files, ("mavsdk", "aiomqtt", "paho", "amqtt", "pymavlink", "console", "drones")) == []


@pytest.mark.parametrize("snippet", ["import PySide6.QtCore", "from pyqtgraph import PlotWidget",
                                     "def f():\n    from PySide6 import QtWidgets"])
def test_the_checker_catches_a_qt_import(tmp_path: Path, snippet: str) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(snippet)
    assert violations_for_tmp(bad)


def violations_for_tmp(path: Path) -> list[str]:
    return [n for n in imports_of(path) if n.split(".")[0] in QT]
