"""Add the "rebalance enrollment" recommendation (version 1) to an existing library.

Bands whose schools are not assigned by attendance zones (all "other", magnet or lottery
schools) had no entry carrying the reassignment estimate for their INT-01/INT-03 findings.
An installation that already has the key (an administrator made one) keeps its own.
"""
from django.db import migrations

from compliance.rules.recommendation_library import DEFAULT_LIBRARY, REASSIGNMENT_KEY
from compliance.rules.recommendations import entry_to_dict


def add_entry(apps, schema_editor):
    Entry = apps.get_model("compliance", "RecommendationEntry")
    if Entry.objects.filter(key=REASSIGNMENT_KEY).exists():
        return
    data = entry_to_dict(next(e for e in DEFAULT_LIBRARY if e.key == REASSIGNMENT_KEY))
    Entry.objects.create(key=data["key"], version=data["version"],
                         **{k: data[k] for k in ("title", "body", "rule_codes", "conditions", "sources")})


class Migration(migrations.Migration):
    dependencies = [("compliance", "0010_review_audit_actor_name")]
    operations = [migrations.RunPython(add_entry, migrations.RunPython.noop)]
