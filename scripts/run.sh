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
# A warm shutdown lets a running job finish; but when the whole process group was signalled (a
# terminal's Ctrl-C, `kill -- -PGID`), the pool's children are gone already and the worker's main
# process can wait for them for ever: after 15 s it is stopped outright (the sweep re-queues its job).
stop() {
  trap - EXIT INT TERM  # once, whichever signal or the exit came first
  kill $worker $beat 2>/dev/null || true
  for _ in $(seq 30); do kill -0 $worker 2>/dev/null || break; sleep 0.5; done
  kill -KILL $worker 2>/dev/null || true
  wait $worker $beat 2>/dev/null || true
  echo; echo "Stopped the web server, the worker and beat."
}
trap stop EXIT INT TERM
echo
echo "  Equity compliance checker: http://127.0.0.1:8000/"
echo "  Database: ${DATABASE_URL:-SQLite in var/}; broker: ${CELERY_BROKER_URL:-filesystem transport in var/celery}"
echo "  Worker log: var/worker.log; beat log: var/beat.log"
$BIN/python manage.py demo_logins
echo "  Ctrl-C stops all three."
echo
$BIN/python manage.py runserver 127.0.0.1:8000 --noreload
