#!/usr/bin/env bash
# Prints the path of a Python >= 3.12 interpreter, or explains why there is none.
# PySide6 6.12 aborts on Python 3.11 (see shared/STACK.md), so 3.11 is never accepted.
set -u
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
for v in 3.13 3.12; do
  command -v "python$v" >/dev/null 2>&1 && candidates+=("$(command -v "python$v")")
done
# pyenv installs that are not on PATH (a fresh shell may not have its shims).
for d in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]* /usr/local/bin /usr/bin; do
  for exe in "$d"/bin/python3 "$d"/python3.13 "$d"/python3.12; do
    [ -x "$exe" ] && candidates+=("$exe")
  done
done
command -v python3 >/dev/null 2>&1 && candidates+=("$(command -v python3)")
for c in "${candidates[@]}"; do
  if ok "$c"; then "$c" -c "import sys; print(sys.executable)"; exit 0; fi
done
echo "error: no Python 3.12 or newer found (PySide6 6.12 needs it; 3.11 aborts)." >&2
echo "Install one (e.g. 'pyenv install 3.12' or Debian's python3.12) or set PYTHON=/path/to/python3.12." >&2
exit 1
