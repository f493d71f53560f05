"""The Celery application: settings from Django's CELERY_* names, tasks from the apps, the heartbeat step."""
import os

from celery import Celery, signals

from config.worker_heartbeat import Heartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("compliance_checker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.steps["consumer"].add(Heartbeat)


@signals.worker_init.connect
def load_renderers(**_kwargs):
    """Before the pool forks: its processes share the report's renderers and no report waits for them."""
    import django  # in the worker's main process, once Celery has loaded its configuration

    django.setup()  # Celery's Django fixup has done it already where it ran first; a second call returns at once
    from compliance.reports.render import load_renderers as load  # needs Django's apps: after setup

    load()
