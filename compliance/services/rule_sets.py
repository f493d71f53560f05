"""Rule-set writes: a frozen version is never edited; changes become the next version."""
from __future__ import annotations

from typing import Any

from django.db.models import Max

from compliance.models import RuleSet
from districts.models import User


def rule_set_new_version(*, rule_set: RuleSet, params: dict[str, Any] | None = None, user: User | None = None,
                         notes: str = "") -> RuleSet:
    """Edits to a frozen rule set become the next version of the same name."""
    latest = RuleSet.objects.filter(name=rule_set.name).aggregate(v=Max("version"))["v"] or 0
    return RuleSet.objects.create(
        name=rule_set.name,
        version=latest + 1,
        params=params if params is not None else rule_set.params,
        notes=notes,
        created_by=user,
    )
