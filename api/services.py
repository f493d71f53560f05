"""Token writes: issue a token for a password, revoke one. Keyword-only, named ``token_<action>``."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from districts.models import User

from .models import ApiToken

TOKEN_PREFIX = "ecc_"  # nosec B105 # a public marker that tells our tokens apart in logs, not a secret


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def token_create(*, user: User) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the raw token (shown once, never stored)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, key_hash=token_hash(raw), prefix=raw[:12],
        expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_DAYS),
    )
    return token, raw


def token_revoke(*, tokens: QuerySet[ApiToken]) -> int:
    """Revoke every token of ``tokens`` not yet revoked; the count revoked."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def token_touch(*, token: ApiToken) -> None:
    """Record use at most once a minute: a busy client does not write on every request."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
