#!/usr/bin/env bash
# Creates the virtualenv VENV with PYTHON (default: python3.11, else python3). Where there is no
# Python, or no venv module (Debian ships it apart), installs the "python" packages of
# scripts/system-packages.txt first, as scripts/check_system.sh installs the others.
# Usage: scripts/make_venv.sh VENV [PYTHON]
set -euo pipefail
venv=$1
py=${2:-}
find_python() { command -v python3.11 || command -v python3 || true; }

[ -n "$py" ] || py=$(find_python)
if [ -z "$py" ] || ! "$py" -c "import ensurepip, venv" >/dev/null 2>&1; then
  "$(dirname "$0")/check_system.sh" python
  [ -n "${2:-}" ] || py=$(find_python)
fi
if ! "$py" -c "import sys; sys.exit(sys.version_info < (3, 11))"; then
  echo "$py is $("$py" -V 2>&1); the project needs Python 3.11 or later (make PYTHON=/path/to/python3.11)." >&2
  exit 1
fi
"$py" -m venv "$venv"
