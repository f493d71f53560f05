"""Token reads: the active token of a raw bearer value, a user's own tokens."""
from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from districts.models import User

from .models import ApiToken
from .services import token_hash


def token_active(*, raw: str) -> ApiToken | None:
    """The unrevoked, unexpired token whose hash matches, with an active user, else None."""
    return (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(raw), revoked_at__isnull=True, expires_at__gt=timezone.now(), user__is_active=True)
        .first()
    )


def tokens_of(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")
