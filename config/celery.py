"""The Celery application: settings from Django's CELERY_* names, tasks from the apps, the heartbeat step."""
import os

from celery import Celery

from config.worker_heartbeat import Heartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("compliance_checker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.steps["consumer"].add(Heartbeat)
