"""A reviewer's saved queue views ("my work"): a name for a set of filters and a sort, per user."""
from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict

from compliance import permissions
from compliance.filters import QUEUE_PARAMS
from compliance.models import SavedQueueView
from districts.models import User

MAX_SAVED_VIEWS = 20


def queue_query_clean(query: str) -> str:
    """Only the queue's own filters and sort, in a fixed order, blanks dropped (no page, no token)."""
    data = QueryDict(query)
    return urlencode([(key, value) for key in QUEUE_PARAMS for value in data.getlist(key) if value.strip()])


def queue_view_save(*, user: User, name: str, query: str) -> SavedQueueView:
    """Save (or overwrite, by name) this user's view of the queue."""
    if not permissions.can_view_queue(user):
        raise PermissionDenied("Only state staff have a review queue.")
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Name the view, for example \u201cMy overdue reviews\u201d.")
    field = SavedQueueView._meta.get_field("name")
    if len(name) > (field.max_length or 0):
        raise ValidationError(f"A view's name has at most {field.max_length} characters.")
    query = queue_query_clean(query)
    existing = SavedQueueView.objects.filter(user=user, name=name).first()
    if existing is not None:
        SavedQueueView.objects.filter(pk=existing.pk).update(query=query)
        existing.query = query
        return existing
    if SavedQueueView.objects.filter(user=user).count() >= MAX_SAVED_VIEWS:
        raise ValidationError(f"You have {MAX_SAVED_VIEWS} saved views; delete one first.")
    try:
        with transaction.atomic():
            return SavedQueueView.objects.create(user=user, name=name, query=query)
    except IntegrityError:  # the same name saved twice at once: the other save won, which is what was asked
        return SavedQueueView.objects.get(user=user, name=name)


def queue_view_delete(*, user: User, view: SavedQueueView) -> None:
    if view.user_id != user.pk:
        raise PermissionDenied("That view is not yours.")
    view.delete()
