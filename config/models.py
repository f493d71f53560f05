"""Operational state shared by web and workers: each worker's last heartbeat."""
from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    # Celery's node name (name@host): one row per worker, overwritten on every beat.
    hostname = models.CharField(max_length=255, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.hostname} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
