"""Audit events about no submission (downloads, rule-set and recommendation edits), with a district,
a subject and the before/after of edited values; submissions and users who acted are protected."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def district_from_submission(apps, schema_editor):
    # Before migration 0012's trigger: afterwards no UPDATE of the table is possible.
    AuditEvent = apps.get_model("compliance", "AuditEvent")
    Submission = apps.get_model("compliance", "Submission")
    district = Submission.objects.filter(pk=OuterRef("submission_id")).values("district_id")[:1]
    AuditEvent.objects.filter(submission__isnull=False).update(district_id=Subquery(district))


class Migration(migrations.Migration):

    dependencies = [
        ('compliance', '0010_review_audit_actor_name'),
        ('districts', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='auditevent',
            options={'base_manager_name': 'objects', 'ordering': ['created_at', 'pk']},
        ),
        migrations.AddField(
            model_name='auditevent',
            name='changes',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='district',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='audit_events', to='districts.district'),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='subject',
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='actor',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='created_at',
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='submission',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='audit_events', to='compliance.submission'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['action', 'created_at'], name='auditevent_action_time'),
        ),
        migrations.RunPython(district_from_submission, migrations.RunPython.noop),
    ]
