"""Runs every bench/bench_*.py (or those named on the command line) and stores their results.

    python -m bench              # all
    python -m bench startup      # bench/bench_startup.py only

Each module has `run() -> dict`; results go to bench/results/<name>.json and are printed.
"""

from __future__ import annotations

import importlib
import os
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    for name in names:
        module = importlib.import_module(f"bench.bench_{name}")
        print(f"== {name}", flush=True)
        t0 = time.monotonic()
        result = module.run()
        result["_meta"] = {"seconds": round(time.monotonic() - t0, 1), "python": platform.python_version(),
                           "machine": platform.machine(), "when": time.strftime("%Y-%m-%d %H:%M:%S")}
        (out_dir / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print(json.dumps(result, indent=2, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
