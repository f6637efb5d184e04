"""Child processes that never outlive their parent (the demo's simulator, server and broker)."""

from __future__ import annotations

import logging
import signal
import sys

log = logging.getLogger(__name__)


def set_parent_death_signal() -> None:
    """Asks Linux to SIGTERM this process when its parent dies, so no orphan outlives the console (call it in the
    child: at its start, or as a `subprocess.Popen` preexec_fn)."""
    if sys.platform != "linux":
        return
    import ctypes

    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    except OSError:
        log.debug("prctl(PR_SET_PDEATHSIG) unavailable")
