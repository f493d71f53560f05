"""The project package: settings, URLs, health, middleware; importing it loads the Celery app."""
from .celery import app as celery_app

__all__ = ("celery_app",)
