"""Seed the technical-assistance library and the Equity Assistance Center table (version 1).

Administrators edit both afterwards in the admin; an edited entry is saved as a new version.
"""
from django.db import migrations

from compliance.rules.recommendations import DEFAULT_EAC_REGIONS, DEFAULT_LIBRARY, entry_to_dict


def seed(apps, schema_editor):
    Entry = apps.get_model("compliance", "RecommendationEntry")
    Region = apps.get_model("compliance", "EquityAssistanceRegion")
    for entry in DEFAULT_LIBRARY:
        data = entry_to_dict(entry)
        Entry.objects.get_or_create(
            key=data["key"], version=data["version"],
            defaults={k: data[k] for k in ("title", "body", "rule_codes", "conditions", "sources")},
        )
    for state, region in DEFAULT_EAC_REGIONS.items():
        Region.objects.get_or_create(state=state, defaults=region)


class Migration(migrations.Migration):
    dependencies = [("compliance", "0003_default_rule_set")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
