"""The project's starting rule set (rules.md defaults), version 1."""
from django.db import migrations

from compliance.rules.ruleset import DEFAULT_RULE_SET_NAME, default_params


def create(apps, schema_editor):
    RuleSet = apps.get_model("compliance", "RuleSet")
    RuleSet.objects.get_or_create(
        name=DEFAULT_RULE_SET_NAME,
        version=1,
        defaults={"params": default_params(), "notes": "Defaults of rules.md."},
    )


class Migration(migrations.Migration):
    dependencies = [("compliance", "0002_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
