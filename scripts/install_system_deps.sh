#!/usr/bin/env bash
# Installs the Debian packages the console needs, only those missing.
#   run:  Qt runtime libraries, CJK fonts and Mosquitto (the demo's broker runs the generated site configuration)
#   test: the above plus Xvfb (real-window screenshots), Mosquitto's command-line clients and PostgreSQL (the
#         journals' shared database: tests/postgres.py starts a throwaway server from its binaries)
set -eu
what=${1:-run}
pkgs=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4
      libxcb-keysyms1 libxcb-shape0 libxcb-render-util0 libxcb-image0 libxcb-randr0
      libxcb-xinerama0 libpulse0 libfontconfig1 libdbus-1-3 fonts-noto-cjk mosquitto)
if [ "$what" = test ]; then pkgs+=(xvfb xauth mosquitto-clients binutils postgresql); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "warning: not a Debian system; make sure these are installed: ${missing[*]}" >&2
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "error: missing system packages: ${missing[*]}" >&2
  echo "run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
