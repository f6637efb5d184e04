"""`pip install .` gives a working program outside the checkout: the packages, `main`, the run-time
resources and the `qd-console` script, found from the installed copy and nowhere else."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from drones.site import load_site
from tests.conftest import ROOT

# Build outputs, caches and virtual environments a checkout may hold; none of them is source.
NOT_SOURCE_AT_TOP = {".git", ".venv", "build", "dist", "artifacts", ".hypothesis", ".pytest_cache", ".mypy_cache",
                     ".ruff_cache"}
NOT_SOURCE_ANYWHERE = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
INSTALLED_CHECK = """
import json, console.core.services, drones.patterns
from console.resources import resource_path
from drones.site import load_site
site = load_site(resource_path("sites", "demo.toml"))
print(json.dumps({"services": console.core.services.__file__, "site": str(site.path), "docks": len(site.docks),
                  "nofly": str(site.nofly_path), "cameras": str(site.cameras_path), "basemap": str(site.basemap_path),
                  "patterns": str(drones.patterns.default_patterns_path()),
                  "categories": list(drones.patterns.load_patterns().categories),
                  "translations": str(resource_path("i18n", "console_zh_CN.qm")),
                  "alert_rules": str(resource_path("alert_rules.toml"))}))
"""


def _ignore(directory: str, names: list[str]) -> set[str]:
    top = NOT_SOURCE_AT_TOP & set(names) if Path(directory) == ROOT else set()
    return top | NOT_SOURCE_ANYWHERE(directory, names)


def _run(args: list[str], target: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    # Only the installed copy on the path, started away from the checkout: nothing can come from ROOT.
    env = {**os.environ, "PYTHONPATH": str(target), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=cwd, env=env)


def test_pip_install_gives_a_working_program(tmp_path: Path) -> None:
    source, target = tmp_path / "checkout", tmp_path / "installed"
    # A copy, because building writes build/ and *.egg-info into the source tree, which test runs share.
    shutil.copytree(ROOT, source, ignore=_ignore)
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
                          "--target", str(target), str(source)],
                         capture_output=True, text=True, timeout=180,
                         env={**os.environ, "PIP_NO_CACHE_DIR": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]

    for package in ("console", "console/core", "console/client", "drones", "drones/sim", "widgets", "vocab"):
        assert (target / package / "__init__.py").is_file(), f"{package} was not installed"
    assert (target / "main.py").is_file()
    assert not (target / "tests").exists() and not (target / "bench").exists() and not (target / "scripts").exists()
    assert not list((target / "resources").rglob("*.ts")), "translation sources are not needed at run time"

    help_ = _run([str(target / "bin" / "qd-console"), "--help"], target, tmp_path)
    assert help_.returncode == 0, help_.stderr
    assert "--site FILE" in help_.stdout and "--smoke SECONDS PNG" in help_.stdout

    check = _run([sys.executable, "-c", INSTALLED_CHECK], target, tmp_path)
    assert check.returncode == 0, check.stderr
    found = json.loads(check.stdout)
    checkout_site = load_site(ROOT / "resources" / "sites" / "demo.toml")
    assert found["docks"] == len(checkout_site.docks)
    assert found["categories"]
    for key in ("services", "site", "nofly", "cameras", "basemap", "patterns", "translations", "alert_rules"):
        path = Path(found[key])
        assert path.is_file(), f"{key}: {path} does not exist"
        assert path.resolve().is_relative_to(target.resolve()), f"{key}: {path} is not from the installed copy"
