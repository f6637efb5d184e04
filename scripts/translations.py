"""Refreshes the .ts translation sources from the code and compiles them to .qm.

    python scripts/translations.py          # lupdate + lrelease
    python scripts/translations.py --check  # exit 1 if any string lacks a zh_CN translation

Source strings are English; translate new entries in resources/i18n/console_zh_CN.ts with
Qt Linguist (pyside6-linguist) or by hand, then run this again.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "resources" / "i18n"
SOURCES = ["console", "widgets", "vocab"]
LANGS = ["zh_CN"]


def tool(name: str) -> str:
    exe = Path(sys.executable).parent / name
    return str(exe) if exe.exists() else (shutil.which(name) or name)


def python_sources() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for d in SOURCES for p in (ROOT / d).rglob("*.py"))


def lupdate(ts: Path) -> None:
    subprocess.run([tool("pyside6-lupdate"), *python_sources(), "-no-obsolete", "-locations", "none", "-ts", str(ts)],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def untranslated(ts: Path) -> list[str]:
    """Source strings of `ts` whose translation is missing or marked unfinished."""
    out = []
    for ctx in ET.parse(ts).getroot().iter("context"):
        name = ctx.findtext("name")
        for msg in ctx.iter("message"):
            tr = msg.find("translation")
            forms = [f.text for f in tr.iter("numerusform")] if tr is not None else []
            text = ((tr.text if tr is not None else None) or "").strip() or "".join(f or "" for f in forms)
            if tr is None or tr.get("type") in ("unfinished", "vanished", "obsolete") or not text.strip():
                out.append(f"{name}: {msg.findtext('source')}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    missing: list[str] = []
    for lang in LANGS:
        ts = I18N / f"console_{lang}.ts"
        lupdate(ts)
        missing += [f"{lang} {m}" for m in untranslated(ts)]
        subprocess.run([tool("pyside6-lrelease"), str(ts), "-qm", str(ts.with_suffix(".qm"))], check=True,
                       stdout=subprocess.DEVNULL)
    for m in missing:
        print("untranslated:", m)
    return 1 if (args.check and missing) else 0


if __name__ == "__main__":
    sys.exit(main())
