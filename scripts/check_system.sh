#!/usr/bin/env bash
# Installs the system packages in scripts/system-packages.txt that are missing, for SCOPE "run"
# (the app), "test" (the app and the test suite) or "python" (a Python to make the venv with):
# with apt-get as root or with passwordless sudo, otherwise it prints the one command to run
# and fails.
# Usage: scripts/check_system.sh [run|test|python] [PYTHON]  (PYTHON: also check that WeasyPrint loads)
set -euo pipefail
scope=${1:-run}
py=${2:-}
list="$(dirname "$0")/system-packages.txt"

wanted=()
while read -r name pkg_scope _; do
  case "$name" in ''|'#'*) continue ;; esac
  if [ "$pkg_scope" = "$scope" ] || { [ "$pkg_scope" = run ] && [ "$scope" = test ]; }; then wanted+=("$name"); fi
done < "$list"

installed() { dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'; }
missing_packages() {
  missing=()
  for p in "${wanted[@]}"; do installed "$p" || missing+=("$p"); done
}

if ! command -v dpkg >/dev/null 2>&1; then
  # Not Debian or Ubuntu: the names below are Debian's; say so rather than guess another manager.
  echo "Cannot check system packages without dpkg. This project needs (Debian names): ${wanted[*]}" >&2
  missing=()
else
  missing_packages
fi
if [ ${#missing[@]} -gt 0 ]; then
  # Root needs no sudo; anyone else needs sudo that will not stop to ask for a password.
  if [ "$(id -u)" = 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "Missing system packages: ${missing[*]}. Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing missing system packages: ${missing[*]}"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  missing_packages
  if [ ${#missing[@]} -gt 0 ]; then
    echo "apt-get did not install: ${missing[*]}" >&2
    exit 1
  fi
fi

if [ -n "$py" ] && ! "$py" -c "import weasyprint" >/dev/null 2>&1; then
  echo "WeasyPrint does not load although its packages are installed:" >&2
  "$py" -c "import weasyprint" >&2 || true
  exit 1
fi
