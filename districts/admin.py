"""Admin for the directory (districts, schools, imported from CSV) and for users with their role and districts."""
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .admin_directory import DirectoryImportMixin
from .models import District, School, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "is_active", "is_staff")
    filter_horizontal = ("districts", "groups", "user_permissions")
    # The stubs allow an admin without fieldsets; Django's UserAdmin always has them.
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("Compliance role", {"fields": ("role", "districts")}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, ("Compliance role", {"fields": ("role", "districts")}))
    actions = ["deactivate"]

    def has_delete_permission(self, request, obj=None):
        # Once a user has acted, the audit trail names them: deactivate instead (issue 12).
        if obj is not None and obj.auditevent_set.exists():
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # a bulk delete would skip the per-user check above
        return actions

    @admin.action(description="Deactivate selected users (they keep their place in the audit trail)")
    def deactivate(self, request, queryset):
        count = queryset.update(is_active=False)
        self.message_user(request, f"{count} user(s) deactivated.")


class SchoolInline(admin.TabularInline):
    model = School
    extra = 0
    fields = ("school_id", "name", "grade_low", "grade_high")


@admin.register(District)
class DistrictAdmin(DirectoryImportMixin, admin.ModelAdmin):
    change_list_template = "admin/districts/district/change_list.html"  # adds "Import from CSV"
    list_display = ("name", "state_id", "nces_id", "state", "region")
    list_filter = ("state", "region")
    search_fields = ("name", "state_id", "nces_id")
    inlines = [SchoolInline]


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ("name", "school_id", "district", "grade_low", "grade_high")
    list_filter = ("district__state",)
    search_fields = ("name", "school_id", "district__name")
    list_select_related = ("district",)
