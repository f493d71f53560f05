#!/usr/bin/env bash
# Fails with the exact install command when a system package the app (or, with "test", the
# test suite) needs is missing.
py=${1:-python3}
missing=()
"$py" -c "import weasyprint" >/dev/null 2>&1 || missing+=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
if [ "${2:-}" = "test" ]; then
  command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)  # the LibreOffice round trip
  [ -x /usr/bin/chromium ] || missing+=(chromium)  # browser tests (never `playwright install`)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "Missing system packages. Install them with:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
