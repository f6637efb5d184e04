"""The layer rules of docs/architecture.md ("Layers"), checked on every module of the project.

The rules follow from where a file lives, so a new module is covered the moment it exists:

- `vocab/` is plain Python: the standard library and itself, nothing else;
- `drones/` imports no Qt and nothing from `console/` or `widgets/`;
- `console/` outside `console/client/` (the site core and the launchers) imports no Qt, no widgets
  and nothing from the client;
- `widgets/` imports Qt, pyqtgraph, numpy and `vocab`, never MAVSDK, MQTT, `drones/` or `console/`.

Every import statement counts, at any depth (lazy imports inside functions included); a second
test imports every Qt-free module in a process where Qt cannot be imported at all.
"""

from __future__ import annotations

import re

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QT = ("PySide6", "shiboken6", "pyqtgraph")
PROJECT = ("vocab", "drones", "console", "widgets")


def imports_of(path: Path) -> list[str]:
    """Every module name imported by a file, at any depth (lazy imports included)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def forbidden_for(path: Path) -> tuple[str, ...] | None:
    """The import prefixes a module may not use, from where it lives (None: no rule, e.g. the client)."""
    rel = path.relative_to(ROOT).parts
    if rel[0] == "drones":
        return (*QT, "console", "widgets")
    if rel[0] == "console" and rel[1:2] != ("client",):
        return (*QT, "widgets", "console.client")
    if rel[0] == "widgets":
        return ("mavsdk", "aiomqtt", "paho", "amqtt", "pymavlink", "console", "drones")
    return None


def violates(name: str, forbidden: tuple[str, ...]) -> bool:
    return any(name == f or name.startswith(f + ".") for f in forbidden)


def project_modules() -> list[Path]:
    files = [p for top in PROJECT for p in sorted((ROOT / top).rglob("*.py"))]
    assert len(files) > 50, "the project's modules were not found"
    return files


def test_every_module_keeps_the_rule_of_its_layer() -> None:
    bad = []
    for f in project_modules():
        rel = f.relative_to(ROOT)
        if rel.parts[0] == "vocab":
            outside = [n for n in imports_of(f) if n.split(".")[0] not in sys.stdlib_module_names
                       and n.split(".")[0] != "vocab"]
            bad += [f"{rel} imports {n} (vocab is plain Python)" for n in outside]
            continue
        forbidden = forbidden_for(f)
        if forbidden is not None:
            bad += [f"{rel} imports {n}" for n in imports_of(f) if violates(n, forbidden)]
    assert bad == []


def qt_free_modules() -> list[str]:
    names = []
    for f in project_modules():
        rel = f.relative_to(ROOT)
        if rel.parts[0] == "widgets" or rel.parts[:2] == ("console", "client"):
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


def test_the_site_core_imports_where_qt_cannot_be_imported() -> None:
    """What `main.py server` will run must start on a host without Qt (transitive imports included)."""
    script = textwrap.dedent(f"""
        import importlib, importlib.abc, sys

        class NoQt(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {QT!r}:
                    raise ImportError("Qt is not installed here: " + name)
                return None

        sys.meta_path.insert(0, NoQt())
        for name in {qt_free_modules()!r}:
            importlib.import_module(name)
        print("imported", len({qt_free_modules()!r}))
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.startswith("imported")


@pytest.mark.parametrize(("where", "snippet"), [
    ("drones/x.py", "import PySide6.QtCore"),
    ("console/core/x.py", "def f():\n    from pyqtgraph import PlotWidget"),
    ("console/x.py", "from console.client.app import app_main"),
    ("widgets/x.py", "from drones.model import DroneState"),
])
def test_the_checker_catches_a_forbidden_import(tmp_path: Path, where: str, snippet: str) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(snippet)
    forbidden = forbidden_for(ROOT / where)
    assert forbidden is not None
    assert [n for n in imports_of(bad) if violates(n, forbidden)]


def test_code_cites_the_projects_own_docs_only() -> None:
    """Code cites documents of this repository only (docs/architecture.md): every Markdown file it names exists
    here, and it names no path that climbs out of the checkout."""
    cited = []
    for f in project_modules() + [ROOT / "main.py"]:
        text = f.read_text(encoding="utf-8")
        cited += [f"{f.relative_to(ROOT)}: {name}" for name in set(re.findall(r"[\w./-]+\.md\b", text))
                  if not (ROOT / name).is_file()]
        cited += [f"{f.relative_to(ROOT)}: {m}" for m in re.findall(r"(?<![.\w])\.\./\w[\w./-]*", text)]
    assert cited == []
