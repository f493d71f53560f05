"""Redis stopped during uploads: every receipt e-mail is still written, exactly once, once Redis is back.

A real worker (both queues) and beat on a private redis-server, with Django's file e-mail backend: the
messages on disk are what a mail server would have been handed. Redis keeps nothing across the restart,
so the receipts of the uploads made while it was down exist only as outbox rows until the sweep sends them.
"""
from __future__ import annotations

import re
import time

import pytest

from compliance.models import NotificationLog, Submission
from compliance.models import SubmissionStatus as S

from .processes import FAST_RECOVERY, wait_for
from .test_broker_outage import _upload, private_redis, sends_to  # noqa: F401  (fixtures, and the web upload)


def _subjects(outbox) -> list[str]:
    """Every Subject header the file backend wrote (one file per connection, messages back to back)."""
    text = "".join(path.read_text() for path in sorted(outbox.iterdir()))
    return re.findall(r"^Subject: (.*)$", text, flags=re.MULTILINE)


@pytest.mark.broker
@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.django_db(transaction=True)
def test_receipts_of_uploads_made_while_redis_is_down_are_written_exactly_once(
        client, pipeline, sends_to, districts, uploader, cycle, tmp_path):  # noqa: F811
    redis = sends_to
    outbox = tmp_path / "mail"
    outbox.mkdir()
    p = pipeline(queues="evaluation,reports", CELERY_BROKER_URL=redis.url,
                 EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(outbox))
    client.force_login(uploader)
    before = _upload(client, districts[0], cycle)
    redis.stop()
    during = [_upload(client, d, cycle) for d in districts[1:4]]
    # Recorded with the uploads, not sent: the broker is gone and so is any message sent before the stop.
    assert NotificationLog.objects.filter(submission__in=during, kind="receipt", sent_at__isnull=True).count() == 3
    redis.start()

    everything = [before, *during]
    receipts = {f"Received: {s.district.name} 2026-27 workbook, version 1" for s in everything}

    def all_written():
        return receipts <= set(_subjects(outbox)) and Submission.objects.filter(
            pk__in=[s.pk for s in everything], status=S.EVALUATED).count() == 4

    wait_for(all_written, 150, p, "every receipt to be written and every upload evaluated", every=1)
    wait_for(lambda: not NotificationLog.objects.filter(submission__in=everything, sent_at__isnull=True).exists(),
             60, p, "every message of these uploads to be sent", every=1)
    time.sleep(5 * float(FAST_RECOVERY["SWEEP_INTERVAL_SECONDS"]))  # sweeps go on: time for a duplicate to appear
    subjects = _subjects(outbox)
    assert {subject: subjects.count(subject) for subject in receipts} == {subject: 1 for subject in receipts}
    evaluated = [s for s in subjects if s.startswith("Evaluated: ")]
    assert len(evaluated) == len(set(evaluated)) == 4, subjects  # the worker's own messages, once each too
    sent = NotificationLog.objects.filter(submission__in=everything)
    assert sorted(sent.values_list("kind", flat=True)) == ["evaluated"] * 4 + ["receipt"] * 4
    assert set(sent.values_list("attempts", flat=True)) == {1}  # no send was ever made twice
    assert p.alive(), p.logs()
