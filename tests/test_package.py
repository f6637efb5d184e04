"""`make package` end to end: build the PyInstaller bundle, smoke-run the frozen program.

Slow (about a minute): PyInstaller analysis and collection, then two runs of the bundle.
Select or skip it with `-m package` / `-m "not package"`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "build" / "package-report.json"


@pytest.mark.package
@pytest.mark.timeout(900)
def test_bundle_builds_and_frozen_program_is_healthy() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "package.py")], cwd=ROOT,
                          capture_output=True, text=True, timeout=880)
    output = f"--- stdout ---\n{proc.stdout[-6000:]}\n--- stderr ---\n{proc.stderr[-6000:]}"
    assert proc.returncode == 0, f"scripts/package.py failed with exit code {proc.returncode}\n{output}"
    report = json.loads(REPORT.read_text(encoding="utf-8"))
    assert report["healthy"] is True, report
    assert report["size_mb"] > 0, report
    assert report["smoke_s"] > 0, report
    assert report["mavsdk_loaded"] is True, report
