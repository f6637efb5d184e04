"""Real PX4 autopilots (SITL with PX4's SIH physics) started beside the simulator, for tests and the mixed demo.

The PX4 build is found through the `PX4_SITL_DIR` environment variable: a directory with
`bin/px4` and `etc/` (PX4's start-up scripts). PX4's scripts call `bin/px4-<module>`, which must
be links to `bin/px4`; a copy that lost its links (they arrive as 3-byte files reading "px4") is
mended into a working copy under the user's cache directory, made once per build.

PX4's ports are fixed by its start-up scripts from the instance number I (onboard link
14580+I, ground-station link 18570+I, payload 14280+I, gimbal 13030+I, SIH display 19450+I) and
its daemon socket is /tmp/px4-sock-I. No number is assumed free: an instance is started, and if
PX4 reports a port it could not bind or an instance already running under that number, it is
stopped and the next number is tried. The MAVLink system id is set by parameter (`MAV_SYS_ID`),
so any instance number can serve any dock. See docs/architecture.md, "Real autopilots".

PX4 sends each UDP link to the first peer it hears from and never changes it (its mavlink receiver
sets the "partner" once). A console that connects with `udpout://` gets a new local port each time it
starts, so after a restart PX4 would go on sending to the old one. A site therefore has its drones
send to a fixed console port, which the console listens on (`udpin://`), as PX4's MAV_x_REMOTE_PRT
does on an aircraft. For SITL the onboard link's remote port is fixed by PX4's link script; the
launcher can set it (`console_port`) through a copy of that script, found first on PX4's PATH, that
differs from the shipped one by one line reading PX4_ONBOARD_REMOTE_PORT.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

#: The environment variable naming the PX4 SITL build.
PX4_DIR_ENV = "PX4_SITL_DIR"
#: PX4's airframe for a SIH quadrotor.
AIRFRAME = "10040"
#: Boot finished and every link bound. "Ready for takeoff" comes later, and only once a ground station is heard
#: when a data-link loss action is set (NAV_DLL_ACT != 0): readiness to fly is the console's health check.
READY_TEXT = "Startup script returned successfully"
#: Lines of PX4's log that mean this instance number is unusable on this machine now.
_CLASH_TEXTS = ("bind failed", "already running")
#: Timeouts PX4 measures against a ground station's messages: PX4's start-up script multiplies its own defaults
#: by the speed factor (the ground station's heartbeat does not speed up); a site's values are scaled the same way.
WALL_CLOCK_PARAMS = frozenset({"COM_DL_LOSS_T", "COM_RC_LOSS_T", "COM_OF_LOSS_T", "COM_DISARM_PRFLT"})
ONBOARD_PORT_BASE = 14580
GCS_PORT_BASE = 18570
#: Instance numbers tried: above the 0-9 a developer's own PX4 runs use; every port stays below 20000.
INSTANCE_RANGE = range(10, 200)
START_TIMEOUT_S = 60.0
POLL_S = 0.05


#: The shipped link script's line that fixes the onboard link's remote port for instances above 9.
_REMOTE_PORT_LINE = "[ \"$px4_instance\" -gt 9 ] && udp_offboard_port_remote=14549"
_REMOTE_PORT_OVERRIDE = '[ -n "$PX4_ONBOARD_REMOTE_PORT" ] && udp_offboard_port_remote=$PX4_ONBOARD_REMOTE_PORT'


class Px4Unavailable(RuntimeError):
    """No usable PX4 build (the reason says why), or no instance could be started."""


def find_px4(env: Mapping[str, str] | None = None) -> Path:
    """The PX4 build named by PX4_SITL_DIR; Px4Unavailable with the reason when there is none."""
    env = os.environ if env is None else env
    raw = env.get(PX4_DIR_ENV, "").strip()
    if not raw:
        raise Px4Unavailable(f"{PX4_DIR_ENV} is not set (point it at a PX4 SITL build with bin/px4 and etc/)")
    root = Path(raw).expanduser().resolve()
    if not (root / "bin" / "px4").is_file() or not (root / "etc" / "init.d-posix" / "rcS").is_file():
        raise Px4Unavailable(f"{PX4_DIR_ENV}={raw} has no bin/px4 and etc/init.d-posix/rcS")
    return root


def _links_work(bin_dir: Path) -> bool:
    probe = bin_dir / "px4-commander"
    return probe.is_symlink() or (probe.is_file() and os.access(probe, os.X_OK) and probe.stat().st_size > 16)


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qd-console"


def working_copy(root: Path, cache: Path | None = None) -> Path:
    """`root` itself when its module links work, else a mended copy (made once, atomically, per build)."""
    if _links_work(root / "bin"):
        return root
    px4 = root / "bin" / "px4"
    st = px4.stat()
    key = hashlib.sha1(f"{root}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:12]
    target = (cache or _cache_root()) / f"px4-sitl-{key}"
    if (target / "bin" / "px4").is_file() and _links_work(target / "bin"):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".px4-staging-", dir=target.parent))
    try:
        (staging / "bin").mkdir()
        shutil.copy2(px4, staging / "bin" / "px4")
        for f in (root / "bin").iterdir():
            if f.name == "px4":
                continue
            if f.name.startswith("px4-") and not f.name.endswith(".sh"):
                (staging / "bin" / f.name).symlink_to("px4")   # what the lost link said
            else:
                shutil.copy2(f, staging / "bin" / f.name)
        (staging / "etc").symlink_to(root / "etc")
        try:
            staging.rename(target)   # atomic: a concurrent run either wins or finds it made
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("PX4 build %s mended into %s (module links recreated)", root, target)
    return target


@dataclass
class Px4Instance:
    """One running PX4: its instance number, MAVLink system id, process and where to reach it."""

    instance: int
    sysid: int
    lat: float
    lon: float
    ground_alt_m: float
    process: subprocess.Popen[bytes]
    workdir: Path
    params: dict[str, str] = field(default_factory=dict)
    #: Where PX4 sends its onboard link (a console listening there with udpin://); None: PX4's own default.
    console_port: int | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / "px4.log"

    @property
    def onboard_port(self) -> int:
        """PX4's onboard (API) link: where a console connects with `udpout://` (PX4 answers the first peer that
        talked to it, for good: a second ground station on this port hears nothing)."""
        return ONBOARD_PORT_BASE + self.instance

    @property
    def gcs_port(self) -> int:
        """PX4's ground-station link: a second peer (the dock) talks to this one."""
        return GCS_PORT_BASE + self.instance

    @property
    def mavlink_url(self) -> str:
        """How a console reaches it: listening on `console_port` when one was set, else talking to its onboard port."""
        if self.console_port is not None:
            return f"udpin://127.0.0.1:{self.console_port}"
        return f"udpout://127.0.0.1:{self.onboard_port}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


