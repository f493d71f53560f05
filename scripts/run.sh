#!/usr/bin/env bash
# Starts a Celery worker and the web server; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_DEV=${DJANGO_DEV:-1}
BIN=.venv/bin
mkdir -p var
$BIN/celery -A config worker --loglevel=INFO --concurrency=2 > var/worker.log 2>&1 &
worker=$!
trap 'kill $worker 2>/dev/null; wait $worker 2>/dev/null; echo; echo "Stopped the web server and the worker."' EXIT INT TERM
echo
echo "  Equity compliance checker: http://127.0.0.1:8000/"
echo "  Database: ${DATABASE_URL:-SQLite in var/}; broker: ${CELERY_BROKER_URL:-filesystem transport in var/celery}"
echo "  Worker log: var/worker.log"
$BIN/python manage.py demo_logins
echo "  Ctrl-C stops both."
echo
$BIN/python manage.py runserver 127.0.0.1:8000 --noreload
