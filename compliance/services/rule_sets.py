"""Rule-set writes, each in the audit trail with the before/after of every parameter it changed.

A frozen version is never edited: changes become the next version of the same name.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from compliance.models import RULE_SET_COPIED, RULE_SET_CREATED, RULE_SET_EDITED, RuleSet
from compliance.rules.ruleset import default_params
from districts.models import User

from .audit import audit_record, value_changes

FROZEN = "This version is frozen because a reporting cycle uses it; copy it as a new version to change it."
CHANGED_MEANWHILE = ("Someone saved this rule set while you were editing it. Your changes were not saved: "
                     "review them against what is saved now.")


def params_digest(params: Any) -> str:
    """A short fingerprint of parameters, so a confirm step can tell that what it showed is still what is saved."""
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]


def previous_version(rule_set: RuleSet) -> RuleSet | None:
    """The version of the same name just before this one, if any."""
    return (RuleSet.objects.filter(name=rule_set.name, version__lt=rule_set.version)
            .order_by("-version").first())


def rule_set_create(*, name: str, params: dict[str, Any], user: User | None, notes: str = "",
                    reason: str = "") -> RuleSet:
    """A new rule set (version 1); the audit trail lists how it differs from the built-in defaults."""
    with transaction.atomic():
        rule_set = RuleSet.objects.create(name=name, version=1, params=params, notes=notes, created_by=user)
        audit_record(action=RULE_SET_CREATED, actor=user, subject=rule_set.label,
                     changes=value_changes(default_params(), params),
                     note=reason or "New rule set; the changes listed are against the built-in defaults.")
    return rule_set


def rule_set_edit(*, rule_set: RuleSet, params: dict[str, Any], user: User | None, notes: str | None = None,
                  reason: str = "", expected_digest: str | None = None) -> list[dict[str, Any]]:
    """Save edited parameters on an unfrozen version; the changes made (none: nothing is written).

    ``expected_digest`` is :func:`params_digest` of the parameters the user was shown: if the
    stored ones differ now, nothing is saved (ValidationError), so no edit silently undoes another.
    """
    with transaction.atomic():
        stored = RuleSet.objects.select_for_update().get(pk=rule_set.pk)
        if stored.frozen:
            raise ValidationError(FROZEN)
        if expected_digest is not None and params_digest(stored.params) != expected_digest:
            raise ValidationError(CHANGED_MEANWHILE)
        changes = value_changes(stored.params, params)
        if notes is not None and notes != stored.notes:
            changes.append({"field": "notes", "before": stored.notes, "after": notes})
            stored.notes = notes
        if not changes:
            return []
        stored.params = params
        stored.save()
        audit_record(action=RULE_SET_EDITED, actor=user, subject=stored.label, changes=changes, note=reason)
    rule_set.refresh_from_db()
    return changes


def rule_set_new_version(*, rule_set: RuleSet, params: dict[str, Any] | None = None, user: User | None = None,
                         notes: str = "") -> RuleSet:
    """Edits to a frozen rule set become the next version of the same name."""
    with transaction.atomic():
        # Two copies at once: the (name, version) constraint lets one win, the other fails without a write.
        latest = RuleSet.objects.filter(name=rule_set.name).aggregate(v=Max("version"))["v"] or 0
        new = RuleSet.objects.create(
            name=rule_set.name,
            version=latest + 1,
            params=params if params is not None else rule_set.params,
            notes=notes,
            created_by=user,
        )
        audit_record(action=RULE_SET_COPIED, actor=user, subject=new.label,
                     changes=value_changes(rule_set.params, new.params), note=f"Copied from {rule_set.label}.")
    return new
