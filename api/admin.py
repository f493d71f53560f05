"""Admin for API tokens: administrators see every token (never the token itself) and revoke them."""
from __future__ import annotations

from django.contrib import admin, messages

from .models import ApiToken
from .services import token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "prefix")
    readonly_fields = ("user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False  # tokens are issued to their users only, through POST /api/v1/token

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset) -> None:
        count = token_revoke(tokens=queryset)
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)
