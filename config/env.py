"""Strict environment helpers: a malformed value, or limits that contradict each other, is an error."""
from __future__ import annotations

import os
from typing import overload

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@overload
def env_str(name: str) -> str | None: ...
@overload
def env_str(name: str, default: str) -> str: ...
@overload
def env_str(name: str, default: None) -> str | None: ...
def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of {sorted(_TRUE | _FALSE)}, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def check_task_timing(*, soft: int, hard: int, visibility: int, lease: int) -> None:
    """Refuse limits that contradict each other: each would deliver or kill a task too early."""
    if not 0 < soft < hard:
        raise ImproperlyConfigured(
            f"CELERY_TASK_SOFT_TIME_LIMIT ({soft}) must be positive and below CELERY_TASK_TIME_LIMIT ({hard}).")
    if visibility <= hard:
        raise ImproperlyConfigured(
            f"CELERY_BROKER_VISIBILITY_TIMEOUT ({visibility}) must exceed CELERY_TASK_TIME_LIMIT ({hard}), "
            "or Redis hands a task that is still running to a second worker.")
    if lease < 10:
        raise ImproperlyConfigured(f"EVALUATION_LEASE_SECONDS ({lease}) must be at least 10.")
