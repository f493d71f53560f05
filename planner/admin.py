"""Admin of saved plans (read and tidy; plans are made on the planner page)."""
from django.contrib import admin

from .models import Plan


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("name", "district", "created_by", "shared", "updated_at")
    list_filter = ("shared", "district")
    search_fields = ("name", "district__name")
    raw_id_fields = ("base_submission", "created_by")
