#!/usr/bin/env bash
# Starts a Celery worker (both queues), Celery beat (the pipeline sweep) and the web server; Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_DEV=${DJANGO_DEV:-1}
BIN=.venv/bin
mkdir -p var
$BIN/celery -A config worker --queues=evaluation,reports --loglevel=INFO --concurrency=2 > var/worker.log 2>&1 &
worker=$!
# A process of its own, never `worker -B`: exactly one beat per installation sends the sweep.
$BIN/celery -A config beat --schedule=var/celerybeat-schedule --loglevel=INFO > var/beat.log 2>&1 &
beat=$!
trap 'kill $worker $beat 2>/dev/null; wait $worker $beat 2>/dev/null; echo; echo "Stopped the web server, the worker and beat."' EXIT INT TERM
echo
echo "  Equity compliance checker: http://127.0.0.1:8000/"
echo "  Database: ${DATABASE_URL:-SQLite in var/}; broker: ${CELERY_BROKER_URL:-filesystem transport in var/celery}"
echo "  Worker log: var/worker.log; beat log: var/beat.log"
$BIN/python manage.py demo_logins
echo "  Ctrl-C stops all three."
echo
$BIN/python manage.py runserver 127.0.0.1:8000 --noreload
