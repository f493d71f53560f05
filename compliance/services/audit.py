"""Audit events that are not status changes: file downloads and edits, with the before/after of each value."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compliance.models import AuditEvent, Submission
from districts.models import District, User

# The channel a download came through, as the audit trail's note says it.
VIA_NOTES = {"web": "", "api": "Through the API.", "admin": "From the administration pages."}


def audit_record(*, action: str, actor: User | None, submission: Submission | None = None,
                 district: District | None = None, subject: str = "", changes: list[dict] | None = None,
                 note: str = "") -> AuditEvent:
    """Append one event (the submission's district is filled in by the model when none is given)."""
    return AuditEvent.objects.create(
        action=action, actor=actor, submission=submission, district=district, subject=subject,
        changes=changes or [], note=note,
    )


def value_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
                  prefix: str = "") -> list[dict[str, Any]]:
    """Every value that differs between two (nested) mappings, by dotted path, in a stable order.

    ``{"INT-01": {"band": 0.15}}`` against ``{"INT-01": {"band": 0.2}}`` gives
    ``[{"field": "INT-01.band", "before": 0.15, "after": 0.2}]``; a key only on one side has
    ``None`` on the other.
    """
    before, after = before or {}, after or {}
    changes: list[dict[str, Any]] = []
    for key in [*before, *(k for k in after if k not in before)]:
        path = f"{prefix}{key}"
        old, new = before.get(key), after.get(key)
        if isinstance(old, Mapping) and isinstance(new, Mapping):
            changes += value_changes(old, new, f"{path}.")
        elif old != new or type(old) is not type(new) and not _same_number(old, new):
            changes.append({"field": path, "before": old, "after": new})
    return changes


def _same_number(a: Any, b: Any) -> bool:
    # 1 and 1.0 are the same parameter value; True and 1 are not.
    numbers = (int, float)
    return (isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool)
            and not isinstance(b, bool) and a == b)