class Px4Sitl:
    """Starts and stops PX4 SITL instances under one run directory; `close()` stops them all."""

    def __init__(self, root: Path, run_dir: Path, *, speed_factor: float = 1.0,
                 instance_numbers: range = INSTANCE_RANGE, spread: bool = True) -> None:
        self.root = working_copy(root)
        self.instance_numbers = instance_numbers
        #: Start the search for a free number at a random place (two runs on one machine rarely collide);
        #: False: in order (tests of the clash handling).
        self.spread = spread
        self._clashed: set[int] = set()
        self.run_dir = run_dir
        self.speed_factor = speed_factor
        self.instances: list[Px4Instance] = []
        self._rng = random.Random()

    def start(self, sysid: int, lat: float, lon: float, ground_alt_m: float,
              params: Mapping[str, object] | None = None) -> Px4Instance:
        """Starts one PX4 parked at (lat, lon, ground_alt_m) as MAVLink system `sysid`; returns once it has
        booted with every link bound. Tries instance numbers until one binds all its ports."""
        return self.start_many([(sysid, lat, lon, ground_alt_m)], params)[0]

    def start_many(self, specs: Iterable[tuple[int, float, float, float]],
                   params: Mapping[str, object] | None = None,
                   console_ports: Mapping[int, int] | None = None) -> list[Px4Instance]:
        """Starts several at once (they boot in parallel); each spec is (sysid, lat, lon, ground_alt_m).
        `console_ports`: by sysid, the UDP port the onboard link sends to (a console listening there)."""
        ports = console_ports or {}
        slots = [self._launch(*spec, params, ports.get(spec[0])) for spec in specs]   # in the order of `specs`
        pending = set(range(len(slots)))
        deadline = time.monotonic() + START_TIMEOUT_S
        while pending:
            for k in sorted(pending):
                inst = slots[k]
                state = self._boot_state(inst)
                if state == "ready":
                    pending.discard(k)
                elif state == "clash":
                    log.info("PX4 instance %d clashes with something on this machine; trying another", inst.instance)
                    self._terminate(inst)
                    self._clashed.add(inst.instance)
                    slots[k] = self._launch(inst.sysid, inst.lat, inst.lon, inst.ground_alt_m, inst.params,
                                            inst.console_port)
                elif state == "dead":
                    tail = "\n".join(inst.log_text().splitlines()[-15:])
                    self.close()
                    raise Px4Unavailable(f"PX4 instance {inst.instance} exited at start ({inst.process.returncode}):\n"
                                         f"{tail}")
            if pending and time.monotonic() > deadline:
                self.close()
                raise Px4Unavailable(f"PX4 not booted within {START_TIMEOUT_S:.0f} s "
                                     f"(instances {[slots[k].instance for k in pending]})")
            if pending:
                time.sleep(POLL_S)  # polling PX4's boot log
        return slots

    def _free_instance(self) -> int:
        used = {i.instance for i in self.instances} | self._clashed
        candidates = [n for n in self.instance_numbers if n not in used]
        if not candidates:
            raise Px4Unavailable("no free PX4 instance number")
        # A number's daemon socket (/tmp/px4-sock-N) may be left by a killed PX4: PX4 itself tells a live one
        # ("already running") from a stale file, and a clash moves on to another number.
        return candidates[self._rng.randrange(len(candidates)) if self.spread else 0]

    def _link_script_dir(self) -> Path:
        """A directory holding PX4's link script with the onboard remote port settable (see the module doc)."""
        target = self.run_dir / ".link-script"
        script = target / "px4-rc.mavlink"
        if not script.exists():
            shipped = (self.root / "etc" / "init.d-posix" / "px4-rc.mavlink").read_text()
            if _REMOTE_PORT_LINE not in shipped:
                raise Px4Unavailable("this PX4 build's px4-rc.mavlink has no onboard remote-port line to follow")
            target.mkdir(parents=True, exist_ok=True)
            script.write_text(shipped.replace(_REMOTE_PORT_LINE, _REMOTE_PORT_LINE + "\n" + _REMOTE_PORT_OVERRIDE, 1))
        return target

    def _launch(self, sysid: int, lat: float, lon: float, ground_alt_m: float,
                params: Mapping[str, object] | None, console_port: int | None = None) -> Px4Instance:
        n = self._free_instance()
        workdir = self.run_dir / str(n)
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        all_params = {"MAV_SYS_ID": str(sysid), **{k: self._scaled(k, v) for k, v in (params or {}).items()}}
        env = {**os.environ, "PX4_SYS_AUTOSTART": AIRFRAME, "PX4_SIMULATOR": "sihsim",
               "PX4_SIM_MODEL": "sihsim_quadx", "PX4_HOME_LAT": repr(lat), "PX4_HOME_LON": repr(lon),
               "PX4_HOME_ALT": repr(ground_alt_m), "PX4_SIM_SPEED_FACTOR": f"{self.speed_factor:g}",
               **{f"PX4_PARAM_{k}": v for k, v in all_params.items()}}
        if console_port is not None:
            env["PX4_ONBOARD_REMOTE_PORT"] = str(console_port)
            env["PATH"] = f"{self._link_script_dir()}:{env.get('PATH', '')}"
        with open(workdir / "px4.log", "wb") as out:
            proc = subprocess.Popen([str(self.root / "bin" / "px4"), "-i", str(n), "-d", "-w", str(workdir),
                                     str(self.root / "etc")], cwd=workdir, env=env, stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                    preexec_fn=_die_with_parent)
        inst = Px4Instance(n, sysid, lat, lon, ground_alt_m, proc, workdir, dict(all_params), console_port)
        self.instances.append(inst)
        return inst

    def _scaled(self, name: str, value: object) -> str:
        if name in WALL_CLOCK_PARAMS and self.speed_factor != 1.0 and isinstance(value, int | float):
            scaled = value * self.speed_factor
            return str(int(round(scaled)) if isinstance(value, int) else scaled)
        return str(value)

    @staticmethod
    def _boot_state(inst: Px4Instance) -> str:
        text = inst.log_text()
        if any(clash in text for clash in _CLASH_TEXTS):
            return "clash"
        if not inst.alive():
            return "dead"
        return "ready" if READY_TEXT in text else "booting"

    def _terminate(self, inst: Px4Instance) -> None:
        if inst in self.instances:
            self.instances.remove(inst)
        _signal_group(inst, signal.SIGKILL)
        inst.process.wait(5)

    def kill(self, inst: Px4Instance) -> None:
        """SIGKILLs one instance: a drone whose link dies mid-flight."""
        _signal_group(inst, signal.SIGKILL)
        inst.process.wait(5)

    def close(self) -> None:
        """Stops every instance (SIGTERM, then SIGKILL after 3 s)."""
        for inst in self.instances:
            _signal_group(inst, signal.SIGTERM)
        deadline = time.monotonic() + 3.0
        for inst in self.instances:
            try:
                inst.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(inst, signal.SIGKILL)
                inst.process.wait(5)
        self.instances.clear()


def _die_with_parent() -> None:
    """In the PX4 child before exec: Linux kills it when the thread that started it ends (a test run or simulator
    that crashed leaves no autopilot behind). So start instances from a thread that lives as long as they do."""
    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _signal_group(inst: Px4Instance, sig: int) -> None:
    try:
        os.killpg(inst.process.pid, sig)
    except ProcessLookupError:
        pass
