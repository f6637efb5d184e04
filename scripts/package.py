"""`make package`: build the one-folder bundle dist/qd-console, then prove the frozen program works.

Steps:
1. PyInstaller with build.spec (work files in build/, bundle in dist/qd-console).
2. Static check: the files the program finds by path at run time are in the bundle.
3. Smoke run of the frozen program on the demo site (`qd-console --smoke 3 PNG`, offscreen, with a
   throw-away HOME/XDG_CONFIG_HOME/log directory): exit 0, a JSON health line with "healthy": true,
   a screenshot, and no process of the bundle left behind (the demo-site child is `qd-console sim`).
   The demo site's 56 simulated drones reach the console only through MAVSDK's native library, so a
   healthy smoke run (every drone linked) also proves libcmavsdk.so is bundled and loads.
4. Bundle size and smoke time, printed and written to build/package-report.json.

Exits non-zero, saying which step failed and why, if anything is wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "build.spec"
WORK = ROOT / "build"
DIST = ROOT / "dist"
BUNDLE = DIST / "qd-console"
EXE = BUNDLE / "qd-console"
REPORT = WORK / "package-report.json"

SMOKE_SECONDS = 3
SMOKE_TIMEOUT_S = 120
#: How long after the console exits its demo-site child may take to disappear.
ORPHAN_GRACE_S = 5.0

#: Files the program opens by path (not import), relative to the bundle's _internal folder.
REQUIRED_FILES = (
    "resources/sites/demo.toml",                          # console/client/app.py, the demo site
    "resources/sites/demo_cameras.npz",                   # camera registry of the demo site
    "resources/sites/demo_nofly.geojson",                 # no-fly zones of the demo site
    "resources/map/qingdao.geojson",                      # basemap of the demo site
    "resources/i18n/console_zh_CN.qm",                    # console/client/i18n.py
    "PySide6/Qt/translations/qtbase_zh_CN.qm",            # console/client/i18n.py, Qt's own strings
    "PySide6/Qt/plugins/platforms/libqxcb.so",            # the command hall's X11 display
    "PySide6/Qt/plugins/platforms/libqoffscreen.so",      # --smoke, tests
    "mavsdk/lib/libcmavsdk.so",                           # mavsdk loads it with ctypes
)


class PackageError(Exception):
    """A step failed; the message says which and why."""


def step(msg: str) -> None:
    print(f"==> {msg}", flush=True)


def build(clean: bool) -> float:
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--workpath", str(WORK), "--distpath", str(DIST), str(SPEC)]
    if clean:
        cmd.insert(3, "--clean")
    step("building " + " ".join(cmd[2:]))
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT)
    if proc.returncode != 0:
        raise PackageError(f"PyInstaller failed with exit code {proc.returncode} (output above)")
    if not EXE.is_file():
        raise PackageError(f"PyInstaller finished but {EXE} is missing")
    took = time.monotonic() - t0
    step(f"built {BUNDLE.relative_to(ROOT)} in {took:.1f} s")
    return took


def check_contents() -> None:
    internal = BUNDLE / "_internal"
    missing = [f for f in REQUIRED_FILES if not (internal / f).exists()]
    if missing:
        raise PackageError("bundle lacks files the program opens at run time: " + ", ".join(missing))
    step(f"bundle contents: the {len(REQUIRED_FILES)} files opened by path are present")


def bundle_size_mb() -> float:
    """What `du -sm dist/qd-console` says, unrounded: disk blocks in MiB, each file (or link) counted once."""
    total, seen = 0, set()
    for dirpath, dirnames, filenames in os.walk(BUNDLE):
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, name))
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            total += st.st_blocks * 512
    return total / 2**20


def isolated_env(tmp: Path) -> dict[str, str]:
    """The frozen program must not read or write the user's settings, logs or caches."""
    env = dict(os.environ)
    for var in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):  # the bundle must stand on its own
        env.pop(var, None)
    env.update(HOME=str(tmp / "home"), XDG_CONFIG_HOME=str(tmp / "config"), XDG_DATA_HOME=str(tmp / "data"),
               XDG_CACHE_HOME=str(tmp / "cache"), XDG_RUNTIME_DIR=str(tmp / "runtime"),
               QD_CONSOLE_LOG_DIR=str(tmp / "logs"), QT_QPA_PLATFORM="offscreen")
    for var in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "QD_CONSOLE_LOG_DIR"):
        Path(env[var]).mkdir(parents=True, exist_ok=True)
    Path(env["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    return env


def bundle_processes() -> list[psutil.Process]:
    """Running processes whose executable is this bundle's (the console and its `sim` child)."""
    exe = str(EXE.resolve())
    found = []
    for p in psutil.process_iter(["exe", "cmdline"]):
        try:
            if p.info["exe"] == exe or (p.info["cmdline"] or [""])[0] in (exe, str(EXE)):
                found.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def wait_no_leftovers(before: set[int]) -> None:
    """Fails if a process of the bundle started by the smoke run is still alive after a grace period."""
    deadline = time.monotonic() + ORPHAN_GRACE_S
    while True:
        left = [p for p in bundle_processes() if p.pid not in before]
        if not left:
            return
        if time.monotonic() > deadline:
            desc = "; ".join(f"pid {p.pid}: {' '.join(p.cmdline())}" for p in left if p.is_running())
            for p in left:  # ours: started by this smoke run
                try:
                    p.kill()
                except psutil.NoSuchProcess:
                    pass
            raise PackageError(f"processes of the bundle still running {ORPHAN_GRACE_S:.0f} s after the smoke "
                               f"run ended (killed now): {desc}")
        time.sleep(0.1)  # polling interval of a process-table check


def run_bounded(cmd: list[str], env: dict[str, str], timeout_s: float) -> tuple[int, str, str, float]:
    """Runs `cmd` in a process group of its own; on timeout kills the whole group. Returns code, out, err, secs."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=env["HOME"], start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise PackageError(f"{Path(cmd[0]).name} did not exit within {timeout_s:.0f} s\n"
                           f"--- stdout ---\n{out}\n--- stderr ---\n{err}") from None
    return proc.returncode, out, err, time.monotonic() - t0


def health_line(out: str) -> dict | None:  # type: ignore[type-arg]
    for line in reversed(out.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None


def smoke(tmp: Path) -> tuple[float, dict]:  # type: ignore[type-arg]
    env = isolated_env(tmp)
    png = tmp / "smoke.png"
    cmd = [str(EXE), "--smoke", str(SMOKE_SECONDS), str(png)]
    step(f"smoke run: {' '.join(cmd)} (QT_QPA_PLATFORM=offscreen, HOME={env['HOME']})")
    before = {p.pid for p in bundle_processes()}
    code, out, err, secs = run_bounded(cmd, env, SMOKE_TIMEOUT_S)
    snap = health_line(out)
    detail = f"\n--- stdout ---\n{out}\n--- stderr ---\n{err}"
    if code != 0:
        raise PackageError(f"smoke run exited with code {code}{detail}")
    if snap is None:
        raise PackageError(f"smoke run printed no JSON health line{detail}")
    if snap.get("healthy") is not True:
        raise PackageError(f"smoke run unhealthy: {snap.get('problems')}{detail}")
    if not png.is_file() or png.stat().st_size == 0:
        raise PackageError(f"smoke run wrote no screenshot at {png}{detail}")
    wait_no_leftovers(before)
    step(f"smoke run healthy in {secs:.1f} s (start to exit, {SMOKE_SECONDS} s of it the smoke wait); "
         "no process left behind")
    return secs, snap


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--clean", action="store_true", help="empty PyInstaller's cache and build/ first")
    p.add_argument("--no-build", action="store_true", help="check the existing dist/qd-console only")
    args = p.parse_args(argv)
    report: dict[str, object] = {"bundle": str(BUNDLE.relative_to(ROOT)), "healthy": False}
    WORK.mkdir(exist_ok=True)
    REPORT.unlink(missing_ok=True)
    try:
        if not args.no_build:
            report["build_s"] = round(build(args.clean), 1)
        elif not EXE.is_file():
            raise PackageError(f"--no-build: {EXE} does not exist")
        check_contents()
        report["size_mb"] = round(bundle_size_mb(), 1)
        step(f"bundle size: {report['size_mb']} MB (du -sm)")
        tmp = Path(tempfile.mkdtemp(prefix="qd-package-"))
        try:
            secs, snap = smoke(tmp / "smoke")
            # The demo site's drones reach the console only through MAVSDK's native library.
            linked = snap.get("drones_connected", 0)
            report.update(smoke_s=round(secs, 2), smoke_wait_s=SMOKE_SECONDS, healthy=True,
                          uptime_s=snap.get("uptime_s"), drones_connected=linked,
                          mavsdk_loaded=linked > 0 and linked == snap.get("drones_total"))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    except PackageError as exc:
        report["error"] = str(exc).splitlines()[0]
        report["healthy"] = False
        REPORT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\npackage: FAILED: {exc}", file=sys.stderr)
        return 1
    REPORT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\npackage: OK: {BUNDLE.relative_to(ROOT)} is {report['size_mb']} MB; smoke run "
          f"{report['smoke_s']} s start to exit; report in {REPORT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
