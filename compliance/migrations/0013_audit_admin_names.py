"""The admin names recommendation entries in the plural correctly (no schema change)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('compliance', '0012_audit_append_only_trigger'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='recommendationentry',
            options={'ordering': ['key', '-version'], 'verbose_name_plural': 'recommendation entries'},
        ),
    ]
