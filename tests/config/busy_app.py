"""A worker app for broker tests: the project's Celery app (same settings and steps) plus one slow task."""
from __future__ import annotations

import time
from pathlib import Path

from config.celery import app


@app.task(name="tests.busy")
def busy(*, seconds: float, marker: str, label: str) -> None:
    time.sleep(seconds)
    with Path(marker).open("a") as out:
        out.write(f"{label}\n")


__all__ = ["app", "busy"]
