"""Recommendation library writes: every edit is a new version, in the audit trail with its before/after."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from compliance.models import RECOMMENDATION_CREATED, RECOMMENDATION_EDITED, RecommendationEntry
from compliance.rules.recommendations import validate_entry_dict
from districts.models import User

from .audit import audit_record, value_changes

CONTENT = ("title", "body", "rule_codes", "conditions", "sources", "active")
NEWER_MEANWHILE = ("Someone saved a newer version of this recommendation while you were editing it. Nothing was "
                   "saved: review your changes against it.")


def recommendation_content(entry: RecommendationEntry | None) -> dict[str, Any] | None:
    """What a version says (its key and number aside), as compared between versions."""
    return None if entry is None else {name: getattr(entry, name) for name in CONTENT}


def recommendation_latest(key: str) -> RecommendationEntry | None:
    return RecommendationEntry.objects.filter(key=key).order_by("-version").first()


def recommendation_save(*, key: str, content: dict[str, Any], user: User | None, reason: str = "",
                        expected_version: int | None) -> RecommendationEntry | None:
    """Save ``content`` as the next version of ``key`` (version 1 of a new key); None when it says what the
    newest version says already. ``expected_version`` is the newest version the editor compared with."""
    errors = validate_entry_dict({"key": key, **{k: v for k, v in content.items() if k != "active"}})
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        latest = RecommendationEntry.objects.select_for_update().filter(key=key).order_by("-version").first()
        if (latest.version if latest else None) != expected_version:
            raise ValidationError(NEWER_MEANWHILE)
        changes = value_changes(recommendation_content(latest), content)
        if latest is not None and not changes:
            return None
        entry = RecommendationEntry.objects.create(key=key, version=(latest.version if latest else 0) + 1, **content)
        audit_record(action=RECOMMENDATION_EDITED if latest else RECOMMENDATION_CREATED, actor=user,
                     subject=f"Recommendation {key} v{entry.version}: {entry.title}", changes=changes, note=reason)
    return entry
