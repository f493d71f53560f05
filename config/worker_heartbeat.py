"""Worker heartbeat: the consumer writes a timestamp to the database while it is connected and consuming.

It runs on the consumer's own timer, so it stops when the consumer stops consuming (broker lost,
consumer restarting) even if the process lives on; /healthz reads it. The database, not the
broker, carries it, so it works the same on the filesystem transport and on Redis.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from celery import bootsteps
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

log = logging.getLogger(__name__)


def _heartbeats():
    # Imported when used: config.celery imports this module while Django's apps are still loading.
    from config.models import WorkerHeartbeat

    return WorkerHeartbeat.objects


def heartbeat_write(*, hostname: str) -> None:
    _heartbeats().update_or_create(hostname=hostname, defaults={"seen_at": timezone.now()})


def last_heartbeat():
    """The newest heartbeat of any worker, or None."""
    return _heartbeats().order_by("-seen_at").values_list("seen_at", flat=True).first()


def worker_is_fresh(now=None) -> tuple[bool, str]:
    seen = last_heartbeat()
    if seen is None:
        return False, "no worker has ever reported"
    age = ((now or timezone.now()) - seen).total_seconds()
    if age > settings.HEALTHZ_WORKER_STALE_SECONDS:
        return False, f"no worker heartbeat for {int(age)} s"
    return True, "ok"


def stale_heartbeats_delete(*, older_than: timedelta) -> int:
    return _heartbeats().filter(seen_at__lt=timezone.now() - older_than).delete()[0]


class Heartbeat(bootsteps.StartStopStep):
    """A consumer step: beats on start and then every WORKER_HEARTBEAT_SECONDS until it stops."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.tref = None

    def start(self, parent):
        self._forget_gone_workers()
        self._beat(parent.hostname)
        self.tref = parent.timer.call_repeatedly(settings.WORKER_HEARTBEAT_SECONDS, self._beat, (parent.hostname,))

    def stop(self, parent):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    shutdown = stop

    @staticmethod
    def _forget_gone_workers() -> None:
        # Workers renamed or retired leave rows behind; a day is far past any health limit.
        try:
            stale_heartbeats_delete(older_than=timedelta(days=1))
        except Exception:
            log.exception("Old worker heartbeats could not be deleted")

    @staticmethod
    def _beat(hostname: str) -> None:
        try:
            close_old_connections()  # a database restarted since the last beat must not fail this one
            heartbeat_write(hostname=hostname)
        except Exception:  # a database hiccup must not stop the consumer; /healthz shows the gap
            log.exception("Worker heartbeat could not be written")
